/* plan_view: the planner seen in the view: every candidate's imagined paths (faint), the elites'
 * (brighter), the chosen plan's path and its pushes as arrows, the goal regions coloured by their
 * status, and a panel with the cost over the refinements of the last decision and each goal. */
#ifndef NUDGE_VIEW_PLAN_VIEW_H
#define NUDGE_VIEW_PLAN_VIEW_H
#include "agent/planner.h"
#include "render/camera.h"
#include "render/canvas.h"
#include "sim/world.h"
#include "view/font.h"

/// the colours (the Xvfb test looks for the chosen path's and the arrows')
#define VIEW_PLAN_CANDIDATE render_rgba(235, 150, 40, 28)
#define VIEW_PLAN_ELITE     render_rgba(235, 120, 20, 150)
#define VIEW_PLAN_BEST      render_rgba(215, 50, 10, 255)
#define VIEW_PLAN_ARROW     render_rgba(0, 140, 130, 255)
#define VIEW_GOAL_PENDING   render_rgba(215, 160, 0, 255)
#define VIEW_GOAL_MET       render_rgba(40, 160, 60, 255)
#define VIEW_GOAL_FAILED    render_rgba(200, 40, 40, 255)

/// draws the planner's last decision and its goals over the world (w: the world now)
void view_draw_plan(RenderCanvas* c, const RenderCamera* cam, const Planner* p, const SimWorld* w,
                    ViewFont* font);
/// the planner panel in the rectangle (x, y, w, h): cost over the last decision's refinements
/// (cheapest and the elites' mean), decisions, time per decision, pushes, and every goal's status
/// (w, the world now, for the bodies' names; may be NULL)
void view_plan_panel_draw(RenderCanvas* c, ViewFont* font, int x, int y, int w, int h, const Planner* p,
                          const SimWorld* world);

#endif
