/* agent/: scripted timing and order, the random agent's distribution and seeding, overrides */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/episode.h"
#include "agent/plan_cost.h"
#include "agent/planner.h"
#include "agent/episode_feed.h"
#include "agent/episode_export.h"
#include "agent/episode_record.h"
#include "agent/history.h"
#include "agent/imagine.h"
#include "agent/recording.h"
#include "agent/surprise.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/input_file.h"
#include "data/writer.h"
#include "model/dataset.h"
#include "model/jepa.h"
#include "model/jepa_impl.h"
#include "model/nn.h"
#include "model/trainer.h"
#include "ensure.h"
#include "sim/observation.h"

/* runs the script of s (seed 0) for ticks ticks; tape[t] = the action the script sent at tick t */
static void script_run(const char* text, int ticks, SimAction* tape, SimWorld** out) {
    char err[256];
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    if (!s) fprintf(stderr, "%s\n", err);
    ENSURE(s);
    ScnInstance inst;
    ENSURE(scn_instantiate(s, 0, &inst, err, sizeof err));
    SimWorld* w = scn_instance_build(&inst, 0, err, sizeof err);
    ENSURE(w);
    AgentSetup setup = {inst.agent, inst.actions, inst.nactions, NULL, 0, NULL, SIM_OBS_SLOTS, 0, NULL, {0, 0, 0, 0}, false};
    Agent* a = agent_create(&setup, err, sizeof err);
    ENSURE(a);
    ENSURE(agent_scripted(a));
    for (int t = 0; t < ticks; t++) {
        sim_action_clear(&tape[t]);
        agent_script(a, w, &tape[t]);
        sim_world_act(w, &tape[t], NULL, NULL, 0);
    }
    agent_free(a);
    scn_instance_free(&inst);
    scn_free(s);
    *out = w;
}

#define SCRIPT_BODIES "body floor box stone static pos 0 -0.05 size 6 0.1\n" \
                      "body a box wood pos -1 0.05 size 0.1 0.1\n"             \
                      "body b box wood pos 0 0.05 size 0.1 0.1\n"              \
                      "body c box wood pos 1 0.05 size 0.1 0.1\n"

static void test_scripted_order_and_timing(void) {
    /* two lines due at 0.5 go out on successive ticks; 'and' joins pushes into one tick */
    const char* text = SCRIPT_BODIES "at 0.5 push a 0.6 0\n"
                                     "at 0.5 push b -0.3 0 offset 0 0.01\n"
                                     "at 1.0 push a 0 0.2 and push c 0.1 0 and push b 0 0.1\n";
    SimAction tape[120];
    SimWorld* w;
    script_run(text, 120, tape, &w);
    int fired = 0;
    for (int t = 0; t < 120; t++) {
        if (!tape[t].npushes) continue;
        fired++;
        if (t == 30) ENSURE(tape[t].npushes == 1 && tape[t].pushes[0].body == 1 && tape[t].pushes[0].jx == 0.6);
        else if (t == 31) ENSURE(tape[t].npushes == 1 && tape[t].pushes[0].body == 2 && tape[t].pushes[0].py == 0.01);
        else if (t == 60) ENSURE(tape[t].npushes == 3 && tape[t].pushes[0].body == 1 && tape[t].pushes[1].body == 3 &&
                                 tape[t].pushes[2].body == 2);
        else ENSURE(!"a push at an unexpected tick");
    }
    ENSURE(fired == 3);
    sim_world_destroy(w);
}

/* spawns, and pushes and grabs of a body spawned that very tick; grab key frames interpolate
 * linearly tick by tick, then hold; a release ends the hold; a piece of a broken body is named */
static void test_scripted_spawn_grab_release(void) {
    const char* text = SCRIPT_BODIES "at 0.1 spawn s ball rubber pos 0 1 radius 0.05\n"
                                     "at 0.1 push s 0.01 0\n"
                                     "at 0.1 grab s 0 1 anchor 0.01 0\n"
                                     "at 0.2 grab s 0.3 1.3\n"
                                     "at 0.5 release s\n"
                                     "at 0.6 grab a -1 0.5\n"
                                     "at 0.7 release b\n"       /* not held: nothing */
                                     "at 0.8 release a\n";
    SimAction tape[60];
    SimWorld* w;
    script_run(text, 60, tape, &w);
    int32_t s = sim_world_find(w, "s");
    ENSURE(s == 4);
    ENSURE(tape[6].flags & SIM_ACT_SPAWN && !strcmp(tape[6].spawn.name, "s"));
    ENSURE(tape[6].npushes == 1 && tape[6].pushes[0].body == 4);
    /* key frames at ticks 6 (0, 1) and 12 (0.3, 1.3): tick 9 is half way */
    for (int t = 6; t < 30; t++) {
        ENSURE(tape[t].flags & SIM_ACT_GRAB);
        ENSURE(tape[t].grab.body == 4 && tape[t].grab.anchor[0] == 0.01);
    }
    ENSURE(tape[6].grab.target[0] == 0 && tape[6].grab.target[1] == 1);
    ENSURE_NEAR(tape[9].grab.target[0], 0.15, 1e-12);
    ENSURE_NEAR(tape[9].grab.target[1], 1.15, 1e-12);
    ENSURE(tape[12].grab.target[0] == 0.3 && tape[20].grab.target[0] == 0.3 && tape[29].grab.target[1] == 1.3);
    ENSURE((tape[30].flags & (SIM_ACT_GRAB | SIM_ACT_RELEASE)) == SIM_ACT_RELEASE);
    ENSURE(!(tape[31].flags & SIM_ACT_GRAB));
    ENSURE(tape[36].flags & SIM_ACT_GRAB && tape[36].grab.body == 1 && tape[36].grab.anchor[0] == 0);
    ENSURE(tape[42].flags & SIM_ACT_GRAB && !(tape[42].flags & SIM_ACT_RELEASE));
    ENSURE(tape[48].flags & SIM_ACT_RELEASE && !(tape[49].flags & SIM_ACT_GRAB));
    ENSURE(!sim_world_grabbed(w, NULL));
    sim_world_destroy(w);

    /* a piece: the glass falls and breaks; then the script pushes its piece 0 by name */
    const char* glass = "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                        "body glass cup glass pos 0 1.5 size 0.08 0.12\n"
                        "at 1.5 push glass/0 0.002 0\n";
    SimAction tape2[100];
    script_run(glass, 100, tape2, &w);
    int32_t piece = sim_world_find(w, "glass#0");
    ENSURE(piece > 1);
    ENSURE(tape2[90].npushes == 1 && tape2[90].pushes[0].body == piece);
    sim_world_destroy(w);
}

/* expectations on a spawned body and on the pieces of a broken one watch them once they appear */
static void test_checker_spawned_and_pieces(void) {
    const char* text = "world seconds 3\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body box box wood pos 1 0.05 size 0.1 0.1\n"
                       "at 0.2 spawn g cup glass pos 0 1.5 size 0.08 0.12\n"
                       "expect event break g between 0.3 1.5\n"        /* 0 pass */
                       "expect no event break box\n"                   /* 1 pass */
                       "expect at 2.5 g/0.y < 0.2\n"                   /* 2 pass */
                       "expect event fall g/9 before 3\n"              /* 3 fail: never appears */
                       "expect never g/9 alive\n"                      /* 4 pass: vacuous */
                       "expect at 0.1 g alive\n"                       /* 5 fail: not there yet */
                       "expect by 0.5 g.y < 1.4\n";                   /* 6 pass */
    char err[256];
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, 16, err, sizeof err));
    ScnChecker* c = scn_checker_create(s, &e.inst, e.world);
    for (int t = 0; t < 180; t++) {
        episode_tick(&e, NULL);
        scn_checker_observe(c, e.world);
    }
    ScnVerdict v[8];
    ENSURE(scn_checker_finish(c, v, 8) == 7);
    bool want[7] = {true, true, true, false, true, false, true};
    for (int i = 0; i < 7; i++) {
        if (v[i].pass != want[i]) fprintf(stderr, "%s -- %s\n", v[i].text, v[i].detail);
        ENSURE(v[i].pass == want[i]);
    }
    ENSURE(strstr(v[3].detail, "g/9 never appeared"));
    ENSURE(strstr(v[5].detail, "g not in the world yet at 0.1"));
    scn_checker_free(c);
    episode_end(&e);
    scn_free(s);
}

/* the agent's state can be saved and put back: the same pushes follow */
static void test_agent_state(void) {
    ScnAgentDef def = scn_agent_def_default();
    def.kind = SCN_AGENT_RANDOM;
    def.every_lo = 0.1, def.every_hi = 0.2;
    AgentSetup setup = {def, NULL, 0, NULL, 0, NULL, 2, 3, NULL, {0, 0, 0, 0}, false};
    char err[256];
    Agent* a = agent_create(&setup, err, sizeof err);
    ENSURE(a);
    float s[2 * SIM_OBS_DIM] = {0};
    uint8_t mask[2] = {1, 1};
    int32_t ids[2] = {0, 1};
    s[SIM_OBS_mass] = s[SIM_OBS_DIM + SIM_OBS_mass] = 1;
    SimPush p, q;
    for (int t = 0; t < 30; t++) agent_act(a, NULL, t / 60.0, s, mask, ids, 2, &p);
    AgentState st;
    agent_state_save(a, &st);
    double first[2] = {0, 0};
    int n = 0;
    for (int t = 30; t < 200 && n < 2; t++)
        if (agent_act(a, NULL, t / 60.0, s, mask, ids, 2, &p)) first[n++] = p.jx;
    ENSURE(n == 2);
    agent_state_load(a, &st);
    n = 0;
    for (int t = 30; t < 200 && n < 2; t++)
        if (agent_act(a, NULL, t / 60.0, s, mask, ids, 2, &q)) ENSURE(q.jx == first[n++]);
    ENSURE(n == 2);
    agent_free(a);
}

static int random_run(uint64_t seed, SimPush* pushes, double* times, int cap) {
    ScnAgentDef def = scn_agent_def_default();
    def.kind = SCN_AGENT_RANDOM;
    def.every_lo = 0.2;
    def.every_hi = 0.4;
    def.dv_lo = 1.0;
    def.dv_hi = 2.0;
    def.start = 0.1;
    AgentSetup setup = {def, NULL, 0, NULL, 0, NULL, 4, seed, NULL, {0, 0, 0, 0}, false};
    char err[256];
    Agent* a = agent_create(&setup, err, sizeof err);
    ENSURE(a);
    /* slot 0 static (table), slots 1 and 3 dynamic with different masses, slot 2 empty */
    float s[4 * SIM_OBS_DIM] = {0};
    uint8_t mask[4] = {1, 1, 0, 1};
    int32_t ids[4] = {0, 1, -1, 3};
    s[0 * SIM_OBS_DIM + SIM_OBS_is_static] = 1;
    s[1 * SIM_OBS_DIM + SIM_OBS_mass] = 0.5f;
    s[1 * SIM_OBS_DIM + SIM_OBS_size_h] = 0.1f;
    s[3 * SIM_OBS_DIM + SIM_OBS_mass] = 2.0f;
    s[3 * SIM_OBS_DIM + SIM_OBS_size_h] = 0.2f;
    int n = 0;
    for (int t = 0; t < 600 && n < cap; t++) {
        if (agent_act(a, NULL, t / 60.0, s, mask, ids, 4, &pushes[n])) times[n++] = t / 60.0;
    }
    for (int i = 0; i < n; i++) {
        const SimPush* p = &pushes[i];
        ENSURE(p->body == 1 || p->body == 3);
        float m = s[p->body * SIM_OBS_DIM + SIM_OBS_mass], h = s[p->body * SIM_OBS_DIM + SIM_OBS_size_h];
        double dv = hypot(p->jx, p->jy) / m;
        ENSURE(dv >= 1.0 - 1e-6 && dv <= 2.0 + 1e-6);
        ENSURE(fabs(atan2(p->jy, fabs(p->jx))) <= 20 * M_PI / 180 + 1e-9);
        ENSURE(fabs(p->py) <= 0.5 * 0.5 * h + 1e-7 && p->px == 0);
        if (i > 0) ENSURE(times[i] - times[i - 1] >= 0.2 - 1e-9 && times[i] - times[i - 1] <= 0.4 + 1 / 60.0 + 1e-9);
    }
    ENSURE(times[0] >= 0.3 - 1e-9);
    agent_free(a);
    return n;
}

static bool same_pushes(const SimPush* a, const SimPush* b, int n) {
    for (int i = 0; i < n; i++)
        if (a[i].body != b[i].body || a[i].jx != b[i].jx || a[i].jy != b[i].jy || a[i].px != b[i].px || a[i].py != b[i].py)
            return false;
    return true;
}

static void test_random_distribution_and_seed(void) {
    SimPush a[64], b[64], c[64];
    double ta[64], tb[64], tc[64];
    int na = random_run(5, a, ta, 64), nb = random_run(5, b, tb, 64), nc = random_run(6, c, tc, 64);
    ENSURE(na >= 25 && na <= 50);  /* 10 s at one push per 0.2-0.4 s */
    ENSURE(na == nb && same_pushes(a, b, na));
    ENSURE(nc != na || !same_pushes(a, c, na));
    int left = 0, right = 0, heavy = 0;
    for (int i = 0; i < na; i++) {
        left += a[i].jx < 0;
        right += a[i].jx > 0;
        heavy += a[i].body == 3;
    }
    ENSURE(left > 0 && right > 0 && heavy > 0 && heavy < na);
}

