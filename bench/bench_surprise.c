/* bench_surprise: what scoring the model's surprise costs, against the bare episode loop measured
 * in the same run (issue 11).
 *
 * One scene (bench/scenes/row_30.scn: a floor and 29 dynamic bodies pushed at random), 10 s
 * simulated (600 control ticks), best of ROUNDS with the rounds interleaved, in CPU time:
 *   plain            episode_tick alone: the reference (1.00x)
 *   + motion only    a watch scoring the model's motion NLL alone (wm_surprise, a source made here:
 *                    the definition before the fate term and the aftermath)
 *   + surprise       the surprise watch as nudge scores it (one observation and one batch-1 model
 *                    step per tick, the break head's history, agent/surprise.h)
 * The model: the shipped one (argv[2], default assets/models/default.wm) or, without it, a fresh
 * model of the default architecture (the cost does not depend on the weights). One BLAS thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/episode.h"
#include "agent/surprise.h"
#include "base/clock.h"
#include "model/nn.h"
#include "sim/observation.h"

#define TICKS 600
#define ROUNDS 5

/* the motion-only source: wm_surprise per body, the world's the largest */
typedef struct MotionSource {
    SurpriseSource base;
    const WmModel* m;
    WmScratch*     scratch;
} MotionSource;

static double motion_tick(void* self, const SurpriseTick* t, float* per_body) {
    MotionSource* s = self;
    wm_surprise(s->m, s->scratch, 1, t->states, t->mask, t->pushes, t->next, t->next_mask, per_body);
    double most = NAN;
    for (int k = 0; k < t->slots; k++)
        if (!isnan(per_body[k]) && (isnan(most) || per_body[k] > most)) most = per_body[k];
    return most;
}
static void motion_reset(void* self) { (void)self; }
static void motion_destroy(void* self) { (void)self; }

static double run(const Scenario* s, SurpriseSource* src, double* peak) {
    char err[512];
    Episode e;
    if (!episode_begin(&e, s, 7, -1, SIM_OBS_SLOTS, err, sizeof err)) {
        fprintf(stderr, "bench_surprise: %s\n", err);
        exit(1);
    }
    SurpriseWatch w;
    memset(&w, 0, sizeof w);
    if (src && !surprise_watch_attach(&w, &e, src, NULL, 0)) exit(1);
    double t0 = clock_cpu();
    for (int k = 0; k < TICKS; k++) {
        episode_tick(&e, NULL);
        if (src && w.scored && w.world > *peak) *peak = w.world;
    }
    double t = clock_cpu() - t0;
    surprise_watch_free(&w);
    episode_end(&e);
    return t;
}

int main(int argc, char** argv) {
    const char* scene = argc > 1 ? argv[1] : "bench/scenes/row_30.scn";
    const char* model = argc > 2 ? argv[2] : "assets/models/default.wm";
    nn_set_threads(1);
    sim_quiet_chipmunk();
    char err[512];
    Scenario* s = scn_load(scene, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_surprise: %s\n", err);
        return 1;
    }
    const WmModel* m = NULL;
    WmModel* fresh = NULL;
    SurpriseSource* src = surprise_source_load(model, &m, err, sizeof err);
    if (!src) {
        WmArch a = wm_arch_default(SIM_OBS_SLOTS);
        fresh = wm_create(&a, 1);
        src = surprise_source_state(fresh);
        model = "a fresh model (no shipped one)";
    }
    MotionSource motion = {{"motion", &motion, motion_tick, motion_reset, motion_destroy, NULL, 0}, m ? m : fresh, NULL};
    motion.scratch = wm_scratch_create(motion.m);
    SurpriseSource* runs[3] = {NULL, &motion.base, src};
    double best[3] = {INFINITY, INFINITY, INFINITY}, peak = -INFINITY;
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < 3; i++) {
            double t = run(s, runs[i], &peak);
            if (t < best[i]) best[i] = t;
        }
    printf("bench_surprise: %s, %d control ticks, best of %d in CPU time, model: %s\n", scene, TICKS, ROUNDS, model);
    printf("  %-24s %9.1f ticks/s  1.00x\n", "plain episode loop", TICKS / best[0]);
    printf("  %-24s %9.1f ticks/s  %.2fx the time (%.1f us per scored tick)\n", "+ motion only", TICKS / best[1],
           best[1] / best[0], 1e6 * (best[1] - best[0]) / TICKS);
    printf("  %-24s %9.1f ticks/s  %.2fx the time (%.1f us per scored tick; %.3fx motion only's)\n",
           "+ surprise every tick", TICKS / best[2], best[2] / best[0], 1e6 * (best[2] - best[0]) / TICKS,
           (best[2] - best[0]) / (best[1] - best[0]));
    wm_scratch_free(motion.scratch);
    surprise_source_free(src);
    wm_free(fresh);
    scn_free(s);
    return 0;
}
