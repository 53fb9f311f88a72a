/* bench_env's reference: the C loop a program embedding libnudge writes -- one control tick
 * (nudge_world_step), the observation (nudge_world_observe) and the task's status per step, a
 * reset at the scenario's time limit -- on one world, one thread. bench/bench_env.py runs it between
 * its own rounds of the Python nudge.Env on the same world and prints the ratio.
 *
 *   bench_env SCENARIO SEED STEPS PUSH_EVERY AGENT  ->  prints "steps_per_s HASH"
 * AGENT: none, or scenario (the template's own random agent pushes too, as in nudge gen) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "nudge/nudge.h"

int main(int argc, char** argv) {
    if (argc != 6 || (strcmp(argv[5], "none") && strcmp(argv[5], "scenario"))) {
        fprintf(stderr, "usage: bench_env SCENARIO SEED STEPS PUSH_EVERY none|scenario\n");
        return 2;
    }
    char           err[NUDGE_ERR_SIZE];
    NudgeScenario* s = nudge_scenario_load(argv[1], err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_env: %s\n", err);
        return 2;
    }
    uint64_t      seed = strtoull(argv[2], NULL, 10);
    long          steps = strtol(argv[3], NULL, 10), every = strtol(argv[4], NULL, 10);
    NudgeWorldDef def = nudge_world_def_default();
    def.use_seed = 1;
    def.seed = seed;
    def.agent = strcmp(argv[5], "scenario") ? NUDGE_AGENT_NONE : NUDGE_AGENT_SCENARIO;
    NudgeWorld* w = nudge_world_create(s, &def, err, sizeof err);
    if (!w) {
        fprintf(stderr, "bench_env: %s\n", err);
        return 2;
    }
    int      K = nudge_world_slots(w);
    float*   states = calloc((size_t)K * NUDGE_OBS_DIM, sizeof *states);
    uint8_t* mask = calloc((size_t)K, 1);
    int32_t* ids = calloc((size_t)K, sizeof *ids);
    float*   rows = calloc((size_t)K * NUDGE_PUSH_DIM, sizeof *rows);
    long     limit = (long)(nudge_world_seconds(w) / nudge_world_tick_seconds(w) + 0.5);
    uint64_t episode = seed, mix = 0;
    double   t0 = clock_now();
    long     tick = 0;
    for (long i = 0; i < steps; i++) {
        /* the same pushes bench_env.py gives: body 2 + (i / every) % 3, alternating sides */
        const float* push = NULL;
        int          k = 2 + (int)((i / (every > 0 ? every : 1)) % 3);
        if (every > 0 && i % every == 0 && k < K) {
            rows[k * 4] = (i / every) % 2 ? -0.05f : 0.05f;
            push = rows;
        }
        nudge_world_step_rows(w, push, K, err, sizeof err);
        if (push) rows[k * 4] = 0;
        nudge_world_observe(w, states, mask, ids, NULL);
        int status = nudge_world_task_status(w);
        if (status != NUDGE_GOAL_PENDING || ++tick >= limit) {
            mix ^= nudge_world_hash(w);
            nudge_world_reset(w, ++episode, err, sizeof err);
            tick = 0;
        }
    }
    double dt = clock_now() - t0;
    printf("%.1f %016llx\n", (double)steps / dt, (unsigned long long)(mix ^ nudge_world_hash(w)));
    free(states);
    free(mask);
    free(ids);
    free(rows);
    nudge_world_free(w);
    nudge_scenario_free(s);
    return 0;
}
