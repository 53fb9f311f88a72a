/* present: shows an RGB canvas in an SDL window, sending only the tiles that changed since the
 * last frame (the world's background and resting bodies cost nothing; on X11 and Xvfb the copy
 * into the server is most of a frame's time). */
#ifndef NUDGE_VIEW_PRESENT_H
#define NUDGE_VIEW_PRESENT_H
#include <stdbool.h>
#include <stdint.h>

struct SDL_Window;
typedef struct ViewPresenter ViewPresenter;

/// call before SDL_Init: asks for the native framebuffer instead of a GL-backed window surface
void           view_presenter_hints(void);
ViewPresenter* view_presenter_create(struct SDL_Window* win);
void           view_presenter_free(ViewPresenter* p);  /* NULL-safe */
/// the window's size in pixels now (the canvas to draw)
void           view_presenter_size(ViewPresenter* p, int* w, int* h);
/// shows rgb (h rows of w RGB pixels); false with SDL's error when the window surface fails
bool           view_presenter_show(ViewPresenter* p, const uint8_t* rgb, int w, int h);
/// the window was resized or exposed: the next frame is sent whole
void           view_presenter_invalidate(ViewPresenter* p);
/// tiles sent by the last show, and tiles in a frame
void           view_presenter_stats(const ViewPresenter* p, int* sent, int* total);

#endif
