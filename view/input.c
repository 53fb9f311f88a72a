#include "view/input.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"

#include "sim/materials.h"
#include "render/shape.h"

static const ViewKeyBinding keymap[] = {
    {VIEW_KEY_SPACE, VIEW_ACT_PAUSE, 0, "Space", "pause / resume"},
    {'.', VIEW_ACT_STEP, 0, ".", "single step (one control tick) while paused; forward in the history"},
    {',', VIEW_ACT_BACK, 0, ",", "one tick back in the history (pauses; the scrub bar drags)"},
    {'s', VIEW_ACT_SLOW, 0, "S", "slow motion: 1, 1/4, 1/8"},
    {'r', VIEW_ACT_RESET, 0, "R", "reset the episode (next seed); the camera follows again"},
    {'e', VIEW_ACT_AUTO_RESET, 0, "E", "auto-reset: episodes end on their own, on / off (off while the agent is none)"},
    {'n', VIEW_ACT_NEXT, 0, "N", "next scenario"},
    {'p', VIEW_ACT_PREV, 0, "P", "previous scenario"},
    {'1', VIEW_ACT_DEMO, 1, "1-9", "pick a demo scenario"},
    {'2', VIEW_ACT_DEMO, 2, NULL, NULL},
    {'3', VIEW_ACT_DEMO, 3, NULL, NULL},
    {'4', VIEW_ACT_DEMO, 4, NULL, NULL},
    {'5', VIEW_ACT_DEMO, 5, NULL, NULL},
    {'6', VIEW_ACT_DEMO, 6, NULL, NULL},
    {'7', VIEW_ACT_DEMO, 7, NULL, NULL},
    {'8', VIEW_ACT_DEMO, 8, NULL, NULL},
    {'9', VIEW_ACT_DEMO, 9, NULL, NULL},
    {'t', VIEW_ACT_TRAIN, 0, "T", "training on / off"},
    {'j', VIEW_ACT_PIXEL, 0, "J", "the pixel model: trains on the rendered frames, surprise panel, ghost dots; on / off"},
    {'g', VIEW_ACT_GHOSTS, 0, "G", "ghosts and predicted paths on / off"},
    {VIEW_KEY_TAB, VIEW_ACT_SPLIT, 0, "Tab", "split: real world left, imagination right"},
    {'c', VIEW_ACT_CONTACTS, 0, "C", "contact points and impulses"},
    {'[', VIEW_ACT_HORIZON_DOWN, 0, "[", "shorter prediction horizon"},
    {']', VIEW_ACT_HORIZON_UP, 0, "]", "longer prediction horizon"},
    {'b', VIEW_ACT_SPAWN, 0, "B / middle click", "spawn the palette body at the mouse"},
    {'v', VIEW_ACT_PALETTE, 0, "V", "next palette body (box, ball, glass, plank)"},
    {'f', VIEW_ACT_FIT, 0, "F", "camera: fixed on the scene / following (the wheel zooms)"},
    {'a', VIEW_ACT_AGENT, 0, "A", "agent: none, random, planner (toward the goals)"},
    {'i', VIEW_ACT_PANELS, 0, "I", "panels on / off (the scene takes the whole window)"},
    {'w', VIEW_ACT_WRITE_SCN, 0, "W", "write the episode as a scenario file (a regression test)"},
    {'h', VIEW_ACT_HELP, 0, "H / F1", "this help"},
    {VIEW_KEY_F1, VIEW_ACT_HELP, 0, NULL, NULL},
    {VIEW_KEY_F12, VIEW_ACT_SCREENSHOT, 0, "F12", "screenshot to PNG"},
    {VIEW_KEY_ESC, VIEW_ACT_QUIT, 0, "Esc", "quit"},
};

const ViewKeyBinding* view_keymap(int* count) {
    *count = (int)(sizeof keymap / sizeof keymap[0]);
    return keymap;
}

const ViewKeyBinding* view_key_lookup(int key) {
    if (key >= 'A' && key <= 'Z') key = tolower(key);
    for (size_t i = 0; i < sizeof keymap / sizeof keymap[0]; i++)
        if (keymap[i].key == key) return &keymap[i];
    return NULL;
}

int view_key_from_name(const char* name) {
    static const struct {
        const char* name;
        int         key;
    } named[] = {{"tab", VIEW_KEY_TAB}, {"space", VIEW_KEY_SPACE}, {"f1", VIEW_KEY_F1},
                 {"f12", VIEW_KEY_F12}, {"esc", VIEW_KEY_ESC}};
    if (!name || !*name) return -1;
    if (!name[1]) return tolower((unsigned char)name[0]);
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcasecmp(name, named[i].name)) return named[i].key;
    return -1;
}

double view_round(double v, int digits) {
    double scale = pow(10.0, digits);
    double r = round(v * scale) / scale;
    return isfinite(r) ? r : v;
}