static void test_override_and_ranges(void) {
    double r[2];
    ENSURE(agent_parse_range("0.1,0.5", 10, r) && r[0] == 0.1 && r[1] == 0.5);
    ENSURE(!agent_parse_range("0.5,0.1", 10, r));
    ENSURE(!agent_parse_range("-1,2", 10, r));
    ENSURE(!agent_parse_range("1,20", 10, r));
    ENSURE(!agent_parse_range("1", 10, r));
    ENSURE(!agent_parse_range("1,2,3", 10, r));
    ENSURE(!agent_parse_range("nan,1", 10, r));
    ENSURE(!agent_parse_range("0x1,2", 10, r) && !agent_parse_range(" 1,2", 10, r) && !agent_parse_range("1, 2", 10, r));
    ScnAgentDef def = scn_agent_def_default();
    AgentOverride o = agent_override_none();
    ScnAgentDef kept = def;
    agent_override_apply(&o, &def);
    ENSURE(memcmp(&kept, &def, sizeof def) == 0);
    o.kind = SCN_AGENT_RANDOM;
    o.dv[0] = 3;
    o.dv[1] = 4;
    agent_override_apply(&o, &def);
    ENSURE(def.kind == SCN_AGENT_RANDOM && def.dv_lo == 3 && def.dv_hi == 4 && def.every_lo == kept.every_lo);
    ENSURE(def.dv_given);
    ENSURE(agent_kind_find("random") == SCN_AGENT_RANDOM && agent_kind_find("sleepy") == -1);
    ENSURE(agent_kind_find("planner") == SCN_AGENT_PLANNER && agent_kind_find("oracle") == SCN_AGENT_ORACLE);
    /* planner knobs; a planner explored by gen becomes a random agent with its kind of pushes */
    AgentOverride k = agent_override_none();
    k.samples = 32, k.iters = 2, k.horizon = 12, k.replan = 3, k.pushes = 4, k.impulse = 0.7, k.push_cost = 0.5;
    ScnAgentDef pd = scn_agent_def_default();
    pd.kind = SCN_AGENT_PLANNER;
    pd.elites = 100;
    agent_override_apply(&k, &pd);
    ENSURE(pd.samples == 32 && pd.iters == 2 && pd.horizon == 12 && pd.replan == 3 && pd.pushes == 4);
    ENSURE(pd.impulse == 0.7 && pd.push_cost == 0.5 && pd.elites == 0);   /* elites beyond samples: default */
    AgentOverride ex = agent_override_none();
    ex.explore = true;
    agent_override_apply(&ex, &pd);
    ENSURE(pd.kind == SCN_AGENT_RANDOM && pd.pushes == 0 && pd.impulse == 0.7 && !pd.dv_given);
    ENSURE(pd.angle_deg == 45 && pd.height_frac == 1.0);
}

/* a random agent with an impulse limit and a budget: at most `pushes` pushes; without dv, |J| is
 * uniform up to the limit whatever the mass; with dv, mass * dv capped at the limit */
static void test_random_budget_and_impulse(void) {
    float s[2 * SIM_OBS_DIM] = {0};
    uint8_t mask[2] = {1, 1};
    int32_t ids[2] = {0, 1};
    s[0 * SIM_OBS_DIM + SIM_OBS_mass] = 5.0f;    /* heavy: mass * dv would exceed the limit */
    s[1 * SIM_OBS_DIM + SIM_OBS_mass] = 0.01f;   /* light: mass * dv far below it */
    for (int with_dv = 0; with_dv < 2; with_dv++) {
        ScnAgentDef def = scn_agent_def_default();
        def.kind = SCN_AGENT_RANDOM;
        def.every_lo = def.every_hi = 0.05;
        def.impulse = 0.4;
        def.pushes = with_dv ? 0 : 7;
        def.dv_given = with_dv;
        AgentSetup setup = {def, NULL, 0, NULL, 0, NULL, 2, 9, NULL, {0, 0, 0, 0}, false};
        char err[256];
        Agent* a = agent_create(&setup, err, sizeof err);
        ENSURE(a);
        int n = 0, light_small = 0;
        double lo = 1e9, hi = 0;
        for (int t = 0; t < 600; t++) {
            SimPush p;
            if (!agent_act(a, NULL, t / 60.0, s, mask, ids, 2, &p)) continue;
            double j = hypot(p.jx, p.jy);
            ENSURE(j <= 0.4 + 1e-12);
            if (with_dv && p.body == 1) light_small += j <= 0.01 * 2.0 + 1e-12;
            lo = fmin(lo, j), hi = fmax(hi, j);
            n++;
        }
        if (!with_dv) ENSURE(n == 7 && lo >= 0.05 * 0.4 - 1e-12 && hi > 0.2);
        else ENSURE(n > 100 && light_small > 0 && fabs(hi - 0.4) < 1e-12);
        agent_free(a);
    }
}

/* a push's point lies within the body as it lies: planner_push_reach gives a body's half extents
 * along the world's axes at its angle (a 7 mm x 53 mm shard on its side: 26.5 mm across, 3.5 mm up;
 * upright, the other way round; at 45 degrees both 21.2 mm), and the random agent, pushing anywhere
 * along a body's height (height 1), keeps |py| within 3.5 mm on the shard lying on its side, where
 * it reached 26 mm above it before, and reaches past 3 mm (the whole height is used) */
static void test_push_within_body(void) {
    const double pi = 3.14159265358979323846;
    double hx, hy;
    planner_push_reach(0.007, 0.053, cos(pi / 2), sin(pi / 2), &hx, &hy);
    ENSURE(fabs(hx - 0.0265) < 1e-9 && fabs(hy - 0.0035) < 1e-9);
    planner_push_reach(0.007, 0.053, 1.0, 0.0, &hx, &hy);
    ENSURE(hx == 0.5 * 0.007 && hy == 0.5 * 0.053);
    planner_push_reach(0.007, 0.053, cos(-3 * pi / 4), sin(-3 * pi / 4), &hx, &hy);
    ENSURE(fabs(hx - 0.030 / sqrt(2.0)) < 1e-9 && fabs(hy - 0.030 / sqrt(2.0)) < 1e-9);
    float s[SIM_OBS_DIM] = {0};
    uint8_t mask[1] = {1};
    int32_t ids[1] = {0};
    sim_obs_set_motion(s, 0.0f, 0.0035f, (float)(pi / 2), 0, 0, 0);
    s[SIM_OBS_kind_shard] = 1, s[SIM_OBS_size_w] = 0.007f, s[SIM_OBS_size_h] = 0.053f, s[SIM_OBS_mass] = 0.076f;
    ScnAgentDef def = scn_agent_def_default();
    def.kind = SCN_AGENT_RANDOM;
    def.every_lo = def.every_hi = 0.05;
    def.impulse = 1.5;
    def.height_frac = 1.0;
    AgentSetup setup = {def, NULL, 0, NULL, 0, NULL, 1, 9, NULL, {0, 0, 0, 0}, false};
    char err[256];
    Agent* a = agent_create(&setup, err, sizeof err);
    ENSURE(a);
    int n = 0;
    double most = 0;
    for (int t = 0; t < 600; t++) {
        SimPush p;
        if (!agent_act(a, NULL, t / 60.0, s, mask, ids, 1, &p)) continue;
        ENSURE(p.px == 0.0 && fabs(p.py) <= 0.0035 + 1e-7);
        most = fmax(most, fabs(p.py));
        n++;
    }
    ENSURE(n > 100 && most > 0.003);
    agent_free(a);
}

static void test_episode_pushes_reach_the_world(void) {
    char err[256];
    const char* text = "world seconds 2\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body box box wood pos 0 0.0505 size 0.1 0.1\n"
                       "at 0.5 push box 0.6 0\n";
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, 8, err, sizeof err));
    int pushes = 0;
    for (int t = 0; t < 60; t++) {
        episode_tick(&e, NULL);
        if (e.applied.npushes) {
            pushes++;
            ENSURE_NEAR(sim_world_time(e.world), 0.5 + 1 / 60.0, 1e-9);
            ENSURE(e.applied.npushes == 1 && e.applied.pushes[0].body == 1);
        }
    }
    ENSURE(pushes == 1);
    SimBodyState b;
    sim_world_body(e.world, 1, &b);
    ENSURE(b.x > 0.01);
    episode_end(&e);
    /* --agent none silences the script */
    ENSURE(episode_begin(&e, s, 0, SCN_AGENT_NONE, 8, err, sizeof err));
    for (int t = 0; t < 60; t++) {
        episode_tick(&e, NULL);
        ENSURE(sim_action_is_empty(&e.applied));
    }
    episode_end(&e);
    scn_free(s);
}

/* the hook sees the observation from the start of the tick, the applied action and the world after */
typedef struct Watch {
    int     calls, resets;
    float   before[8 * SIM_OBS_DIM];
    bool    obs_ok;
    SimAction last;
} Watch;

static void watch_tick(void* ctx, const Episode* e) {
    Watch* w = ctx;
    w->calls++;
    w->last = e->applied;
    if (e->applied.flags & SIM_ACT_RESET) w->resets++;
    else w->obs_ok = w->obs_ok && memcmp(w->before, e->states, sizeof w->before) == 0;
}

static const char* loop_text = "world seconds 4\n"
                               "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                               "body box box wood pos 0 0.0505 size 0.1 0.1\n"
                               "body glass cup glass pos 0.5 0.06 size 0.08 0.12\n"
                               "at 0.5 push box 0.6 0\n";

static void test_episode_merge_and_hooks(void) {
    char err[256];
    Scenario* s = scn_parse(loop_text, strlen(loop_text), "mem.scn", err, sizeof err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, 8, err, sizeof err));
    Watch w = {0};
    w.obs_ok = true;
    ENSURE(episode_attach(&e, watch_tick, &w, EPISODE_READS_OBS));
    /* a person's push at the tick the script pushes goes with it, the person's first */
    SimAction ext;
    SimPush mine = {.body = 2, .jx = 0.01};
    for (int t = 0; t < 40; t++) {
        sim_world_observe(e.world, w.before, (uint8_t[8]){0}, (int32_t[8]){0}, 8);
        sim_action_clear(&ext);
        bool due = t == 30;   /* the tick starting at t = 0.5 s */
        if (due) sim_action_add_push(&ext, &mine);
        episode_tick(&e, &ext);
        if (due) ENSURE(e.applied.npushes == 2 && e.applied.pushes[0].body == 2 && e.applied.pushes[1].body == 1);
        else ENSURE(e.applied.npushes == 0);
    }
    ENSURE(w.calls == 40 && w.obs_ok && w.resets == 0);
    /* when the person's pushes fill the action, the script's push waits for the next tick */
    episode_tick(&e, (SimAction[]){episode_reset_action(0)});
    for (int t = 0; t < 32; t++) {
        sim_action_clear(&ext);
        if (t == 30)
            for (int k = 0; k < SIM_ACTION_PUSHES; k++) sim_action_add_push(&ext, &mine);
        episode_tick(&e, &ext);
        if (t == 30) ENSURE(e.applied.npushes == SIM_ACTION_PUSHES && e.applied.pushes[7].body == 2);
        if (t == 31) ENSURE(e.applied.npushes == 1 && e.applied.pushes[0].body == 1);
    }
    ENSURE(w.resets == 1);
    w.calls = 40;
    /* a refused part is left out of what was applied, with the reason */
    SimPush dead = {.body = 7, .jx = 0.1};
    sim_action_clear(&ext);
    sim_action_add_push(&ext, &dead);
    episode_tick(&e, &ext);
    ENSURE(e.applied.npushes == 0 && strstr(e.refused, "push on body 7"));
    /* while a hand holds the box, the agent is not asked */
    sim_action_clear(&ext);
    ext.flags = SIM_ACT_GRAB;
    ext.grab.body = 1;
    ext.grab.target[1] = 0.3;
    episode_tick(&e, &ext);
    ENSURE(e.applied.flags == SIM_ACT_GRAB && e.refused[0] == 0);
    for (int t = 0; t < 10; t++) {
        episode_tick(&e, NULL);
        ENSURE(e.applied.npushes == 0 && sim_world_grabbed(e.world, NULL));
    }
    /* a reset restarts the scenario with its seed and steps nothing; the script runs again */
    SimAction r = episode_reset_action(42);
    episode_tick(&e, &r);
    ENSURE(w.resets == 2 && w.last.flags == SIM_ACT_RESET && w.last.reset_seed == 42);
    ENSURE(e.seed == 42 && sim_world_time(e.world) == 0 && !sim_world_grabbed(e.world, NULL));
    int pushes = 0;
    for (int t = 0; t < 40; t++) {
        episode_tick(&e, NULL);
        pushes += e.applied.npushes;
    }
    ENSURE(pushes == 1);
    episode_end(&e);
    scn_free(s);
}

