/* test_api: the public C API (include/nudge/) -- what an embedding program relies on, checked
 * against the internals it wraps so that a change behind the facade shows here.
 *
 * Also a helper for the Python binding's test: `test_api rollout SCENARIO SEED MODEL OUT` writes a
 * rollout made through the C API (raw float32, H x K x D) for the Python rollout to be compared to. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensure.h"
#include "model/wm.h"
#include "nudge/nudge.h"
#include "sim/observation.h"

#define K NUDGE_OBS_SLOTS
#define D NUDGE_OBS_DIM
#define SCN(rel) NUDGE_SOURCE_DIR "/scenarios/" rel

static char err[NUDGE_ERR_SIZE];

static NudgeWorld* world_of(const char* path, uint64_t seed) {
    NudgeScenario* s = nudge_scenario_load(path, err, sizeof err);
    ENSURE(s);
    NudgeWorldDef def = nudge_world_def_default();
    def.use_seed = 1;
    def.seed = seed;
    NudgeWorld* w = nudge_world_create(s, &def, err, sizeof err);
    nudge_scenario_free(s);   /* the world keeps it alive */
    ENSURE(w);
    return w;
}

/* a one-line message: not empty, no newline */
static bool one_line(const char* e) { return e[0] && !strchr(e, '\n'); }

static void test_version(void) {
    CHECK(nudge_version() == NUDGE_VERSION_MAJOR * 10000 + NUDGE_VERSION_MINOR * 100 + NUDGE_VERSION_PATCH);
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", NUDGE_VERSION_MAJOR, NUDGE_VERSION_MINOR, NUDGE_VERSION_PATCH);
    CHECK(!strcmp(nudge_version_string(), want));
    CHECK(nudge_abi_version() == NUDGE_ABI_VERSION);
}

/* the public observation is the internal one, column by column */
static void test_columns(void) {
    for (int i = 0; i < SIM_OBS_DIM; i++) {
        const char* unit = NULL;
        CHECK(!strcmp(nudge_obs_column(i, &unit, NULL), sim_obs_columns[i].name));
        CHECK(!strcmp(unit, sim_obs_columns[i].unit));
        CHECK(nudge_obs_find(sim_obs_columns[i].name) == i);
    }
    CHECK(nudge_obs_column(-1, NULL, NULL) == NULL && nudge_obs_column(D, NULL, NULL) == NULL);
    CHECK(nudge_obs_find("nope") == -1 && nudge_obs_find(NULL) == -1);
    CHECK(!strcmp(nudge_event_name(NUDGE_EVENT_BREAK), "break"));
    CHECK(!strcmp(nudge_event_name(NUDGE_EVENT_TOPPLE), "topple"));
    CHECK(nudge_event_name(NUDGE_EVENT_TYPES) == NULL);
}

/* same scenario, seed and pushes: the same observations and hashes; another seed: another world */
static void test_determinism(void) {
    uint64_t hashes[3];
    float    obs[2][K * D];
    for (int run = 0; run < 3; run++) {
        NudgeWorld* w = world_of(SCN("templates/push_off_table.scn"), run < 2 ? 5 : 6);
        int32_t     dyn[K];
        ENSURE(nudge_world_dynamic_ids(w, dyn, K) > 0);
        for (int t = 0; t < 120; t++) {
            NudgePush p = {.body = dyn[0], .jx = 0.02, .px = 0.0, .py = 0.01};
            ENSURE(nudge_world_step(w, t % 20 == 0 ? &p : NULL, t % 20 == 0, err, sizeof err) >= 0);
        }
        hashes[run] = nudge_world_hash(w);
        if (run < 2) nudge_world_observe(w, obs[run], NULL, NULL, NULL);
        CHECK(nudge_world_ticks(w) == 120);
        CHECK(fabs(nudge_world_time(w) - 120 * nudge_world_tick_seconds(w)) < 1e-9);
        nudge_world_free(w);
    }
    CHECK(hashes[0] == hashes[1]);
    CHECK(hashes[0] != hashes[2]);
    CHECK(!memcmp(obs[0], obs[1], sizeof obs[0]));
}

