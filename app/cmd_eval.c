/* nudge eval: the model against constant-velocity and ballistic baselines on a dataset */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "base/atomic_file.h"
#include "base/workers.h"
#include "model/dataset.h"
#include "model/eval.h"
#include "model/model_file.h"
#include "model/nn.h"

static const char* event_names[WM_EVENTS] = {"breaks_within_0.5s", "contact_next_tick", "falls_within_0.5s"};
/* the events over the horizon again, on the records after which nothing is pushed within it (the
 * contact at the next tick has no such rows: no later push can reach it) */
static const char* quiet_names[WM_EVENTS] = {"breaks_within_0.5s_no_new_push", NULL, "falls_within_0.5s_no_new_push"};
/* the same two events scored by the model's foresight (wm_foresee), over every record and over the quiet ones */
static const char* foreseen_names[WM_EVENTS] = {"breaks_within_0.5s_foreseen", NULL, "falls_within_0.5s_foreseen"};
static const char* foreseen_quiet_names[WM_EVENTS] = {"breaks_within_0.5s_foreseen_no_new_push", NULL,
                                                      "falls_within_0.5s_foreseen_no_new_push"};

/* the event rows in order: pass 0 the heads over every record, 1 over the quiet records, 2 and 3 the
 * foresight's; NULL where the pass has no row for the event */
static const WmEventStats* event_row(const WmEvalResult* r, int pass, int q, const char** name) {
    const char* const* names[4] = {event_names, quiet_names, foreseen_names, foreseen_quiet_names};
    const WmEventStats* rows[4] = {r->events, r->events_quiet, r->events_foreseen, r->events_foreseen_quiet};
    *name = names[pass][q];
    return *name ? &rows[pass][q] : NULL;
}

/* a number for CSV: "nan" when there is none (numpy and pandas read it) */
static bool write_csv(const char* path, const WmEvalResult* r, char* err, size_t n) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, n)) return false;
    char line[512];
    int len = snprintf(line, sizeof line,
                       "subset,method,horizon,n,pos_mean_m,pos_median_m,pos_p90_m,pos_mean_sizes,angle_mean_rad,"
                       "sink_share\n");
    atomic_file_write(&af, line, (size_t)len);
    for (int s = 0; s < WM_SUBSETS; s++)
        for (int q = 0; q < WM_METHODS; q++)
            for (int h = 0; h < r->horizon; h++) {
                const WmErrStats* e = &r->err[s][q][h];
                len = snprintf(line, sizeof line, "%s,%s,%d,%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
                               wm_subset_name(s), wm_method_name(q), h + 1, (long long)e->n, e->mean, e->median,
                               e->p90, e->mean_sizes, e->angle_mean, e->sink);
                atomic_file_write(&af, line, (size_t)len);
            }
    return atomic_file_commit(&af, err, n);
}

static bool write_events_csv(const char* path, const WmEvalResult* r, char* err, size_t n) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, n)) return false;
    char line[256];
    int len = snprintf(line, sizeof line, "event,n,positives,auroc,accuracy_at_0.5\n");
    atomic_file_write(&af, line, (size_t)len);
    for (int pass = 0; pass < 4; pass++)
        for (int q = 0; q < WM_EVENTS; q++) {
            const char* name;
            const WmEventStats* e = event_row(r, pass, q, &name);
            if (!e) continue;
            len = snprintf(line, sizeof line, "%s,%lld,%lld,%.6g,%.6g\n", name, (long long)e->n, (long long)e->positives,
                           e->auroc, e->accuracy);
            atomic_file_write(&af, line, (size_t)len);
        }
    const WmEventStats* e = &r->break_now;
    len = snprintf(line, sizeof line, "break_now_breakable,%lld,%lld,%.6g,%.6g\n", (long long)e->n, (long long)e->positives,
                   e->auroc, e->accuracy);
    atomic_file_write(&af, line, (size_t)len);
    return atomic_file_commit(&af, err, n);
}

/* the rest gate at the next tick: one header line, one row */
static bool write_gate_csv(const char* path, const WmEvalResult* r, char* err, size_t n) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, n)) return false;
    const WmGateStats* g = &r->gate;
    char line[256];
    int len = snprintf(line, sizeof line, "stays,stays_released,onsets,onsets_held,hard_onsets,hard_onsets_held,auroc\n"
                                          "%lld,%lld,%lld,%lld,%lld,%lld,%.6g\n",
                       (long long)g->stays, (long long)g->stays_released, (long long)g->onsets,
                       (long long)g->onsets_held, (long long)g->hard, (long long)g->hard_held, g->auroc);
    atomic_file_write(&af, line, (size_t)len);
    return atomic_file_commit(&af, err, n);
}

static double share(int64_t part, int64_t whole) { return whole ? 100.0 * (double)part / (double)whole : NAN; }

