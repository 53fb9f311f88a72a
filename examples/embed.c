/* embed: nudge as a library. Loads a scenario, steps it, observes, pushes a body, and, given a
 * checkpoint, predicts half a second ahead with the world model and compares with what happened.
 *
 *   cc embed.c $(pkg-config --cflags --libs nudge) -o embed
 *   ./embed PREFIX/share/nudge/scenarios/demo/glass_off_table.scn [model.bin]
 *
 * Exit status: 0 done, 2 bad input (one line on stderr). */
#include <stdio.h>
#include <stdlib.h>

#include <nudge/nudge.h>

#define K NUDGE_OBS_SLOTS
#define D NUDGE_OBS_DIM
#define H 30 /* ticks predicted ahead (0.5 s) */

static int fail(const char* what, const char* err) {
    fprintf(stderr, "embed: %s: %s\n", what, err);
    return 2;
}

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: embed SCENARIO.scn [MODEL.bin]\n");
        return 2;
    }
    if (nudge_version() / 100 != NUDGE_VERSION_MAJOR * 100 + NUDGE_VERSION_MINOR)
        fprintf(stderr, "embed: built against nudge %d.%d, running with %s\n", NUDGE_VERSION_MAJOR,
                NUDGE_VERSION_MINOR, nudge_version_string());
    char err[NUDGE_ERR_SIZE];

    /* load a scenario and make a world of it: seed 7, the default 32 observed slots */
    NudgeScenario* scn = nudge_scenario_load(argv[1], err, sizeof err);
    if (!scn) return fail("scenario", err);
    NudgeWorldDef def = nudge_world_def_default();
    def.use_seed = 1;
    def.seed = 7;
    NudgeWorld* w = nudge_world_create(scn, &def, err, sizeof err);
    nudge_scenario_free(scn); /* the world keeps its own reference */
    if (!w) return fail("world", err);

    /* step half a second, then observe */
    for (int t = 0; t < 30; t++)
        if (nudge_world_step(w, NULL, 0, err, sizeof err) < 0) return fail("step", err);
    static float   states[K * D];
    static uint8_t mask[K];
    static int32_t ids[K];
    int            live = nudge_world_observe(w, states, mask, ids, NULL);
    int32_t        dyn[K];
    int            ndyn = nudge_world_dynamic_ids(w, dyn, K);
    printf("%s: %d bodies live at t = %.2f s, %d dynamic, hash %016llx\n", argv[1], live,
           nudge_world_time(w), ndyn, (unsigned long long)nudge_world_hash(w));
    if (ndyn == 0) {
        nudge_world_free(w);
        return fail("scenario", "no dynamic body to push");
    }

    /* push the first dynamic body to the right, 2 m/s worth of impulse, at its centre */
    int32_t body = dyn[0];
    double  mass = states[body * D + nudge_obs_find("mass")];
    NudgePush push = {.body = body, .jx = 2.0 * mass, .jy = 0.0, .px = 0.0, .py = 0.0};
    if (nudge_world_step(w, &push, 1, err, sizeof err) != 1)
        return fail("push", nudge_world_refused(w)[0] ? nudge_world_refused(w) : err);
    NudgeEvent ev[64];
    int        nev = nudge_world_events(w, ev, 64);
    for (int i = 0; i < nev && i < 64; i++)
        if (ev[i].type == NUDGE_EVENT_PUSH)
            printf("pushed body %d: |J| = %.3f N*s at t = %.3f s\n", ev[i].a, ev[i].magnitude, ev[i].t);
    nudge_world_observe(w, states, mask, ids, NULL);
    printf("body %d: x = %.3f m, vx = %.3f m/s after the push\n", body, states[body * D + 0],
           states[body * D + 4]);

    /* with a checkpoint: predict half a second ahead from here and compare with the world */
    if (argc == 3) {
        NudgeModel* m = nudge_model_load(argv[2], err, sizeof err);
        if (!m) {
            nudge_world_free(w);
            return fail("model", err);
        }
        if (nudge_model_slots(m) != K) {
            nudge_model_free(m);
            nudge_world_free(w);
            return fail("model", "it does not observe the default 32 slots");
        }
        float* pred = malloc(sizeof(float) * H * K * D);
        if (!pred || !nudge_model_rollout(m, 1, states, mask, NULL, H, pred, NULL, err, sizeof err)) {
            free(pred);
            nudge_model_free(m);
            nudge_world_free(w);
            return fail("rollout", pred ? err : "out of memory");
        }
        for (int t = 0; t < H; t++) nudge_world_step(w, NULL, 0, err, sizeof err);
        nudge_world_observe(w, states, mask, ids, NULL);
        const float* last = pred + (size_t)(H - 1) * K * D;
        printf("model (%lld training steps): body %d predicted at (%.3f, %.3f) m after %d ticks; ",
               (long long)nudge_model_train_steps(m), body, last[body * D], last[body * D + 1], H);
        if (mask[body]) printf("it is at (%.3f, %.3f) m\n", states[body * D], states[body * D + 1]);
        else printf("it is gone (broken or out of the world)\n");
        free(pred);
        nudge_model_free(m);
    }
    nudge_world_free(w);
    return 0;
}
