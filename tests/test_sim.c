/* sim/: observation layout, materials, breaking, events, snapshot/restore, determinism */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/rng.h"
#include "ensure.h"
#include "sim/action.h"
#include "sim/bare_loop.h"
#include "sim/breaking.h"
#include "sim/materials.h"
#include "sim/observation.h"
#include "sim/scenario.h"
#include "sim/shape.h"
#include "sim/world.h"

#define GOLDEN_HASH 0xed4f112ca9277e21ull

static SimWorld* world_new(uint64_t seed) {
    SimWorldDef d = sim_world_def_default();
    d.seed = seed;
    return sim_world_create(&d);
}

static int add(SimWorld* w, const char* name, SimKind kind, const char* mat, double x, double y,
               double bw, double bh, bool is_static) {
    SimBodyDef b = sim_body_def_default();
    snprintf(b.name, sizeof b.name, "%s", name);
    b.kind = kind;
    b.material = sim_material_find(mat);
    b.x = x;
    b.y = y;
    b.w = bw;
    b.h = bh;
    b.is_static = is_static;
    char err[256];
    int id = sim_world_add_body(w, &b, err, sizeof err);
    ENSURE(id >= 0);
    return id;
}

static int count_events(const SimWorld* w, SimEventType type, int32_t body) {
    int n = 0, count;
    const SimEvent* ev = sim_world_events(w, &count);
    for (int i = 0; i < count; i++)
        if (ev[i].type == type && (body < 0 || ev[i].a == body || ev[i].b == body)) n++;
    return n;
}

static void test_materials(void) {
    ENSURE(sim_material_count() >= 6);
    const char* names[] = {"wood", "glass", "rubber", "steel", "stone", "felt"};
    for (int i = 0; i < 6; i++) {
        int m = sim_material_find(names[i]);
        ENSURE(m >= 0);
        const SimMaterial* mat = sim_material_get(m);
        ENSURE(mat->density > 0 && mat->friction >= 0 && mat->elasticity >= 0 && mat->elasticity <= 1);
    }
    ENSURE(sim_material_get(sim_material_find("glass"))->break_impulse > 0);
    ENSURE(sim_material_get(sim_material_find("wood"))->break_impulse == 0);
    ENSURE(sim_material_find("cheese") == -1);
    ENSURE(sim_material_get(-1) == NULL && sim_material_get(sim_material_count()) == NULL);
}

static void test_observation_layout(void) {
    ENSURE(SIM_OBS_DIM == 20);
    ENSURE(strcmp(sim_obs_columns[0].name, "x") == 0);
    ENSURE(strcmp(sim_obs_columns[SIM_OBS_omega].name, "omega") == 0);
    ENSURE(SIM_OBS_omega == SIM_OBS_DYNAMIC - 1);
    for (int i = 0; i < SIM_OBS_DIM; i++)
        for (int j = i + 1; j < SIM_OBS_DIM; j++) ENSURE(strcmp(sim_obs_columns[i].name, sim_obs_columns[j].name) != 0);
    ENSURE(SIM_OBS_kind_shard - SIM_OBS_kind_box == SIM_KIND_SHARD);

    SimWorld* w = world_new(1);
    int floor = add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0.5, 1.0, 0.2, 0.1, false);
    int ball = add(w, "ball", SIM_KIND_BALL, "rubber", -0.5, 1.0, 0.1, 0.1, false);
    float s[8 * SIM_OBS_DIM];
    uint8_t mask[8];
    int32_t ids[8];
    ENSURE(sim_world_observe(w, s, mask, ids, 8) == 3);
    ENSURE(mask[floor] && mask[box] && mask[ball] && !mask[3]);
    ENSURE(ids[box] == box && ids[3] == -1);
    const float* b = s + box * SIM_OBS_DIM;
    ENSURE_NEAR(b[SIM_OBS_x], 0.5, 1e-6);
    ENSURE_NEAR(b[SIM_OBS_y], 1.0, 1e-6);
    ENSURE_NEAR(b[SIM_OBS_cos], 1.0, 1e-6);
    ENSURE(b[SIM_OBS_kind_box] == 1 && b[SIM_OBS_kind_ball] == 0);
    ENSURE_NEAR(b[SIM_OBS_mass], 0.2 * 0.1 * sim_material_get(sim_material_find("wood"))->density, 1e-4);
    ENSURE(s[floor * SIM_OBS_DIM + SIM_OBS_is_static] == 1 && s[floor * SIM_OBS_DIM + SIM_OBS_mass] == 0);
    ENSURE_NEAR(s[ball * SIM_OBS_DIM + SIM_OBS_mass], M_PI * 0.05 * 0.05 * sim_material_get(sim_material_find("rubber"))->density, 1e-4);
    /* slots beyond cap are not observed */
    ENSURE(sim_world_observe(w, s, mask, ids, 2) == 2 && ids[1] == box);
    sim_world_destroy(w);
}

static void test_free_fall_matches_integrator(void) {
    /* the solver's substeps (h = dt / substeps) update the velocity, then move the body with it
       (symplectic Euler): after N substeps y = y0 - g h^2 N (N + 1) / 2 and vy = -g h N */
    SimWorld* w = world_new(2);
    int ball = add(w, "ball", SIM_KIND_BALL, "steel", 0, 3, 0.1, 0.1, false);
    for (int i = 0; i < 60; i++) sim_world_step(w);
    SimBodyState st;
    ENSURE(sim_world_body(w, ball, &st));
    double h = 1.0 / 120 / sim_world_def(w)->substeps, n = 60.0 * sim_world_def(w)->substeps;
    ENSURE_NEAR(st.y, 3 - 9.81 * h * h * n * (n + 1) / 2, 1e-9);
    ENSURE_NEAR(st.vy, -9.81 * h * n, 1e-9);
    ENSURE_NEAR(sim_world_time(w), 0.5, 1e-12);
    sim_world_destroy(w);
}

static void test_glass_breaks_when_dropped(void) {
    SimWorld* w = world_new(3);
    int floor = add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, 1.2, 0.08, 0.12, false);
    SimBodyState g0;
    sim_world_body(w, glass, &g0);
    ENSURE(g0.breakable && g0.nparts == 3);
    int breaks = 0, falls = 0;
    for (int t = 0; t < 120 && !breaks; t++) {
        sim_world_tick(w, NULL);
        breaks += count_events(w, SIM_EV_BREAK, glass);
        falls += count_events(w, SIM_EV_FALL, glass);
    }
    ENSURE(breaks == 1);
    ENSURE(falls == 1);
    SimBodyState g;
    sim_world_body(w, glass, &g);
    ENSURE(g.broken && !g.alive);
    /* shards: new ids after the glass, mass conserved, parent recorded */
    int n = sim_world_id_count(w);
    ENSURE(n == glass + 1 + sim_world_def(w)->shards);
    double mass = 0;
    for (int i = glass + 1; i < n; i++) {
        SimBodyState s;
        sim_world_body(w, i, &s);
        ENSURE(s.alive && s.kind == SIM_KIND_SHARD && s.parent == glass && !s.breakable);
        mass += s.mass;
    }
    ENSURE_NEAR(mass, g0.mass, 1e-9 * g0.mass + 1e-12);
    /* shards keep falling and settle on the floor, none explode */
    for (int t = 0; t < 240; t++) sim_world_tick(w, NULL);
    for (int i = glass + 1; i < n; i++) {
        SimBodyState s;
        sim_world_body(w, i, &s);
        ENSURE(s.alive && s.y > 0 && s.y < 0.2);
    }
    ENSURE(sim_world_nan_count(w) == 0);
    (void)floor;
    sim_world_destroy(w);
}

static void test_glass_survives_gentle_landing(void) {
    SimWorld* w = world_new(4);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, 0.065, 0.08, 0.12, false);
    int breaks = 0;
    for (int t = 0; t < 120; t++) {
        sim_world_tick(w, NULL);
        breaks += count_events(w, SIM_EV_BREAK, -1);
    }
    /* a gentle push slides it */
    SimPush p = {.body = glass, .jx = 0.3, .jy = 0, .px = 0, .py = 0};
    ENSURE(sim_world_tick(w, &p));
    ENSURE(count_events(w, SIM_EV_PUSH, glass) == 1);
    for (int t = 0; t < 120; t++) {
        sim_world_tick(w, NULL);
        breaks += count_events(w, SIM_EV_BREAK, -1);
    }
    ENSURE(breaks == 0);
    SimBodyState g;
    sim_world_body(w, glass, &g);
    ENSURE(g.alive && g.x > 0.01);
    sim_world_destroy(w);
}

static void test_events_rest_fall_bounds(void) {
    SimWorld* w = world_new(5);
    add(w, "table", SIM_KIND_BOX, "wood", 0, 0.5, 1.0, 1.0, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0.3, 1.05, 0.1, 0.1, false);
    int rests = 0, falls = 0, oob = 0;
    for (int t = 0; t < 60; t++) {
        sim_world_tick(w, NULL);
        rests += count_events(w, SIM_EV_REST, box);
    }
    ENSURE(rests == 1);
    SimBodyState st;
    sim_world_body(w, box, &st);
    ENSURE(st.resting && !st.fell);
    /* push it off the edge: it falls (once) and leaves the bounds below */
    SimPush p = {.body = box, .jx = 0.6 * st.mass * 2.0, .jy = 0, .px = 0, .py = 0};
    sim_world_tick(w, &p);
    for (int t = 0; t < 600 && !oob; t++) {
        sim_world_tick(w, NULL);
        falls += count_events(w, SIM_EV_FALL, box);
        oob += count_events(w, SIM_EV_OUT_OF_BOUNDS, box);
    }
    ENSURE(falls == 1 && oob == 1);
    sim_world_body(w, box, &st);
    ENSURE(!st.alive && st.out_of_bounds && st.fell);
    ENSURE(st.y < sim_world_def(w)->bounds[1] + 0.5);
    ENSURE(!sim_world_remove_body(w, box));
    SimPush q = {.body = box, .jx = 1, .jy = 0, .px = 0, .py = 0};
    ENSURE(!sim_world_push(w, &q));
    sim_world_destroy(w);
}

/* a scene with contacts, pushes and a break, for determinism and snapshots */
static SimWorld* busy_scene(uint64_t seed) {
    SimWorld* w = world_new(seed);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    add(w, "table", SIM_KIND_BOX, "wood", 0, 0.375, 1.2, 0.75, true);
    add(w, "glass", SIM_KIND_CUP, "glass", 0.4, 0.811, 0.08, 0.12, false);
    add(w, "box", SIM_KIND_BOX, "wood", -0.2, 0.8, 0.1, 0.1, false);
    add(w, "ball", SIM_KIND_BALL, "rubber", 0.0, 1.3, 0.08, 0.08, false);
    return w;
}