/* what a recorder copies from `applied` replays the run: same world, tick for tick */
static void test_episode_record_replay(void) {
    char err[256];
    const char* text = "world seconds 4\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body table box wood static pos 0 0.35 size 1.2 0.1\n"
                       "body box box wood pos -0.3 0.45 size 0.1 0.1\n"
                       "body glass cup glass pos 0.3 0.46 size 0.08 0.12\n"
                       "agent random every 0.2 0.4\n";
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    ENSURE(s);
    enum { TICKS = 400 };
    static SimAction tape[TICKS];
    static uint64_t hashes[TICKS];
    Episode e;
    ENSURE(episode_begin(&e, s, 5, -1, 16, err, sizeof err));
    int kinds = 0;
    for (int t = 0; t < TICKS; t++) {
        SimAction ext;
        sim_action_clear(&ext);
        if (t >= 50 && t < 90) {   /* a hand lifts the box and lets go */
            ext.flags = SIM_ACT_GRAB;
            ext.grab.body = 2;
            ext.grab.target[0] = -0.3 + 0.01 * (t - 50);
            ext.grab.target[1] = 0.8;
        }
        if (t == 90) ext.flags = SIM_ACT_RELEASE;
        if (t == 120) {
            ext.flags = SIM_ACT_SPAWN;
            ext.spawn = sim_body_def_default();
            ext.spawn.x = 0.1, ext.spawn.y = 1.0;
        }
        if (t == 250) ext = episode_reset_action(9);
        episode_tick(&e, &ext);
        tape[t] = e.applied;
        hashes[t] = sim_world_hash(e.world);
        kinds |= (int)e.applied.flags | (e.applied.npushes ? 0x100 : 0);
    }
    ENSURE(kinds == (SIM_ACT_GRAB | SIM_ACT_RELEASE | SIM_ACT_SPAWN | SIM_ACT_RESET | 0x100));
    episode_end(&e);
    /* replay: no agent, the tape as the external action */
    ENSURE(episode_begin(&e, s, 5, SCN_AGENT_NONE, 16, err, sizeof err));
    for (int t = 0; t < TICKS; t++) {
        ENSURE(sim_action_check(&tape[t], err, sizeof err));
        episode_tick(&e, &tape[t]);
        ENSURE(memcmp(&e.applied, &tape[t], sizeof tape[t]) == 0);
        ENSURE(sim_world_hash(e.world) == hashes[t]);
    }
    episode_end(&e);
    scn_free(s);
}

/* the feed gives the trainer one transition per tick, none while a hand moves a body */
static void test_episode_feed(void) {
    char err[256];
    Scenario* s = scn_parse(loop_text, strlen(loop_text), "mem.scn", err, sizeof err);
    ENSURE(s);
    WmTrainerDef def = wm_trainer_def_default(8);
    def.val_every = 0;
    WmTrainer* tr = wm_trainer_create(&def, NULL);
    ENSURE(tr);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, 8, err, sizeof err));
    EpisodeFeed f;
    memset(&f, 0, sizeof f);
    Episode wrong;
    ENSURE(episode_begin(&wrong, s, 0, -1, 16, err, sizeof err));
    ENSURE(!episode_feed_attach(&f, &wrong, tr, NULL, 0));   /* 16 slots, the model has 8 */
    episode_end(&wrong);
    ENSURE(episode_feed_attach(&f, &e, tr, NULL, 0));
    for (int t = 0; t < 100; t++) episode_tick(&e, NULL);
    ENSURE(f.fed == 100);
    SimAction grab;
    sim_action_clear(&grab);
    grab.flags = SIM_ACT_GRAB;
    grab.grab.body = 1;
    grab.grab.target[1] = 0.4;
    for (int t = 0; t < 20; t++) episode_tick(&e, &grab);
    SimAction rel;
    sim_action_clear(&rel);
    rel.flags = SIM_ACT_RELEASE;
    episode_tick(&e, &rel);
    ENSURE(f.fed == 100);
    for (int t = 0; t < 50; t++) episode_tick(&e, NULL);
    ENSURE(f.fed == 150);
    /* transitions become trainable once their labels' horizon has passed */
    WmTrainerStats st;
    wm_trainer_stats(tr, &st);
    ENSURE(st.transitions > 50 && st.transitions < 150);
    episode_end(&e);
    episode_feed_free(&f);
    wm_trainer_free(tr);
    scn_free(s);
}

/* every trainable transition of a replay buffer, in order */
static WmTransitions sweep_all(const WmReplay* r) {
    WmTransitions t;
    wm_transitions_init(&t, (int)wm_replay_size(r), 16, SIM_OBS_DIM, 0);
    int64_t cur = 0;
    ENSURE(wm_replay_sweep(r, &cur, t.cap, &t) == (int)wm_replay_ready(r));
    return t;
}

/* One labelling rule (model/replay.h): a dataset written by nudge gen's recorder and read back,
 * and the live trainer fed by the episode loop, label the same transitions of the same seed alike */
static void test_labels_dataset_vs_live(void) {
    char err[512];
    const char* text = "world seconds 3\n"
                       "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                       "body table box wood static pos 0 0.375 size 1.2 0.75\n"
                       "body box box wood pos -0.3 0.8005 size 0.1 0.1\n"
                       "body glass cup glass pos 0.5 0.8105 size 0.08 0.12\n"
                       "agent random every 0.3 0.6\n";
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    ENSURE(s);
    enum { K = 16, TICKS = 180, T = TICKS + 1 };
    const uint64_t seed = 1;    /* pushes the glass off the table: it falls and breaks at 1.19 s */

    /* offline: the recorder nudge gen runs, a one-episode dataset written and loaded back */
    char dir[] = "/tmp/nudge-test-labels-XXXXXX";
    ENSURE(mkdtemp(dir));
    ENSURE(remove_tree(dir));
    DataManifest m;
    memset(&m, 0, sizeof m);
    m.version = DATA_FORMAT_VERSION;
    m.has_inputs = true;
    m.inputs.scenarios = calloc(1, sizeof *m.inputs.scenarios);
    m.inputs.scenarios[0].path = strdup("mem.scn");
    m.inputs.nscenarios = 1;
    m.inputs.episodes = 1;
    m.inputs.seconds = 3;
    m.inputs.seed = seed;
    snprintf(m.inputs.agent, sizeof m.inputs.agent, "scenario");
    m.inputs.stride = 1;
    m.inputs.push_every[0] = m.inputs.push_every[1] = m.inputs.push_dv[0] = m.inputs.push_dv[1] = -1;
    m.inputs.per_shard = 1;
    m.inputs.slots = K;
    m.inputs.format_version = DATA_FORMAT_VERSION;
    m.scenarios = calloc(1, sizeof *m.scenarios);
    m.scenarios[0].path = strdup("mem.scn");
    m.nscenarios = 1;
    m.dims.records = T;
    m.dims.slots = K;
    m.dims.dim = SIM_OBS_DIM;
    m.episodes = 1;
    m.per_shard = 1;
    m.shard_count = 1;
    m.seed = seed;
    m.seconds = 3;
    m.dt = 1 / 120.0;
    m.steps_per_tick = 2;
    m.tick = 1 / 60.0;
    m.control_ticks = TICKS;
    m.stride = 1;
    DataWriter w;
    data_writer_init(&w, &m);
    ENSURE(data_writer_prepare(&w, dir, false, false, err, sizeof err));
    DataEpisodeBuf* buf = data_episode_buf_new(&w);
    DataShardOut* out = data_shard_out_open(&w, 0, err, sizeof err);
    ENSURE(buf && out);
    DataSlot slot;
    data_episode_buf_slot(buf, &slot);
    EpisodeRecordSpec spec;
    memset(&spec, 0, sizeof spec);
    spec.ticks = TICKS;
    spec.stride = 1;
    spec.records = T;
    spec.slots = K;
    spec.agent = agent_override_none();
    *slot.scenario = 0;
    *slot.seed = seed;
    ENSURE(episode_record_run(s, NULL, seed, 0, &spec, &slot, NULL, err, sizeof err));
    /* the scene does what the test needs: the glass falls and breaks, its shards fall too */
    int breaks = 0, falls = 0, break_tick = -1;
    for (int i = 0; i < slot.nevents; i++) {
        if (slot.events[i].type == SIM_EV_BREAK) breaks++, break_tick = slot.events[i].tick;
        falls += slot.events[i].type == SIM_EV_FALL;
    }
    ENSURE(breaks == 1 && falls >= 2 && break_tick > 40);
    ENSURE(data_shard_out_put(out, 0, &slot, err, sizeof err));
    ENSURE(data_shard_out_finish(&w, out, true, err, sizeof err));
    data_episode_buf_free(buf);
    data_writer_free(&w);
    WmDataset* d = wm_dataset_load(dir, err, sizeof err);
    ENSURE(d && d->episodes == 1 && d->ticks == T);
    WmReplay* offline = wm_replay_create(K, SIM_OBS_DIM, 4 * T);
    wm_dataset_fill(d, offline, 0, 1);

    /* live: the episode loop feeding a trainer, one tick more so that it sees the last record */
    WmTrainerDef def = wm_trainer_def_default(K);
    def.val_every = 0;
    WmTrainer* tr = wm_trainer_create(&def, NULL);
    Episode e;
    ENSURE(episode_begin(&e, s, seed, -1, K, err, sizeof err));
    EpisodeFeed f;
    memset(&f, 0, sizeof f);
    ENSURE(episode_feed_attach(&f, &e, tr, NULL, 0));
    for (int t = 0; t < T; t++) episode_tick(&e, NULL);
    wm_trainer_begin_episode(tr);   /* the episode ends: every label is complete */
    WmTransitions a = sweep_all(offline), b = sweep_all(wm_trainer_replay(tr));
    ENSURE(a.n == T - 1 && b.n == T - 1);
    size_t ks = (size_t)a.n * K;
    ENSURE(memcmp(a.s0, b.s0, sizeof(float) * ks * SIM_OBS_DIM) == 0);
    ENSURE(memcmp(a.s1, b.s1, sizeof(float) * ks * SIM_OBS_DIM) == 0);
    ENSURE(memcmp(a.labels, b.labels, sizeof(float) * ks * WM_EVENTS) == 0);
    /* and the rule itself: the break between records r and r + 1 is "within 30 ticks" of the
       transitions r - 29 .. r, not of r - 30 */
    int glass = 3;
    ENSURE(a.labels[((size_t)break_tick * K + glass) * WM_EVENTS + WM_EVENT_BREAK] == 1.0f);
    ENSURE(a.labels[((size_t)(break_tick - WM_EVENT_HORIZON + 1) * K + glass) * WM_EVENTS + WM_EVENT_BREAK] == 1.0f);
    ENSURE(a.labels[((size_t)(break_tick - WM_EVENT_HORIZON) * K + glass) * WM_EVENTS + WM_EVENT_BREAK] == 0.0f);
    ENSURE(break_tick + 1 >= T || a.labels[((size_t)(break_tick + 1) * K + glass) * WM_EVENTS + WM_EVENT_BREAK] == 0.0f);
    wm_transitions_free(&a);
    wm_transitions_free(&b);
    episode_end(&e);
    episode_feed_free(&f);
    wm_trainer_free(tr);
    wm_replay_free(offline);
    wm_dataset_free(d);
    ENSURE(remove_tree(dir));
    scn_free(s);
}

/* ---- history, recordings, scenarios written from episodes ---- */

static const char* table_text = "world seconds 8\n"
                                "world bounds -3 -1 3 4\n"
                                "body floor box stone static pos 0 -0.05 size 6 0.1\n"
                                "body table box wood static pos 0 0.375 size 1.2 0.75\n"
                                "body glass cup glass pos 0.35 0.811 size 0.08 0.12\n"
                                "body glass2 cup glass pos -0.1 0.811 size 0.08 0.12\n"
                                "body box box wood pos -0.3 0.80 size 0.1 0.1\n"
                                "agent random every 0.3 0.8 dv 0.3 2.0\n";

/* a person's hand at tick t of the scripted interventions below: grab the box, carry it along a
 * wobbly path (resting still half of the time), let go; spawn a ball and push it in the same tick;
 * push two bodies in one tick; push a piece of the broken glass */
static SimAction person(const SimWorld* w, int t) {
    SimAction a;
    sim_action_clear(&a);
    if (t >= 40 && t < 100) {
        a.flags = SIM_ACT_GRAB;
        a.grab.body = 4;
        a.grab.anchor[0] = 0.01, a.grab.anchor[1] = 0.02;
        double u = t < 70 ? (t - 40) : 30;   /* moves, then holds still */
        a.grab.target[0] = -0.3 + 0.013 * u + (t < 70 ? 0.002 * sin(t) : 0);
        a.grab.target[1] = 0.9 + 0.05 * sin(0.3 * u);
    }
    if (t == 100) a.flags = SIM_ACT_RELEASE;
    if (t == 110) {
        a.flags = SIM_ACT_SPAWN;
        a.spawn = sim_body_def_default();
        a.spawn.kind = SIM_KIND_BALL, a.spawn.w = a.spawn.h = 0.08;
        snprintf(a.spawn.name, sizeof a.spawn.name, "ball1");
        a.spawn.x = 0.1, a.spawn.y = 1.2;
        SimPush p = {.body = sim_world_id_count(w), .jx = 0.01};
        sim_action_add_push(&a, &p);
    }
    if (t == 130) {
        SimPush p = {.body = 2, .jx = 0.03, .py = -0.02}, q = {.body = 4, .jx = -0.02};
        sim_action_add_push(&a, &p);
        sim_action_add_push(&a, &q);
    }
    if (t == 150) {
        a.flags = SIM_ACT_SPAWN;   /* an anonymous spawn: the scenario names it */
        a.spawn = sim_body_def_default();
        a.spawn.x = -0.5, a.spawn.y = 1.3, a.spawn.angle = 0.3;
    }
    if (t == 160) {
        SimPush p = {.body = 2, .jx = 1.2};   /* the glass off the table: it breaks */
        sim_action_add_push(&a, &p);
    }
    int32_t piece = sim_world_find(w, "glass#1");
    if (t >= 260 && t < 263 && piece >= 0) {
        SimPush p = {.body = piece, .jx = 0.001};
        sim_action_add_push(&a, &p);
    }
    return a;
}

