/* voe: matched pairs of possible and impossible clips, scored by a model's surprise */
#include "agent/voe.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
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
    if (!surprise_watch_attach(&w, &e, src)) {
        report_set(err, err_size, "%s: no room for the surprise watch", scn_name(s));
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

bool voe_category_run(Scenario* s, const char* category, int pairs, uint64_t seed, SurpriseSource* src, int slots,
                      VoeResult* r, double* possible, double** ticks_out, int64_t* nticks_out, FILE* trace,
                      char* err, size_t err_size) {
    memset(r, 0, sizeof *r);
    snprintf(r->category, sizeof r->category, "%s", category);
    double* lat = alloc_zeroed((size_t)pairs + 1, sizeof *lat);
    int nlat = 0;
    double* ticks = NULL;
    int64_t nticks = 0, cap = 0;
    bool ok = true;
    for (int i = 0; i < pairs && ok; i++) {
        uint64_t sd = rng_derive(seed, (uint64_t)i);
        VoeClip a, b;
        ok = voe_clip_run(s, sd, 0, src, slots, &a, err, err_size);
        if (!ok) break;
        ok = voe_clip_run(s, sd, 1, src, slots, &b, err, err_size);
        if (!ok) {
            free(a.surprise);
            free(a.parts);
            break;
        }
        if (trace) {
            for (int c = 0; c < 2; c++) {
                const VoeClip* v = c ? &b : &a;
                for (int64_t k = 0; k < v->ticks; k++) {
                    fprintf(trace, "%s,%d,%d,%lld,%.9g", category, i, c, (long long)(k + 1), v->surprise[k]);
                    for (int q = 0; q < SURPRISE_JEPA_PARTS; q++) {
                        if (v->parts) fprintf(trace, ",%.9g", v->parts[(size_t)k * SURPRISE_JEPA_PARTS + q]);
                        else fputc(',', trace);
                    }
                    fputc('\n', trace);
                }
            }
        }
        r->pairs++;
        r->correct += b.peak > a.peak;
        r->alarms[0] += a.alarm, r->alarms[1] += b.alarm;
        r->fate_alarms[0] += a.fate_alarm, r->fate_alarms[1] += b.fate_alarm;
        if (b.magic_tick >= 0 && b.peak_tick >= b.magic_tick) lat[nlat++] = (double)(b.peak_tick - b.magic_tick);
        if (possible) possible[i] = a.peak;
        if (ticks_out) {
            for (int64_t k = 0; k < a.ticks; k++) {
                if (isnan(a.surprise[k])) continue;
                if (nticks == cap) {
                    cap = cap ? 2 * cap : 1024;
                    ticks = alloc_resize(ticks, (size_t)cap, sizeof *ticks);
                }
                ticks[nticks++] = a.surprise[k];
            }
        }
        free(a.surprise);
        free(b.surprise);
        free(a.parts);
        free(b.parts);
    }
    scn_fix_param(s, "impossible", 0, err, err_size);
    r->median_latency = voe_median(lat, nlat);
    free(lat);
    if (ticks_out) *ticks_out = ticks, *nticks_out = nticks;
    else free(ticks);
    return ok;
}
