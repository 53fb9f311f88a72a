/* voe: matched pairs of possible and impossible clips, scored by a model's surprise */
#include "agent/voe.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/csv.h"
#include "base/report.h"
#include "base/rng.h"

bool voe_clip_run(Scenario* s, uint64_t seed, int impossible, SurpriseSource* src, int slots, VoeClip* out,
                  char* err, size_t err_size) {
    memset(out, 0, sizeof *out);
    out->peak = out->fate_peak = -INFINITY;
    out->magic_tick = -1;
    if (!scn_fix_param(s, "impossible", impossible, err, err_size)) return false;
    Episode e;
    if (!episode_begin(&e, s, seed, -1, slots, err, err_size)) return false;
    int64_t ticks = 0;
    if (!sim_world_run_ticks(&e.inst.world, e.inst.seconds, &ticks, err, err_size)) {
        episode_end(&e);
        return false;
    }
    SurpriseWatch w;
    char why[512];
    if (!surprise_watch_attach(&w, &e, src, why, sizeof why)) {
        report_set(err, err_size, "%s: %s", scn_name(s), why);
        episode_end(&e);
        return false;
    }
    out->surprise = alloc_array((size_t)ticks, sizeof *out->surprise);
    double parts[SURPRISE_JEPA_PARTS];
    if (surprise_source_jepa_parts(src, parts)) out->parts = alloc_array((size_t)ticks * SURPRISE_JEPA_PARTS, sizeof *parts);
    for (int64_t k = 0; k < ticks; k++) {
        episode_tick(&e, NULL);
        int n;
        const SimEvent* ev = sim_world_events(e.world, &n);
        for (int i = 0; i < n && out->magic_tick < 0; i++)
            if (ev[i].type == SIM_EV_MAGIC) out->magic_tick = k + 1;
        out->surprise[k] = w.scored ? w.world : NAN;
        if (out->parts) {
            surprise_source_jepa_parts(src, out->parts + (size_t)k * SURPRISE_JEPA_PARTS);
            if (!w.scored)
                for (int i = 0; i < SURPRISE_JEPA_PARTS; i++) out->parts[(size_t)k * SURPRISE_JEPA_PARTS + i] = NAN;
        }
        if (w.scored && !isnan(w.world) && w.world > out->peak) out->peak = w.world, out->peak_tick = k + 1;
        if (w.scored && !isnan(w.world_fate) && w.world_fate > out->fate_peak) out->fate_peak = w.world_fate;
        if (w.scored && surprise_alarm(w.world, w.world_fate)) out->alarm = true;
        if (w.scored && surprise_alarm(NAN, w.world_fate)) out->fate_alarm = true;
        if (sim_world_error(e.world)) break;
    }
    out->ticks = ticks;
    surprise_watch_free(&w);
    episode_end(&e);
    return true;
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

void voe_sort(double* v, int64_t n) { qsort(v, (size_t)n, sizeof *v, cmp_double); }

double voe_median(double* v, int64_t n) {
    if (n <= 0) return NAN;
    voe_sort(v, n);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

bool voe_pair_run(Scenario* s, const char* category, int i, uint64_t seed, SurpriseSource* src, int slots,
                  bool want_ticks, FILE* trace, VoePair* out, char* err, size_t err_size) {
    memset(out, 0, sizeof *out);
    out->latency = -1;
    uint64_t sd = rng_derive(seed, (uint64_t)i);
    VoeClip c[2];
    if (!voe_clip_run(s, sd, 0, src, slots, &c[0], err, err_size)) return false;
    if (!voe_clip_run(s, sd, 1, src, slots, &c[1], err, err_size)) {
        free(c[0].surprise);
        free(c[0].parts);
        return false;
    }
    /* the category is named after its file, which may hold a comma or a quote */
    char field[160];
    const char* cat = csv_field(category, field, sizeof field);
    for (int q = 0; q < 2; q++) {
        const VoeClip* v = &c[q];
        for (int64_t k = 0; trace && k < v->ticks; k++) {
            fprintf(trace, "%s,%d,%d,%lld,%.9g", cat, i, q, (long long)(k + 1), v->surprise[k]);
            for (int j = 0; j < SURPRISE_JEPA_PARTS; j++) {
                if (v->parts) fprintf(trace, ",%.9g", v->parts[(size_t)k * SURPRISE_JEPA_PARTS + j]);
                else fputc(',', trace);
            }
            fputc('\n', trace);
        }
        out->peak[q] = v->peak;
        out->alarm[q] = v->alarm, out->fate_alarm[q] = v->fate_alarm;
    }
    if (c[1].magic_tick >= 0 && c[1].peak_tick >= c[1].magic_tick) out->latency = c[1].peak_tick - c[1].magic_tick;
    if (want_ticks) {
        out->ticks = alloc_array((size_t)c[0].ticks + 1, sizeof *out->ticks);
        for (int64_t k = 0; k < c[0].ticks; k++)
            if (!isnan(c[0].surprise[k])) out->ticks[out->nticks++] = c[0].surprise[k];
    }
    for (int q = 0; q < 2; q++) free(c[q].surprise), free(c[q].parts);
    return true;
}

/* the suite's shared state: a task is one pair, t = category * pairs + pair, taken in order by the
   workers and read in order by the caller's thread */
typedef struct VoeTask {
    VoePair pair;
    char*   text;          /* its trace lines (open_memstream), NULL without a trace */
    size_t  len;
    bool    done, ok;
    char    err[512];
} VoeTask;

typedef struct VoeSuite {
    Scenario**         scns;
    const char* const* categories;
    int                n, pairs, slots;
    uint64_t           seed;
    SurpriseSource**   srcs;
    bool               want_ticks, traced;
    VoeTask*           tasks;
    int64_t            next, total;     /* the next task to take */
    bool               stop;            /* the caller has seen a failure: take no more */
    pthread_mutex_t    lock;
    pthread_cond_t     cond;
} VoeSuite;

typedef struct VoeWorker {
    VoeSuite* S;
    int       w;
} VoeWorker;

static void* voe_worker(void* arg) {
    VoeWorker* me = arg;
    VoeSuite* S = me->S;
    for (;;) {
        pthread_mutex_lock(&S->lock);
        int64_t t = S->stop || S->next >= S->total ? -1 : S->next++;
        pthread_mutex_unlock(&S->lock);
        if (t < 0) break;
        VoeTask* k = &S->tasks[t];
        int c = (int)(t / S->pairs), i = (int)(t % S->pairs);
        FILE* f = S->traced ? open_memstream(&k->text, &k->len) : NULL;
        if (S->traced && !f) alloc_fail(4096);
        bool ok = voe_pair_run(S->scns[(size_t)me->w * S->n + c], S->categories[c], i, S->seed, S->srcs[me->w], S->slots,
                               S->want_ticks, f, &k->pair, k->err, sizeof k->err);
        if (f && fclose(f) != 0 && ok) ok = false, snprintf(k->err, sizeof k->err, "%s: could not keep the trace", S->categories[c]);
        pthread_mutex_lock(&S->lock);
        k->ok = ok;
        k->done = true;
        pthread_cond_broadcast(&S->cond);
        pthread_mutex_unlock(&S->lock);
    }
    return NULL;
}

bool voe_suite_run(Scenario** scns, const char* const* categories, int n, int pairs, uint64_t seed,
                   SurpriseSource** srcs, int jobs, int slots, VoeResult* res, double* possible, double** ticks_out,
                   int64_t* nticks_out, FILE* trace, VoeCategoryDone done, void* ctx, char* err, size_t err_size) {
    VoeSuite S = {.scns = scns, .categories = categories, .n = n, .pairs = pairs, .slots = slots, .seed = seed,
                  .srcs = srcs, .want_ticks = ticks_out != NULL, .traced = trace != NULL, .total = (int64_t)n * pairs};
    S.tasks = alloc_zeroed((size_t)S.total + 1, sizeof *S.tasks);
    pthread_mutex_init(&S.lock, NULL);
    pthread_cond_init(&S.cond, NULL);
    if (jobs < 1) jobs = 1;
    if (jobs > S.total) jobs = S.total > 0 ? (int)S.total : 1;
    pthread_t* th = alloc_zeroed((size_t)jobs, sizeof *th);
    VoeWorker* wk = alloc_zeroed((size_t)jobs, sizeof *wk);
    for (int w = 0; w < jobs; w++) {
        wk[w] = (VoeWorker){&S, w};
        pthread_create(&th[w], NULL, voe_worker, &wk[w]);
    }
    double* ticks = NULL;
    int64_t nticks = 0;
    double* lat = alloc_zeroed((size_t)pairs + 1, sizeof *lat);
    bool ok = true;
    for (int c = 0; c < n && ok; c++) {
        VoeResult* r = &res[c];
        memset(r, 0, sizeof *r);
        snprintf(r->category, sizeof r->category, "%s", categories[c]);
        int nlat = 0;
        for (int i = 0; i < pairs; i++) {
            VoeTask* k = &S.tasks[(size_t)c * pairs + i];
            pthread_mutex_lock(&S.lock);
            while (!k->done) pthread_cond_wait(&S.cond, &S.lock);
            if (!k->ok) S.stop = true;
            pthread_mutex_unlock(&S.lock);
            if (!k->ok) {
                report_set(err, err_size, "%s", k->err);
                ok = false;
                break;
            }
            const VoePair* p = &k->pair;
            if (trace && k->len) fwrite(k->text, 1, k->len, trace);
            free(k->text);
            k->text = NULL;
            r->pairs++;
            r->correct += p->peak[1] > p->peak[0];
            for (int q = 0; q < 2; q++) r->alarms[q] += p->alarm[q], r->fate_alarms[q] += p->fate_alarm[q];
            if (p->latency >= 0) lat[nlat++] = (double)p->latency;
            if (possible) possible[(size_t)c * pairs + i] = p->peak[0];
            if (ticks_out && p->nticks) {
                ticks = alloc_resize(ticks, (size_t)(nticks + p->nticks), sizeof *ticks);
                memcpy(ticks + nticks, p->ticks, sizeof *ticks * (size_t)p->nticks);
                nticks += p->nticks;
            }
            free(k->pair.ticks);
            k->pair.ticks = NULL;
        }
        if (!ok) break;
        r->median_latency = voe_median(lat, nlat);
        if (done) done(r, ctx);
    }
    for (int w = 0; w < jobs; w++) pthread_join(th[w], NULL);
    for (int64_t t = 0; t < S.total; t++) free(S.tasks[t].text), free(S.tasks[t].pair.ticks);
    for (int w = 0; w < jobs; w++)
        for (int c = 0; c < n; c++) scn_fix_param(scns[(size_t)w * n + c], "impossible", 0, NULL, 0);
    pthread_cond_destroy(&S.cond);
    pthread_mutex_destroy(&S.lock);
    free(S.tasks);
    free(th);
    free(wk);
    free(lat);
    if (ticks_out) *ticks_out = ticks, *nticks_out = nticks;
    else free(ticks);
    return ok;
}
