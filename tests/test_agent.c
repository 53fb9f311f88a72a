/* agent/: scripted timing and order, the random agent's distribution and seeding, overrides */
#include <math.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/episode.h"
#include "ensure.h"
#include "sim/observation.h"

static void test_scripted_order_and_timing(void) {
    ScnAgentDef def = scn_agent_def_default();
    def.kind = SCN_AGENT_SCRIPTED;
    ScnAction acts[3] = {{0.5, 1, 0.6, 0, 0, 0}, {0.5, 2, -0.3, 0, 0, 0.01}, {1.0, 1, 0, 0.2, 0, 0}};
    Agent* a = agent_create(&def, acts, 3, 1);
    float s[4 * SIM_OBS_DIM] = {0};
    uint8_t mask[4] = {1, 1, 1, 0};
    int32_t ids[4] = {0, 1, 2, -1};
    SimPush p;
    int fired = 0;
    double times[3];
    int bodies[3];
    for (int t = 0; t < 120; t++) {
        double now = t / 60.0;
        if (agent_act(a, now, s, mask, ids, 4, &p)) {
            ENSURE(fired < 3);
            times[fired] = now;
            bodies[fired++] = p.body;
        }
    }
    ENSURE(fired == 3);
    /* due at 0.5: the first at the first tick at or after 0.5, the second one tick later */
    ENSURE_NEAR(times[0], 0.5, 1e-9);
    ENSURE_NEAR(times[1], 0.5 + 1 / 60.0, 1e-9);
    ENSURE_NEAR(times[2], 1.0, 1e-9);
    ENSURE(bodies[0] == 1 && bodies[1] == 2 && bodies[2] == 1);
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
    Agent* a = agent_create(&def, NULL, 0, seed);
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
        if (agent_act(a, t / 60.0, s, mask, ids, 4, &pushes[n])) times[n++] = t / 60.0;
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
    ENSURE(agent_kind_find("random") == SCN_AGENT_RANDOM && agent_kind_find("sleepy") == -1);
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
        episode_tick(&e);
        if (e.pushed) {
            pushes++;
            ENSURE_NEAR(sim_world_time(e.world), 0.5 + 1 / 60.0, 1e-9);
            ENSURE(e.push.body == 1);
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
        episode_tick(&e);
        ENSURE(!e.pushed);
    }
    episode_end(&e);
    scn_free(s);
}

int main(void) {
    sim_quiet_chipmunk();
    RUN(test_scripted_order_and_timing);
    RUN(test_random_distribution_and_seed);
    RUN(test_override_and_ranges);
    RUN(test_episode_pushes_reach_the_world);
    fprintf(stderr, "test_agent: all passed\n");
    return 0;
}