/* observe, push and events agree with each other and with the scenario */
static void test_observe_push_events(void) {
    NudgeWorld* w = world_of(SCN("demo/glass_off_table.scn"), 1);
    CHECK(nudge_world_slots(w) == K);
    float   states[K * D];
    uint8_t mask[K], contacts[K];
    int32_t ids[K];
    int     live = nudge_world_observe(w, states, mask, ids, contacts);
    int     nmask = 0;
    for (int k = 0; k < K; k++) {
        nmask += mask[k];
        CHECK(mask[k] ? ids[k] == k : ids[k] == -1);
    }
    CHECK(live == nmask && live > 0);
    int32_t glass = nudge_world_find(w, "glass");
    ENSURE(glass >= 0 && mask[glass]);
    char name[64];
    CHECK(nudge_world_body_name(w, glass, name, sizeof name) && !strcmp(name, "glass"));
    CHECK(!nudge_world_body_name(w, 10000, name, sizeof name));
    CHECK(nudge_world_find(w, "no_such_body") == -1);
    CHECK(states[glass * D + nudge_obs_find("kind_cup")] == 1.0f);

    /* a push shows as a push event with its impulse, and moves the body */
    double     m = states[glass * D + nudge_obs_find("mass")];
    NudgePush  p = {.body = glass, .jx = 0.5 * m};
    CHECK(nudge_world_step(w, &p, 1, err, sizeof err) == 1);
    CHECK(nudge_world_refused(w)[0] == 0);
    NudgeEvent ev[32];
    int        n = nudge_world_events(w, ev, 32), pushes = 0;
    for (int i = 0; i < n && i < 32; i++)
        if (ev[i].type == NUDGE_EVENT_PUSH && ev[i].a == glass) {
            pushes++;
            CHECK(fabs(ev[i].magnitude - 0.5 * m) < 1e-9);
        }
    CHECK(pushes == 1);
    CHECK(nudge_world_events(w, NULL, 0) == n);
    nudge_world_observe(w, states, NULL, NULL, NULL);
    CHECK(states[glass * D + nudge_obs_find("vx")] > 0.3f);

    /* a push on a body that is not there is refused without error, and says why */
    NudgePush gone = {.body = 31, .jx = 0.1};
    CHECK(nudge_world_step(w, &gone, 1, err, sizeof err) == 0);
    CHECK(one_line(nudge_world_refused(w)));

    /* rows: the model's push layout */
    float rows[K * 4] = {0};
    rows[glass * 4 + 0] = (float)(-0.2 * m);
    CHECK(nudge_world_step_rows(w, rows, K, err, sizeof err) == 1);
    CHECK(nudge_world_step_rows(w, NULL, K, err, sizeof err) == 0);

    /* run it out: the glass goes over the edge and breaks; events say so */
    bool broke = false, fell = false;
    for (int t = 0; t < 400 && !broke; t++) {
        NudgePush shove = {.body = glass, .jx = 3.0 * m};
        nudge_world_step(w, t == 0 ? &shove : NULL, t == 0, err, sizeof err);
        int c = nudge_world_events(w, ev, 32);
        for (int i = 0; i < c && i < 32; i++) {
            broke |= ev[i].type == NUDGE_EVENT_BREAK && ev[i].a == glass;
            fell |= ev[i].type == NUDGE_EVENT_FALL && ev[i].a == glass;
        }
    }
    CHECK(fell && broke);
    live = nudge_world_observe(w, states, mask, ids, NULL);
    CHECK(!mask[glass]);
    NudgePush late = {.body = glass, .jx = 0.1};
    CHECK(nudge_world_step(w, &late, 1, err, sizeof err) == 0);
    nudge_world_free(w);
}

/* bad input: -1/false/NULL and one line, nothing changed */
/* a NULL handle is bad input: an error where the function has err, a sentinel from a getter; it
 * crashed every function but the frees */