static void run_busy(SimWorld* w, int from, int ticks) {
    for (int t = from; t < from + ticks; t++) {
        SimPush p = {.body = 2, .jx = 1.0, .jy = 0.0, .px = 0, .py = 0.02};
        SimPush q = {.body = 3, .jx = -0.3, .jy = 0.1, .px = 0, .py = 0};
        sim_world_tick(w, t == 30 ? &p : t == 50 ? &q : NULL);
    }
}

static void test_determinism_golden_hash(void) {
    SimWorld* a = busy_scene(42);
    SimWorld* b = busy_scene(42);
    run_busy(a, 0, 300);
    run_busy(b, 0, 300);
    ENSURE(sim_world_hash(a) == sim_world_hash(b));
    SimBodyState g;
    sim_world_body(a, 2, &g);
    ENSURE(g.broken); /* the scene exercises breaking */
    /* the golden value pins the trajectory across builds and runs (Box2D's determinism test);
       if physics changes on purpose, print the new value with NUDGE_PRINT_HASH=1 and update it */
    if (getenv("NUDGE_PRINT_HASH")) fprintf(stderr, "hash %016llx\n", (unsigned long long)sim_world_hash(a));
    ENSURE(sim_world_hash(a) == GOLDEN_HASH);
    /* a different seed changes the shards, so the hash */
    SimWorld* c = busy_scene(43);
    run_busy(c, 0, 300);
    ENSURE(sim_world_hash(c) != sim_world_hash(a));
    sim_world_destroy(a);
    sim_world_destroy(b);
    sim_world_destroy(c);
}

static double max_pos_diff(const SimWorld* a, const SimWorld* b) {
    double d = 0;
    ENSURE(sim_world_id_count(a) == sim_world_id_count(b));
    for (int i = 0; i < sim_world_id_count(a); i++) {
        SimBodyState x, y;
        sim_world_body(a, i, &x);
        sim_world_body(b, i, &y);
        ENSURE(x.alive == y.alive && x.broken == y.broken);
        d = fmax(d, hypot(x.x - y.x, x.y - y.y));
    }
    return d;
}

static void test_snapshot_restore(void) {
    SimWorld* a = busy_scene(7);
    run_busy(a, 0, 20);
    SimSnapshot* s = sim_world_snapshot(a);
    ENSURE(s);
    uint64_t h0 = sim_world_hash(a);
    /* two restores of one snapshot continue bit-identically */
    char err[256];
    SimWorld* b = sim_world_from_snapshot(s, err, sizeof err);
    SimWorld* c = sim_world_from_snapshot(s, err, sizeof err);
    ENSURE(b && c);
    ENSURE(sim_world_hash(b) == h0 && sim_world_hash(c) == h0);
    ENSURE_NEAR(sim_world_time(b), sim_world_time(a), 0);
    run_busy(a, 20, 120);
    run_busy(b, 20, 120);
    run_busy(c, 20, 120);
    ENSURE(sim_world_hash(b) == sim_world_hash(c));
    /* the original differs from a restore only through Chipmunk's contact cache: bounded */
    double d = max_pos_diff(a, b);
    fprintf(stderr, "    original vs restored after 2 s of contacts: max position difference %.3g m\n", d);
    ENSURE(d < 0.05);
    /* restoring in place rewinds time, bodies and the broken state */
    SimBodyState g;
    sim_world_body(a, 2, &g);
    ENSURE(g.broken);
    /* a snapshot it cannot take leaves the world as it was, with a reason */
    uint64_t h_now = sim_world_hash(a);
    double t_now = sim_world_time(a);
    err[0] = 0;
    ENSURE(!sim_world_restore(a, NULL, err, sizeof err) && strstr(err, "snapshot"));
    ENSURE(sim_world_hash(a) == h_now && sim_world_time(a) == t_now);
    ENSURE(!sim_world_from_snapshot(NULL, err, sizeof err));
    ENSURE(sim_world_restore(a, s, err, sizeof err));
    ENSURE(sim_world_hash(a) == h0);
    sim_world_body(a, 2, &g);
    ENSURE(!g.broken && g.alive);
    ENSURE(sim_world_id_count(a) == 5);
    sim_snapshot_free(s);
    sim_world_destroy(a);
    sim_world_destroy(b);
    sim_world_destroy(c);

    /* without contacts a restored world continues bit-for-bit */
    SimWorld* f = world_new(9);
    add(f, "ball", SIM_KIND_BALL, "steel", 0, 5, 0.1, 0.1, false);
    add(f, "box", SIM_KIND_BOX, "wood", 1, 5, 0.1, 0.2, false);
    SimPush spin = {.body = 1, .jx = 0.1, .jy = 0.2, .px = 0.02, .py = 0.05};
    sim_world_tick(f, &spin);
    SimSnapshot* fs = sim_world_snapshot(f);
    SimWorld* g2 = sim_world_from_snapshot(fs, err, sizeof err);
    for (int t = 0; t < 60; t++) {
        sim_world_tick(f, NULL);
        sim_world_tick(g2, NULL);
    }
    ENSURE(sim_world_hash(f) == sim_world_hash(g2));
    sim_snapshot_free(fs);
    sim_world_destroy(f);
    sim_world_destroy(g2);
}

static SimAction grab_action(int32_t body, double ax, double ay, double tx, double ty) {
    SimAction a;
    sim_action_clear(&a);
    a.flags = SIM_ACT_GRAB;
    a.grab.body = body;
    a.grab.anchor[0] = ax, a.grab.anchor[1] = ay;
    a.grab.target[0] = tx, a.grab.target[1] = ty;
    return a;
}

static void test_grab(void) {
    SimWorld* w = world_new(8);
    int floor = add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", -0.5, 0.05, 0.1, 0.1, false);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0.5, 0.06, 0.08, 0.12, false);
    for (int t = 0; t < 30; t++) sim_world_tick(w, NULL);
    SimBodyState b0, b1;
    ENSURE(sim_world_body(w, box, &b0));
    ENSURE(!sim_world_grabbed(w, NULL));

    /* the box follows the hand up, held by its centre */
    SimAction a = grab_action(box, 0, 0, b0.x, b0.y + 0.4), applied;
    char why[256];
    sim_world_act(w, &a, &applied, why, sizeof why);
    ENSURE(applied.flags == SIM_ACT_GRAB && applied.grab.body == box && why[0] == 0);
    SimGrab g;
    ENSURE(sim_world_grabbed(w, &g) && g.body == box);
    /* a continued grab keeps the anchor it was taken at */
    a.grab.anchor[0] = 0.03;
    for (int t = 0; t < 60; t++) sim_world_act(w, &a, &applied, why, sizeof why);
    ENSURE(applied.grab.anchor[0] == 0 && applied.grab.anchor[1] == 0);
    ENSURE(sim_world_body(w, box, &b1));
    ENSURE(fabs(b1.y - (b0.y + 0.4)) < 0.05 && fabs(b1.x - b0.x) < 0.05);
    /* the hand stays inside the world's bounds */
    SimAction far = grab_action(box, 0, 0, 1e3, 0.5);
    sim_world_act(w, &far, &applied, why, sizeof why);
    ENSURE(applied.grab.target[0] == sim_world_def(w)->bounds[2] - 0.05);
    /* static bodies, dead ids and wild numbers are refused, with a reason, and hold nothing new */
    SimAction bad = grab_action(floor, 0, 0, 0, 1);
    sim_world_act(w, &bad, &applied, why, sizeof why);
    ENSURE(!(applied.flags & SIM_ACT_GRAB) && strstr(why, "grab of body 0"));
    bad = grab_action(box, NAN, 0, 0, 1);
    sim_world_act(w, &bad, &applied, why, sizeof why);
    ENSURE(!(applied.flags & SIM_ACT_GRAB) && why[0]);
    /* released, it falls back to the floor */
    SimAction rel;
    sim_action_clear(&rel);
    rel.flags = SIM_ACT_RELEASE;
    sim_world_act(w, &rel, &applied, why, sizeof why);
    ENSURE(applied.flags == SIM_ACT_RELEASE && !sim_world_grabbed(w, NULL));
    sim_world_act(w, &rel, &applied, why, sizeof why);
    ENSURE(applied.flags == 0);   /* nothing held, nothing released */
    for (int t = 0; t < 120; t++) sim_world_tick(w, NULL);
    ENSURE(sim_world_body(w, box, &b1) && b1.y < 0.06);

    /* a snapshot holds the hand: two restores continue bit-identically, still holding */
    SimBodyState gs;
    ENSURE(sim_world_body(w, glass, &gs));
    a = grab_action(glass, 0, 0, gs.x, gs.y + 0.8);
    for (int t = 0; t < 20; t++) sim_world_act(w, &a, NULL, NULL, 0);
    SimSnapshot* snap = sim_world_snapshot(w);
    char err[256];
    SimWorld* r1 = sim_world_from_snapshot(snap, err, sizeof err);
    SimWorld* r2 = sim_world_from_snapshot(snap, err, sizeof err);
    if (!r1) fprintf(stderr, "restore: %s\n", err);
    ENSURE(r1 && r2 && sim_world_grabbed(r1, &g) && g.body == glass);
    for (int t = 0; t < 30; t++) {
        sim_world_act(r1, &a, NULL, NULL, 0);
        sim_world_act(r2, &a, NULL, NULL, 0);
    }
    ENSURE(sim_world_hash(r1) == sim_world_hash(r2));
    ENSURE(sim_world_body(r1, glass, &b1) && fabs(b1.y - (gs.y + 0.8)) < 0.05);
    sim_world_destroy(r1);
    sim_world_destroy(r2);
    sim_snapshot_free(snap);

    /* slammed into the floor while held, the glass breaks and the hand lets go */
    a = grab_action(glass, 0, 0, gs.x, -0.9);
    for (int t = 0; t < 120 && sim_world_grabbed(w, NULL); t++) sim_world_act(w, &a, NULL, NULL, 0);
    ENSURE(sim_world_body(w, glass, &b1) && b1.broken && !b1.alive);
    ENSURE(!sim_world_grabbed(w, NULL));
    sim_world_act(w, &a, &applied, why, sizeof why);
    ENSURE(!(applied.flags & SIM_ACT_GRAB) && strstr(why, "not a live"));
    for (int t = 0; t < 30; t++) sim_world_tick(w, NULL); /* the world steps on without it */
    ENSURE(sim_world_nan_count(w) == 0);
    sim_world_destroy(w);
}

