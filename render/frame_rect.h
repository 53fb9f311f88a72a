/* frame_rect: the pixel model's camera -- the world rectangle that keeps a scene's events in view.
 *
 * render_scene_rect (render.h) frames what a person wants to see at the start: the bodies with
 * 0.3 m of room. The pixel model needs more: the places where things land when they leave a
 * support, so that a fall, a landing, a break or a bounce happens inside its frames. The rule, from
 * the scene's starting bodies alone (no scene is named, no file is special):
 *   - the ground is the static body with the lowest top (ties: the widest); it never sets the
 *     extent (floors are 6-10 m wide), the frame ends RENDER_FRAME_BELOW under its top;
 *   - the extent covers every dynamic body, every other static body up to RENDER_FRAME_WIDE wide,
 *     and a wider one only when a dynamic body rests on it (a long bench carrying a ball);
 *   - at the sides, room to fall: a body leaving the highest support at speed v lands within
 *     v * sqrt(2 h / g) of its edge (h: the highest dynamic body's bottom above the ground; v: the
 *     larger of RENDER_FRAME_EDGE_SPEED and the bodies' starting horizontal speeds), plus
 *     RENDER_FRAME_BOUNCE for the body's own size and its bounce, kept within
 *     [RENDER_FRAME_ROOM_MIN, RENDER_FRAME_ROOM_MAX];
 *   - above, room to rise: the largest starting upward speed's v^2 / 2g plus RENDER_FRAME_ROOM_MIN,
 *     at most RENDER_FRAME_ROOM_MAX;
 *   - clamped to the world's bounds.
 * Dataset frames (`nudge gen --frames`), the pixel model's surprise source and the view's pixel
 * thread all frame with it, so the model sees at test time what it trained on. */
#ifndef NUDGE_RENDER_FRAME_RECT_H
#define NUDGE_RENDER_FRAME_RECT_H

#include "sim/scenario.h"

#define RENDER_FRAME_EDGE_SPEED 1.5   /* m/s: a pushed body's speed at a support's edge */
#define RENDER_FRAME_BOUNCE     0.15  /* m beyond the landing point: the body's size, its bounce */
#define RENDER_FRAME_ROOM_MIN   0.3   /* m: the least room at the sides and on top */
#define RENDER_FRAME_ROOM_MAX   1.5   /* m: the most room at a side or on top */
#define RENDER_FRAME_WIDE       3.0   /* m: a static body wider than this counts only when it supports */
#define RENDER_FRAME_BELOW      0.1   /* m shown below the ground's top */

/// the pixel model's world rectangle rect = {xmin, ymin, xmax, ymax} (m) for an instance (the rule
/// above); the world's bounds when the scene has no dynamic body and no small static one
void render_frame_rect(const ScnInstance* inst, double rect[4]);

#endif