double view_slow_next(double rate) {
    if (rate > 0.5) return 0.25;
    if (rate > 0.2) return 0.125;
    return 1.0;
}

static const char* const palette_names[VIEW_PAL_COUNT] = {"box", "ball", "glass", "plank"};

const char* view_palette_name(ViewPaletteItem item) {
    return item >= 0 && item < VIEW_PAL_COUNT ? palette_names[item] : "?";
}

SimBodyDef view_palette_def(ViewPaletteItem item, double x, double y) {
    SimBodyDef d = sim_body_def_default();
    d.x = x, d.y = y;
    int wood = sim_material_find("wood"), glass = sim_material_find("glass");
    int rubber = sim_material_find("rubber");
    switch (item) {
    case VIEW_PAL_BALL:
        d.kind = SIM_KIND_BALL, d.w = d.h = 0.08;
        if (rubber >= 0) d.material = rubber;
        break;
    case VIEW_PAL_GLASS:
        d.kind = SIM_KIND_CUP, d.w = 0.07, d.h = 0.11;
        if (glass >= 0) d.material = glass;
        break;
    case VIEW_PAL_PLANK:
        d.kind = SIM_KIND_PLANK, d.w = 0.4, d.h = 0.03;
        if (wood >= 0) d.material = wood;
        break;
    default:
        d.kind = SIM_KIND_BOX, d.w = d.h = 0.1;
        if (wood >= 0) d.material = wood;
        break;
    }
    return d;
}

/* a cup's open inside counts as the cup: test against its bounding box in body coordinates */
static bool body_hit(const SimBodyState* b, double px, double py) {
    RenderShape s;
    render_body_shape(b, &s);
    if (render_shape_contains(&s, b->x, b->y, b->angle, px, py)) return true;
    if (b->kind != SIM_KIND_CUP || s.npolys == 0) return false;
    double lo[2] = {1e300, 1e300}, hi[2] = {-1e300, -1e300};
    for (int k = 0; k < s.npolys; k++)
        for (int i = 0; i < s.nverts[k]; i++)
            for (int a = 0; a < 2; a++) {
                double v = s.verts[k][2 * i + a];
                if (v < lo[a]) lo[a] = v;
                if (v > hi[a]) hi[a] = v;
            }
    double local[2];
    view_to_body(b, px, py, local);
    return local[0] >= lo[0] && local[0] <= hi[0] && local[1] >= lo[1] && local[1] <= hi[1];
}

int view_pick(const SimBodyState* bodies, int n, double px, double py, bool dynamic_only) {
    int best = -1;
    for (int i = 0; i < n; i++) {
        const SimBodyState* b = &bodies[i];
        if (!b->alive || (dynamic_only && b->is_static)) continue;
        if (!body_hit(b, px, py)) continue;
        /* dynamic bodies are drawn over static ones; among equals the later id is on top */
        if (best < 0 || (bodies[best].is_static && !b->is_static) ||
            (bodies[best].is_static == b->is_static && b->id > bodies[best].id))
            best = i;
    }
    return best;
}

int view_pick_world(const SimWorld* w, double px, double py, bool dynamic_only) {
    int           n    = sim_world_id_count(w);
    SimBodyState* all  = alloc_array((size_t)n, sizeof(SimBodyState));
    int           live = 0;
    for (int id = 0; id < n; id++)
        if (sim_world_body(w, id, &all[live]) && all[live].alive) live++;
    int k  = view_pick(all, live, px, py, dynamic_only);
    int id = k >= 0 ? all[k].id : -1;
    free(all);
    return id;
}

void view_to_body(const SimBodyState* b, double wx, double wy, double local[2]) {
    double c = cos(b->angle), s = sin(b->angle), dx = wx - b->x, dy = wy - b->y;
    local[0] = c * dx + s * dy;
    local[1] = -s * dx + c * dy;
}

void view_to_world(const SimBodyState* b, const double local[2], double* wx, double* wy) {
    double c = cos(b->angle), s = sin(b->angle);
    *wx = b->x + c * local[0] - s * local[1];
    *wy = b->y + s * local[0] + c * local[1];
}

SimPush view_drag_push(const SimBodyState* b, const double local[2], double ex, double ey,
                       double gain, double max_dv, double start[2]) {
    view_to_world(b, local, &start[0], &start[1]);
    double dx = ex - start[0], dy = ey - start[1], len = sqrt(dx * dx + dy * dy);
    double dv = gain * len;
    if (dv > max_dv) dv = max_dv;
    SimPush p = {.body = b->id, .jx = 0, .jy = 0, .px = start[0] - b->x, .py = start[1] - b->y};
    if (len > 1e-12) {
        p.jx = b->mass * dv * dx / len;
        p.jy = b->mass * dv * dy / len;
    }
    return p;
}