static void test_action(void) {
    ENSURE(sizeof(SimAction) == SIM_ACTION_BYTES);
    SimAction a;
    sim_action_clear(&a);
    ENSURE(sim_action_is_empty(&a));
    char err[256];
    ENSURE(sim_action_check(&a, err, sizeof err));
    /* at most SIM_ACTION_PUSHES pushes; rows sum impulses per body and keep the last point */
    for (int i = 0; i < SIM_ACTION_PUSHES; i++) {
        SimPush p = {.body = i % 2 ? 1 : 5, .jx = 1.0 + i, .jy = -1, .px = 0.01 * i, .py = 0};
        ENSURE(sim_action_add_push(&a, &p));
    }
    SimPush extra = {.body = 1, .jx = 1};
    ENSURE(!sim_action_add_push(&a, &extra) && a.npushes == SIM_ACTION_PUSHES);
    ENSURE(!sim_action_is_empty(&a));
    float rows[4 * 4] = {0};
    sim_action_add_rows(&a, rows, 4);   /* body 5 is outside K = 4: left out */
    ENSURE(rows[4] == 2 + 4 + 6 + 8 && rows[5] == -4 && fabsf(rows[6] - 0.07f) < 1e-7f);
    ENSURE(rows[0] == 0 && rows[8] == 0 && rows[12] == 0);
    /* untrusted actions: every bad field is one line */
    SimAction b = a;
    b.flags = 0x80;
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "flags"));
    b = a;
    b.npushes = 9;
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "pushes"));
    b = a;
    b.pushes[3].jy = NAN;
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "push 3"));
    b = a;
    b.nmagic = 1;
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "magic"));
    b = a;
    b.flags = SIM_ACT_SPAWN;
    memset(b.spawn.name, 'x', sizeof b.spawn.name);
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "name"));
    b.flags = SIM_ACT_GRAB;
    b.grab.target[0] = INFINITY;
    ENSURE(!sim_action_check(&b, err, sizeof err) && strstr(err, "grab"));

    /* a spawn adds a body with the next id; a bad one is refused with its reason */
    SimWorld* w = world_new(2);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    SimAction s, applied;
    sim_action_clear(&s);
    s.flags = SIM_ACT_SPAWN;
    s.spawn = sim_body_def_default();
    s.spawn.y = 1.0;
    char why[256];
    sim_world_act(w, &s, &applied, why, sizeof why);
    ENSURE(applied.flags == SIM_ACT_SPAWN && sim_world_id_count(w) == 2 && why[0] == 0);
    s.spawn.w = -1;
    sim_world_act(w, &s, &applied, why, sizeof why);
    ENSURE(applied.flags == 0 && sim_world_id_count(w) == 2 && strstr(why, "spawn refused") && strstr(why, "size"));
    /* a reset is the episode's business: the world neither applies nor reports it */
    sim_action_clear(&s);
    s.flags = SIM_ACT_RESET;
    s.reset_seed = 5;
    int64_t ticks = sim_world_ticks(w);
    sim_world_act(w, &s, &applied, why, sizeof why);
    ENSURE(applied.flags == 0 && sim_world_ticks(w) == ticks + 1);
    /* pushes: the refused one is left out of what was applied */
    sim_action_clear(&s);
    SimPush on_box = {.body = 1, .jx = 0.1}, on_floor = {.body = 0, .jx = 0.1};
    sim_action_add_push(&s, &on_floor);
    sim_action_add_push(&s, &on_box);
    sim_world_act(w, &s, &applied, why, sizeof why);
    ENSURE(applied.npushes == 1 && applied.pushes[0].body == 1 && strstr(why, "push on body 0"));
    ENSURE(count_events(w, SIM_EV_PUSH, 1) == 1);
    sim_world_destroy(w);
}

static void test_body_limit(void) {
    SimWorld* w = world_new(1);
    SimBodyDef b = sim_body_def_default();
    b.is_static = true;
    char err[256];
    for (int i = 0; i < SIM_MAX_BODIES; i++) {
        b.x = -9000 + 0.25 * (i % 4096);
        b.y = 0.25 * (i / 4096);
        ENSURE(sim_world_add_body(w, &b, err, sizeof err) == i);
    }
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "too many bodies"));
    sim_world_destroy(w);
}

static void test_contacts_query(void) {
    /* a box resting on a floor touches it (two points on the floor's top, the impulse holds the box
     * up); a ball in the air touches nothing */
    SimWorld* w = world_new(3);
    int floor = add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0, 0.05, 0.1, 0.1, false);
    int ball = add(w, "ball", SIM_KIND_BALL, "rubber", 1, 3, 0.1, 0.1, false);
    for (int t = 0; t < 30; t++) sim_world_tick(w, NULL);
    SimContact c[8];
    int n = sim_world_contacts(w, c, 8);
    ENSURE(n == 1);
    ENSURE(c[0].a == floor && c[0].b == box && c[0].count == 2);
    for (int i = 0; i < c[0].count; i++) ENSURE(fabs(c[0].points[2 * i + 1]) < 1e-3 && fabs(c[0].points[2 * i]) < 0.051);
    SimBodyState st;
    ENSURE(sim_world_body(w, box, &st));
    double dt = sim_world_def(w)->dt;
    ENSURE(fabs(c[0].jy - st.mass * 9.81 * dt) < 0.05 * st.mass * 9.81 * dt && fabs(c[0].jx) < 1e-6);
    ENSURE(sim_world_contacts(w, c, 0) == 1);
    uint8_t touch[4] = {9, 9, 9, 9};
    sim_world_observe_contacts(w, touch, 4);
    ENSURE(touch[floor] == 1 && touch[box] == 1 && touch[ball] == 0 && touch[3] == 0);
    ENSURE(sim_world_in_contact(w, box) && !sim_world_in_contact(w, ball));
    sim_world_destroy(w);
}

static void test_bare_loop_is_chipmunk(void) {
    /* the bare reference loop is Chipmunk's own step: a falling ball follows its integrator, which
     * moves positions with the previous velocity (y = y0 - g dt^2 n (n - 1) / 2) */
    char err[512];
    const char* text = "body ball ball steel pos 0 5 radius 0.05\n";
    Scenario* fall = scn_parse(text, strlen(text), "fall", err, sizeof err);
    ENSURE(fall);
    ScnInstance one;
    ENSURE(scn_instantiate(fall, 0, &one, err, sizeof err));
    SimBareLoop* bare = sim_bare_loop_create(&one);
    sim_bare_loop_step(bare, 60);
    double x, y, a, dt = one.world.dt;
    ENSURE(sim_bare_loop_pose(bare, 0, &x, &y, &a));
    ENSURE_NEAR(y, 5 - 9.81 * dt * dt * 60 * 59 / 2, 1e-9);
    sim_bare_loop_free(bare);
    scn_instance_free(&one);
    scn_free(fall);
    /* on the standard template, tables, glasses, boxes and balls settle to the same places in the
     * world and in the bare loop (to the millimetre: their solvers differ, their physics not) */
    Scenario* scn = scn_load(NUDGE_SOURCE_DIR "/scenarios/templates/push_off_table.scn", err, sizeof err);
    ENSURE(scn);
    for (uint64_t seed = 0; seed < 3; seed++) {
        ScnInstance inst;
        ENSURE(scn_instantiate(scn, seed, &inst, err, sizeof err));
        SimWorld* w = scn_instance_build(&inst, seed, err, sizeof err);
        bare = sim_bare_loop_create(&inst);
        ENSURE(w && bare && sim_bare_loop_bodies(bare) == inst.nbodies);
        for (int t = 0; t < 240; t++) sim_world_step(w);
        sim_bare_loop_step(bare, 240);
        for (int i = 0; i < inst.nbodies; i++) {
            SimBodyState st;
            ENSURE(sim_world_body(w, i, &st) && st.alive && sim_bare_loop_pose(bare, i, &x, &y, &a));
            ENSURE(hypot(st.x - x, st.y - y) < 0.001 && fabs(st.angle - a) < 0.01);
        }
        ENSURE(!sim_bare_loop_pose(bare, inst.nbodies, &(double){0}, &(double){0}, &(double){0}));
        sim_bare_loop_free(bare);
        sim_world_destroy(w);
        scn_instance_free(&inst);
    }
    sim_bare_loop_free(NULL);
    scn_free(scn);
}

static void test_bad_bodies(void) {
    SimWorld* w = world_new(1);
    SimBodyDef b = sim_body_def_default();
    char err[256] = "";
    b.w = -1;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "size"));
    b = sim_body_def_default();
    b.x = NAN;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "finite"));
    b = sim_body_def_default();
    b.material = 999;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "material"));
    b = sim_body_def_default();
    b.w = 1e-6;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "size"));
    b = sim_body_def_default();
    b.vx = 1e6;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "speed"));
    b = sim_body_def_default();
    b.y = 1e9;
    ENSURE(sim_world_add_body(w, &b, err, sizeof err) == -1 && strstr(err, "position"));
    ENSURE(sim_world_id_count(w) == 0);
    ENSURE(!sim_world_set_pose(w, 0, 0, 0, 0, 0, 0, 0));
    /* a push that would fling a body beyond 1000 m/s is refused, and the world stays sane */
    b = sim_body_def_default();
    int id = sim_world_add_body(w, &b, err, sizeof err);
    SimPush huge = {.body = id, .jx = 1e12}, far = {.body = id, .jx = 0.1, .px = 1e6}, fine = {.body = id, .jx = 0.1};
    ENSURE(!sim_world_push(w, &huge) && !sim_world_push(w, &far) && sim_world_push(w, &fine));
    for (int t = 0; t < 10; t++) sim_world_tick(w, &huge);
    ENSURE(sim_world_nan_count(w) == 0);
    sim_world_destroy(w);
    sim_world_destroy(NULL);
}

