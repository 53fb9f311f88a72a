#include "view/present.h"

#include <SDL.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

#define TILE_W 64
#define TILE_H 32

struct ViewPresenter {
    SDL_Window* win;
    uint8_t*    prev;     /* the last frame sent, RGB */
    int         w, h;
    bool        whole;    /* send everything next time */
    SDL_Rect*   rects;
    int         cap;
    int         sent, total;
};

void view_presenter_hints(void) {
    /* SDL would back the window surface with an OpenGL renderer; on a software GL (Mesa's llvmpipe
     * under Xvfb) that costs milliseconds and threads. The native X11 framebuffer (MIT-SHM) is
     * what a CPU-drawn frame wants. SDL_FRAMEBUFFER_ACCELERATION in the environment still wins. */
    SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_DEFAULT);
}

ViewPresenter* view_presenter_create(SDL_Window* win) {
    ViewPresenter* p = alloc_zeroed(1, sizeof *p);
    p->win   = win;
    p->whole = true;
    return p;
}

void view_presenter_free(ViewPresenter* p) {
    if (!p) return;
    free(p->prev);
    free(p->rects);
    free(p);
}

void view_presenter_size(ViewPresenter* p, int* w, int* h) {
    SDL_Surface* s = SDL_GetWindowSurface(p->win);
    if (s) {
        *w = s->w, *h = s->h;
    } else {
        SDL_GetWindowSize(p->win, w, h);
    }
}

void view_presenter_invalidate(ViewPresenter* p) { p->whole = true; }

void view_presenter_stats(const ViewPresenter* p, int* sent, int* total) {
    *sent  = p->sent;
    *total = p->total;
}

/* true if the tile at (tx, ty) differs from the last frame */
static bool tile_changed(const ViewPresenter* p, const uint8_t* rgb, int x0, int y0, int x1, int y1) {
    size_t row = (size_t)p->w * 3, n = (size_t)(x1 - x0) * 3;
    for (int y = y0; y < y1; y++)
        if (memcmp(rgb + row * y + (size_t)x0 * 3, p->prev + row * y + (size_t)x0 * 3, n)) return true;
    return false;
}

bool view_presenter_show(ViewPresenter* p, const uint8_t* rgb, int w, int h) {
    SDL_Surface* s = SDL_GetWindowSurface(p->win);
    if (!s) return false;
    if (w != p->w || h != p->h || !p->prev) {
        free(p->prev);
        p->prev = alloc_array((size_t)w * h, 3);
        p->w = w, p->h = h, p->whole = true;
    }
    if (w > s->w) w = s->w;
    if (h > s->h) h = s->h;
    int tx = (w + TILE_W - 1) / TILE_W, ty = (h + TILE_H - 1) / TILE_H;
    if (p->cap < tx * ty) {
        free(p->rects);
        p->rects = alloc_array((size_t)tx * ty, sizeof(SDL_Rect));
        p->cap   = tx * ty;
    }
    /* changed tiles, merged along each band of rows */
    int n = 0, sent = 0;
    for (int j = 0; j < ty; j++) {
        int y0 = j * TILE_H, y1 = y0 + TILE_H < h ? y0 + TILE_H : h;
        for (int i = 0; i < tx; i++) {
            int x0 = i * TILE_W, x1 = x0 + TILE_W < w ? x0 + TILE_W : w;
            if (!p->whole && !tile_changed(p, rgb, x0, y0, x1, y1)) continue;
            sent++;
            if (n > 0 && p->rects[n - 1].y == y0 && p->rects[n - 1].x + p->rects[n - 1].w == x0)
                p->rects[n - 1].w += x1 - x0;
            else
                p->rects[n++] = (SDL_Rect){x0, y0, x1 - x0, y1 - y0};
        }
    }
    p->sent  = sent;
    p->total = tx * ty;
    if (n == 0) return true;
    /* convert the changed rectangles into the window's format and send them */
    if (SDL_MUSTLOCK(s)) SDL_LockSurface(s);
    size_t row = (size_t)p->w * 3;
    for (int k = 0; k < n; k++) {
        const SDL_Rect* r   = &p->rects[k];
        const uint8_t*  src = rgb + row * r->y + (size_t)r->x * 3;
        uint8_t* dst = (uint8_t*)s->pixels + (size_t)s->pitch * r->y + (size_t)r->x * s->format->BytesPerPixel;
        SDL_ConvertPixels(r->w, r->h, SDL_PIXELFORMAT_RGB24, src, (int)row, s->format->format, dst, s->pitch);
        for (int y = r->y; y < r->y + r->h; y++)
            memcpy(p->prev + row * y + (size_t)r->x * 3, rgb + row * y + (size_t)r->x * 3, (size_t)r->w * 3);
    }
    if (SDL_MUSTLOCK(s)) SDL_UnlockSurface(s);
    p->whole = false;
    return SDL_UpdateWindowSurfaceRects(p->win, p->rects, n) == 0;
}
