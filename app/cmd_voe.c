/* nudge voe: the violation-of-expectation suite -- matched pairs of possible and impossible clips
 * per category (one template each in a folder), scored by a model's surprise (agent/voe.h) */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/voe.h"
#include "app/args.h"
#include "app/commands.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/csv.h"
#include "model/nn.h"

/* the q-quantile of sorted v[n] (nearest rank) */
static double quantile(const double* v, int64_t n, double q) {
    if (n <= 0) return NAN;
    int64_t i = (int64_t)ceil(q * (double)n) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* "teleport" from "scenarios/voe/teleport.scn" */
static void category_of(const char* path, char* out, size_t n) {
    const char* base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, n, "%s", base);
    char* dot = strrchr(out, '.');
    if (dot && !strcmp(dot, ".scn")) *dot = 0;
}

static void fmt_latency(double v, char* out, size_t n) {
    if (isnan(v)) snprintf(out, n, "-");
    else snprintf(out, n, "%g", v);
}

/* how each worker's surprise source is made */
typedef struct VoeSourceOpts {
    const char* model;
    double      keypoint_w;
    int64_t     top_cells, trace_top;
    const char *scale_path, *energy_path, *fate_path, *trace_path;
    double      scale_w, energy_w, energy_k, fate_w;
    int64_t     energy_m;
    bool        fate_w_given, energy_pushed;
} VoeSourceOpts;

/* a surprise source as the options say, or NULL + one line (an option the model refuses) */
static SurpriseSource* voe_source(const VoeSourceOpts* o, const WmModel** wm, char* err, size_t err_size) {
    SurpriseSource* src = surprise_source_load(o->model, wm, err, err_size);
    if (!src) return NULL;
    bool pixel = surprise_source_jepa_cells(src) > 0;
    bool ok = true;
    if (o->keypoint_w != 1.0 && !surprise_source_jepa_keypoint_weight(src, (float)o->keypoint_w)) {
        snprintf(err, err_size, "%s: --keypoint-weight is for a pixel model with keypoints (train --keypoints K)", o->model);
        ok = false;
    }
    if (ok && o->top_cells > 0 && !surprise_source_jepa_top_cells(src, (int)o->top_cells)) {
        if (!pixel) snprintf(err, err_size, "%s: --top-cells is for a pixel model (train --kind jepa)", o->model);
        else
            snprintf(err, err_size, "--top-cells: expected at most the model's %d cells, got %lld",
                     surprise_source_jepa_cells(src), (long long)o->top_cells);
        ok = false;
    }
    if (ok && o->energy_path &&
        !surprise_source_jepa_energy(src, o->energy_path, o->energy_w, o->energy_k, (int)o->energy_m, err, err_size))
        ok = false;
    if (ok && o->energy_path) surprise_source_jepa_energy_free(src, !o->energy_pushed);
    if (ok && o->scale_path) {
        JepaScale sc;
        ok = jepa_scale_load(&sc, o->scale_path, err, err_size);
        if (ok && !surprise_source_jepa_scale(src, &sc, o->scale_w)) {
            if (!pixel) snprintf(err, err_size, "%s: --scale is for a pixel model (train --kind jepa)", o->model);
            else snprintf(err, err_size, "%s: the scale reads %d latent channels, not this model's", o->scale_path, sc.C);
            ok = false;
        }
        jepa_scale_free(&sc);
    }
    if (ok && o->fate_path) {
        JepaFate f;
        ok = jepa_fate_load(&f, o->fate_path, err, err_size);
        if (ok && !surprise_source_jepa_fate(src, &f, o->fate_w)) {
            if (!pixel) snprintf(err, err_size, "%s: --fate is for a pixel model (train --kind jepa)", o->model);
            else snprintf(err, err_size, "%s: the fate probe reads %d latent channels, not this model's", o->fate_path, f.C);
            ok = false;
        }
        jepa_fate_free(&f);
    } else if (ok && o->fate_w_given && !surprise_source_jepa_model_fate(src, o->fate_w)) {
        if (!pixel) snprintf(err, err_size, "%s: --fate-weight is for a pixel model (train --kind jepa)", o->model);
        else
            snprintf(err, err_size, "--fate-weight needs --fate FILE or a pixel model with event heads (train "
                                    "--event-weight W); %s has none", o->model);
        ok = false;
    }
    if (ok && o->trace_path && pixel && !surprise_source_jepa_trace(src, (int)o->trace_top)) {
        snprintf(err, err_size, "--trace-top: expected at most the model's %d cells, got %lld",
                 surprise_source_jepa_cells(src), (long long)o->trace_top);
        ok = false;
    }
    if (ok) return src;
    surprise_source_free(src);
    if (wm) *wm = NULL;   /* it was the source's */
    return NULL;
}