/* the table scene's episode (seed 3, random agent) with a history from its start */
static Scenario* table_episode(const char* name, Episode* e, History** h) {
    char err[256];
    Scenario* s = scn_parse(table_text, strlen(table_text), name, err, sizeof err);
    ENSURE(s);
    ENSURE(episode_begin(e, s, 3, -1, 16, err, sizeof err));
    *h = history_create(HISTORY_SNAP_EVERY, HISTORY_SPAN);
    history_begin(*h, e);
    return s;
}

/* going back: a snapshot restores exactly; ticks re-simulated from it agree with the first time to
 * round-off; a second history doing the same goes through the same states bit for bit; ticking
 * from the past drops the future (a branch) and the agent picks up its state of then */
static void test_history_seek_and_branch(void) {
    char err[256];
    enum { TICKS = 300 };
    static uint64_t hash[TICKS + 1];
    static SimAction applied[TICKS + 1];
    uint64_t after[2][60];
    for (int run = 0; run < 2; run++) {
        Episode e;
        History* h;
        Scenario* s = table_episode("mem.scn", &e, &h);
        for (int t = 1; t <= TICKS; t++) {
            SimAction a = person(e.world, t);
            episode_tick(&e, &a);
            history_tick(h, &e);
            if (run == 0) hash[t] = sim_world_hash(e.world), applied[t] = e.applied;
            else ENSURE(hash[t] == sim_world_hash(e.world));
        }
        ENSURE(history_head(h) == TICKS && history_pos(h) == TICKS && history_oldest(h) == 0);
        /* a snapshot tick comes back exactly */
        ENSURE(history_seek(h, &e, 150, err, sizeof err));
        ENSURE(sim_world_hash(e.world) == hash[150] && history_pos(h) == 150 && history_head(h) == TICKS);
        /* between snapshots: re-simulated from the one before */
        ENSURE(history_seek(h, &e, 153, err, sizeof err));
        SimBodyState b;
        ENSURE(sim_world_body(e.world, 4, &b));
        ENSURE(fabs(sim_world_time(e.world) - 153 / 60.0) < 1e-9);
        /* the tail of the future is still there until we tick */
        ENSURE(history_seek(h, &e, TICKS, err, sizeof err) && sim_world_hash(e.world) == hash[TICKS]);
        ENSURE(history_seek(h, &e, 153, err, sizeof err));
        ENSURE(!history_seek(h, &e, TICKS + 1, err, sizeof err) && strstr(err, "not in the history"));
        /* branch: the agent goes on from its state at 153; the log loses what came after */
        for (int t = 0; t < 60; t++) {
            episode_tick(&e, NULL);
            history_tick(h, &e);
            after[run][t] = sim_world_hash(e.world);
            if (run == 0 && 154 + t < 160 && applied[154 + t].npushes && !(applied[154 + t].flags))
                ENSURE(e.applied.npushes == applied[154 + t].npushes &&
                       e.applied.pushes[0].jx == applied[154 + t].pushes[0].jx);
        }
        ENSURE(history_head(h) == 213 && history_pos(h) == 213);
        int n;
        const HistoryEntry* log = history_log(h, &n);
        for (int i = 0; i < n; i++) ENSURE(log[i].tick <= 153 || (!log[i].action.flags && log[i].action.npushes == 1));
        history_free(h);
        episode_end(&e);
        scn_free(s);
    }
    ENSURE(memcmp(after[0], after[1], sizeof after[0]) == 0);
}

/* the history's memory with 30 bodies over a long run stays within its bound; measured here
 * (README: "Going back"); bench_replay times the same scene */
static void test_history_memory(void) {
    char err[256];
    Scenario* s = scn_load(NUDGE_SOURCE_DIR "/bench/scenes/row_30.scn", err, sizeof err);
    if (!s) fprintf(stderr, "%s\n", err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 1, -1, 64, err, sizeof err));
    ENSURE(sim_world_id_count(e.world) == 30);
    History* h = history_create(HISTORY_SNAP_EVERY, HISTORY_SPAN);
    history_begin(h, &e);
    size_t most = 0;
    for (int t = 0; t < 45 * 60; t++) {
        episode_tick(&e, NULL);
        history_tick(h, &e);
        size_t b = history_bytes(h);
        if (b > most) most = b;
    }
    printf("history with %d bodies (30 at the start), 45 s: %.1f MB at most, %.1f MB at the end; goes back %.1f s\n",
           sim_world_id_count(e.world), most / 1e6, history_bytes(h) / 1e6,
           (history_head(h) - history_oldest(h)) / 60.0);
    ENSURE(history_head(h) - history_oldest(h) >= HISTORY_SPAN - HISTORY_SNAP_EVERY);
    ENSURE(most < (size_t)64 << 20);
    ENSURE(history_seek(h, &e, history_oldest(h), err, sizeof err));
    history_free(h);
    episode_end(&e);
    scn_free(s);
}

static void temp_path(char* out, size_t n, const char* name) {
    snprintf(out, n, "/tmp/nudge-test-agent-%d-%s", (int)getpid(), name);
}

/* a recording reads back as written; every truncation and every flipped byte is refused with one
 * line naming an offset, never read past */
static void test_recording_roundtrip_and_damage(void) {
    char err[512], path[256];
    temp_path(path, sizeof path, "rec.nrec");
    Episode e;
    History* h;
    Scenario* s = table_episode("mem.scn", &e, &h);
    RecWriter* w = rec_writer_open(path, &e, 2, HISTORY_SNAP_EVERY, err, sizeof err);
    ENSURE(w && rec_writer_attach(w, &e));
    int actions = 0;
    for (int t = 1; t <= 240; t++) {
        if (t == 200) {
            /* go back to tick 170 and go on from there */
            ENSURE(history_seek(h, &e, 170, err, sizeof err));
            rec_writer_branch(w, 170);
        }
        SimAction a = person(e.world, t);
        episode_tick(&e, &a);
        history_tick(h, &e);
        actions += !sim_action_is_empty(&e.applied);
    }
    uint64_t last = sim_world_hash(e.world);
    ENSURE(rec_writer_close(w, err, sizeof err));
    Recording* r = rec_load(path, err, sizeof err);
    if (!r) fprintf(stderr, "%s\n", err);
    ENSURE(r && r->complete && r->ticks == 240 && r->nitems == 241 && r->nactions == actions);
    ENSURE(r->h.seed == 3 && r->h.hash_every == 2 && r->h.snap_every == HISTORY_SNAP_EVERY && r->h.scn_hash == scn_text_hash(s));
    ENSURE(r->items[199].type == REC_BRANCH && r->items[199].branch_to == 170);
    /* replayed with the same history, it ends where the run ended */
    Episode f;
    ENSURE(episode_begin(&f, s, r->h.seed, SCN_AGENT_NONE, 16, err, sizeof err));
    RecReplay rp;
    rec_replay_begin(&rp, r, &f);
    while (rec_replay_next(&rp, err, sizeof err)) ENSURE(!rp.differs);
    ENSURE(!err[0] && rp.tick == 240 && rp.hashes == 99 + 20);   /* every second tick, 1..199 then 171..211 */
    ENSURE(sim_world_hash(f.world) == last);
    rec_replay_end(&rp);
    episode_end(&f);
    history_free(h);
    episode_end(&e);
    /* damage: every truncation inside a record, and flipped bytes anywhere */
    FILE* in = fopen(path, "rb");
    ENSURE(in);
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    rewind(in);
    unsigned char* bytes = malloc((size_t)size);
    ENSURE(fread(bytes, 1, (size_t)size, in) == (size_t)size);
    fclose(in);
    char bad[256];
    temp_path(bad, sizeof bad, "bad.nrec");
    int refused = 0, tried = 0;
    for (long cut = 0; cut < size; cut += 1 + cut / 7) {
        FILE* o = fopen(bad, "wb");
        fwrite(bytes, 1, (size_t)cut, o);
        fclose(o);
        Recording* x = rec_load(bad, err, sizeof err);
        tried++;
        if (x) {
            /* a cut between records is a recording that stopped early */
            ENSURE(!x->complete);
            rec_free(x);
        } else {
            ENSURE(!strchr(err, '\n') && (strstr(err, "offset") || strstr(err, "header") || strstr(err, "magic")));
            refused++;
        }
    }
    ENSURE(refused > tried / 2);
    uint64_t rng = 12345;
    for (int k = 0; k < 400; k++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        long at = (long)((rng >> 33) % (uint64_t)size);
        unsigned char keep = bytes[at];
        bytes[at] ^= (unsigned char)(1u << ((rng >> 20) % 8));
        FILE* o = fopen(bad, "wb");
        fwrite(bytes, 1, (size_t)size, o);
        fclose(o);
        bytes[at] = keep;
        Recording* x = rec_load(bad, err, sizeof err);
        ENSURE(!x);   /* CRC-32 catches every single flipped bit */
        ENSURE(!strchr(err, '\n') && strlen(err) > 10);
    }
    free(bytes);
    unlink(bad);
    unlink(path);
    rec_free(r);
    scn_free(s);
}

/* an episode with grabs, spawns, pieces and several pushes in a tick, written as a scenario:
 * the scenario reproduces it tick for tick and passes its own expectations */
static void test_export_roundtrip(void) {
    char err[512], path[256];
    temp_path(path, sizeof path, "episode.scn");
    Episode e;
    History* h;
    Scenario* s = table_episode("table.scn", &e, &h);
    enum { TICKS = 360 };
    for (int t = 1; t <= TICKS; t++) {
        SimAction a = person(e.world, t);
        episode_tick(&e, &a);
        history_tick(h, &e);
    }
    ENSURE(sim_world_find(e.world, "glass#1") >= 0);
    HistoryEpisode ep[4];
    ENSURE(history_episodes(h, ep, 4) == 1 && ep[0].start == 0 && ep[0].end == TICKS && ep[0].whole);
    int n;
    const HistoryEntry* log = history_log(h, &n);
    EpisodeExport x = {s, table_text, strlen(table_text), 3, TICKS, log, n, 0.1, {0}, "test_agent"};
    episode_export_default_types(x.types);
    EpisodeExportStats st;
    ENSURE(episode_export_write(&x, path, &st, err, sizeof err));
    if (!st.exact || st.failed) fprintf(stderr, "export: %s (%d failed)\n", st.note, st.failed);
    ENSURE(st.exact && st.failed == 0);
    ENSURE(st.holds == 1 && st.releases == 1 && st.spawns == 2);
    ENSURE(st.keyframes > 2 && st.keyframes < 60);   /* the still half of the hold needs none */
    ENSURE(st.pushes >= 5 && st.expects > 5);
    size_t len;
    char* text = input_file_read(path, 1 << 20, &len, err, sizeof err);
    ENSURE(text);
    ENSURE(strstr(text, "# (replaced below) agent random") && strstr(text, "\nagent scripted\n"));
    ENSURE(strstr(text, " push glass 0.03 0 offset 0 -0.02 and push box -0.02 0\n"));
    ENSURE(strstr(text, " spawn ball1 ball wood pos 0.1 1.2 size 0.08 0.08\n"));
    ENSURE(strstr(text, " spawn spawned1 box wood pos -0.5 1.3 size 0.1 0.1 angle "));
    ENSURE(strstr(text, " push glass/1 0.001 0\n") && strstr(text, " grab box ") && strstr(text, " anchor 0.01 0.02\n"));
    ENSURE(strstr(text, "expect event break glass near "));
    printf("written scenario: %d pushes, %d key frames for a %d-tick hold, %d expectations, %zu bytes\n", st.pushes,
           st.keyframes, 60, st.expects, len);
    free(text);
    /* a tolerance of 0 is refused, and nothing is written */
    unlink(path);
    x.tol = 0;
    ENSURE(!episode_export_write(&x, path, &st, err, sizeof err) && access(path, F_OK) != 0);
    history_free(h);
    episode_end(&e);
    scn_free(s);
}

/* ---- the planner ---- */