/* the shape an observation row shows is the world's own: every kind, static and dynamic, turned */
static void test_obs_shape_matches_world(void) {
    SimWorld* w = world_new(1);
    const SimKind kinds[] = {SIM_KIND_BOX, SIM_KIND_BALL, SIM_KIND_CUP, SIM_KIND_PLANK, SIM_KIND_RAMP};
    int ids[10];
    for (int i = 0; i < 10; i++) {
        SimBodyDef b = sim_body_def_default();
        b.kind = kinds[i % 5];
        b.material = sim_material_find(i % 2 ? "glass" : "steel");
        b.x = -2 + 0.4 * i;
        b.y = 1 + 0.1 * i;
        b.w = 0.08 + 0.02 * i;
        b.h = b.kind == SIM_KIND_BALL ? b.w : 0.05 + 0.03 * i;
        b.angle = 0.3 * i - 1.0;
        b.is_static = i >= 5;
        ids[i] = sim_world_add_body(w, &b, NULL, 0);
        ENSURE(ids[i] >= 0);
    }
    float st[16 * SIM_OBS_DIM];
    uint8_t mask[16];
    int32_t oid[16];
    sim_world_observe(w, st, mask, oid, 16);
    for (int i = 0; i < 10; i++) {
        SimBodyState b;
        ENSURE(sim_world_body(w, ids[i], &b));
        SimShape s;
        const float* row = st + (size_t)ids[i] * SIM_OBS_DIM;
        ENSURE(sim_obs_shape(row, &s));
        SimBodyDef d;
        ENSURE(sim_obs_def(row, &d) && d.kind == b.kind && d.material == b.material && d.is_static == b.is_static);
        /* built from the row's form (kind and size), the same shape bit for bit, at this pose and a
         * moved and turned one; a form does not fit another size */
        SimShapeForm f;
        ENSURE(sim_obs_form(row, &f) && sim_obs_form_fits(&f, row));
        float moved[SIM_OBS_DIM];
        memcpy(moved, row, sizeof moved);
        moved[SIM_OBS_x] += 0.37f;
        moved[SIM_OBS_cos] = cosf(0.7f * (float)i + 0.1f);
        moved[SIM_OBS_sin] = sinf(0.7f * (float)i + 0.1f);
        for (int v = 0; v < 2; v++) {
            const float* r = v ? moved : row;
            SimShape a, c;
            memset(&a, 0, sizeof a);
            memset(&c, 0, sizeof c);
            ENSURE(sim_obs_shape(r, &a) && sim_obs_form_fits(&f, r) && sim_obs_shape_form(r, &f, &c));
            ENSURE(a.nparts == c.nparts && a.cx == c.cx && a.cy == c.cy && a.radius == c.radius);
            for (int p = 0; p < a.nparts; p++)
                ENSURE(a.parts[p].n == c.parts[p].n &&
                       memcmp(a.parts[p].v, c.parts[p].v, sizeof(double) * 2 * (size_t)a.parts[p].n) == 0);
        }
        moved[SIM_OBS_size_w] *= 1.5f;
        ENSURE(!sim_obs_form_fits(&f, moved));
        if (b.kind == SIM_KIND_BALL) {
            ENSURE(s.nparts == 0);
            ENSURE_NEAR(s.radius, b.w / 2, 1e-6);
            ENSURE_NEAR(s.cx, b.x, 1e-6);
            continue;
        }
        ENSURE(s.nparts == b.nparts);
        /* the state a row shows: parts in body axes about the observed point, as the world's */
        SimBodyState ob;
        ENSURE(sim_obs_body(row, &ob) && ob.kind == b.kind && ob.nparts == b.nparts && ob.is_static == b.is_static);
        ENSURE_NEAR(ob.angle, b.angle, 1e-6);
        for (int p = 0; p < b.nparts; p++)
            for (int k = 0; k < 2 * b.parts[p].n; k++) ENSURE_NEAR(ob.parts[p].v[k], b.parts[p].v[k], 1e-5);
        double ca = cos(b.angle), sa = sin(b.angle);
        for (int p = 0; p < b.nparts; p++)
            for (int k = 0; k < b.parts[p].n; k++) {
                /* the state's parts are in body axes about the centre of mass */
                double bx = b.parts[p].v[2 * k], by = b.parts[p].v[2 * k + 1];
                ENSURE_NEAR(s.parts[p].v[2 * k], b.x + ca * bx - sa * by, 1e-5);
                ENSURE_NEAR(s.parts[p].v[2 * k + 1], b.y + sa * bx + ca * by, 1e-5);
            }
    }
    /* a row with no kind or no size is refused */
    float bad[SIM_OBS_DIM] = {0};
    SimShape s;
    ENSURE(!sim_obs_shape(bad, &s));
    bad[SIM_OBS_kind_box] = 1;
    ENSURE(!sim_obs_shape(bad, &s));
    SimShapeForm f;
    ENSURE(!sim_obs_form(bad, &f) && f.kind == -1 && !sim_obs_form_fits(&f, bad));
    sim_world_destroy(w);
}

static void test_shape_queries(void) {
    /* a 1 x 0.5 box at (0, 0), turned by 90 degrees: 0.5 wide, 1 tall */
    float row[SIM_OBS_DIM] = {0};
    row[SIM_OBS_cos] = 0;
    row[SIM_OBS_sin] = 1;
    row[SIM_OBS_kind_box] = 1;
    row[SIM_OBS_size_w] = 1;
    row[SIM_OBS_size_h] = 0.5f;
    row[SIM_OBS_is_static] = 1;
    SimShape s;
    ENSURE(sim_obs_shape(row, &s));
    double q[4];
    /* above the top: distance 0.2, the closest point on the top, the normal up */
    ENSURE_NEAR(sim_shape_closest(&s, 0.1, 0.7, q), 0.2, 1e-6);
    ENSURE_NEAR(q[0], 0.1, 1e-6);
    ENSURE_NEAR(q[1], 0.5, 1e-6);
    ENSURE_NEAR(q[3], 1, 1e-6);
    /* beyond a corner: the corner, and the normal points from it to p */
    ENSURE_NEAR(sim_shape_closest(&s, 0.55, 0.54, q), hypot(0.3, 0.04), 1e-6);
    ENSURE_NEAR(q[0], 0.25, 1e-6);
    ENSURE_NEAR(q[2], 0.3 / hypot(0.3, 0.04), 1e-6);
    /* inside, nearer the right side: negative, the right side's outward normal */
    ENSURE_NEAR(sim_shape_closest(&s, 0.2, 0.1, q), -0.05, 1e-6);
    ENSURE_NEAR(q[0], 0.25, 1e-6);
    ENSURE_NEAR(q[2], 1, 1e-6);
    /* extents from the centre */
    ENSURE_NEAR(sim_shape_extent(&s, 0, 0, 0, 1), 0.5, 1e-6);
    ENSURE_NEAR(sim_shape_extent(&s, 0, 0, -1, 0), 0.25, 1e-6);
    ENSURE_NEAR(sim_shape_extent(&s, 0, 0, M_SQRT1_2, M_SQRT1_2), 0.75 * M_SQRT1_2, 1e-6);
    /* a ball */
    float ball[SIM_OBS_DIM] = {0};
    ball[SIM_OBS_x] = 1;
    ball[SIM_OBS_cos] = 1;
    ball[SIM_OBS_kind_ball] = 1;
    ball[SIM_OBS_size_w] = ball[SIM_OBS_size_h] = 0.2f;
    ball[SIM_OBS_mass] = 1;
    ENSURE(sim_obs_shape(ball, &s));
    ENSURE_NEAR(sim_shape_closest(&s, 1, 0.5, q), 0.4, 1e-6);
    ENSURE_NEAR(q[1], 0.1, 1e-6);
    ENSURE_NEAR(sim_shape_extent(&s, 0, 0, 1, 0), 1.1, 1e-6);
    /* a static cup: the inside of the U is outside the shape, its wall inside */
    float cup[SIM_OBS_DIM] = {0};
    cup[SIM_OBS_cos] = 1;
    cup[SIM_OBS_kind_cup] = 1;
    cup[SIM_OBS_size_w] = 0.2f;
    cup[SIM_OBS_size_h] = 0.2f;
    cup[SIM_OBS_is_static] = 1;
    ENSURE(sim_obs_shape(cup, &s) && s.nparts == 3);
    ENSURE_NEAR(sim_shape_closest(&s, 0, 0, q), 0.08, 1e-6);      /* to the floor of the U, 2 cm thick */
    ENSURE(sim_shape_closest(&s, -0.09, 0.05, q) < 0);              /* inside the left wall */
}

/* sim_shape_closest_bound, which lets the collision prior skip a vertex's distance: never above the
 * distance itself (up to rounding) for boxes, cups, ramps, convex polygons, slivers and degenerate
 * parts at random poses and points, and a real bound (finite) for a point well outside a box */
static void test_shape_closest_bound(void) {
    Rng rng;
    rng_seed(&rng, 23);
    int finite = 0, kinds[] = {SIM_KIND_BOX, SIM_KIND_CUP, SIM_KIND_RAMP, SIM_KIND_PLANK};
    for (int trial = 0; trial < 4000; trial++) {
        SimShape s;
        int kind = trial % 6;
        if (kind < 4) {
            SimBodyDef d = sim_body_def_default();
            d.kind = kinds[kind];
            d.w = rng_uniform(&rng, 0.01, 3), d.h = rng_uniform(&rng, 0.01, 1);
            d.x = rng_uniform(&rng, -5, 5), d.y = rng_uniform(&rng, -5, 5), d.angle = rng_uniform(&rng, -4, 4);
            sim_def_shape(&d, &s);
        } else {
            /* a convex polygon around a centre, or (kind 5) a sliver: its points nearly on one line,
             * some of them repeated */
            memset(&s, 0, sizeof s);
            s.cx = rng_uniform(&rng, -5, 5), s.cy = rng_uniform(&rng, -5, 5);
            s.nparts = 1;
            int n = 3 + (int)rng_int(&rng, 0, SIM_MAX_VERTS - 3);
            double r = rng_uniform(&rng, 0.01, 2), a0 = rng_uniform(&rng, 0, 6.3), thin = kind == 5 ? 1e-9 : 1;
            s.parts[0].n = n;
            for (int i = 0; i < n; i++) {
                int at = kind == 5 && i == 1 ? 0 : i;   /* (a repeated point) */
                double a = a0 + 6.283185307179586 * at / n;
                s.parts[0].v[2 * i] = s.cx + r * cos(a);
                s.parts[0].v[2 * i + 1] = s.cy + thin * r * sin(a);
            }
        }
        double reach = 0;
        for (int p = 0; p < s.nparts; p++)
            for (int i = 0; i < s.parts[p].n; i++)
                reach = fmax(reach, hypot(s.parts[p].v[2 * i] - s.cx, s.parts[p].v[2 * i + 1] - s.cy));
        for (int k = 0; k < 20; k++) {
            double spread = k < 10 ? reach * 1.5 + 0.01 : reach * 6 + 1;
            double px = s.cx + rng_uniform(&rng, -spread, spread), py = s.cy + rng_uniform(&rng, -spread, spread);
            double q[4], d = sim_shape_closest(&s, px, py, q), b = sim_shape_closest_bound(&s, px, py, reach);
            ENSURE(b <= d + 1e-9);
            finite += isfinite(b) && b > 0;
        }
    }
    /* most far points get a real bound */
    ENSURE(finite > 20000);
    /* a 1 m box at the origin and a point 2 m to its right: 2 - sqrt(0.5) */
    SimBodyDef d = sim_body_def_default();
    d.w = d.h = 1;
    SimShape s;
    sim_def_shape(&d, &s);
    ENSURE_NEAR(sim_shape_closest_bound(&s, 2, 0, M_SQRT1_2), 2 - M_SQRT1_2, 1e-12);
    ENSURE(sim_shape_closest_bound(&s, 0.2, 0.1, M_SQRT1_2) == -INFINITY);   /* inside */
}

