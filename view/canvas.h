/* canvas: a small software rasterizer into a gray8 or RGB8 pixel buffer.
 *
 * Coordinates are in pixels, x right, y down; pixel (i, j) covers [i, i+1) x [j, j+1) and is
 * sampled at its centre. Polygons are filled by a scanline rule (even-odd, so any simple polygon
 * works), in double precision, so the same calls give the same bytes. Colours carry alpha:
 * a = 255 overwrites, smaller values blend. Gray canvases store the luminance
 * (77 r + 150 g + 29 b) >> 8. */
#ifndef NUDGE_VIEW_CANVAS_H
#define NUDGE_VIEW_CANVAS_H
#include <stdbool.h>
#include <stdint.h>

typedef struct ViewColor {
    uint8_t r, g, b, a;
} ViewColor;

/// a colour from components (0..255)
ViewColor view_rgba(int r, int g, int b, int a);
/// c with its rgb scaled by f (0..1 darkens, >1 lightens, clamped)
ViewColor view_color_scale(ViewColor c, double f);
/// green (t = 0) through yellow to red (t = 1), clamped
ViewColor view_color_ramp(double t);

typedef struct ViewCanvas {
    uint8_t* px;        /* h rows of w pixels of `channels` bytes, no padding */
    int      w, h;
    int      channels;  /* 1 = gray8, 3 = RGB8 */
    /* clip rectangle in pixels: [cx0, cx1) x [cy0, cy1) */
    int      cx0, cy0, cx1, cy1;
    /* antialiasing: polygons, circles and lines blend their edges by coverage (4 sub-rows per
     * pixel, exact along x); off by default (dataset frames keep hard edges) */
    bool     aa;
} ViewCanvas;

/// wraps a caller's buffer (not copied, not freed); clip = the whole canvas; no antialiasing
ViewCanvas view_canvas_wrap(uint8_t* px, int w, int h, int channels);
/// restricts drawing to a rectangle (clamped to the canvas); view_canvas_unclip restores it
void view_canvas_clip(ViewCanvas* c, int x0, int y0, int x1, int y1);
void view_canvas_unclip(ViewCanvas* c);

void view_canvas_clear(ViewCanvas* c, ViewColor col);
/// one pixel, blended (ignored outside the clip)
void view_canvas_pixel(ViewCanvas* c, int x, int y, ViewColor col);
/// reads one pixel as rgb (gray canvases give r = g = b); false outside the canvas
bool view_canvas_get(const ViewCanvas* c, int x, int y, uint8_t rgb[3]);
/// axis-aligned rectangle [x0, x1) x [y0, y1) in whole pixels
void view_canvas_rect(ViewCanvas* c, int x0, int y0, int x1, int y1, ViewColor col);
/// filled polygon of n vertices xy[2n] (pixels)
void view_canvas_fill_poly(ViewCanvas* c, const double* xy, int n, ViewColor col);
/// filled circle, centre (cx, cy) and radius r in pixels
void view_canvas_fill_circle(ViewCanvas* c, double cx, double cy, double r, ViewColor col);
/// a line of the given thickness (pixels, >= 1 looks best) with square-ish ends
void view_canvas_line(ViewCanvas* c, double x0, double y0, double x1, double y1, double thick,
                      ViewColor col);
/// closed outline of a polygon; dash > 0 draws dashes of that length (pixels) with equal gaps
void view_canvas_outline(ViewCanvas* c, const double* xy, int n, double thick, double dash,
                         ViewColor col);
/// circle outline (segments), dashed when dash > 0
void view_canvas_circle(ViewCanvas* c, double cx, double cy, double r, double thick, double dash,
                        ViewColor col);
/// a line from (x0, y0) to (x1, y1) with an arrow head at (x1, y1) of size head (pixels)
void view_canvas_arrow(ViewCanvas* c, double x0, double y0, double x1, double y1, double thick,
                       double head, ViewColor col);

#endif
