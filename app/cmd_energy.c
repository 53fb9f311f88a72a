/* nudge energy: fits the pixel model's expected change over the next ticks (model/jepa_energy.h) on a
 * dataset with frames, reports its held-out error against a constant and persistence, and writes it
 * for nudge voe --energy */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "base/atomic_file.h"
#include "model/jepa_data.h"
#include "model/jepa_energy.h"
#include "model/nn.h"

int cmd_energy(int argc, char** argv) {
    const char* model_path = NULL;
    const char* data = NULL;
    const char* heldout = NULL;
    const char* out = NULL;
    const char* more = NULL;
    JepaEnergyFit o = jepa_energy_fit_default();
    int64_t stride = o.stride, horizon = o.H, epochs = o.epochs, jobs = o.jobs;
    uint64_t seed = o.seed;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model_path, 1, 0, "MODEL: pixel model written by nudge train --kind jepa", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: training episodes with frames to fit the head on (required)", false},
        {"heldout", ARG_STRING, &heldout, 1, 0, "DIR: episodes with frames to score it on (default: none)", false},
        {"out", ARG_STRING, &out, 1, 0, "FILE: where the head goes (required)", false},
        {"more-data", ARG_STRING, &more, 1, 0, "DIR: more episodes with frames to fit on (default: none)", false},
        {"stride", ARG_INT, &stride, 1, 1000, "N: records between the windows fitted and scored (default 4)", false},
        {"horizon", ARG_INT, &horizon, 1, JEPA_ENERGY_MAX_HORIZON, "H: ticks of change the energy sums (default 24)", false},
        {"epochs", ARG_INT, &epochs, 1, 1000, "N: passes over the fitting windows (default 12)", false},
        {"seed", ARG_U64, &seed, 0, 0, "N: the head's initialization and shuffling (default 1)", false},
        {"jobs", ARG_INT, &jobs, 1, JEPA_ENERGY_MAX_JOBS, "N: threads encoding the episodes (default 1; every N gives the same head)", false},
    };
    ArgParse p = {"energy", "nudge energy --model JEPA.ckpt --data DIR --out FILE [--heldout DIR] [--stride N] "
                            "[--horizon H] [--epochs N] [--seed N] [--jobs N]",
                  "Fits how much a pixel model's latent is expected to change, cell by cell, over the next H ticks "
                  "(a small conv net on the latent and the pushes, after the model) and reports its held-out error "
                  "against a constant and against persistence. nudge voe --energy FILE adds its error to the surprise.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!model_path) return args_fail("energy", "--model MODEL is required");
    if (!data) return args_fail("energy", "--data DIR is required");
    if (!out) return args_fail("energy", "--out FILE is required");
    if (!args_output_not_input("energy", "--out", out, "the model", model_path) ||
        !args_output_outside("energy", "--out", out, data) || !args_output_outside("energy", "--out", out, heldout) ||
        !args_output_outside("energy", "--out", out, more))
        return 2;
    o.stride = (int)stride, o.H = (int)horizon, o.epochs = (int)epochs, o.seed = seed, o.progress = stdout;
    o.jobs = (int)jobs;
    nn_set_threads(1);
    char err[1024];
    /* where the head goes, before minutes of fitting: a folder that cannot take it fails now */
    AtomicFile probe;
    if (!atomic_file_open(&probe, out, err, sizeof err)) {
        fprintf(stderr, "nudge energy: %s\n", err);
        return 2;
    }
    atomic_file_abort(&probe);
    JepaModel* m;
    JepaData *j, *h;
    if (!jepa_data_load_with_model(model_path, data, heldout, &m, &j, &h, err, sizeof err)) {
        fprintf(stderr, "nudge energy: %s\n", err);
        return 2;
    }
    JepaData* x = NULL;
    if (more) {
        x = jepa_data_load(more, err, sizeof err);
        if (x && !jepa_data_check_model(x, m, model_path, err, sizeof err)) jepa_data_free(x), x = NULL;
        if (!x) {
            fprintf(stderr, "nudge energy: %s\n", err);
            jepa_data_free(j), jepa_data_free(h), jepa_free(m);
            return 2;
        }
    }
    const JepaData* js[2] = {j, x};
    JepaEnergy en = {0};
    bool ok = jepa_energy_fit(&en, m, js, x ? 2 : 1, &o, err, sizeof err);
    if (ok) {
        printf("energy head fitted on %lld windows of %d episodes (stride %d, horizon %d ticks), mean energy %.5f\n",
               (long long)en.windows, j->d->episodes + (x ? x->d->episodes : 0), o.stride, o.H, en.norm);
        double l1[3];
        ok = jepa_energy_score(&en, m, h ? h : j, o.stride, o.jobs, l1, err, sizeof err);
        if (ok)
            printf("%s: mean |energy error| per cell %.5f; the constant mean %.5f; persistence %.5f\n",
                   h ? "held-out" : "training", l1[0], l1[1], l1[2]);
        ok = ok && jepa_energy_save(&en, out, err, sizeof err);
    }
    if (!ok) fprintf(stderr, "nudge energy: %s\n", err);
    jepa_energy_free(&en);
    jepa_data_free(j);
    jepa_data_free(h);
    jepa_data_free(x);
    jepa_free(m);
    return ok ? 0 : 2;
}
