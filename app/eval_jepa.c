/* nudge eval of a pixel model: its probe's position error at horizons 0 (the encoding) to 30
 * (predicted latents through the probe) against constant velocity through the same probe, the event
 * probes, and the latent's statistics on a dataset's frames; eval_jepa.csv and eval.svg (the errors
 * against horizon and the effective rank over training from train.csv beside the model) */
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/input_file.h"
#include "base/workers.h"
#include "model/eval.h"
#include "model/jepa_cellprobe.h"
#include "model/jepa_data.h"
#include "model/jepa_impl.h"
#include "model/jepa_loss.h"
#include "model/jepa_probe.h"
#include "model/nn.h"
#include "sim/observation.h"

#define HMAX 30
/* in view: the body's centre inside the frame at t0 and at t0 + h. A body the frames do not show (it
   fell or flew out of the camera's rectangle) cannot be placed from them: the all-bodies rows score
   it anyway, these rows do not */
/* pushed: a body pushed after the window's last frame and before the horizon (a push applied right after
   records t0 .. t0 + h - 1): what the action enters the predictor for. None at h = 0 */
enum { SUB_ALL, SUB_MOVING, SUB_IN_VIEW, SUB_MOVING_IN_VIEW, SUB_PUSHED, SUB_PUSHED_IN_VIEW, SUBS };
/* M_NEAREST: the identity-free score of the same predictions -- each body against the nearest
   prediction of any slot live in the window (a pixel model sees no object ids, and a slot is a body
   only by the scene file's order, which a frame does not show when bodies are placed at random);
   M_NO_PUSH: the same rollout with the window's pushes left out (what the predictor makes of the
   action: on a pushed body it should miss by more) */
enum { M_MODEL, M_CV, M_NEAREST, M_NO_PUSH, METHODS };
static const char* sub_names[SUBS] = {"all", "moving", "in_view", "moving_in_view", "pushed", "pushed_in_view"};
static const char* method_names[METHODS] = {"jepa_probe", "const_vel_probe", "jepa_probe_nearest_slot",
                                            "jepa_probe_no_push"};
/* a body "moves" by h when its centre went more than this far (m); at h = 0 (the encoding) when it
   went that far over the MOVING_BACK records before t0: a body in motion when it was encoded */
#define MOVING_M 0.02
#define MOVING_BACK 10

/* whether a body with these flags counts in subset sub */
static bool in_subset(int sub, bool moving, bool in_view, bool pushed) {
    switch (sub) {
    case SUB_MOVING: return moving;
    case SUB_IN_VIEW: return in_view;
    case SUB_MOVING_IN_VIEW: return moving && in_view;
    case SUB_PUSHED: return pushed;
    case SUB_PUSHED_IN_VIEW: return pushed && in_view;
    default: return true;
    }
}

/* whether pixel coordinates (u, v) lie inside a w x h frame */
static bool in_frame(double u, double v, int w, int h) {
    return u >= 0 && u < w && v >= 0 && v < h;
}

/* a body at yt (px) at t0 + h that was at y0 at t0: whether it moved (by more than MOVING_M, with
   scale px per m) since it was at ym (y0, or at h = 0 where it was MOVING_BACK records before; NULL:
   not live then, not moving) and whether it is in view at both times */
static void body_flags(const float* yt, const float* y0, const float* ym, double scale, const JepaArch* a,
                       bool* moving, bool* in_view) {
    *moving = ym && hypot(yt[0] - ym[0], yt[1] - ym[1]) / scale > MOVING_M;
    *in_view = in_frame(yt[0], yt[1], a->frame_w, a->frame_h) && in_frame(y0[0], y0[1], a->frame_w, a->frame_h);
}