/* a hand-written SVG line plot: mean position error against horizon, one line per method, on a
 * log scale (the baselines' errors span four decades) */
static bool write_svg(const char* path, const WmEvalResult* r, char* err, size_t n) {
    const char* colors[WM_METHODS] = {"#d62728", "#1f77b4", "#7f7f7f"};
    double W = 720, Hh = 420, l = 70, rt = 20, t = 30, b = 50;
    double lo = INFINITY, hi = 0;
    static const WmSubset plotted[2] = {WM_SUBSET_ALL, WM_SUBSET_MOVING};
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < WM_METHODS; q++)
            for (int h = 0; h < r->horizon; h++) {
                double v = r->err[plotted[p]][q][h].mean;
                if (isfinite(v) && v > 0) lo = fmin(lo, v), hi = fmax(hi, v);
            }
    if (!(hi > 0)) lo = 1e-4, hi = 1;
    int d0 = (int)floor(log10(lo)), d1 = (int)ceil(log10(hi));
    if (d1 <= d0) d1 = d0 + 1;
    double ph = Hh - b - t;
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, n)) return false;
    char buf[1024];
    int len;
#define OUT(...) (len = snprintf(buf, sizeof buf, __VA_ARGS__), atomic_file_write(&af, buf, (size_t)len))
#define YOF(v) (Hh - b - ph * (log10(v) - d0) / (d1 - d0))
    OUT("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, Hh);
    OUT("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    OUT("<text x=\"%g\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">mean position error against horizon, %lld rollouts (solid: all bodies, dashed: moving)</text>\n",
        W / 2, (long long)r->rollouts);
    for (int dec = d0; dec <= d1; dec++) {
        double y = YOF(pow(10, dec));
        OUT("<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", l, y, W - rt, y);
        OUT("<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g m</text>\n", l - 6, y + 4, pow(10, dec));
    }
    for (int i = 0; i <= 6; i++) {
        double x = l + (W - l - rt) * i / 6;
        OUT("<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%d</text>\n", x, Hh - b + 16, (int)lround(r->horizon * i / 6.0));
    }
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l, Hh - b, W - rt, Hh - b);
    OUT("<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"black\"/>\n", l, t, l, Hh - b);
    OUT("<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">horizon (ticks of 1/60 s)</text>\n", (l + W - rt) / 2, Hh - 12);
    OUT("<text x=\"14\" y=\"%g\" text-anchor=\"middle\" transform=\"rotate(-90 14 %g)\">mean position error (log scale)</text>\n",
        (t + Hh - b) / 2, (t + Hh - b) / 2);
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < WM_METHODS; q++) {
            OUT("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", colors[q],
                p ? " stroke-dasharray=\"6 4\"" : "");
            for (int h = 0; h < r->horizon; h++) {
                double v = r->err[plotted[p]][q][h].mean;
                if (!isfinite(v) || v <= 0) continue;
                double x = l + (W - l - rt) * (h + 1) / r->horizon;
                OUT("%.1f,%.1f ", x, YOF(v));
            }
            OUT("\"/>\n");
        }
    for (int q = 0; q < WM_METHODS; q++) {
        OUT("<rect x=\"%g\" y=\"%g\" width=\"14\" height=\"3\" fill=\"%s\"/>\n", W - rt - 110, Hh - b - 60 + 16 * q, colors[q]);
        OUT("<text x=\"%g\" y=\"%g\">%s</text>\n", W - rt - 90, Hh - b - 55 + 16 * q, wm_method_name(q));
    }
    OUT("</svg>\n");
#undef YOF
#undef OUT
    return atomic_file_commit(&af, err, n);
}

/* a cell of the printed table: "-" where there is no number */
static void print_num(const char* fmt, int width, double v) {
    if (isfinite(v)) printf(fmt, width, v);
    else printf("%*s", width, "-");
}

/* a figure of the rest gate's line: "-" where there is none (no onset to hold, no class to rank) */
static void gate_figure(char* buf, size_t size, const char* fmt, double v) {
    if (isfinite(v)) snprintf(buf, size, fmt, v);
    else snprintf(buf, size, "-");
}

