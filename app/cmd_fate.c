/* nudge fate: fits the fate probe (model/jepa_fate.h) on a pixel model's frozen latent over a dataset
 * with frames and its break marks, reports its AUROC on another, and writes it for nudge voe --fate */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "model/eval.h"
#include "model/jepa_data.h"
#include "model/jepa_fate.h"
#include "model/nn.h"

/* each head's AUROC over the windows of r (the world's p: jepa_fate_read) */
static void print_auroc(const JepaFate* f, const JepaFateRows* r, const char* what) {
    double* s = malloc(sizeof *s * (size_t)(r->N + 1) * JEPA_FATE_HEADS);
    float* work = malloc(sizeof *work * jepa_fate_work(f, r->lh, r->lw));
    for (int i = 0; i < r->N; i++) {
        double p[JEPA_FATE_HEADS];
        jepa_fate_read(f, r->lh, r->lw, r->z + (size_t)i * r->L, work, p);
        for (int h = 0; h < JEPA_FATE_HEADS; h++) s[(size_t)h * r->N + i] = p[h];
    }
    static const char* names[JEPA_FATE_HEADS] = {"ahead", "seen"};
    for (int h = 0; h < JEPA_FATE_HEADS; h++) {
        int used = 0, pos = 0;
        double sp = 0, sn = 0;
        for (int i = 0; i < r->N; i++)
            if (r->ok[i * 2 + h]) {
                used++, pos += r->y[i * 2 + h];
                if (r->y[i * 2 + h]) sp += s[(size_t)h * r->N + i];
                else sn += s[(size_t)h * r->N + i];
            }
        printf("%s: %-5s head (a break in the %s %d records): AUROC %.4f over %d windows, %d with a break; mean p %.3f "
               "with one, %.3f without\n", what, names[h], h == JEPA_FATE_AHEAD ? "next" : "last", JEPA_FATE_HORIZON,
               wm_auroc_select(s + (size_t)h * r->N, r->y + h, r->ok + h, 2, r->N), used, pos, pos ? sp / pos : NAN,
               used > pos ? sn / (used - pos) : NAN);
    }
    free(work);
    free(s);
}

int cmd_fate(int argc, char** argv) {
    const char* model_path = NULL;
    const char* data = NULL;
    const char* heldout = NULL;
    const char* out = NULL;
    int64_t stride = 4;
    const char* kind_name = "pooled";
    bool heads = false;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model_path, 1, 0, "MODEL: pixel model written by nudge train --kind jepa", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: training episodes with frames to fit the probe on (required)", false},
        {"heldout", ARG_STRING, &heldout, 1, 0, "DIR: episodes with frames to report its AUROC on (default: none)", false},
        {"out", ARG_STRING, &out, 1, 0, "FILE: where the probe goes (required)", false},
        {"stride", ARG_INT, &stride, 1, 1000, "N: records between fitted windows (default 4)", false},
        {"kind", ARG_STRING, &kind_name, 1, 0,
         "pooled|cells: one logistic over the grid pooled (each channel's mean, largest and smallest value), or one "
         "per cell shared by all (the cell's channels and its neighbours' mean; the world's p is the largest "
         "cell's; default pooled)", false},
        {"heads", ARG_BOOL, &heads, 0, 0,
         "fit nothing: report the AUROC of the model's own event heads (train --event-weight, on the trained "
         "encoder's latent) on --data (every --stride-th window) and --heldout (every window); --out not needed",
         false},
    };
    ArgParse p = {"fate", "nudge fate --model JEPA.ckpt --data DIR --out FILE [--heldout DIR] [--stride N] [--kind pooled|cells] "
                          "| --model JEPA.ckpt --data DIR --heads [--heldout DIR] [--stride N]",
                  "Fits the fate probe on a pixel model's frozen latent (its target encoder's window, pooled over the "
                  "cells or per cell, --kind): two logistic heads, a break in the next "
                  "0.5 s and a break in the last 0.5 s, from the dataset's break marks. nudge voe --fate FILE adds its "
                  "Bernoulli NLL of what happened to the pixel surprise.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!model_path) return args_fail("fate", "--model MODEL is required");
    if (!data) return args_fail("fate", "--data DIR is required");
    if (!out && !heads) return args_fail("fate", "--out FILE is required");
    if (heads && (out || args_spec(&p, "kind")->seen))
        return args_fail("fate", "--heads reports the model's own heads: it takes no --out or --kind");
    int kind = !strcmp(kind_name, "pooled") ? JEPA_FATE_POOLED : !strcmp(kind_name, "cells") ? JEPA_FATE_CELLS : -1;
    if (kind < 0) return args_fail("fate", "--kind: expected pooled or cells");
    if (!args_output_not_input("fate", "--out", out, "the model", model_path) ||
        !args_output_outside("fate", "--out", out, data) || !args_output_outside("fate", "--out", out, heldout))
        return 2;
    nn_set_threads(1);
    char err[1024];
    JepaModel* m;
    JepaData *j, *h;
    if (!jepa_data_load_with_model(model_path, data, heldout, &m, &j, &h, err, sizeof err)) {
        fprintf(stderr, "nudge fate: %s\n", err);
        return 2;
    }
    bool ok = true;
    JepaFate f;
    memset(&f, 0, sizeof f);
    JepaFateRows r, rh;
    memset(&r, 0, sizeof r);
    memset(&rh, 0, sizeof rh);
    if (ok && heads) {
        /* the model's own heads on the trained encoder's latent */
        ok = jepa_fate_from_model(&f, m);
        if (!ok) snprintf(err, sizeof err, "%s: no event heads (train --event-weight W)", model_path);
        if (ok) {
            jepa_fate_rows_of(m, j, 0, j->d->episodes, (int)stride, true, &r);
            printf("event heads of %s (%d features) on %d windows of %d episodes (stride %lld)\n", model_path, f.F, r.N,
                   j->d->episodes, (long long)stride);
            print_auroc(&f, &r, "data");
            if (h) {
                jepa_fate_rows_of(m, h, 0, h->d->episodes, 1, true, &rh);
                print_auroc(&f, &rh, "held-out");
            }
        }
    } else if (ok) {
        jepa_fate_rows(m, j, 0, j->d->episodes, (int)stride, &r);
        ok = jepa_fate_fit(&f, kind, &r, err, sizeof err);
        if (ok) {
            printf("fate probe (%s) fitted on %d windows of %d episodes (stride %lld), %d features; ridges %g (ahead), %g (seen)\n",
                   kind_name, r.N, j->d->episodes, (long long)stride, f.F, f.ridge[0], f.ridge[1]);
            print_auroc(&f, &r, "training");
            if (h) {
                jepa_fate_rows(m, h, 0, h->d->episodes, 1, &rh);
                print_auroc(&f, &rh, "held-out");
            }
            ok = jepa_fate_save(&f, out, err, sizeof err);
        }
    }
    if (!ok) fprintf(stderr, "nudge fate: %s\n", err);
    jepa_fate_rows_free(&r);
    jepa_fate_rows_free(&rh);
    jepa_fate_free(&f);
    jepa_data_free(j);
    jepa_data_free(h);
    jepa_free(m);
    return ok ? 0 : 2;
}