static int cmp_scale(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

/* the cell probe body by body: each scored body's error (px, and m), its error over its size (the
   larger side at t0, as the state model's eval) and whether it lies within a quarter of its smaller
   side (the position target, which the issue sets by the smallest body, read body by body). A mean is
   carried by the bodies the probe misses by a cell or more; the median is the typical body. The
   model's and constant velocity's at every horizon, the pixels' reference and the floor at h = 0 */
enum { DM_MODEL, DM_CV, DM_PIXELS, DM_FLOOR, DMETHODS };
static const char* dmethod_names[DMETHODS] = {"cell_probe", "const_vel_cell_probe", "pixel_cell_probe",
                                              "oracle_cell_probe"};
typedef struct BodyErrs {
    WmFloats px, m;
    double   sum_px, sum_m, sizes;
    int64_t  within;
} BodyErrs;
typedef struct BodyStats {
    int64_t n;
    double  mean_px, mean_m, median_px, median_m, p90_px, p90_m, sizes, within;
} BodyStats;
/* the bodies in view at h = 0 by their larger side on screen: up to a cell, up to two cells, longer
   (a body longer than two cells has its centre where no neighbourhood of 3 x 3 cells sees its ends) */
enum { SZ_CELL, SZ_TWO, SZ_LONG, SIZES };
static const char* size_names[SIZES] = {"in_view_up_to_a_cell", "in_view_one_to_two_cells",
                                        "in_view_over_two_cells"};

/* one body's error px (scale px per m) for a body whose sides are big >= side (m) */
static void body_err_add(BodyErrs* b, double px, double scale, double big, double side) {
    double m = px / scale;
    wm_floats_push(&b->px, (float)px);
    wm_floats_push(&b->m, (float)m);
    b->sum_px += px, b->sum_m += m;
    b->sizes += big > 0 ? m / big : 0;
    b->within += m < 0.25 * side;
}

/* the CSV's body-by-body columns of a row that has none */
#define NO_BODY_STATS ",nan,nan,nan,nan,nan,nan"

/* the CSV's body-by-body columns of b, and the line's end, into out; returns the length */
static int body_cols(char* out, size_t size, const BodyStats* b) {
    return snprintf(out, size, ",%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n", b->median_px, b->median_m, b->p90_px, b->p90_m,
                    b->sizes, b->within);
}

/* a CSV row at horizon h of b alone */
static int body_row(char* out, size_t size, const char* subset, const char* method, int h, const BodyStats* b) {
    int len = snprintf(out, size, "%s,%s,%d,%lld,%.6g,%.6g", subset, method, h, (long long)b->n, b->mean_px,
                       b->mean_m);
    return len + body_cols(out + len, size - (size_t)len, b);
}

/* the statistics of b, which is emptied (its lists sorted and freed) */
static BodyStats body_stats(BodyErrs* b) {
    BodyStats o;
    int64_t n = b->px.n;
    o.n = n;
    o.mean_px = n ? b->sum_px / (double)n : NAN;
    o.mean_m = n ? b->sum_m / (double)n : NAN;
    o.sizes = n ? b->sizes / (double)n : NAN;
    o.within = n ? (double)b->within / (double)n : NAN;
    o.median_px = wm_quantile(b->px.v, n, 0.5), o.p90_px = wm_quantile(b->px.v, n, 0.9);
    o.median_m = wm_quantile(b->m.v, n, 0.5), o.p90_m = wm_quantile(b->m.v, n, 0.9);
    wm_floats_free(&b->px);
    wm_floats_free(&b->m);
    return o;
}

/* the slot-free cell probe (jepa_cellprobe.h): its model and constant-velocity scores, each body
   against the nearest of as many detections as there are bodies, and each detection against the
   nearest body (so that scattering detections everywhere does not pay) */
enum { CM_MODEL, CM_CV, CM_NO_PUSH, CMETHODS };
static const char* cmethod_names[CMETHODS] = {"cell_probe", "const_vel_cell_probe", "cell_probe_no_push"};
typedef struct CellAcc {
    /* the rollout without the pushes (its mean only); the model's and constant velocity's are
       body[...][DM_MODEL] and body[...][DM_CV] */
    double no_push_px[SUBS][HMAX + 1], no_push_m[SUBS][HMAX + 1];
    int64_t n[SUBS][HMAX + 1];
    double rev_px[2][HMAX + 1];   /* the model's and constant velocity's detections */
    int64_t rev_n[2][HMAX + 1];
    /* and body by body; at h = 0 also the reference, the same probe read from the window's last
       frame's pixels, and the floor, the same readout of the bodies' exact heat */
    BodyErrs body[SUBS][DMETHODS][HMAX + 1];
    BodyErrs by_size[SIZES][3];   /* the model's, the pixels' and the floor's, in view at h = 0 */
} CellAcc;

/* the nearest of hits[n] to (u, v): its distance (px), INFINITY when n = 0 */
static double nearest_hit(const JepaCellHit* hits, int n, double u, double v) {
    double best = INFINITY;
    for (int i = 0; i < n; i++) best = fmin(best, hypot(hits[i].u - u, hits[i].v - v));
    return best;
}

typedef struct Acc {
    double px[SUBS][METHODS][HMAX + 1], m[SUBS][METHODS][HMAX + 1];
    int64_t n[SUBS][HMAX + 1];
} Acc;

static double mean_of(double sum, int64_t n) {
    return n > 0 ? sum / (double)n : NAN;
}

/* the effective rank over training from the CSV log beside the model: steps[], rank[] (up to cap) */
static int read_rank_curve(const char* model_path, double* steps, double* rank, int cap) {
    char buf[4096], path[4200];
    snprintf(buf, sizeof buf, "%s", model_path);
    snprintf(path, sizeof path, "%s/train.csv", dirname(buf));
    /* a regular file only, read whole (a FIFO of that name is not waited on); none: no curve */
    char err[256];
    size_t len = 0;
    char* text = input_file_read(path, (size_t)64 << 20, &len, err, sizeof err);
    if (!text) return 0;
    int col = -1, n = 0;
    char* save_line = NULL;
    char* line = strtok_r(text, "\n", &save_line);
    if (line) {
        int c = 0;
        char* save = NULL;
        for (char* tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), c++)
            if (strcmp(tok, "effective_rank") == 0) col = c;
    }
    while (col >= 0 && n < cap && (line = strtok_r(NULL, "\n", &save_line)) != NULL) {
        int c = 0;
        double s = NAN, r = NAN;
        char* save = NULL;
        for (char* tok = strtok_r(line, ",", &save); tok; tok = strtok_r(NULL, ",", &save), c++) {
            if (c == 0) s = atof(tok);
            if (c == col) r = atof(tok);
        }
        if (isfinite(s) && isfinite(r)) steps[n] = s, rank[n] = r, n++;
    }
    free(text);
    return n;
}

static bool write_svg(const char* path, const Acc* a, const double* steps, const double* rank, int nr, int C,
                      char* err, size_t n) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, n)) return false;
    char buf[1024];
    int len;
#define OUT(...) (len = snprintf(buf, sizeof buf, __VA_ARGS__), atomic_file_write(&af, buf, (size_t)len))
    double W = 960, H = 400, top = 40, bot = 50, ph = H - top - bot;
    OUT("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" "
        "font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n", W, H);
    /* left: mean position error (px) against horizon; solid all, dashed moving */
    double l = 60, r = 460, hi = 0;
    for (int s = 0; s <= SUB_MOVING; s++)
        for (int q = 0; q < METHODS; q++)
            for (int h = 0; h <= HMAX; h++) {
                double v = mean_of(a->px[s][q][h], a->n[s][h]);
                if (isfinite(v)) hi = fmax(hi, v);
            }
    if (!(hi > 0)) hi = 1;
    OUT("<text x=\"%g\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">probe position error (px) against horizon "
        "(solid: all, dashed: moving)</text>\n", (l + r) / 2);
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l, H - bot, r, H - bot);
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l, top, l, H - bot);
    for (int i = 0; i <= 4; i++) {
        double y = H - bot - ph * i / 4;
        OUT("<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", l - 4, y + 4, hi * i / 4);
    }
    for (int h = 0; h <= HMAX; h += 10)
        OUT("<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%d</text>\n", l + (r - l) * h / HMAX, H - bot + 16, h);
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">horizon (records)</text>\n", (l + r) / 2, H - 12);
    const char* colors[METHODS] = {"#d62728", "#1f77b4", "#ff7f0e", "#9467bd"};
    for (int s = 0; s <= SUB_MOVING; s++)
        for (int q = 0; q < METHODS; q++) {
            OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", colors[q],
                s ? " stroke-dasharray=\"6 4\"" : "");
            for (int h = 0; h <= HMAX; h++) {
                double v = mean_of(a->px[s][q][h], a->n[s][h]);
                if (isfinite(v)) OUT("%.1f,%.1f ", l + (r - l) * h / HMAX, H - bot - ph * v / hi);
            }
            OUT("\"/>\n");
        }
    for (int q = 0; q < METHODS; q++) {
        OUT("<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"3\" fill=\"%s\"/>\n", l + 10, top + 8 + 16 * q, colors[q]);
        OUT("<text x=\"%g\" y=\"%g\">%s</text>\n", l + 30, top + 13 + 16 * q, method_names[q]);
    }
    /* right: effective rank of the latent over training */
    double l2 = 540, r2 = W - 30;
    OUT("<text x=\"%g\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">latent effective rank over training (of %d "
        "channels)</text>\n", (l2 + r2) / 2, C);
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l2, H - bot, r2, H - bot);
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l2, top, l2, H - bot);
    for (int i = 0; i <= 4; i++) {
        double y = H - bot - ph * i / 4;
        OUT("<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>\n", l2 - 4, y + 4, C * i / 4.0);
    }
    if (nr > 0) {
        double s0 = steps[0], s1 = steps[nr - 1] > s0 ? steps[nr - 1] : s0 + 1;
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"start\">%g</text>\n", l2, H - bot + 16, s0);
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%g</text>\n", r2, H - bot + 16, s1);
        OUT("<polyline fill=\"none\" stroke=\"#2ca02c\" stroke-width=\"2\" points=\"");
        for (int i = 0; i < nr; i++)
            OUT("%.1f,%.1f ", l2 + (r2 - l2) * (steps[i] - s0) / (s1 - s0), H - bot - ph * rank[i] / C);
        OUT("\"/>\n");
    } else {
        OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">no train.csv beside the model</text>\n", (l2 + r2) / 2,
            H / 2);
    }
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">optimizer step</text>\n", (l2 + r2) / 2, H - 12);
    OUT("</svg>\n");
