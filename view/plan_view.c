#include "view/plan_view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "view/panels.h"

#define INK render_rgba(40, 40, 48, 255)

static RenderColor status_color(ScnGoalStatus st) {
    return st == SCN_GOAL_MET ? VIEW_GOAL_MET : st == SCN_GOAL_FAILED ? VIEW_GOAL_FAILED : VIEW_GOAL_PENDING;
}

/* one body's imagined path in a candidate (or the chosen plan) from its start: H points of
 * [H, nbodies, 2] */
static void draw_path(RenderCanvas* c, const RenderCamera* cam, const float* start, const float* path, int H,
                      int nb, int j, double thick, RenderColor col) {
    double px, py;
    render_camera_to_screen(cam, start[0], start[1], &px, &py);
    for (int h = 0; h < H; h++) {
        const float* pt = path + ((size_t)h * nb + j) * 2;
        double sx, sy;
        render_camera_to_screen(cam, pt[0], pt[1], &sx, &sy);
        if (fabs(sx - px) < 0.5 && fabs(sy - py) < 0.5) continue;
        render_canvas_line(c, px, py, sx, sy, thick, col);
        px = sx, py = sy;
    }
}

/* the goal regions and, for goals about a body's state, a label on the body */
static void draw_goals(RenderCanvas* c, const RenderCamera* cam, const Planner* p, const SimWorld* w,
                       ViewFont* font) {
    const ScnGoal* goals = planner_goals(p);
    const ScnGoalStatus* status = planner_goal_status(p);
    for (int g = 0; g < planner_goal_count(p); g++) {
        RenderColor col = status_color(status[g]);
        SimBodyState b;
        bool have = sim_world_body(w, goals[g].body, &b);
        if (goals[g].kind == SCN_GOAL_IN) {
            const double* r = goals[g].region;
            double x0, y0, x1, y1;
            render_camera_to_screen(cam, r[0], r[1], &x0, &y0);
            render_camera_to_screen(cam, r[2], r[3], &x1, &y1);
            RenderColor fill = col;
            fill.a = 40;
            render_canvas_rect(c, (int)fmin(x0, x1), (int)fmin(y0, y1), (int)fmax(x0, x1), (int)fmax(y0, y1), fill);
            double box[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
            render_canvas_outline(c, box, 4, 2, 6, col);
            if (font && have)
                view_font_draw(font, c, (int)fmin(x0, x1) + 3, (int)fmin(y0, y1) + 2, b.name, col);
        } else if (have && font) {
            double sx, sy;
            render_camera_to_screen(cam, b.x, b.y, &sx, &sy);
            char text[64];
            snprintf(text, sizeof text, "goal: %s%s", goals[g].negate ? "not " : "",
                     goals[g].kind == SCN_GOAL_BROKEN ? "broken" : goals[g].kind == SCN_GOAL_FELL ? "fell"
                                                                                            : scn_field_name(goals[g].field));
            view_font_draw(font, c, (int)sx + 10, (int)sy - 24 - 14 * g, text, col);
        }
    }
}

void view_draw_plan(RenderCanvas* c, const RenderCamera* cam, const Planner* p, const SimWorld* w,
                    ViewFont* font) {
    if (!p) return;
    draw_goals(c, cam, p, w, font);
    const PlannerTrace* tr = planner_trace(p);
    if (tr->decisions == 0 || !tr->paths) return;
    int B = tr->samples, H = tr->ticks, nb = tr->nbodies;
    /* candidates faintly, elites brighter (cheapest last, on top) */
    for (int r = B - 1; r >= 0; r--) {
        int b = tr->order[r];
        bool elite = r < tr->elites;
        for (int j = 0; j < nb; j++)
            draw_path(c, cam, tr->start[j], tr->paths + (size_t)b * H * nb * 2, H, nb, j, elite ? 1.5 : 1.0,
                      elite ? VIEW_PLAN_ELITE : VIEW_PLAN_CANDIDATE);
    }
    /* the chosen plan: its path, and each push as an arrow where the body is imagined then */
    for (int j = 0; j < nb; j++) draw_path(c, cam, tr->start[j], tr->best_path, H, nb, j, 2.5, VIEW_PLAN_BEST);
    for (int s = 0; s < tr->nsteps; s++) {
        const SimPush* sp = &tr->steps[s];
        int h = s * tr->seg_ticks;
        if (sp->body < 0 || h >= H) continue;
        int j = -1;
        for (int k = 0; k < nb; k++)
            if (tr->body[k] == sp->body) j = k;
        if (j < 0) continue;
        /* at the start of segment s: the decision's state for s = 0, else the imagined one */
        const float* at = h == 0 ? tr->start[j] : tr->best_path + ((size_t)(h - 1) * nb + j) * 2;
        double bx = at[0], by = at[1];
        bx += sp->px, by += sp->py;
        /* length: 0.25 m at the impulse limit, pointing where the impulse goes */
        double jm = hypot(sp->jx, sp->jy), len = 0.25 * jm / (tr->impulse > 0 ? tr->impulse : 1.0);
        if (jm <= 0) continue;
        double x0, y0, x1, y1;
        render_camera_to_screen(cam, bx - sp->jx / jm * len, by - sp->jy / jm * len, &x0, &y0);
        render_camera_to_screen(cam, bx, by, &x1, &y1);
        render_canvas_arrow(c, x0, y0, x1, y1, s == 0 ? 3.5 : 2.0, s == 0 ? 14 : 9, VIEW_PLAN_ARROW);
    }
}

/* a goal with its numbers resolved: "box in [0.14, 0.27] x [0.75, 1.00] by 3.0 s" */
static void describe(const ScnGoal* g, const SimWorld* w, char* out, size_t size) {
    SimBodyState b;
    const char* name = w && sim_world_body(w, g->body, &b) && b.name[0] ? b.name : "body";
    static const char* ops[] = {"near", "<", "<=", ">", ">="};
    switch (g->kind) {
    case SCN_GOAL_IN:
        snprintf(out, size, "%s in [%.2f, %.2f] x [%.2f, %.2f] by %.1f s", name, g->region[0], g->region[2],
                 g->region[1], g->region[3], g->t);
        break;
    case SCN_GOAL_FIELD:
        if (g->op == SCN_TEST_NEAR)
            snprintf(out, size, "%s.%s near %.3g +- %.3g at %.1f s", name, scn_field_name(g->field), g->v, g->tol, g->t);
        else
            snprintf(out, size, "%s.%s %s %.3g at %.1f s", name, scn_field_name(g->field), ops[g->op], g->v, g->t);
        break;
    default:
        if (g->negate) snprintf(out, size, "not %s %s", name, g->kind == SCN_GOAL_BROKEN ? "broken" : "fell");
        else snprintf(out, size, "%s %s by %.1f s", name, g->kind == SCN_GOAL_BROKEN ? "broken" : "fell", g->t);
        break;
    }
}

void view_plan_panel_draw(RenderCanvas* c, ViewFont* font, int x, int y, int w, int h, const Planner* p,
                          const SimWorld* world) {
    const PlannerTrace* tr = planner_trace(p);
    int fh = font ? view_font_height(font) : 12;
    int ngoals = planner_goal_count(p);
    int text_h = (2 + ngoals) * fh + 8;
    int plot_h = h - text_h;
    if (plot_h < 40) plot_h = 40;
    /* cost over the refinements of the last decision */
    float best[100], elite[100];
    int n = tr->decisions ? tr->iters : 0;
    for (int i = 0; i < n && i < 100; i++) {
        best[i] = (float)tr->iter_best[i];
        elite[i] = (float)tr->iter_elite[i];
    }
    char title[96];
    snprintf(title, sizeof title, "%s cost per refinement", planner_is_oracle(p) ? "oracle:" : "planner:");
    ViewSeries ser[2] = {{elite, n, VIEW_PLAN_ELITE, "elites", NULL}, {best, n, VIEW_PLAN_BEST, "best", NULL}};
    ViewPlot plot = {x, y, w, plot_h, title, false, "1", NULL, NULL, false, NULL, 0};
    char right[16];
    snprintf(right, sizeof right, "%d", n);
    plot.x_right = right;
    view_plot_draw(c, font, &plot, ser, 2);
    if (!font) return;
    int ty = y + plot_h + 4;
    render_canvas_rect(c, x, ty - 2, x + w, y + h, VIEW_PANEL_BG);
    char line[256];
    if (tr->decisions)
        snprintf(line, sizeof line, "decision %lld: %d x %d ticks x %d, %.0f ms, cost %.3f", (long long)tr->decisions,
                 tr->samples, tr->ticks, tr->iters, tr->ms, tr->best_cost);
    else
        snprintf(line, sizeof line, "no decision yet%s", ngoals ? "" : " (no goals: Shift-drag a body to a place)");
    view_font_draw(font, c, x + 6, ty, line, INK);
    ty += fh;
    if (tr->push_budget > 0) snprintf(line, sizeof line, "pushes %d of %d", tr->pushes_used, tr->push_budget);
    else snprintf(line, sizeof line, "pushes %d", tr->pushes_used);
    view_font_draw(font, c, x + 6, ty, line, INK);
    ty += fh;
    const ScnGoal* goals = planner_goals(p);
    const ScnGoalStatus* status = planner_goal_status(p);
    for (int g = 0; g < ngoals && ty + fh <= y + h; g++) {
        const char* word = status[g] == SCN_GOAL_MET ? "met" : status[g] == SCN_GOAL_FAILED ? "failed" : "...";
        char what[192];
        describe(&goals[g], world, what, sizeof what);
        snprintf(line, sizeof line, "%-6s %s", word, what);
        view_font_draw(font, c, x + 6, ty, line, status_color(status[g]));
        ty += fh;
    }
}