/* a category's line, printed as its pairs come in */
static void print_category(const VoeResult* r, void* ctx) {
    (void)ctx;
    char lat[32];
    fmt_latency(r->median_latency, lat, sizeof lat);
    printf("%-22s %6d %8d %9.4f %15s\n", r->category, r->pairs, r->correct, (double)r->correct / r->pairs, lat);
    fflush(stdout);
}

int cmd_voe(int argc, char** argv) {
    const char* model = NULL;
    const char* csv = NULL;
    int64_t pairs = 200;
    uint64_t seed = 0;
    double keypoint_w = 1.0;
    int64_t top_cells = 0, trace_top = 4;
    const char* fate_path = NULL;
    const char* scale_path = NULL;
    double scale_w = JEPA_SCALE_WEIGHT;
    const char* trace_path = NULL;
    const char* energy_path = NULL;
    double energy_w = JEPA_ENERGY_WEIGHT, energy_k = JEPA_ENERGY_SLACK;
    int64_t energy_m = JEPA_ENERGY_SMOOTH;
    double fate_w = 1.0;
    int64_t jobs = 1;
    bool energy_pushed = false;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model, 1, 0, "FILE: the world model whose surprise is scored", false},
        {"pairs", ARG_INT, &pairs, 1, 100000, "N: matched pairs per category (default 200)", false},
        {"csv", ARG_STRING, &csv, 1, 0, "FILE: write category,pairs,correct,accuracy,median_latency_ticks", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: pair i uses seed rng_derive(N, i) (default 0)", false},
        {"keypoint-weight", ARG_DOUBLE, &keypoint_w, 0, 1e6,
         "W: a pixel model with keypoints: its keypoint channels weigh W times a convolution channel in the "
         "surprise's grid mean (default 1: all alike)", false},
        {"top-cells", ARG_INT, &top_cells, 1, 1000000,
         "K: a pixel model: a tick's surprise is the mean of the K cells with the largest error (each cell's "
         "mean over its channels, weighed as --keypoint-weight says) instead of the grid's mean (default: the "
         "grid's mean)", false},
        {"fate", ARG_STRING, &fate_path, 1, 0,
         "FILE: a pixel model: its fate probe (nudge fate) adds --fate-weight times its Bernoulli NLL of whether a "
         "break came in the last 0.5 s, under the probe's expectation 0.5 s before, to the world's surprise "
         "(default: none)", false},
        {"fate-weight", ARG_DOUBLE, &fate_w, 0, 1e6,
         "W: the fate's weight (default 1 with --fate); without --fate, a pixel model's own event heads "
         "(train --event-weight) are the probe", false},
        {"trace", ARG_STRING, &trace_path, 1, 0,
         "FILE: a CSV line per tick of every clip: category,pair,impossible,tick,world and a pixel model's parts "
         "(evidence over the grid's mean, over the --trace-top largest cells, the fate's p and q)", false},
        {"scale", ARG_STRING, &scale_path, 1, 0,
         "FILE: a pixel model: the world's surprise mixes in the evidence over the grid's mean Laplace NLL, "
         "|observed - predicted| / b + log b with the scale's expected error b (nudge scale) (default: none)", false},
        {"scale-weight", ARG_DOUBLE, &scale_w, 0, 1,
         "W: with --scale, the world's surprise is the L1 evidence plus W times (the NLL's evidence - the L1's) "
         "(default 0.1; 1: the NLL's alone)", false},
        {"trace-top", ARG_INT, &trace_top, 1, 1000000, "K: the trace's top cells (default 4)", false},
        {"energy", ARG_STRING, &energy_path, 1, 0,
         "FILE: a pixel model: its energy head (nudge energy) adds --energy-weight times the evidence of a sustained "
         "shortfall, the grid's mean of max(0, predicted - observed change over the head's horizon), to the world's "
         "surprise (default: none)", false},
        {"energy-weight", ARG_DOUBLE, &energy_w, 0, 1e6, "W: the shortfall's weight (default 3)", false},
        {"energy-slack", ARG_DOUBLE, &energy_k, 0, 1e6,
         "K: a tick adds to the shortfall's evidence what it has past 1 + K times the clip's mean (default 0.5)", false},
        {"energy-smooth", ARG_INT, &energy_m, 1, JEPA_ENERGY_MAX_SMOOTH,
         "M: the shortfall is the mean of the last M ticks' (default 6)", false},
        {"energy-pushed", ARG_BOOL, &energy_pushed, 0, 0,
         "also read the shortfall of windows with a push in the head's horizon (default: those read none; how far "
         "a push carries a body is not in the frames)", false},
        {"jobs", ARG_INT, &jobs, 1, 64,
         "J: worker threads, each with its own copy of the model, taking the pairs in turn (default 1); the "
         "output is the same bytes at any J", false},
    };
    ArgParse p = {"voe", "nudge voe DIR --model FILE [--pairs N] [--csv FILE] [--seed N] [--keypoint-weight W] "
                         "[--top-cells K] [--scale FILE [--scale-weight W]] [--energy FILE [--energy-weight W] [--energy-slack K] [--energy-smooth M] [--energy-pushed]] "
                         "[--fate FILE] [--fate-weight W] [--trace FILE [--trace-top K]] [--jobs J]",
                  "Violation of expectation: each template in DIR (one per category, with a parameter "
                  "'impossible' that only decides its magic line) is run as N matched pairs of a possible and "
                  "an impossible clip sharing a seed. A pair is correct when the impossible clip's peak surprise "
                  "exceeds the possible one's. Prints per-category pairwise accuracy and the median latency "
                  "(ticks from the magic event to the peak), and how surprise is distributed on possible clips.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 1};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (p.npositional != 1) return args_fail("voe", "expected one folder of templates (see nudge voe --help)");
    if (!model) return args_fail("voe", "--model FILE is required");
    VoeSourceOpts so = {model, keypoint_w, top_cells, trace_top, scale_path, energy_path, fate_path, trace_path,
                        scale_w, energy_w, energy_k, fate_w, energy_m, args_spec(&p, "fate-weight")->seen,
                        energy_pushed};
    if (args_spec(&p, "scale-weight")->seen && !scale_path) return args_fail("voe", "--scale-weight needs --scale FILE");
    if ((args_spec(&p, "energy-weight")->seen || args_spec(&p, "energy-slack")->seen ||
         args_spec(&p, "energy-smooth")->seen || energy_pushed) && !energy_path)
        return args_fail("voe", "--energy-weight, --energy-slack, --energy-smooth and --energy-pushed need --energy FILE");
    nn_set_threads(1);

    char err[1024];
    char** files = NULL;
    int nfiles = scn_collect_files(&p.positional[0], 1, &files, err, sizeof err);
    if (nfiles < 0) {
        fprintf(stderr, "nudge voe: %s\n", err);
        return 2;
    }
    if (nfiles == 0) {
        fprintf(stderr, "nudge voe: %s: expected templates (.scn), got none\n", p.positional[0]);
        scn_free_list(files, nfiles);
        return 2;
    }
    /* no output may overwrite an input: a template, the model and its heads */
    const char* outs[2][2] = {{"--csv", csv}, {"--trace", trace_path}};
    const char* ins[4][2] = {{"the model", model}, {"the fate probe", fate_path}, {"the scale", scale_path},
                             {"the energy head", energy_path}};
    bool distinct = args_outputs_distinct("voe", outs, 2);
    for (int o = 0; o < 2 && distinct; o++) {
        for (int i = 0; i < 4 && distinct; i++)
            distinct = args_output_not_input("voe", outs[o][0], outs[o][1], ins[i][0], ins[i][1]);
        for (int i = 0; i < nfiles && distinct; i++)
            distinct = args_output_not_input("voe", outs[o][0], outs[o][1], "a template", files[i]);
    }
    if (!distinct) {
        scn_free_list(files, nfiles);
        return 2;
    }
    /* a source and a copy of every template per worker (no more workers than pairs) */
    int J = (int)(jobs < (int64_t)nfiles * pairs ? jobs : (int64_t)nfiles * pairs);
    const WmModel* wm = NULL;
    SurpriseSource** srcs = alloc_zeroed((size_t)J, sizeof *srcs);
    Scenario** scns = alloc_zeroed((size_t)J * nfiles, sizeof *scns);
    char(*cats)[64] = alloc_zeroed((size_t)nfiles, sizeof *cats);
    const char** catp = alloc_zeroed((size_t)nfiles, sizeof *catp);
    int status = 0;
    for (int w = 0; w < J && !status; w++) {
        const WmModel* m = NULL;
        srcs[w] = voe_source(&so, &m, err, sizeof err);
        if (!srcs[w]) status = 2;
        else if (w == 0) wm = m;
    }
    /* every template is read and checked before anything runs */
    for (int i = 0; i < J * nfiles && !status; i++) {
        const char* f = files[i % nfiles];
        scns[i] = scn_load(f, err, sizeof err);
        bool ok = scns[i] && scn_fix_param(scns[i], "impossible", 0, err, sizeof err);
        if (ok && !scn_magic_line(scns[i])) {
            snprintf(err, sizeof err, "%s: expected a magic line (the impossible clip's event), got none", f);
            ok = false;
        }
        if (!ok) status = 2;
    }
    if (status) fprintf(stderr, "nudge voe: %s\n", err);
    for (int i = 0; i < nfiles; i++) category_of(files[i], cats[i], sizeof cats[i]), catp[i] = cats[i];
    int slots = wm ? wm_arch(wm)->slots : 32;
    /* the trace: an atomic file (base/atomic_file.h), in place when the suite is done; a device
       or FIFO is written into, a link followed, as every file nudge writes */
    FILE* trace = NULL;
    AtomicFile trace_af;
    if (!status && trace_path) {
        if (!atomic_file_open(&trace_af, trace_path, err, sizeof err)) {
            fprintf(stderr, "nudge voe: %s\n", err);
            status = 2;
        } else {
            trace = trace_af.f;
            fprintf(trace, "category,pair,impossible,tick,world,evidence_grid,evidence_top,fate_p,fate_q,energy,energy_short,energy_shortfall,energy_predicted\n");
        }
    }
    VoeResult* res = alloc_zeroed((size_t)nfiles + 1, sizeof *res);
    double* peaks = alloc_zeroed((size_t)nfiles * (size_t)pairs + 1, sizeof *peaks);
    double* ticks = NULL;
    int64_t nticks = 0;
    if (!status) {
        printf("%-22s %6s %8s %9s %15s\n", "category", "pairs", "correct", "accuracy", "median_latency");
        fflush(stdout);
        if (!voe_suite_run(scns, catp, nfiles, (int)pairs, seed, srcs, J, slots, res, peaks, &ticks, &nticks, trace,
                           print_category, NULL, err, sizeof err)) {
            fprintf(stderr, "nudge voe: %s\n", err);
            status = 2;
        }
    }
    if (!status) {
        /* all categories together; the latency is the median of the categories' medians */
        VoeResult* all = &res[nfiles];
        snprintf(all->category, sizeof all->category, "all");
        double* meds = alloc_zeroed((size_t)nfiles, sizeof *meds);
        int nm = 0;
        for (int i = 0; i < nfiles; i++) {
            all->pairs += res[i].pairs;
            all->correct += res[i].correct;
            if (!isnan(res[i].median_latency)) meds[nm++] = res[i].median_latency;
        }
        all->median_latency = voe_median(meds, nm);
        free(meds);
        char lat[32];
        fmt_latency(all->median_latency, lat, sizeof lat);
        printf("%-22s %6d %8d %9.4f %15s\n", "all", all->pairs, all->correct, (double)all->correct / all->pairs, lat);
        /* calibration: surprise on possible clips, and how often the view's threshold fires there */
        int64_t np = (int64_t)nfiles * pairs, over_clips = 0, over_ticks = 0;
        for (int64_t i = 0; i < np; i++) over_clips += peaks[i] > SURPRISE_THRESHOLD;
        for (int64_t i = 0; i < nticks; i++) over_ticks += ticks[i] > SURPRISE_THRESHOLD;
        voe_sort(ticks, nticks);
        voe_sort(peaks, np);
        printf("possible clips, world surprise per tick (nats, %lld ticks): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
               (long long)nticks, quantile(ticks, nticks, 0.5), quantile(ticks, nticks, 0.9), quantile(ticks, nticks, 0.99),
               quantile(ticks, nticks, 0.999), nticks ? ticks[nticks - 1] : NAN);
        printf("possible clips, peak per clip (nats, %lld clips): p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", (long long)np,
               quantile(peaks, np, 0.5), quantile(peaks, np, 0.9), quantile(peaks, np, 0.99), np ? peaks[np - 1] : NAN);
        printf("false alarms at the view's threshold (%.0f nats): %.4f of possible ticks, %.4f of possible clips\n",
               SURPRISE_THRESHOLD, nticks ? (double)over_ticks / (double)nticks : NAN, np ? (double)over_clips / (double)np : NAN);
        /* the view's alarm: the surprise over its threshold, or a fate part over its own */
        int alarms[2] = {0, 0}, fates[2] = {0, 0};
        for (int i = 0; i < nfiles; i++)
            for (int j = 0; j < 2; j++) alarms[j] += res[i].alarms[j], fates[j] += res[i].fate_alarms[j];
        if (wm) {
            printf("alarms (surprise over %.0f nats, or a fate over %.2f nats): %.4f of possible clips (the fate alone %.4f), "
                   "%.4f of impossible clips (the fate alone %.4f)\n",
                   SURPRISE_THRESHOLD, SURPRISE_FATE_THRESHOLD, (double)alarms[0] / (double)np, (double)fates[0] / (double)np,
                   (double)alarms[1] / (double)np, (double)fates[1] / (double)np);
            printf("impossible clips alarmed, by category:");
            for (int i = 0; i < nfiles; i++) printf(" %s %d/%d", res[i].category, res[i].alarms[1], res[i].pairs);
            printf("\n");
        }
    }
    if (!status && csv) {
        AtomicFile af;
        if (!atomic_file_open(&af, csv, err, sizeof err)) {
            fprintf(stderr, "nudge voe: %s\n", err);
            status = 2;
        } else {
            char line[256];
            int n = snprintf(line, sizeof line, "category,pairs,correct,accuracy,median_latency_ticks\n");
            atomic_file_write(&af, line, (size_t)n);
            for (int i = 0; i <= nfiles; i++) {
                char lat[32];
                if (isnan(res[i].median_latency)) lat[0] = 0;
                else snprintf(lat, sizeof lat, "%g", res[i].median_latency);
                char field[160];
                n = snprintf(line, sizeof line, "%s,%d,%d,%.6f,%s\n", csv_field(res[i].category, field, sizeof field),
                             res[i].pairs, res[i].correct,
                             res[i].pairs ? (double)res[i].correct / res[i].pairs : 0.0, lat);
                atomic_file_write(&af, line, (size_t)n);
            }
            if (!atomic_file_commit(&af, err, sizeof err)) {
                fprintf(stderr, "nudge voe: %s\n", err);
                status = 2;
            }
        }
    }
    if (trace) {
        if (status) {
            atomic_file_abort(&trace_af);
        } else if (ferror(trace)) {
            atomic_file_abort(&trace_af);
            fprintf(stderr, "nudge voe: %s: write failed\n", trace_path);
            status = 2;
        } else if (!atomic_file_commit(&trace_af, err, sizeof err)) {
            fprintf(stderr, "nudge voe: %s\n", err);
            status = 2;
        }
    }
    for (int i = 0; i < J * nfiles; i++) scn_free(scns[i]);
    for (int w = 0; w < J; w++) surprise_source_free(srcs[w]);
    free(scns);
    free(srcs);
    free(cats);
    free(catp);
    free(res);
    free(peaks);
    free(ticks);
    scn_free_list(files, nfiles);
    return status;
}