/* how deep shapes overlap: boxes, turned boxes, balls, a cup's U */
static void test_shape_penetration(void) {
    SimBodyDef a = sim_body_def_default(), b = sim_body_def_default();
    SimShape sa, sb;
    /* two 0.1 boxes, 8 cm apart: they overlap by 2 cm; 12 cm apart: a 2 cm gap */
    a.w = a.h = b.w = b.h = 0.1;
    b.x = 0.08;
    sim_def_shape(&a, &sa);
    sim_def_shape(&b, &sb);
    ENSURE_NEAR(sim_shape_penetration(&sa, &sb), 0.02, 1e-9);
    ENSURE_NEAR(sim_shape_penetration(&sb, &sa), 0.02, 1e-9);
    b.x = 0.12;
    sim_def_shape(&b, &sb);
    ENSURE_NEAR(sim_shape_penetration(&sa, &sb), -0.02, 1e-9);
    /* a box turned by 45 degrees resting on a corner 1 cm deep in a floor */
    SimBodyDef floor = sim_body_def_default();
    floor.w = 6, floor.h = 0.1, floor.y = -0.05;
    b.x = 0, b.angle = M_PI / 4, b.y = 0.05 * M_SQRT2 - 0.01;
    SimShape sf;
    sim_def_shape(&floor, &sf);
    sim_def_shape(&b, &sb);
    ENSURE_NEAR(sim_shape_penetration(&sb, &sf), 0.01, 1e-9);
    double box[4];
    sim_shape_bounds(&sb, box);
    ENSURE_NEAR(box[1], -0.01, 1e-9);
    ENSURE_NEAR(box[2], 0.05 * M_SQRT2, 1e-9);
    /* a ball of radius 5 cm 3 cm above the floor: 2 cm deep; two balls */
    SimBodyDef ball = sim_body_def_default();
    ball.kind = SIM_KIND_BALL;
    ball.w = ball.h = 0.1;
    ball.y = 0.03;
    SimShape sball, sball2;
    sim_def_shape(&ball, &sball);
    ENSURE_NEAR(sim_shape_penetration(&sball, &sf), 0.02, 1e-9);
    ENSURE_NEAR(sim_shape_penetration(&sf, &sball), 0.02, 1e-9);
    ball.x = 0.07;
    sim_def_shape(&ball, &sball2);
    ENSURE_NEAR(sim_shape_penetration(&sball, &sball2), 0.03, 1e-9);
    /* a ball inside a cup's U touches nothing; one through its wall does */
    SimBodyDef cup = sim_body_def_default();
    cup.kind = SIM_KIND_CUP;
    cup.w = cup.h = 0.2;
    cup.y = 1;
    SimShape scup;
    sim_def_shape(&cup, &scup);
    ball.w = ball.h = 0.1;
    ball.x = 0, ball.y = 1.03;
    sim_def_shape(&ball, &sball);
    ENSURE(sim_shape_penetration(&sball, &scup) < 0);
    ball.x = -0.1;
    sim_def_shape(&ball, &sball);
    ENSURE_NEAR(sim_shape_penetration(&sball, &scup), 0.05, 1e-9);   /* the centre on the wall's outer face */
}

/* the pure shatter: the world's shards are its pieces; without an rng the expected pieces; mass
 * conserved either way */
static void test_shatter_pieces(void) {
    SimBodyDef g = sim_body_def_default();
    snprintf(g.name, sizeof g.name, "glass");
    g.kind = SIM_KIND_CUP;
    g.material = sim_material_find("glass");
    g.x = 0.3;
    g.y = 1.0;
    g.w = 0.08;
    g.h = 0.12;
    g.angle = 0.4;
    g.vx = 1.0;
    g.vy = -2.0;
    g.omega = 3.0;
    SimPart parts[SIM_MAX_PARTS];
    double gx, gy;
    double area = sim_parts_centroid(parts, sim_def_parts(&g, parts), &gx, &gy);
    double cx = g.x + cos(g.angle) * gx - sin(g.angle) * gy, cy = g.y + sin(g.angle) * gx + cos(g.angle) * gy;
    SimBodyDef pieces[SIM_SHATTER_MAX], again[SIM_SHATTER_MAX];
    for (int shards = 2; shards <= 8; shards++) {
        int n = sim_shatter_pieces(&g, cx, cy, shards, NULL, pieces);
        ENSURE(n >= 3 && n <= SIM_SHATTER_MAX && n == (shards < 3 ? 3 : shards));
        ENSURE(sim_shatter_pieces(&g, cx, cy, shards, NULL, again) == n);
        ENSURE(memcmp(pieces, again, sizeof pieces[0] * (size_t)n) == 0);
        double sum = 0, mx = 0, my = 0;
        for (int k = 0; k < n; k++) {
            SimPart pp[SIM_MAX_PARTS];
            double ox, oy;
            ENSURE(pieces[k].kind == SIM_KIND_SHARD && pieces[k].material == g.material);
            double a = sim_parts_centroid(pp, sim_def_parts(&pieces[k], pp), &ox, &oy);
            ENSURE(fabs(ox) < 1e-9 && fabs(oy) < 1e-9);   /* vertices about the piece's centroid */
            sum += a;
            mx += a * pieces[k].x;
            my += a * pieces[k].y;
        }
        /* areas (so masses) add up, the pieces' centre of mass is the parent's */
        ENSURE_NEAR(sum, area, 1e-12);
        ENSURE_NEAR(mx / sum, cx, 1e-9);
        ENSURE_NEAR(my / sum, cy, 1e-9);
    }
    /* a glass that breaks in a world (the world's rng) and one shattered in imagination (from its
     * observation row, no rng) both keep the observed mass */
    SimWorld* w = world_new(9);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, 1.2, 0.08, 0.12, false);
    for (int t = 0; t < 120 && sim_world_id_count(w) == glass + 1; t++) sim_world_tick(w, NULL);
    ENSURE(sim_world_id_count(w) == glass + 1 + sim_world_def(w)->shards);
    double mass = 0;
    for (int i = glass + 1; i < sim_world_id_count(w); i++) {
        SimBodyState s;
        sim_world_body(w, i, &s);
        mass += s.mass;
    }
    SimWorld* w2 = world_new(9);
    int g2 = add(w2, "glass", SIM_KIND_CUP, "glass", 0, 1.2, 0.08, 0.12, false);
    float st[4 * SIM_OBS_DIM];
    uint8_t mask[4];
    int32_t ids[4];
    sim_world_observe(w2, st, mask, ids, 4);
    const float* row = st + (size_t)g2 * SIM_OBS_DIM;
    SimBodyDef od;
    ENSURE(sim_obs_def(row, &od));
    int n = sim_shatter_pieces(&od, row[SIM_OBS_x], row[SIM_OBS_y], 6, NULL, pieces);
    double imagined = 0;
    for (int k = 0; k < n; k++) {
        SimPart pp[SIM_MAX_PARTS];
        double ox, oy;
        imagined += sim_parts_centroid(pp, sim_def_parts(&pieces[k], pp), &ox, &oy) *
                    sim_material_get(pieces[k].material)->density;
    }
    ENSURE_NEAR(imagined, row[SIM_OBS_mass], 1e-5 * row[SIM_OBS_mass]);
    ENSURE_NEAR(mass, row[SIM_OBS_mass], 1e-5 * row[SIM_OBS_mass]);
    sim_world_destroy(w);
    sim_world_destroy(w2);
}

/* ---- physics properties: seeded sweeps that report their worst error ---- */

static SimWorld* world_with(double dt, int ticks, double gx, double gy, uint64_t seed) {
    SimWorldDef d = sim_world_def_default();
    d.dt = dt;
    d.steps_per_tick = ticks;
    d.gx = gx, d.gy = gy;
    d.seed = seed;
    d.bounds[0] = -50, d.bounds[1] = -50, d.bounds[2] = 50, d.bounds[3] = 100;
    return sim_world_create(&d);
}

static int add_ball(SimWorld* w, const char* mat, double x, double y, double r, double vx, double vy) {
    SimBodyDef b = sim_body_def_default();
    b.kind = SIM_KIND_BALL;
    b.material = sim_material_find(mat);
    b.x = x, b.y = y, b.w = b.h = 2 * r, b.vx = vx, b.vy = vy;
    char err[256];
    int id = sim_world_add_body(w, &b, err, sizeof err);
    ENSURE(id >= 0);
    return id;
}

static double elasticity(const char* mat) { return sim_material_get(sim_material_find(mat))->elasticity; }
static double friction(const char* mat) { return sim_material_get(sim_material_find(mat))->friction; }