static void test_plan_cost(void) {
    /* one tracked body, 3 imagined ticks of 0.1 s from t = 1 */
    PlanBody body = {7, 0.0f, 0.0f, 0.1f, 0.1f};
    ScnGoal g[5];
    memset(g, 0, sizeof g);
    g[0].kind = SCN_GOAL_IN;          /* in [0,1]x[0,1] by 1.2: judged at the 2nd imagined tick */
    g[0].t = 1.2;
    g[0].region[2] = g[0].region[3] = 1;
    g[1] = g[0];                      /* the same, by 2.0: past the horizon (1.3 s) */
    g[1].t = 2.0;
    g[2].kind = SCN_GOAL_FIELD;       /* angle near -90 +- 25 at 1.3 */
    g[2].field = SCN_FIELD_ANGLE;
    g[2].op = SCN_TEST_NEAR;
    g[2].v = -90;
    g[2].tol = 25;
    g[2].t = 1.3;
    g[3].kind = SCN_GOAL_BROKEN;      /* broken by 1.2 */
    g[3].t = 1.2;
    g[4] = g[3];                      /* never broken */
    g[4].negate = true;
    g[4].t = INFINITY;
    int goal_body[5] = {0, 0, 0, 0, 0};
    uint8_t active[5] = {1, 0, 0, 0, 0};
    PlanCostSetup c = {1.0, 0.1, 3, 1, &body, 5, g, goal_body, active, 0.1, 1.0};
    PlanRow rows[3];
    memset(rows, 0, sizeof rows);
    rows[0].x = 0.5f, rows[0].y = 0.5f, rows[0].p_break = 0.1f;
    rows[1].x = 2.0f, rows[1].y = 0.5f, rows[1].p_break = 0.7f;
    rows[2].x = 1.5f, rows[2].y = 0.5f, rows[2].vx = -10.0f, rows[2].p_break = 0.9f;
    rows[2].angle = (float)(-45 * M_PI / 180);
    /* 1 m right of the box: the distance, the miss, and the most for being off the middle */
    ENSURE_NEAR(plan_goal_cost(&c, 0, rows), 1.0 + PLAN_MISS + PLAN_CENTRE, 1e-6);
    rows[1].x = 0.5f, rows[1].y = 0.75f;                             /* inside, 0.25 m above the middle */
    ENSURE_NEAR(plan_goal_cost(&c, 0, rows), PLAN_CENTRE * 0.5 / sqrt(2.0), 1e-6);
    rows[1].x = 2.0f, rows[1].y = 0.5f;
    active[0] = 0, active[1] = 1;
    /* past the horizon: the mean of 0.5 m out and of where 0.25 s at -10 m/s takes it (1 m out) */
    ENSURE_NEAR(plan_goal_cost(&c, 1, rows), 0.5 * (0.5 + 1.0) + PLAN_MISS + PLAN_CENTRE, 1e-6);
    active[1] = 0, active[2] = 1;
    /* 20 degrees short of the band */
    ENSURE_NEAR(plan_goal_cost(&c, 2, rows), 20.0 / 90.0 + PLAN_MISS + PLAN_CENTRE, 1e-5);
    rows[2].angle = (float)(-80 * M_PI / 180);                       /* inside, 10 of 25 degrees off */
    ENSURE_NEAR(plan_goal_cost(&c, 2, rows), PLAN_CENTRE * 10.0 / 25.0, 1e-5);
    active[2] = 0, active[3] = 1;
    ENSURE_NEAR(plan_goal_cost(&c, 3, rows), 1.0 - 0.7, 1e-6);      /* heads from states 0 and 1 */
    active[3] = 0, active[4] = 1;
    ENSURE_NEAR(plan_goal_cost(&c, 4, rows), 0.9, 1e-6);            /* the whole horizon */
    ENSURE_NEAR(plan_goal_cost(&c, 0, rows), 0.0, 0);               /* decided goals cost nothing */
    /* the whole cost: active goals plus pushes */
    ENSURE_NEAR(plan_cost(&c, rows, 2, 1.0), 0.9 + 2 * 0.1 + 0.01, 1e-6);
    goal_body[4] = -1;                                               /* a body no longer tracked */
    ENSURE_NEAR(plan_cost(&c, rows, 0, 0), 0.0, 0);
    /* a bound passed by a margin: up to PLAN_CENTRE for how close, nothing past PLAN_MARGIN */
    ScnGoal b = g[2];
    b.op = SCN_TEST_LT;
    b.v = -45;
    PlanCostSetup cb = c;
    uint8_t on = 1;
    int at = 0;
    cb.goals = &b, cb.ngoals = 1, cb.active = &on, cb.goal_body = &at;
    rows[2].angle = (float)(-50 * M_PI / 180);                       /* 5 of 22.5 degrees past */
    ENSURE_NEAR(plan_goal_cost(&cb, 0, rows), PLAN_CENTRE * (1.0 - 5.0 / (PLAN_MARGIN * 90.0)), 1e-5);
    rows[2].angle = (float)(-80 * M_PI / 180);
    ENSURE_NEAR(plan_goal_cost(&cb, 0, rows), 0.0, 0);
    rows[2].angle = (float)(-40 * M_PI / 180);                       /* failing: as before */
    ENSURE_NEAR(plan_goal_cost(&cb, 0, rows), 5.0 / 90.0 + PLAN_MISS + PLAN_CENTRE, 1e-5);
    /* the model's surprise at its own imagination: free up to PLAN_RISK_FREE, then growing to
     * PLAN_RISK, whichever tick it is on */
    on = 0;
    ENSURE_NEAR(plan_risk_cost(&cb, rows), 0.0, 0);
    rows[1].risk = (float)(PLAN_RISK_FREE - 5);
    ENSURE_NEAR(plan_cost(&cb, rows, 0, 0), 0.0, 0);
    rows[1].risk = (float)(PLAN_RISK_FREE + 0.25 * PLAN_RISK_SPAN);
    ENSURE_NEAR(plan_cost(&cb, rows, 0, 0), 0.25 * PLAN_RISK, 1e-6);
    rows[0].risk = 1e6f;
    ENSURE_NEAR(plan_cost(&cb, rows, 1, 0), PLAN_RISK + 0.1, 1e-6);
}

/* every push a planner imagined or made lies inside the pushes it may make (planner.h): at least
 * PLANNER_PUSH_MIN of the limit and at most the limit, within PLANNER_PUSH_ANGLE of horizontal, on
 * the body's vertical axis */
static bool planner_push_ok(const SimPush* p, double limit) {
    if (p->body < 0) return true;
    double j = hypot(p->jx, p->jy);
    double elev = atan2(fabs(p->jy), fabs(p->jx)) * 180.0 / M_PI;
    return j <= limit * (1 + 1e-6) && j >= limit * PLANNER_PUSH_MIN * (1 - 1e-6) &&
           elev <= PLANNER_PUSH_ANGLE + 1e-4 && p->px == 0;
}

static bool trace_pushes_ok(const PlannerTrace* tr) {
    /* draws past a limit are reflected back inside, not clamped onto it: hardly any candidate
     * pushes exactly at the steepest angle or the strongest impulse */
    int on_edge = 0;
    for (int i = 0; i < tr->samples * tr->nsteps; i++) {
        const SimPush* c = &tr->candidates[i];
        if (!planner_push_ok(c, tr->impulse)) return false;
        if (c->body >= 0 && (fabs(atan2(fabs(c->jy), fabs(c->jx)) * 180.0 / M_PI - PLANNER_PUSH_ANGLE) < 1e-4 ||
                             fabs(hypot(c->jx, c->jy) - tr->impulse) < 1e-6))
            on_edge++;
    }
    if (on_edge > 2) return false;
    for (int s = 0; s < tr->nsteps; s++)
        if (!planner_push_ok(&tr->steps[s], tr->impulse)) return false;
    return true;
}

/* a box on a floor, to be slid into a zone 0.3 m to the right by 1.5 s */
static const char* zone_task =
    "world seconds 1.5\n"
    "body floor box stone static pos 0 -0.05 size 6 0.1\n"
    "body box   box wood pos 0 0.0505 size 0.1 0.1\n"
    "body other box wood pos -0.5 0.0505 size 0.1 0.1\n"
    "agent oracle samples 48 iters 3 horizon 30 every 6 pushes 2 impulse 1\n"
    "goal box in 0.25 0 0.35 0.2 by 1.5\n"
    "goal not other fell\n";

typedef struct Pushes {
    SimPush p[64];
    int64_t tick[64];
    int     n;
} Pushes;

static void record_pushes(void* ctx, const Episode* e) {
    Pushes* r = ctx;
    for (int i = 0; i < e->applied.npushes && r->n < 64; i++) {
        r->tick[r->n] = sim_world_ticks(e->world);
        r->p[r->n++] = e->applied.pushes[i];
    }
}

/* runs the zone task with the agent o asks for; true when every goal held */
static bool run_zone(const AgentOverride* o, uint64_t seed, Pushes* pushes, const PlannerTrace** trace,
                     Episode* keep) {
    char err[256];
    Scenario* s = scn_parse(zone_task, strlen(zone_task), "zone.scn", err, sizeof err);
    ENSURE(s);
    Episode ep;
    ENSURE(episode_begin_with(&ep, s, seed, o, SIM_OBS_SLOTS, err, sizeof err));
    memset(pushes, 0, sizeof *pushes);
    episode_attach(&ep, record_pushes, pushes, 0);
    ScnChecker* c = scn_checker_create(s, &ep.inst, ep.world);
    for (int t = 0; t < 90; t++) {
        episode_tick(&ep, NULL);
        scn_checker_observe(c, ep.world);
    }
    ScnVerdict v[4];
    int n = scn_checker_finish(c, v, 4);
    bool solved = n == 2 && v[0].pass && v[1].pass && v[0].goal && v[1].goal;
    if (trace) *trace = agent_planner(ep.agent) ? planner_trace(agent_planner(ep.agent)) : NULL;
    scn_checker_free(c);
    if (keep) {
        *keep = ep;   /* the caller ends it (and frees the scenario through keep->scn) */
    } else {
        episode_end(&ep);
        scn_free(s);
    }
    return solved;
}

static void end_kept(Episode* e) {
    Scenario* s = (Scenario*)e->scn;
    episode_end(e);
    scn_free(s);
}

static void test_oracle_reaches_the_goal(void) {
    AgentOverride o = agent_override_none();
    Pushes a, b, none, more;
    const PlannerTrace* tr = NULL;
    Episode keep;
    ENSURE(run_zone(&o, 1, &a, &tr, &keep));
    /* the budget and the impulse limit hold; pushes come on decision ticks */
    ENSURE(a.n >= 1 && a.n <= 2);
    for (int i = 0; i < a.n; i++) {
        ENSURE(planner_push_ok(&a.p[i], 1.0));
        ENSURE(a.tick[i] % 6 == 1);   /* the tick after the decision at a multiple of 6 */
    }
    /* the first decision searched: refinements never lose the cheapest plan; candidates ranked */
    ENSURE(tr && tr->decisions >= 1 && tr->searches >= 1 && tr->ticks == 30 && tr->nbodies == 2);
    ENSURE(tr->body[0] == 1 && tr->body[1] == 2);
    end_kept(&keep);
    char err[256];
    Scenario* s = scn_parse(zone_task, strlen(zone_task), "zone.scn", err, sizeof err);
    ENSURE(s && episode_begin_with(&keep, s, 1, &o, SIM_OBS_SLOTS, err, sizeof err));
    episode_tick(&keep, NULL);
    tr = planner_trace(agent_planner(keep.agent));
    ENSURE(tr->decisions == 1 && tr->searches == 1 && tr->samples == 48 && tr->iters == 3);
    ENSURE(trace_pushes_ok(tr));
    for (int i = 1; i < tr->iters; i++) ENSURE(tr->iter_best[i] <= tr->iter_best[i - 1]);
    for (int i = 0; i < tr->iters; i++) ENSURE(tr->iter_best[i] <= tr->iter_elite[i]);
    for (int i = 1; i < tr->samples; i++) ENSURE(tr->costs[tr->order[i]] >= tr->costs[tr->order[i - 1]]);
    end_kept(&keep);
    /* the same seed gives the same pushes */
    ENSURE(run_zone(&o, 1, &b, NULL, NULL));
    ENSURE(a.n == b.n && same_pushes(a.p, b.p, a.n) && !memcmp(a.tick, b.tick, sizeof a.tick[0] * (size_t)a.n));
    /* without a push budget it keeps deciding; once the box is in the zone, doing nothing costs
     * less than a push and is decided without a search */
    AgentOverride unlimited = o;
    unlimited.pushes = 0;
    ENSURE(run_zone(&unlimited, 1, &more, &tr, &keep));
    ENSURE(tr->decisions == 15 && tr->searches < tr->decisions && tr->searches >= 1);
    ENSURE(tr->samples == 1 && tr->iters == 1 && tr->steps[0].body == -1);
    end_kept(&keep);
    /* nobody pushing does not get there */
    o.kind = SCN_AGENT_NONE;
    ENSURE(!run_zone(&o, 1, &none, NULL, NULL) && none.n == 0);
}

/* the model's imagination measures its surprise at its own ticks every IMAGINE_RISK_EVERY ticks
 * (the implausibility the cost reads) and is the same for the same candidate */
