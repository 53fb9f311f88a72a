/* canvas: a small software rasterizer into a gray8 or RGB8 pixel buffer.
 *
 * Coordinates are in pixels, x right, y down; pixel (i, j) covers [i, i+1) x [j, j+1) and is
 * sampled at its centre. Polygons are filled by a scanline rule (even-odd, so any simple polygon
 * works), in double precision, so the same calls give the same bytes. Colours carry alpha:
 * a = 255 overwrites, smaller values blend. Gray canvases store the luminance
 * (77 r + 150 g + 29 b) >> 8. */
#ifndef NUDGE_RENDER_CANVAS_H
#define NUDGE_RENDER_CANVAS_H
#include <stdbool.h>
#include <stdint.h>

typedef struct RenderColor {
    uint8_t r, g, b, a;
} RenderColor;

/// a colour from components (0..255)
RenderColor render_rgba(int r, int g, int b, int a);
/// c with its rgb scaled by f (0..1 darkens, >1 lightens, clamped)
RenderColor render_color_scale(RenderColor c, double f);
/// green (t = 0) through yellow to red (t = 1), clamped
RenderColor render_color_ramp(double t);

typedef struct RenderCanvas {
    uint8_t* px;        /* h rows of w pixels of `channels` bytes, no padding */
    int      w, h;
    int      channels;  /* 1 = gray8, 3 = RGB8 */
    /* clip rectangle in pixels: [cx0, cx1) x [cy0, cy1) */
    int      cx0, cy0, cx1, cy1;
    /* antialiasing: polygons, circles and lines blend their edges by coverage (4 sub-rows per
     * pixel, exact along x); off by default (dataset frames keep hard edges) */
    bool     aa;
} RenderCanvas;

/// wraps a caller's buffer (not copied, not freed); clip = the whole canvas; no antialiasing
RenderCanvas render_canvas_wrap(uint8_t* px, int w, int h, int channels);
/// restricts drawing to a rectangle (clamped to the canvas); render_canvas_unclip restores it
void render_canvas_clip(RenderCanvas* c, int x0, int y0, int x1, int y1);
void render_canvas_unclip(RenderCanvas* c);

void render_canvas_clear(RenderCanvas* c, RenderColor col);
/// one pixel, blended (ignored outside the clip)
void render_canvas_pixel(RenderCanvas* c, int x, int y, RenderColor col);
/// reads one pixel as rgb (gray canvases give r = g = b); false outside the canvas
bool render_canvas_get(const RenderCanvas* c, int x, int y, uint8_t rgb[3]);
/// axis-aligned rectangle [x0, x1) x [y0, y1) in whole pixels
void render_canvas_rect(RenderCanvas* c, int x0, int y0, int x1, int y1, RenderColor col);
/// filled polygon of n vertices xy[2n] (pixels)
void render_canvas_fill_poly(RenderCanvas* c, const double* xy, int n, RenderColor col);
/// filled circle, centre (cx, cy) and radius r in pixels
void render_canvas_fill_circle(RenderCanvas* c, double cx, double cy, double r, RenderColor col);
/// a line of the given thickness (pixels, >= 1 looks best) with square-ish ends
void render_canvas_line(RenderCanvas* c, double x0, double y0, double x1, double y1, double thick,
                        RenderColor col);
/// closed outline of a polygon; dash > 0 draws dashes of that length (pixels) with equal gaps
void render_canvas_outline(RenderCanvas* c, const double* xy, int n, double thick, double dash,
                           RenderColor col);
/// circle outline (segments), dashed when dash > 0
void render_canvas_circle(RenderCanvas* c, double cx, double cy, double r, double thick, double dash,
                          RenderColor col);
/// a line from (x0, y0) to (x1, y1) with an arrow head at (x1, y1) of size head (pixels)
void render_canvas_arrow(RenderCanvas* c, double x0, double y0, double x1, double y1, double thick,
                         double head, RenderColor col);

#endif
