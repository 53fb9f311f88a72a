#include "view/font.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/report.h"

struct ViewFont {
    TTF_Font* ttf;
    int       height;
};

static const char* const font_paths[] = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
};

ViewFont* view_font_open(int px, char* err, size_t err_size) {
    const char* path = getenv("NUDGE_FONT");
    if (!path || access(path, R_OK) != 0) {
        path = NULL;
        for (size_t i = 0; i < sizeof font_paths / sizeof font_paths[0] && !path; i++)
            if (access(font_paths[i], R_OK) == 0) path = font_paths[i];
    }
    if (!path) {
        report_set(err, err_size,
                   "no DejaVuSans.ttf found (install fonts-dejavu-core or set NUDGE_FONT)");
        return NULL;
    }
    if (!TTF_WasInit() && TTF_Init() != 0) {
        report_set(err, err_size, "SDL_ttf: %s", TTF_GetError());
        return NULL;
    }
    TTF_Font* ttf = TTF_OpenFont(path, px);
    if (!ttf) {
        report_set(err, err_size, "%s: %s", path, TTF_GetError());
        return NULL;
    }
    ViewFont* f = alloc_zeroed(1, sizeof *f);
    f->ttf    = ttf;
    f->height = TTF_FontLineSkip(ttf);
    return f;
}

void view_font_close(ViewFont* f) {
    if (!f) return;
    TTF_CloseFont(f->ttf);
    free(f);
}

int view_font_height(const ViewFont* f) { return f ? f->height : 0; }

int view_font_width(ViewFont* f, const char* text) {
    int w = 0, h = 0;
    if (!f || !text || !*text) return 0;
    TTF_SizeUTF8(f->ttf, text, &w, &h);
    return w;
}

int view_font_draw(ViewFont* f, RenderCanvas* c, int x, int y, const char* text, RenderColor col) {
    if (!f || !text || !*text) return 0;
    SDL_Color    fg = {col.r, col.g, col.b, 255};
    SDL_Surface* s  = TTF_RenderUTF8_Blended(f->ttf, text, fg);
    if (!s) return 0;
    /* the surface is ARGB8888: blend its alpha (times col.a) into the canvas */
    SDL_Surface* argb = s->format->format == SDL_PIXELFORMAT_ARGB8888
                            ? s
                            : SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    if (argb) {
        SDL_LockSurface(argb);
        for (int j = 0; j < argb->h; j++) {
            const Uint32* row = (const Uint32*)((const Uint8*)argb->pixels + (size_t)j * argb->pitch);
            for (int i = 0; i < argb->w; i++) {
                unsigned a = (row[i] >> 24) & 0xff;
                if (!a) continue;
                RenderColor p = col;
                p.a         = (uint8_t)(a * col.a / 255);
                render_canvas_pixel(c, x + i, y + j, p);
            }
        }
        SDL_UnlockSurface(argb);
        if (argb != s) SDL_FreeSurface(argb);
    }
    int w = s->w;
    SDL_FreeSurface(s);
    return w;
}