static void test_imagine_model_risk(void) {
    nn_set_threads(1);
    char err[256];
    WmModel* m = wm_load(NUDGE_SOURCE_DIR "/assets/models/default.wm", err, sizeof err);   /* with statistics */
    ENSURE(m);
    Scenario* s = scn_parse(zone_task, strlen(zone_task), "zone.scn", err, sizeof err);
    Episode ep;
    AgentOverride o = agent_override_none();
    o.kind = SCN_AGENT_NONE;
    ENSURE(s && episode_begin_with(&ep, s, 1, &o, SIM_OBS_SLOTS, err, sizeof err));
    episode_observe(&ep);
    enum { B = 2, H = 6, S = 1 };
    SimPush steps[B * S];
    memset(steps, 0, sizeof steps);
    steps[0].body = steps[1].body = 1;   /* the box, pushed the same way in both */
    steps[0].jx = steps[1].jx = 0.8f;
    int32_t ids[1] = {1};
    float angle0[1] = {0}, drop[1] = {-1};
    ImaginePlans ip = {B, H, S, H, steps, 1, ids, angle0, drop, true};
    ImagineModel im;
    memset(&im, 0, sizeof im);
    im.model = m;
    im.K = SIM_OBS_SLOTS;
    PlanRow rows[B * H];
    memset(rows, 0xff, sizeof rows);
    imagine_model(&im, ep.states, ep.mask, &ip, rows);
    for (int h = 0; h < H; h++) {
        const PlanRow* r = &rows[h];
        ENSURE(isfinite(r->risk) && isfinite(r->x));
        if (h % IMAGINE_RISK_EVERY) ENSURE(r->risk == 0.0f);
        else ENSURE(r->risk != 0.0f);
        ENSURE(!memcmp(&rows[h], &rows[H + h], sizeof rows[h]));   /* the same candidate */
    }
    imagine_model_free(&im);
    episode_end(&ep);
    scn_free(s);
    wm_free(m);
}

static void test_model_planner(void) {
    /* a fresh (untrained) model: what it imagines is wrong, but the planner must run, stay within
     * its limits and be deterministic at one BLAS thread */
    nn_set_threads(1);
    WmArch arch = wm_arch_default(SIM_OBS_SLOTS);
    WmModel* m = wm_create(&arch, 3);
    AgentOverride o = agent_override_none();
    o.kind = SCN_AGENT_PLANNER;
    o.model = m;
    o.samples = 32;
    o.iters = 2;
    Pushes a, b;
    const PlannerTrace* tr = NULL;
    Episode keep;
    run_zone(&o, 2, &a, &tr, &keep);
    ENSURE(tr && tr->decisions >= 1 && tr->samples == 32 && tr->iters == 2);
    ENSURE(a.n <= 2 && trace_pushes_ok(tr));
    for (int i = 0; i < a.n; i++) ENSURE(planner_push_ok(&a.p[i], 1.0));
    end_kept(&keep);
    run_zone(&o, 2, &b, NULL, NULL);
    ENSURE(a.n == b.n && same_pushes(a.p, b.p, a.n));
    /* a model for another number of slots: one line, like eval's */
    char err[256];
    Scenario* s = scn_parse(zone_task, strlen(zone_task), "zone.scn", err, sizeof err);
    Episode ep;
    ENSURE(!episode_begin_with(&ep, s, 1, &o, 16, err, sizeof err));
    ENSURE(strstr(err, "zone.scn: model has 32 slots of 20 columns, the episode 16 slots") && !strchr(err, '\n'));
    /* a planner without a model */
    o.model = NULL;
    ENSURE(!episode_begin_with(&ep, s, 1, &o, 32, err, sizeof err));
    ENSURE(strstr(err, "needs a world model") && strstr(err, "--model") && !strchr(err, '\n'));
    /* a configuration the planner refuses */
    ScnAgentDef def = scn_agent_def_default();
    def.kind = SCN_AGENT_PLANNER;
    def.samples = 0;
    ENSURE(!planner_create(&def, m, 32, 1, err, sizeof err) && strstr(err, "samples"));
    def.samples = 8;
    def.horizon = 600;
    def.replan = 1;
    ENSURE(!planner_create(&def, m, 32, 1, err, sizeof err) && strstr(err, "segments"));
    scn_free(s);
    wm_free(m);
}

/* the pixel planner (planner_set_jepa): a task whose box already rests at its goal has energy 0
 * for doing nothing (decided without a search, no push), with the goal image and an identity
 * predictor, and with the rolled goal and any predictor; a goal elsewhere searches; the same seed
 * gives the same pushes */
static const char* jepa_home_task =
    "world seconds 0.5\n"
    "body floor box stone static pos 0 -0.05 size 6 0.1\n"
    "body box   box wood pos 0 0.0505 size 0.1 0.1\n"
    "agent planner samples 12 iters 2 horizon 12 every 6 pushes 1 impulse 1\n"
    "goal box in -0.2 -0.0495 0.2 0.1505 by 0.4\n"
    "goal not box fell\n";

static JepaModel* small_jepa(bool identity) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 2, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    JepaModel* m = jepa_create(&a, 5);
    ENSURE(m);
    if (identity) {
        /* z' = z + f: f's last layer at zero */
        const NnConv2d* last = &m->pred.layer[m->pred.nlayers - 1].conv;
        for (int i = 0; i < last->k * last->k * last->cin * last->cout; i++) m->params[last->w + i] = 0.0f;
        for (int c = 0; c < last->cout; c++) m->params[last->b + c] = 0.0f;
    }
    return m;
}

/* the first decision of the pixel planner on task text; its trace, the episode kept */
static const PlannerTrace* jepa_first(const char* text, JepaModel* m, unsigned flags, Episode* ep) {
    char err[256];
    Scenario* s = scn_parse(text, strlen(text), "home.scn", err, sizeof err);
    if (!s) fprintf(stderr, "%s\n", err);
    ENSURE(s);
    AgentOverride o = agent_override_none();
    o.kind = SCN_AGENT_PLANNER;
    o.jepa = m;
    o.jepa_energy = flags;
    ENSURE(episode_begin_with(ep, s, 1, &o, SIM_OBS_SLOTS, err, sizeof err));
    ENSURE(planner_is_jepa(agent_planner(ep->agent)) && !planner_is_oracle(agent_planner(ep->agent)));
    episode_tick(ep, NULL);
    return planner_trace(agent_planner(ep->agent));
}

static void test_jepa_planner(void) {
    nn_set_threads(1);
    JepaModel* id = small_jepa(true);
    JepaModel* fresh = small_jepa(false);
    Episode ep;
    /* at its goal: energy 0, no search, no push */
    const PlannerTrace* tr = jepa_first(jepa_home_task, id, 0, &ep);
    ENSURE(tr->decisions == 1 && tr->searches == 0 && tr->best_cost == 0.0 && tr->steps[0].body == -1);
    ENSURE(ep.applied.npushes == 0);
    end_kept(&ep);
    tr = jepa_first(jepa_home_task, fresh, PLAN_JEPA_ROLLED, &ep);
    ENSURE(tr->decisions == 1 && tr->searches == 0 && tr->best_cost == 0.0 && tr->steps[0].body == -1);
    end_kept(&ep);
    /* the goal image alone with a predictor that drifts: not 0 */
    tr = jepa_first(jepa_home_task, fresh, 0, &ep);
    ENSURE(tr->decisions == 1 && tr->searches == 1 && tr->best_cost > 0.0 && tr->best_cost <= 1.0);
    end_kept(&ep);
    /* the goal elsewhere: doing nothing costs 1 (the energies count relative to it), so it searches,
       and never keeps a plan dearer than doing nothing */
    char away[1024];
    snprintf(away, sizeof away, "%s", jepa_home_task);
    char* g = strstr(away, "goal box in");
    ENSURE(g);
    memcpy(g, "goal box in  0.3 -0.0495 0.7 0.1505 by 0.4\n", strlen("goal box in  0.3 -0.0495 0.7 0.1505 by 0.4\n"));
    ENSURE(strstr(away, "goal not box fell"));
    tr = jepa_first(away, id, 0, &ep);
    ENSURE(tr->searches == 1 && tr->samples == 12 && tr->iters == 2 && tr->best_cost <= 1.0);
    for (int i = 1; i < tr->iters; i++) ENSURE(tr->iter_best[i] <= tr->iter_best[i - 1]);
    ENSURE(trace_pushes_ok(tr));
    double all_cost = tr->best_cost;
    end_kept(&ep);
    /* over the still channels: a model without keypoints has no other channels, so the same search */
    tr = jepa_first(away, id, PLAN_JEPA_STILL, &ep);
    ENSURE(tr->searches == 1 && tr->best_cost == all_cost);
    end_kept(&ep);
    /* and at its goal, 0 over them too */
    tr = jepa_first(jepa_home_task, id, PLAN_JEPA_STILL, &ep);
    ENSURE(tr->decisions == 1 && tr->searches == 0 && tr->best_cost == 0.0);
    end_kept(&ep);
    /* the same seed, the same pushes (push cost 0: the energy alone decides, so it pushes) */
    AgentOverride o = agent_override_none();
    o.kind = SCN_AGENT_PLANNER;
    o.jepa = fresh;
    o.samples = 16;
    o.iters = 2;
    o.push_cost = 0;
    Pushes a, b;
    run_zone(&o, 3, &a, NULL, NULL);
    run_zone(&o, 3, &b, NULL, NULL);
    ENSURE(a.n >= 1 && a.n <= 2 && a.n == b.n && same_pushes(a.p, b.p, a.n));
    ENSURE(!memcmp(a.tick, b.tick, sizeof a.tick[0] * (size_t)a.n));
    for (int i = 0; i < a.n; i++) ENSURE(planner_push_ok(&a.p[i], 1.0));
    /* the goals its goal image shows */
    char err[256];
    Scenario* s = scn_parse(zone_task, strlen(zone_task), "zone.scn", err, sizeof err);
    ScnInstance inst;
    ENSURE(s && scn_instantiate(s, 0, &inst, err, sizeof err));
    ENSURE(planner_jepa_goals_ok(inst.goals, inst.ngoals));
    ENSURE(!planner_jepa_goals_ok(inst.goals + 1, 1));   /* 'not other fell' alone shows nothing */
    ScnGoal broken = inst.goals[1];
    broken.negate = false;
    ENSURE(!planner_jepa_goals_ok(&broken, 1));
    scn_instance_free(&inst);
    scn_free(s);
    jepa_free(id);
    jepa_free(fresh);
}

/* the pixel planner's audit: it leaves the decision as it was, reports what it measured within its
   bounds, and the energy of a true future is the goal image's own when nothing moves */
static void test_jepa_audit(void) {
    nn_set_threads(1);
    JepaModel* fresh = small_jepa(false);
    char away[1024];
    snprintf(away, sizeof away, "%s", jepa_home_task);
    char* g = strstr(away, "goal box in");
    ENSURE(g);
    memcpy(g, "goal box in  0.3 -0.0495 0.7 0.1505 by 0.4\n", strlen("goal box in  0.3 -0.0495 0.7 0.1505 by 0.4\n"));
    Episode ep;
    const PlannerTrace* tr = jepa_first(away, fresh, 0, &ep);
    ENSURE(tr->searches == 1 && !tr->audited);
    double cost = tr->best_cost;
    SimPush steps[PLANNER_MAX_SEGMENTS];
    int S = tr->nsteps;
    memcpy(steps, tr->steps, sizeof steps[0] * (size_t)S);
    end_kept(&ep);
    tr = jepa_first(away, fresh, PLAN_JEPA_AUDIT, &ep);
    ENSURE(tr->searches == 1 && tr->audited && tr->best_cost == cost && tr->nsteps == S);
    ENSURE(same_pushes(tr->steps, steps, S));
    ENSURE((isnan(tr->audit_rho) || fabs(tr->audit_rho) <= 1) && (isnan(tr->audit_rho_true) || fabs(tr->audit_rho_true) <= 1));
    /* the box 0.5 m from its region: doing nothing misses (PLAN_MISS and the distance) */
    ENSURE(tr->audit_idle > PLAN_MISS + 0.2 && tr->audit_best <= tr->audit_pick);
    end_kept(&ep);
    /* at its goal: no search, no audit */
    JepaModel* id = small_jepa(true);
    tr = jepa_first(jepa_home_task, id, PLAN_JEPA_AUDIT, &ep);
    ENSURE(tr->searches == 0 && !tr->audited);
    end_kept(&ep);
    /* the true futures' energies: doing nothing in a world at rest at its goal is the goal image
       (energy 0); a push moves the box away from it */
    char err[256];
    Scenario* s = scn_parse(jepa_home_task, strlen(jepa_home_task), "home.scn", err, sizeof err);
    ScnInstance inst;
    ENSURE(s && scn_instantiate(s, 0, &inst, err, sizeof err));
    SimWorld* w = scn_instance_build(&inst, 0, err, sizeof err);
    ENSURE(w);
    for (int t = 0; t < 60; t++) sim_world_tick(w, NULL);   /* at rest */
    double rect[4];
    jepa_frame_rect(fresh, &inst, rect);
    ImagineJepa ij;
    imagine_jepa_init(&ij, fresh, rect);
    for (int f = 0; f < jepa_window_span(fresh); f++) imagine_jepa_see(&ij, w);
    ENSURE(imagine_jepa_set_goal(&ij, w, inst.goals, inst.ngoals, err, sizeof err));
    int32_t box = sim_world_find(w, "box");
    SimPush plans[2 * 2] = {{.body = -1}, {.body = -1}, {.body = box, .jx = 0.8}, {.body = -1}};
    float angle0 = 0, drop = -1;
    ImaginePlans ip = {2, 12, 2, 6, plans, 1, &box, &angle0, &drop, false};
    ImagineSim is = {0};
    double e[2];
    ENSURE(imagine_jepa_energy_true(&ij, &is, w, &ip, e, err, sizeof err));
    ENSURE(e[0] == 0.0 && e[1] > 0.0);
    imagine_sim_free(&is);
    imagine_jepa_free(&ij);
    sim_world_destroy(w);
    scn_instance_free(&inst);
    scn_free(s);
    jepa_free(id);
    jepa_free(fresh);
}