/* the human-readable table: per subset, a row per reported horizon; then the event heads */
static void print_table(const WmEvalResult* r) {
    printf("position error (m) over %lld rollouts from %d episodes, h ticks of 1/60 s ahead\n", (long long)r->rollouts,
           r->episodes);
    printf("%-8s %4s %8s | %-40s | %-24s | %-16s\n", "", "", "", "model", "const_vel", "ballistic");
    printf("%-8s %4s %8s | %8s %8s %8s %6s %6s | %8s %8s %6s | %9s %6s\n", "subset", "h", "n", "mean", "median", "p90",
           "angle", "sink%", "mean", "model/cv", "sink%", "mean", "sink%");
    int hs[8], nh = 0;
    static const int wanted[] = {1, 10, 30, 60, 120, 240};
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++)
        if (wanted[i] <= r->horizon) hs[nh++] = wanted[i];
    if (hs[nh - 1] != r->horizon) hs[nh++] = r->horizon;
    for (int s = 0; s < WM_SUBSETS; s++) {
        for (int i = 0; i < nh; i++) {
            const WmErrStats* m = &r->err[s][WM_METHOD_MODEL][hs[i] - 1];
            const WmErrStats* c = &r->err[s][WM_METHOD_CONST_VEL][hs[i] - 1];
            const WmErrStats* b = &r->err[s][WM_METHOD_BALLISTIC][hs[i] - 1];
            printf("%-8s %4d %8lld |", i ? "" : wm_subset_name(s), hs[i], (long long)m->n);
            print_num(" %*.4f", 8, m->mean);
            print_num(" %*.4f", 8, m->median);
            print_num(" %*.4f", 8, m->p90);
            print_num(" %*.3f", 6, m->angle_mean);
            print_num(" %*.1f", 6, 100 * m->sink);
            printf(" |");
            print_num(" %*.4f", 8, c->mean);
            print_num(" %*.2f", 8, m->mean / c->mean);
            print_num(" %*.1f", 6, 100 * c->sink);
            printf(" |");
            print_num(" %*.4f", 9, b->mean);
            print_num(" %*.1f", 6, 100 * b->sink);
            printf("\n");
        }
    }
    printf("subsets: all = every dynamic body; moving = moved > %g cm by h; fall, break = fell, broke by h (a broken\n"
           "body's truth is its shards' centre of mass); resting = at rest, unpushed and still (< %g mm) through h:\n"
           "its error is the rollout's drift. angle in rad; sink%% = predictions > %g cm inside a static body.\n",
           WM_EVAL_MOVING_M * 100, WM_EVAL_STILL_M * 1000, WM_EVAL_SINK_M * 100);
    printf("\n%-39s %10s %10s %8s %8s\n", "event", "n", "positives", "auroc", "acc@0.5");
    for (int pass = 0; pass < 4; pass++)
        for (int q = 0; q < WM_EVENTS; q++) {
            const char* name;
            const WmEventStats* e = event_row(r, pass, q, &name);
            if (!e) continue;
            printf("%-39s %10lld %10lld", name, (long long)e->n, (long long)e->positives);
            print_num(" %*.4f", 8, e->auroc);
            print_num(" %*.4f", 8, e->accuracy);
            if (!isfinite(e->auroc))
                printf("   (auroc needs both classes: %s)", e->n == 0 ? "nothing scored"
                                                            : e->positives == 0 ? "no positive in these records"
                                                                                : "no negative in these records");
            printf("\n");
        }
    {
        const WmEventStats* e = &r->break_now;
        printf("%-39s %10lld %10lld", "break_now_breakable", (long long)e->n, (long long)e->positives);
        print_num(" %*.4f", 8, e->auroc);
        print_num(" %*.4f", 8, e->accuracy);
        printf("\n");
    }
    printf("no_new_push: the records after which nothing in the world is pushed within the 0.5 s, what the\n"
           "record and its own push foretell (the first rows also count events that a later push causes).\n"
           "foreseen: the same labels scored by the model's foresight instead of the record's own head: the largest\n"
           "head over its imagined 0.5 s from the record and its own push, 1 where the imagination shatters the body.\n"
           "break_now_breakable: the break-now head of each breakable body against its breaking by the next record;\n"
           "the rollout shatters a body where P > 0.5: it does so at %lld of the %lld breaks, and at %lld of the %lld\n"
           "records without one.\n",
           (long long)r->break_now_said, (long long)r->break_now.positives, (long long)r->break_now_false,
           (long long)(r->break_now.n - r->break_now.positives));
    const WmGateStats* g = &r->gate;
    char held[16], hard_held[16], released[16], auroc[16];
    gate_figure(held, sizeof held, "%.1f%%", share(g->onsets_held, g->onsets));
    gate_figure(hard_held, sizeof hard_held, "%.1f%%", share(g->hard_held, g->hard));
    gate_figure(released, sizeof released, "%.2f%%", share(g->stays_released, g->stays));
    gate_figure(auroc, sizeof auroc, "%.4f", g->auroc);
    printf("\nrest gate, next tick (unpushed bodies at rest): %lld onsets, %s held; %lld hard (> 0.1 m/s or 0.5 rad/s), "
           "%s held; %lld staying at rest, %s released; rest head AUROC %s\n",
           (long long)g->onsets, held, (long long)g->hard, hard_held, (long long)g->stays, released, auroc);
}

