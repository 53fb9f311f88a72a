/* history_bar: the scrub bar at the bottom of the scene -- the stretch of time the view keeps
 * (agent/history.h), where the world is in it, and what happened on it: resets as tall dark
 * lines, a person's grabs, releases and spawns as orange ones, pushes as short purple ones.
 * Dragging on it goes back and forth in time. Pure drawing and geometry, no SDL. */
#ifndef NUDGE_VIEW_HISTORY_BAR_H
#define NUDGE_VIEW_HISTORY_BAR_H
#include <stdbool.h>
#include <stdint.h>

#include "agent/history.h"
#include "render/canvas.h"
#include "view/font.h"

/// the bar's height (pixels)
#define VIEW_BAR_H 22
/// the bar's fill up to where the world is (the Xvfb test looks for it)
#define VIEW_BAR_COLOR render_rgba(70, 110, 190, 255)

/// the span shown: the ticks oldest .. head, the world at pos
typedef struct ViewBarSpan {
    int64_t oldest, head, pos;
    double  tick_s;             /* seconds per tick */
} ViewBarSpan;

/// draws the bar in rect = {x0, y0, x1, y1} (pixels) with the log's marks (entries outside the
/// span are skipped)
void    view_bar_draw(RenderCanvas* c, ViewFont* font, const int rect[4], const ViewBarSpan* span,
                      const HistoryEntry* log, int nlog);
/// true when (x, y) is on the bar
bool    view_bar_hit(const int rect[4], double x, double y);
/// the tick at screen x (clamped to the span)
int64_t view_bar_tick_at(const int rect[4], const ViewBarSpan* span, double x);
/// the screen x of a tick
double  view_bar_x_of(const int rect[4], const ViewBarSpan* span, int64_t tick);

#endif