static void test_null_handles(void) {
    float st[NUDGE_OBS_DIM];
    uint8_t mk[1] = {0};
    char out[64];
    err[0] = 0;
    CHECK(nudge_world_step(NULL, NULL, 0, err, sizeof err) == -1 && strstr(err, "nudge_world_step: no world (NULL)"));
    CHECK(nudge_world_step_rows(NULL, NULL, 1, err, sizeof err) == -1 && one_line(err));
    CHECK(nudge_world_step_observe(NULL, NULL, 1, NULL, NULL, NULL, NULL, err, sizeof err) == -1 && one_line(err));
    CHECK(!nudge_world_reset(NULL, 1, err, sizeof err) && strstr(err, "no world"));
    CHECK(!nudge_world_restore(NULL, NULL, err, sizeof err) && strstr(err, "no world"));
    CHECK(!nudge_world_render(NULL, (uint8_t*)out, 1, 1, err, sizeof err) && strstr(err, "no world"));
    CHECK(nudge_world_slots(NULL) == -1 && nudge_world_observe(NULL, NULL, NULL, NULL, NULL) == -1);
    CHECK(nudge_world_events(NULL, NULL, 0) == -1 && nudge_world_params(NULL, NULL, 0) == -1);
    CHECK(nudge_world_dynamic_ids(NULL, NULL, 0) == -1 && nudge_world_find(NULL, "a") == -1);
    CHECK(!nudge_world_body_name(NULL, 0, out, sizeof out) && !nudge_world_refused(NULL));
    CHECK(isnan(nudge_world_time(NULL)) && nudge_world_ticks(NULL) == -1 && isnan(nudge_world_tick_seconds(NULL)));
    CHECK(nudge_world_seed(NULL) == 0 && isnan(nudge_world_seconds(NULL)) && nudge_world_hash(NULL) == 0);
    CHECK(nudge_world_goal_count(NULL) == -1 && !nudge_world_goal_text(NULL, 0) && nudge_world_goal_status(NULL, 0) == -1);
    CHECK(nudge_world_task_status(NULL) == -1 && !nudge_world_snapshot(NULL));
    CHECK(!nudge_scenario_name(NULL) && nudge_scenario_seed(NULL) == 0 && isnan(nudge_scenario_seconds(NULL)));
    CHECK(nudge_scenario_param_count(NULL) == -1 && !nudge_scenario_param_name(NULL, 0));
    CHECK(!nudge_model_clone(NULL) && nudge_model_slots(NULL) == -1 && nudge_model_train_steps(NULL) == -1);
    CHECK(nudge_model_param_count(NULL) == -1);
    CHECK(!nudge_model_save(NULL, "x.bin", err, sizeof err) && strstr(err, "no model"));
    CHECK(!nudge_model_predict(NULL, 1, st, mk, NULL, st, NULL, err, sizeof err) && strstr(err, "no model"));
    CHECK(!nudge_model_rollout(NULL, 1, st, mk, NULL, 1, st, NULL, err, sizeof err) && strstr(err, "no model"));
    CHECK(!nudge_model_foresee(NULL, 1, st, mk, NULL, st, err, sizeof err) && strstr(err, "no model"));
    CHECK(nudge_trainer_step(NULL) == -1 && nudge_trainer_transitions(NULL) == -1 && isnan(nudge_trainer_loss(NULL)));
    CHECK(!nudge_trainer_model(NULL, NULL, err, sizeof err) && strstr(err, "no trainer"));
    CHECK(nudge_dataset_episodes(NULL) == -1 && nudge_dataset_shards(NULL) == -1 && nudge_dataset_records(NULL) == -1);
    CHECK(nudge_dataset_slots(NULL) == -1 && nudge_dataset_shard_first(NULL, 0) == -1 && !nudge_dataset_has_array(NULL, "states"));
    CHECK(!nudge_dataset_verify(NULL, 0, err, sizeof err) && strstr(err, "no dataset"));
    CHECK(nudge_dataset_array_bytes(NULL, 0, "states", err, sizeof err) == -1 && one_line(err));
    CHECK(!nudge_dataset_read(NULL, 0, "states", out, 1, err, sizeof err) && one_line(err));
    CHECK(!nudge_dataset_read_observation(NULL, 0, st, 1, mk, 1, err, sizeof err) && one_line(err));
    CHECK(!nudge_dataset_array_path(NULL, 0, "states", out, sizeof out, err, sizeof err) && one_line(err));
}