static void test_rebound_sweep(void) {
    /* balls dropped from seeded heights onto plates of several materials rebound to e^2 h (centre
       peak r + e^2 h), wherever in a step the impact happens; the peak is found step by step */
    const char* pairs[][2] = {{"rubber", "steel"}, {"rubber", "wood"}, {"steel", "steel"}, {"rubber", "stone"}};
    Rng rng;
    rng_seed(&rng, 77);
    double worst = 0;
    for (int i = 0; i < 40; i++) {
        const char** m = pairs[i % 4];
        double h = rng_uniform(&rng, 0.2, 3.0), r = rng_uniform(&rng, 0.01, 0.06);
        double e = elasticity(m[0]) * elasticity(m[1]);
        SimWorld* w = world_with(1.0 / 120, 2, 0, -9.81, (uint64_t)i);
        add(w, "plate", SIM_KIND_BOX, m[1], 0, -0.05, 4, 0.1, true);
        int ball = add_ball(w, m[0], 0, h + r, r, 0, 0);
        double t_hit = sqrt(2 * h / 9.81), v = sqrt(2 * 9.81 * h), peak = 0;
        int steps = (int)((t_hit + 2 * e * v / 9.81 - 0.01) * 120);
        for (int k = 0; k < steps; k++) {
            sim_world_step(w);
            SimBodyState st;
            sim_world_body(w, ball, &st);
            if ((k + 1) / 120.0 > t_hit + 0.01 && st.y > peak) peak = st.y;
        }
        double want = e * e * h, err = fabs((peak - r) - want);
        /* the step-end samples miss the apex by up to g (dt/2)^2 / 2, and symplectic Euler lowers
           it by v' h / 2 (h = dt / 4): 3% of the rebound plus 0.5 mm */
        double tol = 0.03 * want + 0.0005;
        if (err / tol > worst) worst = err / tol;
        if (err > tol) fprintf(stderr, "    rebound %s on %s from %.3f m: %.4f m, wanted %.4f\n", m[0], m[1], h, peak - r, want);
        CHECK(err <= tol);
        sim_world_destroy(w);
    }
    fprintf(stderr, "    rebound sweep: 40 drops, worst error %.0f%% of its tolerance\n", 100 * worst);
}

static void test_glass_drop_sweep(void) {
    /* a glass breaks when dropped from above a threshold height and never below it: breaking is
       monotonic in the height, and the threshold is where m v (1 + e) reaches the break impulse */
    int prev = 0, switches = 0;
    double threshold = -1;
    for (int i = 0; i <= 60; i++) {
        double h = 0.02 + 0.004 * i;
        SimWorld* w = world_with(1.0 / 120, 2, 0, -9.81, (uint64_t)i);
        add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
        int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, h + 0.06, 0.08, 0.12, false);
        SimBodyState g;
        sim_world_body(w, glass, &g);
        double m = g.mass;
        for (int t = 0; t < 60; t++) sim_world_tick(w, NULL);
        sim_world_body(w, glass, &g);
        int broke = g.broken;
        if (broke != prev) switches++, threshold = h;
        prev = broke;
        if (i == 60) {
            double e = elasticity("glass") * elasticity("stone");
            double v = 1.0 / (m * (1 + e)), closed = v * v / (2 * 9.81);
            fprintf(stderr, "    glass drop sweep: breaks from %.3f m (closed form %.3f m, the weight in the impact's step lowers it)\n",
                    threshold, closed);
            CHECK(threshold > closed - 0.015 && threshold <= closed + 0.004);
        }
        sim_world_destroy(w);
    }
    CHECK(switches == 1 && prev == 1);
}

static void test_tunnelling_sweep(void) {
    /* small fast balls never pass thin walls: seeded radii, speeds, wall thicknesses and steps */
    Rng rng;
    rng_seed(&rng, 5);
    const double dts[3] = {1.0 / 120, 1.0 / 60, 0.1};
    int worst_passes = 1;
    for (int i = 0; i < 60; i++) {
        double r = rng_uniform(&rng, 0.005, 0.05), v = rng_uniform(&rng, 5, 300), thick = rng_uniform(&rng, 0.002, 0.02);
        double dt = dts[i % 3];
        SimWorld* w = world_with(dt, 1, 0, i % 2 ? -9.81 : 0, (uint64_t)i);
        add(w, "wall", SIM_KIND_BOX, i % 2 ? "stone" : "wood", 1.0, 0, thick, 2, true);
        int ball = add_ball(w, "steel", -1, 0, r, v, 0);
        double most = -1e9;
        for (int t = 0; t < (int)(1.0 / dt); t++) {
            sim_world_tick(w, NULL);
            SimBodyState st;
            sim_world_body(w, ball, &st);
            most = fmax(most, st.x);
        }
        if (most > 1.0) fprintf(stderr, "    tunnelled: r %.3f v %.0f wall %.3f dt %.4f: x %.3f\n", r, v, thick, dt, most);
        CHECK(most < 1.0 - thick / 2);
        int passes = (int)ceil(v * dt / 0.1);
        if (passes > worst_passes) worst_passes = passes;
        sim_world_destroy(w);
    }
    fprintf(stderr, "    tunnelling sweep: 60 balls up to 300 m/s against walls of 2..20 mm, none passed\n");
}

/* a polygon's area, centroid and moment of inertia about its centroid (density 1) */
static void poly_mass(const SimPart* p, double* a, double c[2], double* inertia) {
    double A = 0, cx = 0, cy = 0, I = 0;
    for (int k = 0; k < p->n; k++) {
        int j = (k + 1) % p->n;
        double x0 = p->v[2 * k], y0 = p->v[2 * k + 1], x1 = p->v[2 * j], y1 = p->v[2 * j + 1];
        double cr = x0 * y1 - x1 * y0;
        A += cr / 2;
        cx += (x0 + x1) * cr / 6;
        cy += (y0 + y1) * cr / 6;
        I += cr * (x0 * x0 + x0 * x1 + x1 * x1 + y0 * y0 + y0 * y1 + y1 * y1) / 12;
    }
    c[0] = cx / A, c[1] = cy / A;
    *a = A;
    *inertia = I - A * (c[0] * c[0] + c[1] * c[1]);
}

static void test_push_response_every_kind(void) {
    /* dv = J / m and dw = (r x J) / I for every kind, shards included, with seeded pushes; m and I
       computed here from the outlines, independently of the world */
    SimWorld* w = world_with(1.0 / 120, 2, 0, 0, 3);
    int ids[6];
    const SimKind kinds[5] = {SIM_KIND_BOX, SIM_KIND_BALL, SIM_KIND_CUP, SIM_KIND_PLANK, SIM_KIND_RAMP};
    for (int k = 0; k < 5; k++) {
        SimBodyDef b = sim_body_def_default();
        b.kind = kinds[k];
        b.material = sim_material_find(k % 2 ? "steel" : "wood");
        b.x = -2 + k, b.y = 0;
        b.w = kinds[k] == SIM_KIND_PLANK ? 0.6 : 0.15 + 0.03 * k;
        b.h = kinds[k] == SIM_KIND_PLANK ? 0.03 : kinds[k] == SIM_KIND_BALL ? b.w : 0.1 + 0.02 * k;
        b.angle = 0.3 * k;
        ids[k] = sim_world_add_body(w, &b, NULL, 0);
        ENSURE(ids[k] >= 0);
    }
    /* a shard: break a glass against a wall */
    add(w, "wall", SIM_KIND_BOX, "stone", 4, 0, 0.1, 1, true);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 3.5, 0, 0.08, 0.12, false);
    SimBodyState g;
    sim_world_body(w, glass, &g);
    SimPush fling = {.body = glass, .jx = 20 * g.mass};
    ENSURE(sim_world_tick(w, &fling));
    for (int t = 0; t < 30 && !g.broken; t++) {
        sim_world_tick(w, NULL);
        sim_world_body(w, glass, &g);
    }
    ENSURE(g.broken);
    ids[5] = glass + 1;
    Rng rng;
    rng_seed(&rng, 11);
    double worst = 0;
    for (int k = 0; k < 6; k++) {
        SimBodyState st;
        ENSURE(sim_world_body(w, ids[k], &st) && st.alive && st.kind == (k < 5 ? kinds[k] : SIM_KIND_SHARD));
        double density = sim_material_get(st.material)->density, m = 0, I = 0;
        if (st.kind == SIM_KIND_BALL) {
            m = density * M_PI * st.radius * st.radius;
            I = m * st.radius * st.radius / 2;
        } else {
            /* parts about the centre of mass: the body's moment is the sum of the parts' moments
               about it (their centroids are offsets from it) */
            for (int p = 0; p < st.nparts; p++) {
                double a, c[2], ic;
                poly_mass(&st.parts[p], &a, c, &ic);
                m += density * a;
                I += density * (ic + a * (c[0] * c[0] + c[1] * c[1]));
            }
        }
        ENSURE_NEAR(st.mass, m, 1e-12 * m);
        for (int n = 0; n < 5; n++) {
            sim_world_body(w, ids[k], &st);
            double jx = rng_uniform(&rng, -1, 1) * m, jy = rng_uniform(&rng, -1, 1) * m;
            double px = rng_uniform(&rng, -0.5, 0.5) * st.w, py = rng_uniform(&rng, -0.5, 0.5) * st.h;
            SimPush p = {.body = ids[k], .jx = jx, .jy = jy, .px = px, .py = py};
            ENSURE(sim_world_push(w, &p));
            SimBodyState after;
            sim_world_body(w, ids[k], &after);
            double ev = hypot(after.vx - st.vx - jx / m, after.vy - st.vy - jy / m) / hypot(jx / m, jy / m);
            double dw = (px * jy - py * jx) / I;
            double ew = fabs(after.omega - st.omega - dw) / (fabs(dw) + 1e-9);
            worst = fmax(worst, fmax(ev, ew));
            CHECK(ev < 1e-9 && ew < 1e-9);
        }
    }
    fprintf(stderr, "    push response: 6 kinds x 5 pushes, worst relative error %.1e\n", worst);
    sim_world_destroy(w);
}

static void test_slide_sweep(void) {
    /* boxes sliding at seeded speeds on floors of several materials stop after v^2 / (2 mu g) */
    const char* mats[] = {"wood", "steel", "stone", "felt", "glass", "rubber"};
    Rng rng;
    rng_seed(&rng, 9);
    double worst = 0;
    for (int i = 0; i < 24; i++) {
        const char *mb = mats[i % 6], *mf = mats[(i / 6 + i) % 6];
        double mu = friction(mb) * friction(mf), v = rng_uniform(&rng, 0.5, 3.0);
        double d = v * v / (2 * mu * 9.81);
        SimWorld* w = world_with(1.0 / 120, 2, 0, -9.81, (uint64_t)i);
        add(w, "floor", SIM_KIND_BOX, mf, 0, -0.05, 40, 0.1, true);
        SimBodyDef b = sim_body_def_default();
        b.material = sim_material_find(mb);
        b.x = -10, b.y = 0.02, b.w = 0.2, b.h = 0.04, b.vx = v;
        int box = sim_world_add_body(w, &b, NULL, 0);
        for (int t = 0; t < (int)(60 * (v / (mu * 9.81) + 0.5)); t++) sim_world_tick(w, NULL);
        SimBodyState st;
        sim_world_body(w, box, &st);
        double err = fabs((st.x + 10) - d) / d;
        worst = fmax(worst, err);
        if (err > 0.02) fprintf(stderr, "    slide %s on %s at %.2f m/s: %.4f m, wanted %.4f\n", mb, mf, v, st.x + 10, d);
        CHECK(err < 0.02);
        sim_world_destroy(w);
    }
    fprintf(stderr, "    slide sweep: 24 slides, worst error %.2f%%\n", 100 * worst);
}