/* the goal image's world (imagine_jepa_goal_world): the goal's body moved to its region's centre, then
   at rest on the surface under it; kept where it was placed when at rest it would leave the region;
   not ticked when no body moves */
static SimWorld* goal_world_of(const char* text, const double* rect, bool* settled, int32_t* box) {
    char err[256];
    Scenario* s = scn_parse(text, strlen(text), "goal.scn", err, sizeof err);
    ENSURE(s);
    ScnInstance inst;
    ENSURE(scn_instantiate(s, 0, &inst, err, sizeof err));
    SimWorld* w = scn_instance_build(&inst, 0, err, sizeof err);
    ENSURE(w);
    *box = sim_world_find(w, "box");
    SimWorld* g = imagine_jepa_goal_world(w, rect, inst.goals, inst.ngoals, settled, err, sizeof err);
    ENSURE(g);
    sim_world_destroy(w);
    scn_instance_free(&inst);
    scn_free(s);
    return g;
}

static void test_jepa_goal_world(void) {
    /* a table whose top is at 0.75 m, a 0.08 m box on it, a region from the table top to 0.25 m above it */
    const char* base =
        "world seconds 1\n"
        "body floor box stone static pos 0 -0.05 size 6 0.1\n"
        "body table box wood static pos 0 0.375 size 1.2 0.75\n"
        "body box   box wood pos -0.3 0.7905 size 0.08 0.08\n";
    char text[1024];
    bool settled = true;
    int32_t id;
    SimBodyState st;
    /* the region's centre (0.4, 0.875) lies 0.085 m above where the box would stand: it rests on the
       table under it */
    snprintf(text, sizeof text, "%sgoal box in 0.3 0.75 0.5 1.0 by 1\n", base);
    SimWorld* g = goal_world_of(text, NULL, &settled, &id);
    ENSURE(settled && sim_world_body(g, id, &st) && st.alive);
    ENSURE(fabs(st.x - 0.4) < 0.02 && fabs(st.y - 0.79) < 0.003);   /* it may slide a little as it lands */
    ENSURE(hypot(st.vx, st.vy) <= IMAGINE_JEPA_REST_SPEED && fabs(st.omega) <= IMAGINE_JEPA_REST_SPIN);
    sim_world_destroy(g);
    /* a region past the table's edge (it ends at 0.6): at rest the box would lie on the floor, out of
       the region, so it stays where it was placed, at the region's centre */
    snprintf(text, sizeof text, "%sgoal box in 0.62 0.75 0.82 1.0 by 1\n", base);
    g = goal_world_of(text, NULL, &settled, &id);
    ENSURE(!settled && sim_world_body(g, id, &st) && st.alive);
    ENSURE(fabs(st.x - 0.72) < 1e-9 && fabs(st.y - 0.875) < 1e-9 && st.vx == 0 && st.vy == 0);
    sim_world_destroy(g);
    /* an 'x near' goal moves it along the table; it stays on it */
    snprintf(text, sizeof text, "%sgoal box.x near 0.2 0.03 at 1\n", base);
    g = goal_world_of(text, NULL, &settled, &id);
    ENSURE(settled && sim_world_body(g, id, &st) && fabs(st.x - 0.2) < 0.005 && fabs(st.y - 0.79) < 0.003);
    sim_world_destroy(g);
    /* a region on the floor that reaches out of the frame (x 0.7 to 2.9 m, the frame ends at 1.5 m): the
       box stands on the floor inside the frame, its half size and the margin from the edge, rather than
       at the region's centre (1.8 m) out of view */
    const double rect[4] = {-1.5, -0.2, 1.5, 2.0};
    snprintf(text, sizeof text, "%sgoal box in 0.7 0 2.9 0.3 by 1\n", base);
    g = goal_world_of(text, rect, &settled, &id);
    ENSURE(settled && sim_world_body(g, id, &st));
    ENSURE(fabs(st.x - (1.5 - 0.04 - IMAGINE_JEPA_GOAL_MARGIN)) < 0.02 && fabs(st.y - 0.04) < 0.003);
    sim_world_destroy(g);
    /* and without the frame, at the region's centre */
    g = goal_world_of(text, NULL, &settled, &id);
    ENSURE(settled && sim_world_body(g, id, &st) && fabs(st.x - 1.8) < 0.02 && fabs(st.y - 0.04) < 0.003);
    sim_world_destroy(g);
    /* the box already at its region's centre: nothing moves, nothing ticks */
    snprintf(text, sizeof text, "%sgoal box in -0.4 0.7105 -0.2 0.8705 by 1\n", base);
    g = goal_world_of(text, NULL, &settled, &id);
    ENSURE(!settled && sim_world_ticks(g) == 0 && sim_world_body(g, id, &st));
    ENSURE(fabs(st.x + 0.3) < 1e-12 && fabs(st.y - 0.7905) < 1e-12);
    sim_world_destroy(g);
}

/* the still channels of a keypoint model (imagine_jepa_still_channels): the convolutions' and the
   appearance keypoints' (dx, dy, lse), not the motion keypoints' nor any velocity; every keypoint's
   place without motion keypoints; every channel of a model without keypoints; the imagination
   counts them when set and every channel when not */
static void test_jepa_still_channels(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 3, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1, a.keypoint_motion = 1;
    a.keypoint_appear = 1;
    JepaModel* m = jepa_create(&a, 5);
    ENSURE(m);
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    ENSURE(C == 4 + 5 * 3);
    uint8_t mask[64];
    ENSURE(imagine_jepa_still_channels(m, mask) == 4 + 3);
    /* conv 0-3 on; motion keypoints 0 and 1 (channels 4-9) off; the appearance one (10-12) on; the
       velocities (13-18) off */
    for (int c = 0; c < C; c++) ENSURE(mask[c] == (c < 4 || (c >= 10 && c < 13)));
    JepaArch b = a;
    b.keypoint_motion = 0, b.keypoint_appear = 0;
    JepaModel* mb = jepa_create(&b, 5);
    ENSURE(mb);
    ENSURE(imagine_jepa_still_channels(mb, mask) == 4 + 9);
    for (int c = 0; c < C; c++) ENSURE(mask[c] == (c < 13));
    JepaModel* plain = small_jepa(false);
    int pc;
    jepa_latent_shape(plain, &lh, &lw, &pc);
    ENSURE(imagine_jepa_still_channels(plain, mask) == pc);
    double rect[4] = {-1, -1, 1, 1};
    ImagineJepa ij;
    imagine_jepa_init(&ij, m, rect);
    ENSURE(ij.ncount == C && !ij.still_only);
    imagine_jepa_set_still(&ij, true);
    ENSURE(ij.ncount == 7 && ij.still_only);
    for (int c = 0; c < C; c++) ENSURE(ij.cmask[c] == (c < 4 || (c >= 10 && c < 13)));
    imagine_jepa_set_still(&ij, false);
    ENSURE(ij.ncount == C && !ij.still_only);
    imagine_jepa_free(&ij);
    jepa_free(plain);
    jepa_free(mb);
    jepa_free(m);
}

/* the fate part of surprise: a break the head predicted with high p that does not happen is
   surprising, one that happens is not, and the other way round */
static void test_surprise_break_nll(void) {
    float heads[WM_EVENT_HORIZON];
    const double z = log(99.0); /* p = 0.99 */
    for (int i = 0; i < WM_EVENT_HORIZON; i++) heads[i] = (float)z;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, false), -log(0.01), 1e-4);
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, true), -log(0.99), 1e-4);
    /* the window of the oldest head closes: only it counts while the body stays whole */
    heads[0] = (float)-z;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, false), -log(0.99), 1e-4);
    /* a break is as expected as the most confident head whose window holds it */
    for (int i = 0; i < WM_EVENT_HORIZON; i++) heads[i] = (float)-z;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, true), -log(0.01), 1e-4);
    heads[7] = (float)z;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, true), -log(0.99), 1e-4);
    /* before a window has closed nothing is due for a whole body; a break is scored at once */
    ENSURE(isnan(surprise_break_nll(heads, WM_EVENT_HORIZON - 1, NAN, false)));
    ENSURE(isnan(surprise_break_nll(heads, 0, NAN, true)));
    ENSURE_NEAR(surprise_break_nll(heads, 1, NAN, true), -log(0.01), 1e-4);
    /* confident heads do not overflow: -log(1 - sigmoid(60)) = 60 */
    heads[0] = 60.0f;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, NAN, false), 60.0, 1e-6);
    heads[0] = -60.0f;
    ENSURE_NEAR(surprise_break_nll(heads, 1, NAN, true), 60.0, 1e-6);
    /* the break-now head: a body it says breaks in this tick that stays whole is surprising at once
     * (before any window closed), the larger of the two terms counts, and a break ignores it */
    const double zn = log(9999.0); /* p = 0.9999 */
    ENSURE_NEAR(surprise_break_nll(heads, 3, (float)zn, false), -log(1e-4), 1e-3);
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, (float)zn, false), -log(1e-4), 1e-3);
    heads[0] = 60.0f;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, (float)zn, false), 60.0, 1e-6);
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, (float)-zn, false), 60.0, 1e-6);
    heads[0] = (float)-z;
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, (float)-zn, false), -log(0.99), 1e-4);
    ENSURE_NEAR(surprise_break_nll(heads, WM_EVENT_HORIZON, (float)zn, true), -log(0.99), 1e-4);   /* (heads[7]: p 0.99) */
}

/* the drift part of surprise: a small velocity residual that lasts adds up (as n), one large tick
   counts once and clipped, so it fades as the flight goes on */
static void test_surprise_drift_nll(void) {
    const int L = SURPRISE_DRIFT_TICKS;
    float r[2 * SURPRISE_DRIFT_TICKS] = {0};
    ENSURE(isnan(surprise_drift_nll(r, 0)));
    /* a constant residual of one sigma: |n sigma|^2 / (2 n sigma^2) = n / 2 */
    for (int i = 0; i < L; i++) r[2 * i] = 0, r[2 * i + 1] = (float)SURPRISE_DRIFT_SIGMA;
    ENSURE_NEAR(surprise_drift_nll(r, 1), 0.5, 1e-5);
    ENSURE_NEAR(surprise_drift_nll(r, 10), 5.0, 1e-4);
    ENSURE_NEAR(surprise_drift_nll(r, L), L / 2.0, 1e-3);
    /* one tick 100 sigma off, the rest exact: clipped to SURPRISE_DRIFT_CLIP sigma, then 1/n */
    for (int i = 0; i < L; i++) r[2 * i] = r[2 * i + 1] = 0;
    r[0] = (float)(60 * SURPRISE_DRIFT_SIGMA), r[1] = (float)(-80 * SURPRISE_DRIFT_SIGMA);
    double c2 = SURPRISE_DRIFT_CLIP * SURPRISE_DRIFT_CLIP;
    ENSURE_NEAR(surprise_drift_nll(r, 1), 0.5 * c2, 1e-3);
    ENSURE_NEAR(surprise_drift_nll(r, 10), 0.5 * c2 / 10, 1e-3);
    /* residuals that cancel (noise about the prediction) add to nothing */
    for (int i = 0; i < L; i++) r[2 * i] = (float)(i % 2 ? SURPRISE_DRIFT_SIGMA : -SURPRISE_DRIFT_SIGMA), r[2 * i + 1] = 0;
    ENSURE_NEAR(surprise_drift_nll(r, L), 0.0, 1e-6);
}

/* one run of text with the shipped model's surprise: per tick and slot into body[ticks * K]
   (NaN: not scored); the motion part alone into motion[ticks * K]; the fate part the watch reports
   into fate[ticks * K] (may be NULL); the tick the glass (slot 2) broke into *broke_tick (-1: never) */