#undef OUT
    return atomic_file_commit(&af, err, n);
}

int cmd_eval_jepa(int argc, char** argv) {
    const char* model_path = NULL;
    const char* data = NULL;
    const char* report = NULL;
    const char* probe_data = NULL;
    int64_t stride = 15, episodes = 0, threads = 1, cell_rows = 2000, probe_jobs = JEPA_PROBE_JOBS;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model_path, 1, 0, "MODEL: pixel model written by nudge train --kind jepa", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: dataset with frames (required); every episode is scored", false},
        {"report", ARG_STRING, &report, 1, 0, "DIR: where eval_jepa.csv and eval.svg go (default: the model's folder)", false},
        {"horizon", ARG_INT, NULL, 1, 1000, "H: ignored for a pixel model (horizons 0 to 30)", false},
        {"stride", ARG_INT, &stride, 1, 100000, "N: records between scored windows (default 15)", false},
        {"episodes", ARG_INT, &episodes, 0, 1e9, "N: score only the first N episodes (default all)", false},
        {"threads", ARG_INT, &threads, 1, 64, "T: BLAS threads (default 1)", false},
        {"probe-data", ARG_STRING, &probe_data, 1, 0,
         "DIR: training episodes to fit the slot-free cell probe on (evaluation only; default: none)", false},
        {"cell-rows", ARG_INT, &cell_rows, 2, 1e6, "N: windows the cell probe is fitted on (default 2000)", false},
        {"probe-jobs", ARG_INT, &probe_jobs, 1, WORKERS_MAX,
         "J: threads encoding the cell probe's windows at one BLAS thread (default 2; every J gives the same probe)",
         false},
    };
    int64_t ignored = 0;
    specs[3].out = &ignored;
    ArgParse p = {"eval", "nudge eval --model JEPA.ckpt --data DIR [--report DIR]",
                  "Scores a pixel model on a dataset's frames: its probe's position error at horizons 0 to 30 against "
                  "constant velocity through the same probe, its event probes, and its latent's statistics.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!model_path) return args_fail("eval", "--model MODEL is required");
    if (!data) return args_fail("eval", "--data DIR is required");
    nn_set_threads((int)threads);
    jepa_probe_set_jobs((int)probe_jobs);
    char err[1024];
    Probe probe;
    bool has_probe = false;
    JepaModel* m = jepa_checkpoint_load(model_path, NULL, NULL, &probe, &has_probe, err, sizeof err);
    if (!m) {
        fprintf(stderr, "nudge eval: %s\n", err);
        return 2;
    }
    if (!has_probe) {
        fprintf(stderr, "nudge eval: %s: the pixel model has no probe (a checkpoint saved before its training ended, "
                        "or a run with one episode): train on (or --resume)\n", model_path);
        jepa_free(m);
        return 2;
    }
    JepaData* j = jepa_data_load(data, err, sizeof err);
    if (!j || !jepa_data_check_model(j, m, model_path, err, sizeof err)) {
        fprintf(stderr, "nudge eval: %s\n", err);
        jepa_free(m);
        probe_free(&probe);
        jepa_data_free(j);
        return 2;
    }
    /* the cell probe on the latent, on the frames' own pixels, and on the bodies' exact heat */
    JepaCellProbe cell, pcell, ocell;
    memset(&cell, 0, sizeof cell);
    memset(&pcell, 0, sizeof pcell);
    memset(&ocell, 0, sizeof ocell);
    if (probe_data) {
        JepaData* pj = jepa_data_load(probe_data, err, sizeof err);
        bool ok = pj && jepa_data_check_model(pj, m, model_path, err, sizeof err) &&
                  jepa_cellprobe_fit(&cell, m, pj, 0, pj->d->episodes, (int)cell_rows, err, sizeof err) &&
                  jepa_cellprobe_fit_pixels(&pcell, m, pj, 0, pj->d->episodes, (int)cell_rows, err, sizeof err) &&
                  jepa_cellprobe_fit_oracle(&ocell, m, pj, 0, pj->d->episodes, (int)cell_rows, err, sizeof err);
        jepa_data_free(pj);
        if (!ok) {
            fprintf(stderr, "nudge eval: %s\n", err);
            jepa_cellprobe_free(&cell);
            jepa_cellprobe_free(&pcell);
            jepa_cellprobe_free(&ocell);
            jepa_free(m);
            probe_free(&probe);
            jepa_data_free(j);
            return 2;
        }
    }
    bool has_cell = probe_data != NULL;
    char dirbuf[4096];
    if (!report) {
        snprintf(dirbuf, sizeof dirbuf, "%s", model_path);
        report = dirname(dirbuf);
    }
    if (!make_dirs(report, err, sizeof err)) {
        fprintf(stderr, "nudge eval: %s\n", err);
        jepa_cellprobe_free(&cell);
        jepa_cellprobe_free(&pcell);
        jepa_cellprobe_free(&ocell);
        jepa_free(m);
        probe_free(&probe);
        jepa_data_free(j);
        return 2;
    }
    const JepaArch* a = jepa_arch(m);
    int C = a->context, S = a->frame_step, T = j->d->ticks, K = j->d->slots, L = jepa_latent_size(m);
    int O = JEPA_PROBE_OUTPUTS;
    int E = episodes > 0 && episodes < j->d->episodes ? (int)episodes : j->d->episodes;
    int maxB = T / (int)stride + 1;
    JepaScratch* s = jepa_scratch_create(m);
    const uint8_t** win = alloc_array((size_t)maxB * C, sizeof(uint8_t*));
    float* zprev = alloc_array((size_t)maxB * L, sizeof(float));
    float* z0 = alloc_array((size_t)maxB * L, sizeof(float));
    float* zr = alloc_array((size_t)maxB * L, sizeof(float));
    float* zstart = alloc_array((size_t)maxB * L, sizeof(float));   /* the rollout's start, kept (the copy) */
    float* zt = alloc_array((size_t)maxB * L, sizeof(float));       /* the encoding h steps on */
    float* zn = alloc_array((size_t)maxB * L, sizeof(float));       /* the rollout without the pushes */
    int* npush0 = alloc_zeroed((size_t)maxB, sizeof(int));
    /* each window's slots: records from t0 to the slot's first push (INT_MAX: none by the last horizon) */
    int* first_push = alloc_array((size_t)maxB * K, sizeof(int));
    const uint8_t** fbefore = alloc_array((size_t)maxB, sizeof(uint8_t*));
    const uint8_t** fafter = alloc_array((size_t)maxB, sizeof(uint8_t*));
    /* the rollout against copying its start, at copy_hs: sums of rollout, copy over all cells and changed ones */
    static const int copy_hs[] = {1, 10, 30};
    enum { COPY_HS = 3, COPY_THRESH = 25 };
    double copy_sum[COPY_HS][4] = {{0}};
    int64_t copy_n[COPY_HS][2] = {{0}};
    float* pprev = alloc_array((size_t)maxB * K * O, sizeof(float));
    float* p0 = alloc_array((size_t)maxB * K * O, sizeof(float));
    float* ph = alloc_array((size_t)maxB * K * O, sizeof(float));
    float* pn = alloc_array((size_t)maxB * K * O, sizeof(float));   /* the probe on zn */
    float* ytrue = alloc_array((size_t)K * O, sizeof(float));
    float* y0 = alloc_array((size_t)K * O, sizeof(float));
    uint8_t* mk = alloc_array((size_t)K, 1);
    uint8_t* mk0 = alloc_array((size_t)K, 1);
    float* yb = alloc_array((size_t)K * O, sizeof(float));   /* MOVING_BACK records before t0 */
    uint8_t* mkb = alloc_array((size_t)K, 1);
    JepaPush* push = alloc_zeroed((size_t)maxB * JEPA_MAX_PUSHES, sizeof(JepaPush));
    int* npush = alloc_zeroed((size_t)maxB, sizeof(int));
    int* t0s = alloc_array((size_t)maxB, sizeof(int));
    /* every encoded window's latent (statistics) and event scores */
    int64_t cap_z = (int64_t)E * maxB, nz = 0, nev = 0;
    float* zall = alloc_array((size_t)cap_z * L, sizeof(float));
    float* ev_score[2] = {alloc_array((size_t)cap_z * K, sizeof(float)), alloc_array((size_t)cap_z * K, sizeof(float))};
    uint8_t* ev_label[2] = {alloc_array((size_t)cap_z * K, 1), alloc_array((size_t)cap_z * K, 1)};
    Acc* acc = alloc_zeroed(1, sizeof *acc);
    CellAcc* cacc = alloc_zeroed(1, sizeof *cacc);
    /* the cell probe's detections: at t0 - 1 and t0 (for constant velocity), and of the scored latent */
    JepaCellHit* hit0 = alloc_zeroed((size_t)maxB * K, sizeof *hit0);
    JepaCellHit* hitp = alloc_zeroed((size_t)maxB * K, sizeof *hitp);
    JepaCellHit* hitm = alloc_zeroed((size_t)maxB * K, sizeof *hitm);   /* hit0's match in hitp */
    JepaCellHit* hits = alloc_zeroed((size_t)K, sizeof *hits);
    JepaCellHit* hitcv = alloc_zeroed((size_t)K, sizeof *hitcv);
    JepaCellHit* hitnp = alloc_zeroed((size_t)K, sizeof *hitnp);
    JepaCellHit* hitpx = alloc_zeroed((size_t)K, sizeof *hitpx);
    float* pgrid = has_cell ? alloc_array((size_t)jepa_cellprobe_pixel_size(m), sizeof(float)) : NULL;
    JepaCellHit* hitor = alloc_zeroed((size_t)K, sizeof *hitor);
    float* ogrid = has_cell ? alloc_array((size_t)jepa_cellprobe_oracle_size(m), sizeof(float)) : NULL;
    int* nhit0 = alloc_zeroed((size_t)maxB, sizeof(int));
    int64_t windows = 0;
    for (int e = 0; e < E; e++) {
        int B = 0;
        for (int t0 = C * S; t0 + HMAX * S < T && B < maxB; t0 += (int)stride) t0s[B++] = t0;
        if (B == 0) continue;
        double scale = jepa_data_scale(j, e);
        for (int pass = 0; pass < 2; pass++) {
            for (int b = 0; b < B; b++)
                for (int f = 0; f < C; f++) win[b * C + f] = jepa_data_frame(j, e, t0s[b] - (pass + C - 1 - f) * S);
            jepa_encode(m, s, B, win, true, pass ? zprev : z0);
        }
        jepa_probe_apply(m, &probe, B, z0, p0);
        jepa_probe_apply(m, &probe, B, zprev, pprev);
        memcpy(zall + (size_t)nz * L, z0, sizeof(float) * (size_t)B * L);
        nz += B;
        /* the rollout starts from the trained encoder's latent, as in training */
        for (int b = 0; b < B; b++)
            for (int f = 0; f < C; f++) win[b * C + f] = jepa_data_frame(j, e, t0s[b] - (C - 1 - f) * S);
        jepa_encode(m, s, B, win, false, zr);
        memcpy(zstart, zr, sizeof(float) * (size_t)B * L);
        memcpy(zn, zr, sizeof(float) * (size_t)B * L);
        /* the slots' first pushes; with none in any window the rollout without them is the rollout */
        bool any_push = false;
        for (int b = 0; b < B; b++)
            for (int k = 0; k < K; k++) {
                int* fp = &first_push[(size_t)b * K + k];
                *fp = INT_MAX;
                for (int d = 0; d < HMAX * S && *fp == INT_MAX; d++)
                    if (jepa_data_pushed(j, e, t0s[b] + d, k)) *fp = d, any_push = true;
            }
        for (int h = 0; h <= HMAX; h++) {
            if (h > 0) {
                for (int b = 0; b < B; b++)
                    npush[b] = jepa_data_pushes_span(j, e, t0s[b] + (h - 1) * S, S, push + (size_t)b * JEPA_MAX_PUSHES);
                jepa_predict(m, s, B, zr, push, npush, zr);
                jepa_probe_apply(m, &probe, B, zr, ph);
                if (any_push) {
                    jepa_predict(m, s, B, zn, push, npush0, zn);
                    jepa_probe_apply(m, &probe, B, zn, pn);
                }
                for (int ci = 0; ci < COPY_HS; ci++) {
                    if (copy_hs[ci] != h) continue;
                    for (int b = 0; b < B; b++) {
                        for (int f = 0; f < C; f++) win[b * C + f] = jepa_data_frame(j, e, t0s[b] + (h - C + 1 + f) * S);
                        fbefore[b] = jepa_data_frame(j, e, t0s[b]);
                        fafter[b] = jepa_data_frame(j, e, t0s[b] + h * S);
                    }
                    jepa_encode(m, s, B, win, true, zt);
                    jepa_rollout_vs_copy(m, B, zr, zstart, zt, fbefore, fafter, COPY_THRESH, copy_sum[ci], copy_n[ci]);
                }
            }
            for (int b = 0; b < B; b++) {
                jepa_data_targets(j, e, t0s[b] + h * S, ytrue, mk);
                jepa_data_targets(j, e, t0s[b], y0, mk0);
                if (h == 0) jepa_data_targets(j, e, t0s[b] >= MOVING_BACK ? t0s[b] - MOVING_BACK : 0, yb, mkb);
                for (int k = 0; k < K; k++) {
                    if (!mk[k] || !mk0[k] || !probe.fitted[k]) continue;
                    const float* q0 = p0 + ((size_t)b * K + k) * O;
                    const float* qp = pprev + ((size_t)b * K + k) * O;
                    const float* qm = h ? ph + ((size_t)b * K + k) * O : q0;
                    const float* yt = ytrue + k * O;
                    if (h == 0) {
                        for (int i = 0; i < 2; i++) {
                            ev_score[i][nev] = q0[2 + i];
                            ev_label[i][nev] = yt[2 + i] > 0.5f;
                        }
                        nev++;
                    }
                    double ex_m = hypot(qm[0] - yt[0], qm[1] - yt[1]);
                    const float* qn = h && any_push ? pn + ((size_t)b * K + k) * O : qm;
                    double ex_np = hypot(qn[0] - yt[0], qn[1] - yt[1]);
                    bool pushed = first_push[(size_t)b * K + k] < h * S;
                    double cu = q0[0] + h * (q0[0] - qp[0]), cv = q0[1] + h * (q0[1] - qp[1]);
                    double ex_c = hypot(cu - yt[0], cv - yt[1]);
                    double ex_n = INFINITY;
                    for (int q = 0; q < K; q++) {
                        if (!mk[q] || !mk0[q] || !probe.fitted[q]) continue;
                        const float* qq = h ? ph + ((size_t)b * K + q) * O : p0 + ((size_t)b * K + q) * O;
                        ex_n = fmin(ex_n, hypot(qq[0] - yt[0], qq[1] - yt[1]));
                    }
                    bool moving, inview;
                    body_flags(yt, y0 + k * O, h ? y0 + k * O : mkb[k] ? yb + k * O : NULL, scale, a, &moving, &inview);
                    for (int sub = 0; sub < SUBS; sub++) {
                        if (!in_subset(sub, moving, inview, pushed)) continue;
                        acc->n[sub][h]++;
                        acc->px[sub][M_NO_PUSH][h] += ex_np, acc->m[sub][M_NO_PUSH][h] += ex_np / scale;
                        acc->px[sub][M_MODEL][h] += ex_m, acc->m[sub][M_MODEL][h] += ex_m / scale;
                        acc->px[sub][M_CV][h] += ex_c, acc->m[sub][M_CV][h] += ex_c / scale;
                        acc->px[sub][M_NEAREST][h] += ex_n, acc->m[sub][M_NEAREST][h] += ex_n / scale;
                    }
                }
                if (has_cell) {
                    int nb = 0, n0 = 0;
                    for (int k = 0; k < K; k++) nb += mk[k] && mk0[k], n0 += mk0[k];
                    if (h == 0) {
                        nhit0[b] = jepa_cellprobe_decode(&cell, z0 + (size_t)b * L, a->frame_w, a->frame_h, n0,
                                                         hit0 + (size_t)b * K);
                        int np = jepa_cellprobe_decode(&cell, zprev + (size_t)b * L, a->frame_w, a->frame_h, n0,
                                                       hitp + (size_t)b * K);
                        /* each detection's velocity: from the nearest detection a record before */
                        for (int i = 0; i < nhit0[b]; i++) {
                            JepaCellHit* q = hit0 + (size_t)b * K + i;
                            int best = -1;
                            double bd = INFINITY;
                            for (int i2 = 0; i2 < np; i2++) {
                                double dd = hypot(hitp[(size_t)b * K + i2].u - q->u, hitp[(size_t)b * K + i2].v - q->v);
                                if (dd < bd) bd = dd, best = i2;
                            }
                            hitm[(size_t)b * K + i] = best >= 0 ? hitp[(size_t)b * K + best] : *q;
                        }
                    }
                    if (nb == 0) continue;
                    int nh = h ? jepa_cellprobe_decode(&cell, zr + (size_t)b * L, a->frame_w, a->frame_h, nb, hits)
                               : jepa_cellprobe_decode(&cell, z0 + (size_t)b * L, a->frame_w, a->frame_h, nb, hits);
                    int nc = nhit0[b], npx = 0, nor = 0;
                    int nn = h && any_push ? jepa_cellprobe_decode(&cell, zn + (size_t)b * L, a->frame_w, a->frame_h, nb,
                                                                   hitnp)
                                           : nh;
                    const JepaCellHit* hnp = h && any_push ? hitnp : hits;
                    if (h == 0) {
                        jepa_cellprobe_pixel_grid(m, jepa_data_frame(j, e, t0s[b]), pgrid);
                        npx = jepa_cellprobe_decode(&pcell, pgrid, a->frame_w, a->frame_h, nb, hitpx);
                        jepa_cellprobe_oracle_grid(m, y0, mk0, K, ogrid);
                        nor = jepa_cellprobe_decode(&ocell, ogrid, a->frame_w, a->frame_h, nb, hitor);
                    }
                    for (int i = 0; i < nc; i++) {
                        const JepaCellHit* q = hit0 + (size_t)b * K + i;
                        const JepaCellHit* pq = hitm + (size_t)b * K + i;
                        hitcv[i] = (JepaCellHit){q->u + (float)h * (q->u - pq->u), q->v + (float)h * (q->v - pq->v), 0};
                    }
                    for (int k = 0; k < K; k++) {
                        if (!mk[k] || !mk0[k]) continue;
                        const float* yt = ytrue + k * O;
                        double em = nearest_hit(hits, nh, yt[0], yt[1]), ec = nearest_hit(hitcv, nc, yt[0], yt[1]);
                        double en = nearest_hit(hnp, nn, yt[0], yt[1]);
                        bool moving, inview, pushed = first_push[(size_t)b * K + k] < h * S;
                        body_flags(yt, y0 + k * O, h ? y0 + k * O : mkb[k] ? yb + k * O : NULL, scale, a, &moving,
                                   &inview);
                        const float* row = wm_dataset_states(j->d, e, t0s[b]) + (size_t)k * j->d->dim;
                        double big = fmax(row[SIM_OBS_size_w], row[SIM_OBS_size_h]);
                        double side = fmin(row[SIM_OBS_size_w], row[SIM_OBS_size_h]);
                        double ep = h == 0 ? nearest_hit(hitpx, npx, yt[0], yt[1]) : INFINITY;
                        double eo = h == 0 ? nearest_hit(hitor, nor, yt[0], yt[1]) : INFINITY;
                        if (h == 0 && inview && isfinite(em) && isfinite(ec)) {
                            double cells = big * scale / ((double)a->frame_w / (double)m->lw);
                            int sz = cells <= 1 ? SZ_CELL : cells <= 2 ? SZ_TWO : SZ_LONG;
                            body_err_add(&cacc->by_size[sz][0], em, scale, big, side);
                            if (isfinite(ep)) body_err_add(&cacc->by_size[sz][1], ep, scale, big, side);
                            if (isfinite(eo)) body_err_add(&cacc->by_size[sz][2], eo, scale, big, side);
                        }
                        for (int sub = 0; sub < SUBS; sub++) {
                            if (!in_subset(sub, moving, inview, pushed)) continue;
                            if (!isfinite(em) || !isfinite(ec)) continue;
                            body_err_add(&cacc->body[sub][DM_MODEL][h], em, scale, big, side);
                            body_err_add(&cacc->body[sub][DM_CV][h], ec, scale, big, side);
                            if (isfinite(ep)) body_err_add(&cacc->body[sub][DM_PIXELS][h], ep, scale, big, side);
                            if (isfinite(eo)) body_err_add(&cacc->body[sub][DM_FLOOR][h], eo, scale, big, side);
                            cacc->n[sub][h]++;
                            cacc->no_push_px[sub][h] += en, cacc->no_push_m[sub][h] += en / scale;
                        }
                    }
                    /* each detection against the nearest body */
                    for (int q = 0; q < 2; q++) {
                        const JepaCellHit* hs2 = q ? hitcv : hits;
                        int nn = q ? nc : nh;
                        for (int i = 0; i < nn; i++) {
                            double best = INFINITY;
                            for (int k = 0; k < K; k++)
                                if (mk[k] && mk0[k]) best = fmin(best, hypot(hs2[i].u - ytrue[k * O], hs2[i].v - ytrue[k * O + 1]));
                            if (isfinite(best)) cacc->rev_px[q][h] += best, cacc->rev_n[q][h]++;
                        }
                    }
                }
            }
        }
        windows += B;
    }
    if (acc->n[SUB_ALL][0] == 0) {
        fprintf(stderr, "nudge eval: %s: no dynamic body the probe knows in windows of %d + %d steps of %d "
                "records\n", data, C, HMAX, S);
    }
    /* the cell probe's bodies, one by one */
    BodyStats(*bst)[DMETHODS][HMAX + 1] = alloc_zeroed(SUBS, sizeof *bst);
    BodyStats sst[SIZES][3];
    for (int sub = 0; sub < SUBS; sub++)
        for (int q = 0; q < DMETHODS; q++)
            for (int h = 0; h <= HMAX; h++) bst[sub][q][h] = body_stats(&cacc->body[sub][q][h]);
    for (int z = 0; z < SIZES; z++)
        for (int q = 0; q < 3; q++) sst[z][q] = body_stats(&cacc->by_size[z][q]);
    /* the latent's statistics over every scored window */
    JepaLatentStats st = {0};
    st.std_mean = st.std_min = st.erank = NAN;
    if (nz >= 2) {
        JepaRegScratch rs = {0};
        jepa_reg(&rs, (int)nz, m->lh * m->lw, m->lc, zall, 1.0f, 0, 0, NULL, &st);
        jepa_reg_free(&rs);
    }
    double auroc[2] = {wm_auroc(ev_score[0], ev_label[0], nev), wm_auroc(ev_score[1], ev_label[1], nev)};
    int64_t pos[2] = {0, 0};
    for (int64_t i = 0; i < nev; i++) pos[0] += ev_label[0][i], pos[1] += ev_label[1][i];
    /* each episode's camera has its own scale: the median and the range */
    double* sc = alloc_array((size_t)(E > 0 ? E : 1), sizeof *sc);
    for (int e = 0; e < E; e++) sc[e] = jepa_data_scale(j, e);
    qsort(sc, (size_t)E, sizeof *sc, cmp_scale);
    printf("pixel model %s on %s: %lld windows from %d episodes, frames %dx%d, %.0f px/m (median; %.0f-%.0f)\n",
           model_path, data, (long long)windows, E, a->frame_w, a->frame_h, E > 0 ? sc[E / 2] : NAN,
           E > 0 ? sc[0] : NAN, E > 0 ? sc[E - 1] : NAN);
    free(sc);
    if (S == 1)
        printf("probe position error of dynamic bodies, h records ahead (h = 0: the encoding; then predicted latents)\n");
    else
        printf("probe position error of dynamic bodies, h predictor steps of %d records ahead (h = 0: the encoding; then "
               "predicted latents)\n", S);
    printf("%-14s %3s %8s | %9s %9s | %9s %9s | %8s | %s\n", "subset", "h", "n", "jepa px", "jepa m", "cv px", "cv m",
           "jepa/cv", "without the pushes: px, jepa/that");
    static const int hs[] = {0, 1, 10, 30};
    for (int sub = 0; sub < SUBS; sub++)
        for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
            int h = hs[i];
            int64_t n = acc->n[sub][h];
            double mp = mean_of(acc->px[sub][M_MODEL][h], n), mm = mean_of(acc->m[sub][M_MODEL][h], n);
            double cp = mean_of(acc->px[sub][M_CV][h], n), cm = mean_of(acc->m[sub][M_CV][h], n);
            double np = mean_of(acc->px[sub][M_NO_PUSH][h], n);
            printf("%-14s %3d %8lld | %9.2f %9.4f | %9.2f %9.4f | %8.2f | %9.2f %6.2f\n", i ? "" : sub_names[sub], h,
                   (long long)n, mp, mm, cp, cm, h ? mp / cp : NAN, np, h ? mp / np : NAN);
        }
    printf("identity-free, each body to the nearest live slot's prediction (px):");
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        printf(" h%d %.2f", hs[i], mean_of(acc->px[SUB_ALL][M_NEAREST][hs[i]], acc->n[SUB_ALL][hs[i]]));
    printf("; moving:");
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        printf(" h%d %.2f", hs[i], mean_of(acc->px[SUB_MOVING][M_NEAREST][hs[i]], acc->n[SUB_MOVING][hs[i]]));
    printf("\n");
    if (has_cell) {
        printf("slot-free cell probe (fitted on %s, ridge %g, suppression radius %g px): each body to the nearest of "
               "as many detections as bodies (px)\n", probe_data, cell.p.ridge, (double)cell.radius);
        printf("%-14s %3s %8s | %9s %9s | %9s %9s | %8s | %s | %s\n", "subset", "h", "n", "cell px", "cell m", "cv px",
               "cv m", "cell/cv", "without the pushes: px, cell/that", "detection to nearest body px (cell / cv)");
        for (int sub = 0; sub < SUBS; sub++)
            for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
                int h = hs[i];
                int64_t n = cacc->n[sub][h];
                const BodyStats *bm = &bst[sub][DM_MODEL][h], *bc = &bst[sub][DM_CV][h];
                double mp = bm->mean_px, mm = bm->mean_m, cp = bc->mean_px, cm = bc->mean_m;
                double np = mean_of(cacc->no_push_px[sub][h], n);
                printf("%-14s %3d %8lld | %9.2f %9.4f | %9.2f %9.4f | %8.2f | %9.2f %6.2f", i ? "" : sub_names[sub], h,
                       (long long)n, mp, mm, cp, cm, h ? mp / cp : NAN, np, h ? mp / np : NAN);
                if (sub == SUB_ALL)
                    printf(" | %.2f / %.2f", mean_of(cacc->rev_px[CM_MODEL][h], cacc->rev_n[CM_MODEL][h]),
                           mean_of(cacc->rev_px[CM_CV][h], cacc->rev_n[CM_CV][h]));
                printf("\n");
            }
        printf("the same cell probe read from the frames' own pixels (the window's last frame, %d x %d pixels to a "
               "cell; fitted on the same windows, ridge %g, radius %g px), h0 px:", 1 << a->levels, 1 << a->levels,
               pcell.p.ridge, (double)pcell.radius);
        for (int sub = 0; sub < SUBS; sub++)
            printf(" %s %.2f (%lld)", sub_names[sub], bst[sub][DM_PIXELS][0].mean_px, (long long)bst[sub][DM_PIXELS][0].n);
        printf("\n");
        printf("its floor, the same cell probe read from a grid that is exactly the bodies (a Gaussian of %g px at "
               "each centre through the cell soft-argmax; ridge %g, radius %g px), h0 px:",
               (double)JEPA_CELLPROBE_ORACLE_SIGMA, ocell.p.ridge, (double)ocell.radius);
        for (int sub = 0; sub < SUBS; sub++)
            printf(" %s %.2f (%lld)", sub_names[sub], bst[sub][DM_FLOOR][0].mean_px, (long long)bst[sub][DM_FLOOR][0].n);
        printf("\n");
        printf("the cell probe body by body: the median and 90th percentile (px), the mean error over the body's "
               "larger side (sizes, as the state model's eval), and the share of the bodies within a quarter of "
               "their smaller side (within: the position target read body by body)\n");
        printf("%-14s %3s %8s | %8s %8s %6s %7s | %8s %8s %6s %7s\n", "subset", "h", "n", "median", "p90", "sizes",
               "within", "cv med", "cv p90", "sizes", "within");
        for (int sub = 0; sub < SUBS; sub++)
            for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
                const BodyStats *bm = &bst[sub][DM_MODEL][hs[i]], *bc = &bst[sub][DM_CV][hs[i]];
                printf("%-14s %3d %8lld | %8.2f %8.2f %6.3f %6.1f%% | %8.2f %8.2f %6.3f %6.1f%%\n",
                       i ? "" : sub_names[sub], hs[i], (long long)bm->n, bm->median_px, bm->p90_px, bm->sizes,
                       100 * bm->within, bc->median_px, bc->p90_px, bc->sizes, 100 * bc->within);
            }
        const BodyStats *bp = &bst[SUB_IN_VIEW][DM_PIXELS][0], *bf = &bst[SUB_IN_VIEW][DM_FLOOR][0];
        printf("in view at h0: the pixels' reference median %.2f px, p90 %.2f, %.1f%% within; the floor median %.2f px, "
               "p90 %.2f, %.1f%% within\n", bp->median_px, bp->p90_px, 100 * bp->within, bf->median_px, bf->p90_px,
               100 * bf->within);
        printf("in view at h0 by the body's larger side (a cell is %g px): mean / median px and the share within, of "
               "the cell probe [the pixels' reference; the floor]\n", (double)a->frame_w / (double)m->lw);
        for (int z = 0; z < SIZES; z++)
            printf("  %-24s %6lld bodies: %.2f / %.2f, %.1f%% [%.2f / %.2f, %.1f%%; %.2f / %.2f, %.1f%%]\n",
                   size_names[z] + 8, (long long)sst[z][0].n, sst[z][0].mean_px, sst[z][0].median_px,
                   100 * sst[z][0].within, sst[z][1].mean_px, sst[z][1].median_px, 100 * sst[z][1].within,
                   sst[z][2].mean_px, sst[z][2].median_px, 100 * sst[z][2].within);
    }
    printf("the latent rollout against copying its start: the mean |latent - the encoding h steps on| of a value, "
           "over every cell and over the cells where a pixel changed by more than %d of 255 from the window's last "
           "frame to the frame h steps on\n", COPY_THRESH);
    printf("%3s %10s %9s %9s %7s | %10s %9s %9s %7s\n", "h", "cells", "rollout", "copy", "ratio", "changed", "rollout",
           "copy", "ratio");
    for (int ci = 0; ci < COPY_HS; ci++) {
        double ra = mean_of(copy_sum[ci][0], copy_n[ci][0]), ca = mean_of(copy_sum[ci][1], copy_n[ci][0]);
        double rc = mean_of(copy_sum[ci][2], copy_n[ci][1]), cc = mean_of(copy_sum[ci][3], copy_n[ci][1]);
        printf("%3d %10lld %9.4f %9.4f %7.2f | %10lld %9.4f %9.4f %7.2f\n", copy_hs[ci], (long long)copy_n[ci][0], ra,
               ca, ra / ca, (long long)copy_n[ci][1], rc, cc, rc / cc);
    }
    printf("events (probe at h = 0): break AUROC %.3f (%lld positives), fall AUROC %.3f (%lld positives) of %lld\n",
           auroc[0], (long long)pos[0], auroc[1], (long long)pos[1], (long long)nev);
    printf("latent over %lld windows: channel std mean %.3f, min %.3f; effective rank %.2f of %d\n", (long long)nz,
           st.std_mean, st.std_min, st.erank, m->lc);
    /* the CSV and the plot */
    char path[4200];
    snprintf(path, sizeof path, "%s/eval_jepa.csv", report);
    AtomicFile af;
    bool ok = atomic_file_open(&af, path, err, sizeof err);
    if (ok) {
        char line[512];
        int len = snprintf(line, sizeof line, "subset,method,horizon,n,pos_mean_px,pos_mean_m,pos_median_px,"
                           "pos_median_m,pos_p90_px,pos_p90_m,pos_mean_sizes,within_quarter\n");
        atomic_file_write(&af, line, (size_t)len);
        for (int sub = 0; sub < SUBS; sub++)
            for (int q = 0; q < METHODS; q++)
                for (int h = 0; h <= HMAX; h++) {
                    int64_t n = acc->n[sub][h];
                    len = snprintf(line, sizeof line, "%s,%s,%d,%lld,%.6g,%.6g%s\n", sub_names[sub], method_names[q], h,
                                   (long long)n, mean_of(acc->px[sub][q][h], n), mean_of(acc->m[sub][q][h], n),
                                   NO_BODY_STATS);
                    atomic_file_write(&af, line, (size_t)len);
                }
        for (int sub = 0; has_cell && sub < SUBS; sub++)
            for (int q = 0; q < CMETHODS; q++)
                for (int h = 0; h <= HMAX; h++) {
                    int64_t n = cacc->n[sub][h];
                    if (q == CM_NO_PUSH)
                        len = snprintf(line, sizeof line, "%s,%s,%d,%lld,%.6g,%.6g%s\n", sub_names[sub], cmethod_names[q],
                                       h, (long long)n, mean_of(cacc->no_push_px[sub][h], n),
                                       mean_of(cacc->no_push_m[sub][h], n), NO_BODY_STATS);
                    else
                        len = body_row(line, sizeof line, sub_names[sub], cmethod_names[q], h,
                                       &bst[sub][q == CM_MODEL ? DM_MODEL : DM_CV][h]);
                    atomic_file_write(&af, line, (size_t)len);
                }
        for (int sub = 0; has_cell && sub < SUBS; sub++)
            for (int q = DM_PIXELS; q <= DM_FLOOR; q++) {
                len = body_row(line, sizeof line, sub_names[sub], dmethod_names[q], 0, &bst[sub][q][0]);
                atomic_file_write(&af, line, (size_t)len);
            }
        for (int z = 0; has_cell && z < SIZES; z++)
            for (int q = 0; q < 3; q++) {
                static const int dm[3] = {DM_MODEL, DM_PIXELS, DM_FLOOR};
                len = body_row(line, sizeof line, size_names[z], dmethod_names[dm[q]], 0, &sst[z][q]);
                atomic_file_write(&af, line, (size_t)len);
            }
        len = snprintf(line, sizeof line, "latent,std_mean,0,%lld,%.6g,nan%s\nlatent,std_min,0,%lld,%.6g,nan%s\n"
                       "latent,effective_rank,0,%lld,%.6g,nan%s\nevent,break_auroc,0,%lld,%.6g,nan%s\n"
                       "event,fall_auroc,0,%lld,%.6g,nan%s\n", (long long)nz, st.std_mean, NO_BODY_STATS, (long long)nz,
                       st.std_min, NO_BODY_STATS, (long long)nz, st.erank, NO_BODY_STATS, (long long)pos[0], auroc[0],
                       NO_BODY_STATS, (long long)pos[1], auroc[1], NO_BODY_STATS);
        atomic_file_write(&af, line, (size_t)len);
        static const char* copy_names[4] = {"rollout_l1", "copy_l1", "rollout_l1_changed", "copy_l1_changed"};
        for (int ci = 0; ci < COPY_HS; ci++)
            for (int q = 0; q < 4; q++) {
                int64_t n = copy_n[ci][q / 2];
                len = snprintf(line, sizeof line, "latent,%s,%d,%lld,%.6g,nan%s\n", copy_names[q], copy_hs[ci],
                               (long long)n, mean_of(copy_sum[ci][q], n), NO_BODY_STATS);
                atomic_file_write(&af, line, (size_t)len);
            }
        ok = atomic_file_commit(&af, err, sizeof err);
    }
    double steps[4096], rank[4096];
    int nr = read_rank_curve(model_path, steps, rank, 4096);
    snprintf(path, sizeof path, "%s/eval.svg", report);
    ok = ok && write_svg(path, acc, steps, rank, nr, m->lc, err, sizeof err);
    if (!ok) fprintf(stderr, "nudge eval: %s\n", err);
    free(bst), free(cacc), free(hit0), free(hitp), free(hitm), free(hits), free(hitcv), free(hitnp), free(hitpx), free(pgrid), free(hitor),
        free(ogrid), free(nhit0);
    jepa_cellprobe_free(&cell);
    jepa_cellprobe_free(&pcell);
    jepa_cellprobe_free(&ocell);
    free(acc), free(zall), free(ev_score[0]), free(ev_score[1]), free(ev_label[0]), free(ev_label[1]);
    free(win), free(zprev), free(z0), free(zr), free(zstart), free(zt), free(zn), free(npush0), free(first_push), free(fbefore), free(fafter), free(pprev),
        free(p0), free(ph), free(pn), free(ytrue), free(y0), free(mk), free(mk0), free(yb), free(mkb), free(push), free(npush),
        free(t0s);
    jepa_scratch_free(s);
    jepa_data_free(j);
    probe_free(&probe);
    jepa_free(m);
    return ok ? 0 : 2;
}
