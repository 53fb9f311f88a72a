/* voe: violation of expectation. A matched pair is one template run twice with the same seed, its
 * parameter `impossible` fixed to 0 (the possible clip) and to 1 (the impossible one: a magic line
 * happens, sim/action.h). The pair is correct when the impossible clip's peak surprise (the largest
 * world surprise over its scored ticks, agent/surprise.h) exceeds the possible clip's. */
#ifndef NUDGE_AGENT_VOE_H
#define NUDGE_AGENT_VOE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/surprise.h"
#include "sim/scenario.h"

/// one clip's surprise
typedef struct VoeClip {
    double  peak;          /* nats: the largest world surprise of the clip (-INFINITY when none scored) */
    int64_t peak_tick;     /* the control tick (1 = the first) in which it was seen */
    int64_t magic_tick;    /* the tick of the first magic event, -1 when there was none */
    int64_t ticks;         /* ticks run */
    double* surprise;      /* [ticks] the world surprise per tick (NaN: not scored); caller frees */
    double  fate_peak;     /* nats: the largest fate part of the world surprise (-INFINITY: none due) */
    bool    alarm;         /* a scored tick raised the view's alarm (surprise_alarm) */
    bool    fate_alarm;    /* ... by its fate part alone (over SURPRISE_FATE_THRESHOLD) */
    double* parts;         /* [ticks * SURPRISE_JEPA_PARTS] a traced pixel source's parts per tick
                              (surprise_source_jepa_parts), else NULL; caller frees */
} VoeClip;

/// runs s (its agent, its seconds) with seed and $impossible fixed at impossible, scoring every tick
/// with src; false + one line when the template cannot be run (no parameter 'impossible', a bad
/// instance)
bool voe_clip_run(Scenario* s, uint64_t seed, int impossible, SurpriseSource* src, int slots, VoeClip* out,
                  char* err, size_t err_size);

/// sorts v[n] ascending (in place)
void   voe_sort(double* v, int64_t n);
/// the median of v[n] (sorted in place); NaN when n = 0
double voe_median(double* v, int64_t n);

/// one matched pair's outcome
typedef struct VoePair {
    double  peak[2];       /* the possible [0] and the impossible [1] clip's peak */
    int64_t latency;       /* ticks from the magic event to the impossible clip's peak; -1: none */
    bool    alarm[2], fate_alarm[2];
    double* ticks;         /* want_ticks: every scored tick of the possible clip (nticks of them); caller frees */
    int64_t nticks;
} VoePair;

/// pair i of template s (seed rng_derive(seed, i)): its possible and its impossible clip. trace (may be
/// NULL) gets a line per tick of both: category,pair,impossible,tick,world and a traced pixel source's
/// parts (empty fields otherwise). false + one line
bool voe_pair_run(Scenario* s, const char* category, int i, uint64_t seed, SurpriseSource* src, int slots,
                  bool want_ticks, FILE* trace, VoePair* out, char* err, size_t err_size);

/// a category's result over its pairs
typedef struct VoeResult {
    char    category[64];  /* the template's file name without .scn */
    int     pairs, correct;
    double  median_latency;/* ticks from the magic event to the impossible clip's peak (NaN: none) */
    int     alarms[2];     /* clips that raised the view's alarm: [0] possible, [1] impossible */
    int     fate_alarms[2];/* ... by a fate alone */
} VoeResult;

/// called in order as each category's pairs are all in
typedef void (*VoeCategoryDone)(const VoeResult* r, void* ctx);

/// the suite: pairs i = 0..pairs-1 of each of the n templates, on jobs threads. Worker w scores with
/// srcs[w] and runs its own copies of the templates, scns[w * n .. w * n + n - 1] (a clip fixes
/// $impossible on its template); categories[n] their names. res[n] gets each category's result,
/// possible[n * pairs] (may be NULL) the possible clips' peaks, ticks_out (may be NULL) every scored
/// tick of the possible clips (*nticks_out of them, caller frees), trace (may be NULL) voe_pair_run's
/// lines; all in the order of one thread, so the same bytes at any jobs. false + one line (the first
/// pair that failed, in that order)
bool voe_suite_run(Scenario** scns, const char* const* categories, int n, int pairs, uint64_t seed,
                   SurpriseSource** srcs, int jobs, int slots, VoeResult* res, double* possible, double** ticks_out,
                   int64_t* nticks_out, FILE* trace, VoeCategoryDone done, void* ctx, char* err, size_t err_size);

#endif