static void surprise_run(const char* text, SurpriseSource* src, const WmModel* m, int ticks, float* body,
                         float* motion, float* fate, int* broke_tick) {
    char err[256];
    Scenario* s = scn_parse(text, strlen(text), "mem.scn", err, sizeof err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, SIM_OBS_SLOTS, err, sizeof err));
    SurpriseWatch w;
    ENSURE(surprise_watch_attach(&w, &e, src, NULL, 0));
    const int K = SIM_OBS_SLOTS;
    WmScratch* sc = wm_scratch_create(m);
    *broke_tick = -1;
    for (int t = 0; t < ticks; t++) {
        episode_tick(&e, NULL); /* e.states: the observation at the tick's start, as the watch saw it */
        ENSURE(w.scored);
        memcpy(body + (size_t)t * K, w.body, sizeof(float) * (size_t)K);
        if (fate) memcpy(fate + (size_t)t * K, w.fate, sizeof(float) * (size_t)K);
        /* the world's fate is the largest of the bodies' */
        double most = NAN;
        for (int k = 0; k < K; k++)
            if (!isnan(w.fate[k])) most = isnan(most) ? w.fate[k] : fmax(most, w.fate[k]);
        ENSURE(isnan(most) ? isnan(w.world_fate) : w.world_fate == most);
        wm_surprise(m, sc, 1, e.states, e.mask, w.pushes, w.next, w.next_mask, motion + (size_t)t * K);
        if (*broke_tick < 0 && e.mask[2] && !w.next_mask[2]) *broke_tick = t;
    }
    wm_scratch_free(sc);
    surprise_watch_free(&w);
    episode_end(&e);
    scn_free(s);
}

/* a pixel model's surprise over T ticks of a ball rolling slowly (a fraction of a pixel a tick in
   32 x 32 frames): the world's per tick into world[T] (NaN: not scored) */
static void jepa_surprise_run(const JepaModel* m, int T, double* world) {
    const char* scene = "world seconds 2\n"
                        "body floor box stone static pos 0 -0.05 size 8 0.1\n"
                        "body ball ball rubber pos -0.3 0.1 size 0.2 0.2 vel 0.3 0\n";
    char err[256];
    Scenario* s = scn_parse(scene, strlen(scene), "mem.scn", err, sizeof err);
    ENSURE(s);
    Episode e;
    ENSURE(episode_begin(&e, s, 0, -1, SIM_OBS_SLOTS, err, sizeof err));
    SurpriseSource* src = surprise_source_jepa(m);
    SurpriseWatch w;
    ENSURE(surprise_watch_attach(&w, &e, src, NULL, 0));
    for (int t = 0; t < T; t++) {
        episode_tick(&e, NULL);
        world[t] = w.world;
    }
    surprise_watch_free(&w);
    surprise_source_free(src);
    episode_end(&e);
    scn_free(s);
}

/* a pixel model trained on antialiased frames (gen --frames-aa) is scored on antialiased frames:
   its surprise differs from the same weights' on render_world's hard edges, and repeats exactly */
static void test_surprise_jepa_aa(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 2, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    JepaModel* hard = jepa_create(&a, 3);
    ENSURE(hard);
    JepaModel* aa = jepa_clone(hard);
    ENSURE(aa);
    jepa_set_frames_aa(aa, true);
    CHECK(!jepa_frames_aa(hard) && jepa_frames_aa(aa));
    enum { T = 30 };
    double h[T], s1[T], s2[T], h2[T];
    jepa_surprise_run(hard, T, h);
    jepa_surprise_run(hard, T, h2);
    jepa_surprise_run(aa, T, s1);
    jepa_surprise_run(aa, T, s2);
    int scored = 0, differ = 0;
    for (int t = 0; t < T; t++) {
        CHECK(isnan(h[t]) == isnan(s1[t]));
        CHECK((isnan(s1[t]) && isnan(s2[t])) || s1[t] == s2[t]);
        CHECK((isnan(h[t]) && isnan(h2[t])) || h[t] == h2[t]);
        if (isnan(h[t])) continue;
        scored++;
        if (h[t] != s1[t]) differ++;
    }
    printf("pixel surprise on antialiased frames: %d of %d scored ticks differ from the hard edges'\n", differ, scored);
    CHECK(scored >= T - 2 && differ > scored / 2);
    /* and one trained on outlined frames (gen --frames-outline) is scored on outlined ones */
    jepa_set_frames_outline(aa, true);
    CHECK(jepa_frames_outline(aa) && !jepa_frames_outline(hard));
    jepa_surprise_run(aa, T, s2);
    differ = 0;
    for (int t = 0; t < T; t++) {
        CHECK(isnan(s1[t]) == isnan(s2[t]));
        if (!isnan(s1[t]) && s1[t] != s2[t]) differ++;
    }
    printf("pixel surprise on outlined frames: %d of %d scored ticks differ from the unoutlined\n", differ, scored);
    CHECK(differ > scored / 2);
    jepa_free(hard);
    jepa_free(aa);
}

/* the shipped model's surprise (the caller frees it with surprise_source_free) */
static SurpriseSource* shipped_surprise(const WmModel** m) {
    char err[256];
    SurpriseSource* src = surprise_source_load(NUDGE_SOURCE_DIR "/assets/models/default.wm", m, err, sizeof err);
    ENSURE(src && *m);
    return src;
}

/* with the shipped model: a ball thrown up in free flight. Under a gravity that turns sideways and
   weak (magic) every tick is only a little off, and the drift term adds it up past the view's
   threshold; under normal gravity nothing in the flight reaches it */
static void test_surprise_drift_gravity(void) {
    const WmModel* m = NULL;
    SurpriseSource* src = shipped_surprise(&m);
    const int K = SIM_OBS_SLOTS, T = 40;
    const char* scene = "world seconds 1\n"
                        "body floor box stone static pos 0 -0.05 size 8 0.1\n"
                        "body ball ball wood pos 0 1.0 radius 0.04 vel 0.3 2\n";
    char magic[512];
    snprintf(magic, sizeof magic, "%sat 0.1 gravity 7 -1\n", scene);
    float* body = alloc_array((size_t)T * K, sizeof *body);
    float* motion = alloc_array((size_t)T * K, sizeof *motion);
    int brk;
    surprise_run(scene, src, m, T, body, motion, NULL, &brk);
    double peak = -INFINITY;
    for (int t = 0; t < T; t++) peak = fmax(peak, body[(size_t)t * K + 1]);
    ENSURE(isfinite(peak) && peak < SURPRISE_THRESHOLD);
    surprise_run(magic, src, m, T, body, motion, NULL, &brk);
    /* the drift term (the body's surprise beyond its motion NLL) grows through the flight */
    float early = body[(size_t)10 * K + 1] - motion[(size_t)10 * K + 1];
    float late = body[(size_t)(T - 1) * K + 1] - motion[(size_t)(T - 1) * K + 1];
    ENSURE(early >= 0 && late > 2 * early && late > SURPRISE_THRESHOLD);
    free(body);
    free(motion);
    surprise_source_free(src);
}

/* with the shipped model: a glass thrown off a table and breaking is explained (its break scores
   near nothing, its shards are not scored through the aftermath, the world stays under the view's
   threshold); the same glass made unbreakable lands whole and its break head's closing windows add
   nats to its motion */
static void test_surprise_break_explained(void) {
    const WmModel* m = NULL;
    SurpriseSource* src = shipped_surprise(&m);
    const int K = SIM_OBS_SLOTS, T = 120;
    const char* scene = "world seconds 2\n"
                        "body floor box stone static pos 0 -0.05 size 9.8 0.1\n"
                        "body table box wood static pos 0 0.55 size 1.2 1.1\n"
                        "body glass cup glass pos 0.45 1.1605 size 0.08 0.12\n"
                        "at 0.2 push glass 2 0\n";
    char whole[1024];
    snprintf(whole, sizeof whole, "%sat 0.1 unbreakable glass\n", scene);
    float* body = alloc_array((size_t)T * K, sizeof *body);
    float* motion = alloc_array((size_t)T * K, sizeof *motion);
    int brk;
    float* fate = alloc_array((size_t)T * K, sizeof *fate);
    /* the possible clip: it breaks */
    surprise_run(scene, src, m, T, body, motion, fate, &brk);
    ENSURE(brk > 20 && brk + SURPRISE_AFTERMATH + 5 < T);
    ENSURE(isnan(motion[(size_t)brk * K + 2]));
    float at_break = body[(size_t)brk * K + 2];
    ENSURE(isfinite(at_break) && at_break >= 0 && at_break < 1);
    ENSURE(fate[(size_t)brk * K + 2] == at_break); /* a break has no motion: its surprise is its fate */
    /* only a body that can break has a fate: the statics and the shards never */
    for (int t = 0; t < T; t++)
        for (int k = 0; k < K; k++)
            if (k != 2) ENSURE(isnan(fate[(size_t)t * K + k]));
    double peak = -INFINITY;
    int shards = 0, scored_after = 0;
    for (int t = 0; t < T; t++)
        for (int k = 3; k < K; k++) {
            float v = body[(size_t)t * K + k];
            if (!isnan(v)) peak = fmax(peak, v);
            if (t > brk && t <= brk + SURPRISE_AFTERMATH) {
                shards += !isnan(motion[(size_t)t * K + k]);
                ENSURE(isnan(v));
            }
            scored_after += t > brk + SURPRISE_AFTERMATH && !isnan(v);
        }
    ENSURE(shards > 0 && scored_after > 0);
    for (int t = 0; t < T; t++)
        if (!isnan(body[(size_t)t * K + 2])) peak = fmax(peak, body[(size_t)t * K + 2]);
    ENSURE(peak < SURPRISE_THRESHOLD);
    /* the impossible clip: the same throw, and the glass lands whole */
    float* body1 = alloc_array((size_t)T * K, sizeof *body1);
    int brk1;
    surprise_run(whole, src, m, T, body1, motion, fate, &brk1);
    ENSURE(brk1 < 0);
    double most = 0, reported = 0;
    for (int t = 0; t < T; t++) {
        float b = body1[(size_t)t * K + 2], mo = motion[(size_t)t * K + 2], f = fate[(size_t)t * K + 2];
        if (t < brk) ENSURE(b == body[(size_t)t * K + 2]); /* the same until the impact */
        if (!isnan(b) && !isnan(mo)) {
            ENSURE(b >= mo);
            if (t >= brk) most = fmax(most, b - mo);
        }
        /* the fate the watch reports is part of the surprise beyond the motion (the rest: drift) */
        if (!isnan(f) && t >= brk) {
            ENSURE(f >= 0 && b - mo - f > -1e-3f * fmaxf(1.0f, b));
            reported = fmax(reported, f);
        }
    }
    ENSURE(most > 1.0 && reported > 1.0 && reported <= most + 1e-3);
    free(fate);
    free(body);
    free(body1);
    free(motion);
    surprise_source_free(src);
}

/* the view's alarm and glow: the surprise against its threshold, the fate part against its own */
static void test_surprise_alarm(void) {
    ENSURE(!surprise_alarm(NAN, NAN) && !surprise_alarm(SURPRISE_THRESHOLD, NAN));
    ENSURE(surprise_alarm(SURPRISE_THRESHOLD + 0.1, NAN) && surprise_alarm(1.0, SURPRISE_FATE_THRESHOLD + 0.1));
    ENSURE(!surprise_alarm(SURPRISE_THRESHOLD - 1, SURPRISE_FATE_THRESHOLD));
    ENSURE(surprise_glow(NAN, NAN) == 0 && surprise_glow(SURPRISE_GLOW_LO, SURPRISE_FATE_GLOW_LO) == 0);
    ENSURE(surprise_glow(SURPRISE_THRESHOLD, NAN) == 1 && surprise_glow(NAN, SURPRISE_FATE_THRESHOLD) == 1);
    double mid = 0.5 * (SURPRISE_GLOW_LO + SURPRISE_THRESHOLD), fmid = 0.5 * (SURPRISE_FATE_GLOW_LO + SURPRISE_FATE_THRESHOLD);
    ENSURE_NEAR(surprise_glow(mid, NAN), 0.5, 1e-12);
    ENSURE_NEAR(surprise_glow(mid, fmid), 0.5, 1e-12);
    ENSURE_NEAR(surprise_glow(SURPRISE_GLOW_LO, fmid), 0.5, 1e-12);
    ENSURE_NEAR(surprise_glow(SURPRISE_THRESHOLD - 0.25 * (SURPRISE_THRESHOLD - SURPRISE_GLOW_LO), fmid), 0.75, 1e-12);
}

int main(void) {
    sim_quiet_chipmunk();
    RUN(test_scripted_order_and_timing);
    RUN(test_scripted_spawn_grab_release);
    RUN(test_agent_state);
    RUN(test_checker_spawned_and_pieces);
    RUN(test_history_seek_and_branch);
    RUN(test_history_memory);
    RUN(test_recording_roundtrip_and_damage);
    RUN(test_export_roundtrip);
    RUN(test_random_distribution_and_seed);
    RUN(test_override_and_ranges);
    RUN(test_random_budget_and_impulse);
    RUN(test_push_within_body);
    RUN(test_episode_pushes_reach_the_world);
    RUN(test_episode_merge_and_hooks);
    RUN(test_episode_record_replay);
    RUN(test_episode_feed);
    RUN(test_labels_dataset_vs_live);
    RUN(test_plan_cost);
    RUN(test_oracle_reaches_the_goal);
    RUN(test_model_planner);
    RUN(test_imagine_model_risk);
    RUN(test_jepa_planner);
    RUN(test_jepa_goal_world);
    RUN(test_jepa_audit);
    RUN(test_jepa_still_channels);
    RUN(test_surprise_break_nll);
    RUN(test_surprise_alarm);
    RUN(test_surprise_drift_nll);
    RUN(test_surprise_drift_gravity);
    RUN(test_surprise_jepa_aa);
    RUN(test_surprise_break_explained);
    fprintf(stderr, "test_agent: all passed\n");
    return 0;
}