int cmd_eval(int argc, char** argv) {
    const char* model_path = NULL;
    const char* data = NULL;
    const char* report = NULL;
    int64_t horizon = 240, stride = 10, episodes = 0, threads = 1;
    const char* pixel_probe_data = NULL;
    int64_t pixel_cell_rows = 0, pixel_probe_jobs = 0;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model_path, 1, 0, "MODEL: checkpoint written by nudge train (required)", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: dataset folder (required); every episode is scored", false},
        {"report", ARG_STRING, &report, 1, 0, "DIR: where eval.csv, eval_events.csv and eval.svg go (default: the model's folder)", false},
        {"horizon", ARG_INT, &horizon, 1, 1000, "H: ticks ahead (default 240)", false},
        {"stride", ARG_INT, &stride, 1, 100000, "N: ticks between rollout starts (default 10)", false},
        {"episodes", ARG_INT, &episodes, 0, 1e9, "N: score only the first N episodes (default all)", false},
        {"threads", ARG_INT, &threads, 1, 64, "T: BLAS threads (default 1)", false},
        /* a pixel model's (app/eval_jepa.c reads them again) */
        {"probe-data", ARG_STRING, &pixel_probe_data, 1, 0,
         "DIR: a pixel model only: training episodes to fit the slot-free cell probe on", false},
        {"cell-rows", ARG_INT, &pixel_cell_rows, 2, 1e6, "N: a pixel model only: windows the cell probe is fitted on (default 2000)",
         false},
        {"probe-jobs", ARG_INT, &pixel_probe_jobs, 1, WORKERS_MAX,
         "J: a pixel model only: threads encoding the cell probe's windows (default 2; every J gives the same probe)", false},
    };
    ArgParse p = {"eval", "nudge eval --model MODEL --data DIR [--report DIR]",
                  "Scores the model's rollouts and event predictions on a dataset, against constant-velocity "
                  "and ballistic baselines; prints a table and writes eval.csv, eval_events.csv and eval.svg.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!model_path) return args_fail("eval", "--model MODEL is required");
    if (!data) return args_fail("eval", "--data DIR is required");
    nn_set_threads((int)threads);
    char err[1024];
    /* a pixel model has its own evaluation (app/eval_jepa.c) */
    ModelKind kind = model_file_kind(model_path, err, sizeof err);
    if (kind == MODEL_KIND_JEPA) return cmd_eval_jepa(argc, argv);
    if (pixel_probe_data || pixel_cell_rows || pixel_probe_jobs)
        return args_fail("eval", "--probe-data, --cell-rows and --probe-jobs are for a pixel model; this is a state model");
    WmModel* m = wm_load(model_path, err, sizeof err);
    if (!m) {
        fprintf(stderr, "nudge eval: %s\n", err);
        return 2;
    }
    WmDataset* d = wm_dataset_load(data, err, sizeof err);
    if (!d || !wm_dataset_check_model(d, m, model_path, err, sizeof err)) {
        fprintf(stderr, "nudge eval: %s\n", err);
        wm_free(m);
        wm_dataset_free(d);
        return 2;
    }
    char dirbuf[4096];
    if (!report) {
        snprintf(dirbuf, sizeof dirbuf, "%s", model_path);
        report = dirname(dirbuf);
    }
    if (!make_dirs(report, err, sizeof err)) {
        fprintf(stderr, "nudge eval: %s\n", err);
        wm_free(m);
        wm_dataset_free(d);
        return 2;
    }
    WmEvalDef def = wm_eval_def_default();
    def.horizon = (int)horizon;
    def.stride = (int)stride;
    if (episodes > 0 && episodes < d->episodes) def.count = (int)episodes;
    WmEvalResult r;
    if (!wm_evaluate(m, d, &def, &r)) {
        fprintf(stderr, "nudge eval: %s: no dynamic body to score\n", data);
        wm_free(m);
        wm_dataset_free(d);
        return 2;
    }
    print_table(&r);
    char path[4200];
    bool ok = true;
    snprintf(path, sizeof path, "%s/eval.csv", report);
    ok = ok && write_csv(path, &r, err, sizeof err);
    snprintf(path, sizeof path, "%s/eval_events.csv", report);
    ok = ok && write_events_csv(path, &r, err, sizeof err);
    snprintf(path, sizeof path, "%s/eval_gate.csv", report);
    ok = ok && write_gate_csv(path, &r, err, sizeof err);
    snprintf(path, sizeof path, "%s/eval.svg", report);
    ok = ok && write_svg(path, &r, err, sizeof err);
    if (!ok) fprintf(stderr, "nudge eval: %s\n", err);
    wm_eval_free(&r);
    wm_free(m);
    wm_dataset_free(d);
    return ok ? 0 : 2;
}
