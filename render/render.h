/* render: the offscreen renderer shared by dataset frames (`nudge gen --frames`) and the live view.
 *
 * Pure C drawing into a caller's pixel buffer: no display, no SDL, no fonts. The same bytes come out
 * for the same world on every run (deterministic scanline fill in double precision, no threads).
 * The window uploads the same kind of buffer into a texture each frame, so what the model sees is
 * what a person sees. */
#ifndef NUDGE_RENDER_RENDER_H
#define NUDGE_RENDER_RENDER_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario.h"
#include "sim/world.h"

/// draws the world into pixels (height rows of width pixels, channels 1 = gray or 3 = RGB,
/// row-major, no padding), with a camera fitting the world rectangle rect = {xmin, ymin, xmax,
/// ymax} (m; y up) centred in the frame with its aspect kept. Bodies are filled with their
/// material's colour (static bodies darker), on a light background. Gray is the luminance
/// (77 r + 150 g + 29 b) >> 8 of the RGB picture.
void render_world(const SimWorld* w, const double rect[4], uint8_t* pixels, int width,
                  int height, int channels);
/// render_world with a choice of edges: aa = true blends every body's edge by its coverage of the
/// pixel (the canvas's antialiasing), so a body that moves a fraction of a pixel changes the frame
/// (gen --frames-aa, and a pixel model trained on such frames); outline = true edges every dynamic
/// body at any scale (render_draw_world_outlined; gen --frames-outline). Both false is render_world
void render_world_frame(const SimWorld* w, const double rect[4], uint8_t* pixels, int width, int height,
                        int channels, bool aa, bool outline);

/// a body's axis-aligned extent at its starting angle: q = {xmin, ymin, xmax, ymax} (m)
void render_body_box(const SimBodyDef* b, double q[4]);

/// the world rectangle that shows a scene: its bodies' starting extent (floors wider than 3 m
/// excluded) with 0.3 m of room at the sides and top, down to the floor (y = 0) and 0.1 m below,
/// clamped to the world's bounds. The view's camera, its film and the Python binding's pictures use
/// it; dataset frames and the pixel model use render_frame_rect (frame_rect.h), which adds room to
/// fall and land.
void render_scene_rect(const ScnInstance* inst, double rect[4]);

#endif