static void test_contact_events_per_pair(void) {
    /* a glass (three shapes) lands flat on a floor: one contact event for the pair, not one per
       shape; it rests, and leaves no further events while it touches */
    SimWorld* w = world_new(12);
    int floor = add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, 0.07, 0.08, 0.12, false);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0.5, 0.3, 0.1, 0.1, false);
    int cg = 0, cb = 0;
    for (int t = 0; t < 120; t++) {
        sim_world_tick(w, NULL);
        int n;
        const SimEvent* ev = sim_world_events(w, &n);
        for (int i = 0; i < n; i++) {
            if (ev[i].type != SIM_EV_CONTACT) continue;
            ENSURE(ev[i].a < ev[i].b);
            if (ev[i].a == floor && ev[i].b == glass) cg++;
            if (ev[i].a == floor && ev[i].b == box) cb++;
        }
    }
    fprintf(stderr, "    contact events: glass %d, box %d\n", cg, cb);
    CHECK(cg == 1);
    CHECK(cb >= 1 && cb <= 3); /* the box bounces a little (e = 0.06) before it rests */
    SimBodyState st;
    sim_world_body(w, glass, &st);
    CHECK(!st.broken && st.resting);
    sim_world_destroy(w);
}

static void test_break_rule(void) {
    /* the break test takes the largest total impulse pressing a body one way. Two balls hit a glass
       (zero gravity) at once, each with less than its break impulse (1.0 N*s): from the two sides
       (about 0.55 N*s each, 1.1 together) it holds; from the same side (together more than 1.0) it
       breaks. The contact events give each pair's impulse of that step */
    for (int same = 0; same < 2; same++) {
        SimWorld* w = world_with(1.0 / 120, 2, 0, 0, 4);
        int glass = add(w, "glass", SIM_KIND_CUP, "glass", 0, 0, 0.08, 0.12, false);
        SimBodyState g;
        sim_world_body(w, glass, &g);
        double r = 0.01, m = sim_material_get(sim_material_find("steel"))->density * M_PI * r * r, e = 0.5 * 0.4;
        double v = same ? 1.5 / (2 * m * g.mass / (2 * m + g.mass) * (1 + e)) : 0.6 / (m * (1 + e));
        /* at the glass's centre of mass height, symmetric about it */
        if (same) {
            add_ball(w, "steel", -0.2, g.y + 0.012, r, v, 0);
            add_ball(w, "steel", -0.2, g.y - 0.012, r, v, 0);
        } else {
            add_ball(w, "steel", -0.2, g.y, r, v, 0);
            add_ball(w, "steel", 0.2, g.y, r, -v, 0);
        }
        double first[2] = {0, 0};
        int hits = 0;
        for (int t = 0; t < 60; t++) {
            sim_world_tick(w, NULL);
            int n;
            const SimEvent* ev = sim_world_events(w, &n);
            for (int i = 0; i < n; i++)
                if (ev[i].type == SIM_EV_CONTACT && ev[i].a == glass && hits < 2) first[hits++] = ev[i].magnitude;
        }
        sim_world_body(w, glass, &g);
        fprintf(stderr, "    two balls on %s: %.3f and %.3f N*s, %s\n", same ? "one side" : "both sides", first[0],
                first[1], g.broken ? "broken" : "whole");
        CHECK(hits == 2 && first[0] < 1.0 && first[1] < 1.0 && first[0] + first[1] > 1.0);
        CHECK(g.broken == (same == 1));
        sim_world_destroy(w);
    }
}

static void test_mass_ratio(void) {
    /* a 125 kg steel block on a 0.3 kg felt cube (417:1): with 4 solver iterations per substep the
       cube holds it for 3 s (at the default 1 it is squeezed out: README, "The world") */
    SimWorldDef d = sim_world_def_default();
    d.iterations = 4;
    SimWorld* w = sim_world_create(&d);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    int cube = add(w, "cube", SIM_KIND_BOX, "felt", 0, 0.05, 0.1, 0.1, false);
    double s = sqrt(125.0 / sim_material_get(sim_material_find("steel"))->density);
    int block = add(w, "block", SIM_KIND_BOX, "steel", 0, 0.1 + s / 2, s, s, false);
    for (int t = 0; t < 180; t++) sim_world_tick(w, NULL);
    SimBodyState c, b;
    sim_world_body(w, cube, &c);
    sim_world_body(w, block, &b);
    fprintf(stderr, "    417:1 with 4 iterations: cube moved %.4f m, block sank %.4f m\n", hypot(c.x - c.x0, c.y - c.y0), b.y0 - b.y);
    CHECK(hypot(c.x - c.x0, c.y - c.y0) < 0.005 && b.y0 - b.y < 0.005);
    sim_world_destroy(w);
}

static void test_contact_budget(void) {
    /* 1000 boxes piled into one place (issue 16, defect 5): the world counts the overlapping pairs
       as they are added, stops counting them one by one past its contact budget, and says so; it
       is freed at once (no removal of shapes one by one) */
    SimWorld* w = world_new(1);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    for (int i = 0; i < 1000; i++) add(w, "b", SIM_KIND_BOX, "wood", 0.001 * (i % 10), 0.5, 0.1, 0.1, false);
    char want[128];
    snprintf(want, sizeof want, "more than %d contacts in one step: bodies overlap at start?", SIM_MAX_CONTACTS);
    CHECK(sim_world_error(w) && !strcmp(sim_world_error(w), want));
    CHECK(sim_world_overlaps(w, NULL, NULL, NULL) > SIM_MAX_CONTACTS);
    sim_world_destroy(w);
    /* 150 of them (none exactly on another: Chipmunk finds no contact between coincident shapes):
       within the budget; they are pushed apart, and the deepest pair is named */
    w = world_new(1);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    for (int i = 0; i < 150; i++) add(w, "b", SIM_KIND_BOX, "wood", 0.0001 * i, 0.5, 0.1, 0.1, false);
    double depth;
    int32_t a, b;
    int pairs = sim_world_overlaps(w, &depth, &a, &b);
    fprintf(stderr, "    150 piled boxes: %d overlapping pairs, the deepest %d and %d by %.3f m\n", pairs, a, b, depth);
    CHECK(pairs == 150 * 149 / 2 && depth > 0.09 && a >= 1 && b > a);
    for (int t = 0; t < 30; t++) sim_world_tick(w, NULL);
    CHECK(!sim_world_error(w) && sim_world_nan_count(w) == 0);
    sim_world_destroy(w);
    /* flush bodies do not count as overlapping */
    w = world_new(1);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    add(w, "a", SIM_KIND_BOX, "wood", 0, 0.05, 0.1, 0.1, false);
    add(w, "b", SIM_KIND_BOX, "wood", 0, 0.15, 0.1, 0.1, false);
    add(w, "c", SIM_KIND_BALL, "wood", 0.2, 0.05, 0.1, 0.1, false);
    CHECK(sim_world_overlaps(w, NULL, NULL, NULL) == 0);
    sim_world_destroy(w);
}

/* one tick with one magic entry; returns whether it took effect */
static bool magic_tick(SimWorld* w, int kind, int32_t body, double v0, double v1) {
    SimAction a, applied;
    sim_action_clear(&a);
    SimMagic m = {.kind = kind, .body = body, .v = {v0, v1, 0, 0}};
    ENSURE(sim_action_add_magic(&a, &m));
    char why[256];
    sim_world_act(w, &a, &applied, why, sizeof why);
    return applied.nmagic == 1 && !why[0];
}

/* the magic event of the last tick: its body and kind, or false */
static bool magic_event(const SimWorld* w, int32_t* body, int* kind, double* figure) {
    int n;
    const SimEvent* ev = sim_world_events(w, &n);
    for (int i = 0; i < n; i++)
        if (ev[i].type == SIM_EV_MAGIC) {
            *body = ev[i].a, *kind = ev[i].b, *figure = ev[i].magnitude;
            return true;
        }
    return false;
}

static void run_ticks(SimWorld* w, int n) {
    for (int i = 0; i < n; i++) sim_world_tick(w, NULL);
}

/* every kind of magic does what sim/action.h says, is a magic event with its kind, and is refused
 * on a body that is not there */