static void test_bad_input(void) {
    err[0] = 0;
    CHECK(!nudge_scenario_load("/no/such/file.scn", err, sizeof err) && one_line(err));
    const char bad[] = "body a box wood pos 0 0 size heavy 1\n";
    err[0] = 0;
    CHECK(!nudge_scenario_parse(bad, sizeof bad - 1, "bad.scn", err, sizeof err) && one_line(err));
    CHECK(!strncmp(err, "bad.scn:1:", 10));
    CHECK(!nudge_scenario_load(NULL, err, sizeof err) && one_line(err));
    CHECK(!nudge_world_create(NULL, NULL, err, sizeof err) && one_line(err));

    NudgeScenario* s = nudge_scenario_load(SCN("demo/glass_off_table.scn"), err, sizeof err);
    ENSURE(s);
    NudgeWorldDef def = nudge_world_def_default();
    def.slots = 0;
    CHECK(!nudge_world_create(s, &def, err, sizeof err) && strstr(err, "slots"));
    def = nudge_world_def_default();
    def.agent = 9;
    CHECK(!nudge_world_create(s, &def, err, sizeof err) && strstr(err, "agent"));
    /* the def's size: an older or foreign one refused, a newer one with its new fields zero taken */
    def = nudge_world_def_default();
    def.size = 4;
    CHECK(!nudge_world_create(s, &def, err, sizeof err) && strstr(err, "size"));
    struct {
        NudgeWorldDef d;
        uint64_t      newer;
    } big = {nudge_world_def_default(), 0};
    big.d.size = sizeof big;
    NudgeWorld* w = nudge_world_create(s, &big.d, err, sizeof err);
    CHECK(w != NULL);
    nudge_world_free(w);
    big.newer = 1;
    CHECK(!nudge_world_create(s, &big.d, err, sizeof err) && strstr(err, "does not know"));

    w = nudge_world_create(s, NULL, err, sizeof err);
    ENSURE(w);
    CHECK(nudge_world_seed(w) == nudge_scenario_seed(s));
    uint64_t  h = nudge_world_hash(w);
    NudgePush p[9] = {{.body = 1, .jx = 0.1}};
    CHECK(nudge_world_step(w, p, 9, err, sizeof err) == -1 && one_line(err));
    CHECK(nudge_world_step(w, NULL, 1, err, sizeof err) == -1 && one_line(err));
    p[0].jx = NAN;
    CHECK(nudge_world_step(w, p, 1, err, sizeof err) == -1 && strstr(err, "not finite"));
    p[0].jx = 0.1;
    p[0].body = -3;
    CHECK(nudge_world_step(w, p, 1, err, sizeof err) == -1 && strstr(err, "negative"));
    p[0].body = 1;
    p[0].reserved = 7;
    CHECK(nudge_world_step(w, p, 1, err, sizeof err) == -1 && strstr(err, "reserved"));
    float rows[K * 4] = {0};
    CHECK(nudge_world_step_rows(w, rows, K - 1, err, sizeof err) == -1 && one_line(err));
    for (int k = 0; k < 9; k++) rows[k * 4] = 0.01f;
    CHECK(nudge_world_step_rows(w, rows, K, err, sizeof err) == -1 && strstr(err, "more than"));
    rows[0] = INFINITY;
    CHECK(nudge_world_step_rows(w, rows, K, err, sizeof err) == -1 && strstr(err, "not finite"));
    CHECK(nudge_world_ticks(w) == 0 && nudge_world_hash(w) == h);   /* no tick was taken */
    uint8_t px[12];
    CHECK(!nudge_world_render(w, px, 0, 4, err, sizeof err) && one_line(err));
    CHECK(!nudge_world_render(w, NULL, 2, 2, err, sizeof err) && one_line(err));
    CHECK(!nudge_world_restore(w, NULL, err, sizeof err) && one_line(err));
    nudge_world_free(w);
    nudge_scenario_free(s);
    nudge_world_free(NULL);
    nudge_scenario_free(NULL);
    nudge_snapshot_free(NULL);
    nudge_model_free(NULL);
    nudge_trainer_free(NULL);
    nudge_dataset_close(NULL);
}

