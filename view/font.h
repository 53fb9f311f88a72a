/* font: text drawn into a canvas with SDL2_ttf and DejaVu Sans, found at run time. Needs no
 * display (TTF renders into memory). Never used for dataset frames. */
#ifndef NUDGE_VIEW_FONT_H
#define NUDGE_VIEW_FONT_H
#include <stdbool.h>
#include <stddef.h>

#include "render/canvas.h"

typedef struct ViewFont ViewFont;

/// opens DejaVu Sans (or the file in $NUDGE_FONT) at a pixel size; NULL + one line in err when no
/// font file is found or SDL_ttf fails
ViewFont* view_font_open(int px, char* err, size_t err_size);
void      view_font_close(ViewFont* f);  /* NULL-safe */
/// line height in pixels
int       view_font_height(const ViewFont* f);
/// width of a text in pixels
int       view_font_width(ViewFont* f, const char* text);
/// draws UTF-8 text with its top-left at (x, y) (pixels), blended; returns its width
int       view_font_draw(ViewFont* f, RenderCanvas* c, int x, int y, const char* text, RenderColor col);

#endif