static void test_magic(void) {
    ENSURE(sim_magic_find("teleport") == SIM_MAGIC_TELEPORT && sim_magic_find("drift") == SIM_MAGIC_DRIFT &&
           sim_magic_find("fly") < 0 && !strcmp(sim_magic_name(SIM_MAGIC_GHOST), "ghost"));
    SimWorld* w = world_new(3);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0, 0.0505, 0.1, 0.1, false);
    int glass = add(w, "glass", SIM_KIND_CUP, "glass", 1, 1.5, 0.08, 0.12, false);
    /* unbreakable: the glass falls 1.4 m onto stone and stays whole (it breaks without the magic:
       test_glass_breaks_when_dropped) */
    ENSURE(magic_tick(w, SIM_MAGIC_UNBREAKABLE, glass, 0, 0));
    run_ticks(w, 30);
    int32_t body;
    int kind;
    double fig;
    SimBodyState st;
    /* teleport: the centre jumps, the event says how far */
    ENSURE(magic_tick(w, SIM_MAGIC_TELEPORT, box, -1, 0.5));
    CHECK(magic_event(w, &body, &kind, &fig) && body == box && kind == SIM_MAGIC_TELEPORT && fabs(fig - hypot(1, 0.45)) < 0.01);
    sim_world_body(w, box, &st);
    CHECK(fabs(st.x + 1) < 0.01 && st.y > 0.45);
    run_ticks(w, 120);
    /* drift: a velocity change with no push */
    ENSURE(magic_tick(w, SIM_MAGIC_DRIFT, box, 1.0, 0));
    CHECK(count_events(w, SIM_EV_PUSH, -1) == 0);
    sim_world_body(w, box, &st);
    CHECK(st.vx > 0.9);
    /* freeze: stops dead */
    ENSURE(magic_tick(w, SIM_MAGIC_FREEZE, box, 0, 0));
    sim_world_body(w, box, &st);
    CHECK(fabs(st.vx) < 0.05);
    /* a hidden mass change: the world's mass changes, the observation's does not; shown: both */
    float states[8 * SIM_OBS_DIM];
    uint8_t mask[8];
    int32_t ids[8];
    sim_world_body(w, box, &st);
    double m0 = st.mass;
    ENSURE(magic_tick(w, SIM_MAGIC_MASS, box, 10, 0));
    sim_world_body(w, box, &st);
    sim_world_observe(w, states, mask, ids, 8);
    CHECK(fabs(st.mass - 10 * m0) < 1e-9 && fabsf(states[box * SIM_OBS_DIM + SIM_OBS_mass] - (float)m0) < 1e-6f);
    ENSURE(magic_tick(w, SIM_MAGIC_MASS, box, 0.5, 1));
    sim_world_observe(w, states, mask, ids, 8);
    CHECK(fabsf(states[box * SIM_OBS_DIM + SIM_OBS_mass] - (float)(5 * m0)) < 1e-5f);
    sim_world_body(w, glass, &st);
    CHECK(st.alive && !st.broken && st.y < 0.2);
    sim_world_observe(w, states, mask, ids, 8);
    CHECK(states[glass * SIM_OBS_DIM + SIM_OBS_breakable] == 1.0f);   /* it still looks breakable */
    /* ghost: the box falls through the floor; off again, it collides */
    ENSURE(magic_tick(w, SIM_MAGIC_GHOST, box, 1, 0));
    run_ticks(w, 20);
    sim_world_body(w, box, &st);
    CHECK(st.y < -0.1);
    ENSURE(magic_tick(w, SIM_MAGIC_TELEPORT, box, 0, 1.0));
    ENSURE(magic_tick(w, SIM_MAGIC_GHOST, box, 0, 0));
    run_ticks(w, 90);
    sim_world_body(w, box, &st);
    CHECK(fabs(st.y - 0.05) < 0.01);
    /* gravity: the world's gravity and every body's motion follow it */
    ENSURE(magic_tick(w, SIM_MAGIC_GRAVITY, -1, 0, 9.81));
    CHECK(magic_event(w, &body, &kind, &fig) && body == -1 && kind == SIM_MAGIC_GRAVITY);
    CHECK(sim_world_def(w)->gy == 9.81);
    run_ticks(w, 30);
    sim_world_body(w, box, &st);
    CHECK(st.y > 0.5);
    /* appear: the action's def enters; vanish: it leaves without an event that explains it */
    SimAction a, applied;
    sim_action_clear(&a);
    a.spawn = sim_body_def_default();
    snprintf(a.spawn.name, sizeof a.spawn.name, "new");
    a.spawn.y = 3;
    SimMagic m = {.kind = SIM_MAGIC_APPEAR, .body = -1};
    ENSURE(sim_action_add_magic(&a, &m));
    char err[256];
    ENSURE(sim_action_check(&a, err, sizeof err));
    sim_world_act(w, &a, &applied, err, sizeof err);
    int32_t fresh = sim_world_find(w, "new");
    CHECK(fresh >= 0 && magic_event(w, &body, &kind, &fig) && body == fresh && kind == SIM_MAGIC_APPEAR);
    CHECK(applied.nmagic == 1 && applied.magic[0].body == -1 && !strcmp(applied.spawn.name, "new"));
    ENSURE(magic_tick(w, SIM_MAGIC_VANISH, fresh, 0, 0));
    sim_world_body(w, fresh, &st);
    CHECK(!st.alive && !st.broken && !st.out_of_bounds);
    /* refused: a body that is gone, a static one; every refusal is one line */
    CHECK(!magic_tick(w, SIM_MAGIC_FREEZE, fresh, 0, 0));
    CHECK(!magic_tick(w, SIM_MAGIC_DRIFT, 0, 1, 0));
    /* untrusted: unknown kinds, bad numbers, two appears, an appear beside a spawn */
    SimAction b = a;
    b.magic[0].kind = 99;
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "unknown magic kind"));
    b = a;
    b.magic[0] = (SimMagic){.kind = SIM_MAGIC_MASS, .body = 1, .v = {0, 0}};
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "factor"));
    b = a;
    b.magic[0] = (SimMagic){.kind = SIM_MAGIC_TELEPORT, .body = 1, .v = {NAN, 0}};
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "finite"));
    b = a;
    b.flags = SIM_ACT_SPAWN;
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "appear"));
    b = a;
    sim_action_add_magic(&b, &m);
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "appear"));
    b = a;
    b.magic[2].kind = 1;
    CHECK(!sim_action_check(&b, err, sizeof err) && strstr(err, "beyond the count"));
    sim_world_destroy(w);
}

/* magic survives a snapshot: a ghost stays a ghost, a hidden mass stays hidden, and a restored
 * world goes on as the original does */
static void test_magic_snapshot(void) {
    SimWorld* w = world_new(5);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 6, 0.1, true);
    int box = add(w, "box", SIM_KIND_BOX, "wood", 0, 0.5, 0.1, 0.1, false);
    ENSURE(magic_tick(w, SIM_MAGIC_MASS, box, 4, 0));
    ENSURE(magic_tick(w, SIM_MAGIC_GHOST, box, 1, 0));
    ENSURE(magic_tick(w, SIM_MAGIC_GRAVITY, -1, 0, -3));
    SimSnapshot* s = sim_world_snapshot(w);
    run_ticks(w, 60);
    uint64_t h = sim_world_hash(w);
    SimBodyState st;
    sim_world_body(w, box, &st);
    CHECK(st.y < -0.05);   /* through the floor */
    char err[256];
    ENSURE(sim_world_restore(w, s, err, sizeof err));
    run_ticks(w, 60);
    CHECK(sim_world_hash(w) == h);
    float states[4 * SIM_OBS_DIM];
    uint8_t mask[4];
    int32_t ids[4];
    sim_world_observe(w, states, mask, ids, 4);
    sim_world_body(w, box, &st);
    CHECK(fabsf(states[box * SIM_OBS_DIM + SIM_OBS_mass] * 4 - (float)st.mass) < 1e-5f);
    sim_snapshot_free(s);
    sim_world_destroy(w);
}

/* an impact's impulse is not warm started into the next substep: struck through a chain of
 * contacts, bodies leave at the speeds of an inelastic chain, not twice them.
 * - A lever: a 1 m wooden plank on a stone wedge's apex, a 0.12 kg box on its left end, a 6 kg steel
 *   ball dropped 1 m onto its right end. The box must leave at about the lever end's speed (wood on
 *   wood bounces 0.09): 1.02x measured, where warm starting the ball's impact launched it at 1.98x
 *   (world iterations 4 gave 1.00x either way).
 * - A steel ball falling at 1 m/s onto a plank that falls at 2 m/s onto the floor, both landing in
 *   one tick: the plank bounces at wood-on-stone's 0.06 of its 2 m/s (0.10 m/s measured; 0.25
 *   before) and the ball at about steel-on-wood's 0.15 of its 1 m/s (0.15 measured; 0.40 before). */
static void test_chain_impacts_no_energy(void) {
    SimWorld* w = world_new(1);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 9, 0.1, true);
    add(w, "wedge", SIM_KIND_RAMP, "stone", -0.08, 0.1, 0.16, 0.2, true);
    int plank = add(w, "plank", SIM_KIND_PLANK, "wood", 0, 0.2155, 1.0, 0.03, false);
    int box = add(w, "box", SIM_KIND_BOX, "wood", -0.44, 0.2505, 0.05, 0.04, false);
    int ball = add(w, "ball", SIM_KIND_BALL, "steel", 0.43, 1.2, 0.1, 0.1, false);
    SimBodyState b, p, q;
    int launched = -1;
    for (int t = 0; t < 60 && launched < 0; t++) {
        sim_world_tick(w, NULL);
        ENSURE(sim_world_body(w, box, &b) && sim_world_body(w, plank, &p) && sim_world_body(w, ball, &q));
        if (b.vy > 1.0) launched = t;
    }
    ENSURE(launched > 0);   /* the ball fell 1 m onto the plank and the box went up */
    /* the lever's left end (0.44 m left of the apex) rises at |omega| 0.44 m/s */
    double ratio = b.vy / (fabs(p.omega) * 0.44);
    CHECK(p.omega < -5 && ratio > 0.85 && ratio < 1.2);
    sim_world_destroy(w);
    w = world_new(1);
    add(w, "floor", SIM_KIND_BOX, "stone", 0, -0.05, 4, 0.1, true);
    SimBodyDef d = sim_body_def_default();
    d.kind = SIM_KIND_PLANK, d.material = sim_material_find("wood"), d.w = 1.0, d.h = 0.03, d.y = 0.016, d.vy = -2;
    ENSURE(sim_world_add_body(w, &d, NULL, 0) == 1);
    d = sim_body_def_default();
    d.kind = SIM_KIND_BALL, d.material = sim_material_find("steel"), d.w = d.h = 0.08, d.x = 0.3, d.y = 0.075, d.vy = -1;
    ENSURE(sim_world_add_body(w, &d, NULL, 0) == 2);
    sim_world_tick(w, NULL);
    ENSURE(sim_world_body(w, 2, &q) && sim_world_body(w, 1, &p));
    CHECK(q.vy > 0.1 && q.vy < 0.2 && p.vy > 0.05 && p.vy < 0.2);
    sim_world_destroy(w);
}

int main(void) {
    sim_quiet_chipmunk();
    RUN(test_magic);
    RUN(test_magic_snapshot);
    RUN(test_materials);
    RUN(test_observation_layout);
    RUN(test_free_fall_matches_integrator);
    RUN(test_glass_breaks_when_dropped);
    RUN(test_glass_survives_gentle_landing);
    RUN(test_events_rest_fall_bounds);
    RUN(test_determinism_golden_hash);
    RUN(test_chain_impacts_no_energy);
    RUN(test_snapshot_restore);
    RUN(test_grab);
    RUN(test_action);
    RUN(test_body_limit);
    RUN(test_contacts_query);
    RUN(test_bare_loop_is_chipmunk);
    RUN(test_bad_bodies);
    RUN(test_shape_closest_bound);
    RUN(test_obs_shape_matches_world);
    RUN(test_shape_queries);
    RUN(test_shape_penetration);
    RUN(test_shatter_pieces);
    RUN(test_rebound_sweep);
    RUN(test_glass_drop_sweep);
    RUN(test_tunnelling_sweep);
    RUN(test_push_response_every_kind);
    RUN(test_slide_sweep);
    RUN(test_contact_events_per_pair);
    RUN(test_break_rule);
    RUN(test_mass_ratio);
    RUN(test_contact_budget);
    return ensure_finish("test_sim");
}