/* snapshot, restore: the same future twice; into another world of the scenario; not into another */
static void test_snapshot(void) {
    NudgeWorld* w = world_of(SCN("demo/tower_topple.scn"), 3);
    for (int t = 0; t < 20; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
    NudgeSnapshot* snap = nudge_world_snapshot(w);
    int32_t        dyn[K];
    ENSURE(nudge_world_dynamic_ids(w, dyn, K) > 0);
    uint64_t after[2];
    for (int r = 0; r < 2; r++) {
        ENSURE(nudge_world_restore(w, snap, err, sizeof err));
        CHECK(nudge_world_ticks(w) == 20);
        for (int t = 0; t < 90; t++) {
            NudgePush p = {.body = dyn[0], .jx = 0.05};
            nudge_world_step(w, t == 3 ? &p : NULL, t == 3, err, sizeof err);
        }
        after[r] = nudge_world_hash(w);
    }
    CHECK(after[0] == after[1]);
    /* another world of the scenario, another seed: it takes the snapshot's instance */
    NudgeWorld* other = world_of(SCN("demo/tower_topple.scn"), 99);
    ENSURE(nudge_world_restore(other, snap, err, sizeof err));
    CHECK(nudge_world_seed(other) == 3);
    for (int t = 0; t < 90; t++) {
        NudgePush p = {.body = dyn[0], .jx = 0.05};
        nudge_world_step(other, t == 3 ? &p : NULL, t == 3, err, sizeof err);
    }
    CHECK(nudge_world_hash(other) == after[0]);
    NudgeWorld* foreign = world_of(SCN("demo/seesaw.scn"), 3);
    uint64_t    h = nudge_world_hash(foreign);
    CHECK(!nudge_world_restore(foreign, snap, err, sizeof err) && strstr(err, "another scenario"));
    CHECK(nudge_world_hash(foreign) == h);
    /* reset: back to t = 0 of a seed's instance, the same as a fresh world of it */
    ENSURE(nudge_world_reset(w, 99, err, sizeof err));
    CHECK(nudge_world_ticks(w) == 0 && nudge_world_seed(w) == 99);
    NudgeWorld* fresh = world_of(SCN("demo/tower_topple.scn"), 99);
    CHECK(nudge_world_hash(w) == nudge_world_hash(fresh));
    nudge_world_free(fresh);
    nudge_world_free(foreign);
    nudge_world_free(other);
    nudge_snapshot_free(snap);
    nudge_world_free(w);
}

/* goals: a task's goals decided as the world shows them, kept once decided */
static void test_goals(void) {
    NudgeWorld* w = world_of(SCN("tasks/glass_off_table.scn"), 1);
    int         n = nudge_world_goal_count(w);
    ENSURE(n >= 1);
    for (int i = 0; i < n; i++) {
        CHECK(nudge_world_goal_text(w, i) && nudge_world_goal_text(w, i)[0]);
        CHECK(nudge_world_goal_status(w, i) == NUDGE_GOAL_PENDING);
    }
    CHECK(nudge_world_goal_status(w, n) == -1 && nudge_world_goal_text(w, -1) == NULL);
    CHECK(nudge_world_task_status(w) == NUDGE_GOAL_PENDING);
    /* without a push the glass stays on the table: the task fails by its deadline at the latest */
    int status = NUDGE_GOAL_PENDING;
    for (int t = 0; t < 60 * 10 && status == NUDGE_GOAL_PENDING; t++) {
        nudge_world_step(w, NULL, 0, err, sizeof err);
        status = nudge_world_task_status(w);
    }
    CHECK(status == NUDGE_GOAL_FAILED);
    /* shoved off the edge it is met */
    ENSURE(nudge_world_reset(w, 1, err, sizeof err));
    CHECK(nudge_world_task_status(w) == NUDGE_GOAL_PENDING);
    int32_t glass = nudge_world_find(w, "glass");
    ENSURE(glass >= 0);
    float states[K * D];
    nudge_world_observe(w, states, NULL, NULL, NULL);
    int32_t box = nudge_world_find(w, "box");
    ENSURE(box >= 0);
    double away = states[glass * D] > states[box * D] ? 1 : -1, m = states[glass * D + nudge_obs_find("mass")];
    status = NUDGE_GOAL_PENDING;
    for (int t = 0; t < 60 * 10 && status == NUDGE_GOAL_PENDING; t++) {
        NudgePush p = {.body = glass, .jx = away * 4.0 * m};
        nudge_world_step(w, &p, t == 0, err, sizeof err);
        status = nudge_world_task_status(w);
    }
    CHECK(status == NUDGE_GOAL_MET);
    nudge_world_free(w);
}

/* render: the scene in RGB, the same bytes twice, the picture changes as the world does */
static void test_render(void) {
    NudgeWorld* w = world_of(SCN("demo/glass_off_table.scn"), 1);
    enum { W = 96, H = 64 };
    static uint8_t a[W * H * 3], b[W * H * 3], c[W * H * 3];
    ENSURE(nudge_world_render(w, a, W, H, err, sizeof err));
    ENSURE(nudge_world_render(w, b, W, H, err, sizeof err));
    CHECK(!memcmp(a, b, sizeof a));
    int distinct = 0;
    for (int i = 3; i < W * H * 3; i += 3) distinct += memcmp(a + i, a, 3) != 0;
    CHECK(distinct > W * H / 20);   /* bodies drawn on the background */
    int32_t   glass = nudge_world_find(w, "glass");
    NudgePush p = {.body = glass, .jx = 0.5};
    for (int t = 0; t < 60; t++) nudge_world_step(w, t == 0 ? &p : NULL, t == 0, err, sizeof err);
    ENSURE(nudge_world_render(w, c, W, H, err, sizeof err));
    CHECK(memcmp(a, c, sizeof a) != 0);
    nudge_world_free(w);
}

/* the model: predict and rollout as the internal model computes them; a rollout is predictions
 * chained; save and load keep every bit; bad input is one line */
static void test_model(void) {
    NudgeModel* m = nudge_model_create(K, 11, err, sizeof err);
    ENSURE(m);
    CHECK(nudge_model_slots(m) == K && nudge_model_param_count(m) > 1000 && nudge_model_train_steps(m) == 0);
    NudgeWorld* w = world_of(SCN("demo/ball_knocks_glass.scn"), 2);
    for (int t = 0; t < 10; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
    static float states[K * D], pushes[3 * K * 4], roll[3 * K * D], ev[3 * K * 3], step[K * D], cur[K * D];
    uint8_t      mask[K];
    nudge_world_observe(w, states, mask, NULL, NULL);
    int32_t dyn[K];
    ENSURE(nudge_world_dynamic_ids(w, dyn, K) > 0);
    pushes[dyn[0] * 4] = 0.05f;   /* a push right after the first state */
    ENSURE(nudge_model_rollout(m, 1, states, mask, pushes, 3, roll, ev, err, sizeof err));
    memcpy(cur, states, sizeof cur);
    for (int h = 0; h < 3; h++) {
        ENSURE(nudge_model_predict(m, 1, cur, mask, pushes + (size_t)h * K * 4, step, NULL, err, sizeof err));
        CHECK(!memcmp(step, roll + (size_t)h * K * D, sizeof step));
        memcpy(cur, step, sizeof cur);
    }
    for (int i = 0; i < 3 * K * 3; i++) CHECK(ev[i] >= 0 && ev[i] <= 1);
    /* the same numbers as model/wm.h's rollout on the same weights */
    char path[] = "/tmp/nudge_test_api_XXXXXX";
    int  fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    ENSURE(nudge_model_save(m, path, err, sizeof err));
    WmModel*   wm = wm_load(path, err, sizeof err);
    ENSURE(wm);
    WmScratch* ws = wm_scratch_create(wm);
    static float wroll[3 * K * D];
    wm_rollout(wm, ws, 1, states, mask, pushes, 3, wroll, NULL, NULL);
    CHECK(!memcmp(wroll, roll, sizeof roll));
    /* the foresight: wm_foresee's numbers, each a probability, the break and fall at least the
       observation's own heads, the contact the next tick's head */
    static float fore[K * 3], wfore[K * 3], heads[K * 3];
    ENSURE(nudge_model_foresee(m, 1, states, mask, pushes, fore, err, sizeof err));
    wm_foresee(wm, ws, 1, states, mask, pushes, wfore);
    CHECK(!memcmp(fore, wfore, sizeof fore));
    ENSURE(nudge_model_predict(m, 1, states, mask, pushes, step, heads, err, sizeof err));
    for (int k = 0; k < K; k++) {
        for (int e = 0; e < 3; e++) CHECK(fore[k * 3 + e] >= 0 && fore[k * 3 + e] <= 1);
        CHECK(fore[k * 3 + NUDGE_MODEL_EVENT_BREAK] >= heads[k * 3 + NUDGE_MODEL_EVENT_BREAK]);
        CHECK(fore[k * 3 + NUDGE_MODEL_EVENT_FALL] >= heads[k * 3 + NUDGE_MODEL_EVENT_FALL]);
        CHECK(fore[k * 3 + NUDGE_MODEL_EVENT_CONTACT] == heads[k * 3 + NUDGE_MODEL_EVENT_CONTACT]);
    }
    CHECK(!nudge_model_foresee(m, 0, states, mask, NULL, fore, err, sizeof err) && strstr(err, "batch") && one_line(err));
    CHECK(!nudge_model_foresee(m, 1, states, mask, NULL, NULL, err, sizeof err) && one_line(err));
    wm_scratch_free(ws);
    wm_free(wm);
    NudgeModel* loaded = nudge_model_load(path, err, sizeof err);
    ENSURE(loaded);
    static float again[3 * K * D];
    ENSURE(nudge_model_rollout(loaded, 1, states, mask, pushes, 3, again, NULL, err, sizeof err));
    CHECK(!memcmp(again, roll, sizeof roll));
    NudgeModel* clone = nudge_model_clone(loaded);
    ENSURE(nudge_model_rollout(clone, 1, states, mask, pushes, 3, again, NULL, err, sizeof err));
    CHECK(!memcmp(again, roll, sizeof roll));
    nudge_model_free(clone);
    nudge_model_free(loaded);
    /* bad input */
    CHECK(!nudge_model_load("/no/such/model.bin", err, sizeof err) && one_line(err));
    FILE* f = fopen(path, "wb");
    ENSURE(f);
    fputs("not a model", f);
    fclose(f);
    CHECK(!nudge_model_load(path, err, sizeof err) && one_line(err));
    unlink(path);
    CHECK(!nudge_model_create(0, 1, err, sizeof err) && one_line(err));
    CHECK(!nudge_model_predict(m, 0, states, mask, NULL, step, NULL, err, sizeof err) && strstr(err, "batch"));
    CHECK(!nudge_model_rollout(m, 1, states, mask, NULL, 0, roll, NULL, err, sizeof err) && strstr(err, "horizon"));
    CHECK(!nudge_model_predict(m, 1, NULL, mask, NULL, step, NULL, err, sizeof err) && one_line(err));
    states[3] = NAN;
    CHECK(!nudge_model_predict(m, 1, states, mask, NULL, step, NULL, err, sizeof err) && strstr(err, "not finite"));
    states[3] = 0;
    mask[0] = 2;
    CHECK(!nudge_model_predict(m, 1, states, mask, NULL, step, NULL, err, sizeof err) && strstr(err, "mask"));
    nudge_world_free(w);
    nudge_model_free(m);
}

/* the trainer: a watched world feeds it; it steps once it has a batch; the loss falls a little;
 * a model copied out predicts; the world may outlive the caller's trainer reference */
static void test_trainer(void) {
    NudgeTrainerDef def = nudge_trainer_def_default();
    def.batch = 16;
    def.capacity = 5000;
    err[0] = 0;
    NudgeTrainerDef bad = def;
    bad.lr = -1;
    CHECK(!nudge_trainer_create(&bad, NULL, K, err, sizeof err) && one_line(err));
    /* sizes beyond any machine are one line, not an abort ("nudge: out of memory") */
    bad = def;
    bad.capacity = (int64_t)1 << 50;
    CHECK(!nudge_trainer_create(&bad, NULL, K, err, sizeof err) && strstr(err, "memory") && one_line(err));
    bad = def;
    bad.batch = INT32_MAX;
    CHECK(!nudge_trainer_create(&bad, NULL, K, err, sizeof err) && strstr(err, "batch") && one_line(err));
    NudgeTrainer* tr = nudge_trainer_create(&def, NULL, K, err, sizeof err);
    ENSURE(tr);
    CHECK(nudge_trainer_step(tr) == 0);   /* nothing to learn from yet */
    CHECK(isnan(nudge_trainer_loss(tr)));
    NudgeWorldDef wd = nudge_world_def_default();
    wd.agent = NUDGE_AGENT_RANDOM;
    NudgeScenario* s = nudge_scenario_load(SCN("templates/push_off_table.scn"), err, sizeof err);
    ENSURE(s);
    NudgeWorld* w = nudge_world_create(s, &wd, err, sizeof err);
    ENSURE(w);
    wd.slots = 8;
    NudgeWorld* narrow = nudge_world_create(s, &wd, err, sizeof err);
    ENSURE(narrow);
    CHECK(!nudge_trainer_watch(tr, narrow, err, sizeof err) && strstr(err, "slots"));
    nudge_world_free(narrow);
    /* a world of another control tick (4 physics steps: 1/30 s) than the model's 1/60 s step */
    static const char slow_text[] = "world ticks 4\nworld seconds 1\nbody b box wood pos 0 1 size 0.2 0.2\n";
    NudgeScenario* slow_s = nudge_scenario_parse(slow_text, sizeof slow_text - 1, "slow.scn", err, sizeof err);
    ENSURE(slow_s);
    wd.slots = K;
    NudgeWorld* slow = nudge_world_create(slow_s, &wd, err, sizeof err);
    ENSURE(slow);
    CHECK(!nudge_trainer_watch(tr, slow, err, sizeof err) && strstr(err, "control tick is 0.0333333 s") && one_line(err));
    nudge_world_free(slow);
    nudge_scenario_free(slow_s);
    ENSURE(nudge_trainer_watch(tr, w, err, sizeof err));
    for (int t = 0; t < 200; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
    CHECK(nudge_trainer_transitions(tr) > 100);
    int steps = 0;
    for (int i = 0; i < 60; i++) steps += nudge_trainer_step(tr);
    CHECK(steps == 60);
    CHECK(isfinite(nudge_trainer_loss(tr)));
    NudgeModel* m = nudge_model_create(K, 1, err, sizeof err);
    ENSURE(nudge_trainer_model(tr, m, err, sizeof err));
    CHECK(nudge_model_train_steps(m) == 60);
    NudgeModel* small = nudge_model_create(8, 1, err, sizeof err);
    CHECK(!nudge_trainer_model(tr, small, err, sizeof err) && one_line(err));
    nudge_model_free(small);
    nudge_trainer_free(tr);   /* the world still holds it: stepping on is safe */
    for (int t = 0; t < 10; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
    nudge_world_free(w);
    nudge_scenario_free(s);
    nudge_model_free(m);
}

/* threads: distinct worlds and models from one shared scenario, at once, give what they give alone */
typedef struct ThreadRun {
    NudgeScenario* s;
    uint64_t       seed;
    uint64_t       hash;
    float          roll[10 * K * D];
} ThreadRun;

static void* thread_run(void* arg) {
    ThreadRun*    r = arg;
    char          e[NUDGE_ERR_SIZE];
    NudgeWorldDef def = nudge_world_def_default();
    def.use_seed = 1;
    def.seed = r->seed;
    def.agent = NUDGE_AGENT_SCENARIO;   /* the template's random agent pushes */
    NudgeWorld* w = nudge_world_create(r->s, &def, e, sizeof e);
    NudgeModel* m = nudge_model_create(K, 5, e, sizeof e);
    if (!w || !m) return NULL;
    for (int t = 0; t < 300; t++) nudge_world_step(w, NULL, 0, e, sizeof e);
    r->hash = nudge_world_hash(w);
    static __thread float states[K * D];
    static __thread uint8_t mask[K];
    nudge_world_observe(w, states, mask, NULL, NULL);
    nudge_model_rollout(m, 1, states, mask, NULL, 10, r->roll, NULL, e, sizeof e);
    nudge_model_free(m);
    nudge_world_free(w);
    return r;
}

static void test_threads(void) {
    NudgeScenario* s = nudge_scenario_load(SCN("templates/push_off_table.scn"), err, sizeof err);
    ENSURE(s);
    enum { N = 4 };
    static ThreadRun alone[N], together[N];
    for (int i = 0; i < N; i++) {
        alone[i] = (ThreadRun){.s = s, .seed = 100 + (uint64_t)i};
        together[i] = alone[i];
        ENSURE(thread_run(&alone[i]) == &alone[i]);
    }
    pthread_t th[N];
    for (int i = 0; i < N; i++) ENSURE(pthread_create(&th[i], NULL, thread_run, &together[i]) == 0);
    for (int i = 0; i < N; i++) {
        void* ret = NULL;
        ENSURE(pthread_join(th[i], &ret) == 0 && ret == &together[i]);
        CHECK(together[i].hash == alone[i].hash);
        CHECK(!memcmp(together[i].roll, alone[i].roll, sizeof alone[i].roll));
    }
    CHECK(alone[0].hash != alone[1].hash);
    /* the scenario's parameters as an instance resolved them */
    NudgeWorld* w = world_of(SCN("templates/push_off_table.scn"), 100);
    int         np = nudge_world_params(w, NULL, 0);
    CHECK(np == nudge_scenario_param_count(s) && np > 0);
    double p[64];
    ENSURE(np <= 64 && nudge_world_params(w, p, 64) == np);
    NudgeWorld* again = world_of(SCN("templates/push_off_table.scn"), 100);
    double      q[64];
    nudge_world_params(again, q, 64);
    CHECK(!memcmp(p, q, sizeof(double) * (size_t)np));
    nudge_world_free(again);
    nudge_world_free(w);
    nudge_scenario_free(s);
}

/* the helper mode: the C API's rollout of a world's observation after `ticks` ticks, to a file */
static int write_rollout(int argc, char** argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: test_api rollout SCENARIO SEED TICKS MODEL OUT\n");
        return 2;
    }
    NudgeWorld* w = world_of(argv[2], strtoull(argv[3], NULL, 10));
    int         ticks = atoi(argv[4]);
    for (int t = 0; t < ticks; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
    NudgeModel* m = nudge_model_load(argv[5], err, sizeof err);
    if (!m) {
        fprintf(stderr, "test_api: %s\n", err);
        return 2;
    }
    int     k = nudge_world_slots(w), H = 30;
    float*  states = calloc((size_t)k * D, sizeof *states);
    uint8_t* mask = calloc((size_t)k, 1);
    float*  out = calloc((size_t)H * k * D, sizeof *out);
    nudge_world_observe(w, states, mask, NULL, NULL);
    ENSURE(nudge_model_rollout(m, 1, states, mask, NULL, H, out, NULL, err, sizeof err));
    FILE* f = fopen(argv[6], "wb");
    ENSURE(f && fwrite(out, sizeof *out, (size_t)H * k * D, f) == (size_t)H * k * D && fclose(f) == 0);
    free(states);
    free(mask);
    free(out);
    nudge_model_free(m);
    nudge_world_free(w);
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && !strcmp(argv[1], "rollout")) return write_rollout(argc, argv);
    RUN(test_version);
    RUN(test_columns);
    RUN(test_determinism);
    RUN(test_observe_push_events);
    RUN(test_null_handles);
    RUN(test_bad_input);
    RUN(test_snapshot);
    RUN(test_goals);
    RUN(test_render);
    RUN(test_model);
    RUN(test_trainer);
    RUN(test_threads);
    return ensure_finish("test_api");
}
