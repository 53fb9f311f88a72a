/* nudge scale: fits the pixel model's expected error (model/jepa_scale.h) on a dataset with frames,
 * reports its held-out likelihood against a constant scale, and writes it for nudge voe --scale */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "base/workers.h"
#include "model/jepa_data.h"
#include "model/jepa_scale.h"
#include "model/nn.h"

static bool report(const JepaScale* s, const JepaModel* m, const JepaData* j, int stride, int jobs, const char* what,
                   char* err, size_t err_size) {
    double nll[2], ea[2];
    if (!jepa_scale_score(s, m, j, stride, jobs, nll, ea, err, err_size)) return false;
    printf("%s: Laplace NLL per latent value %.4f with the scale, %.4f with each channel's mean error as the scale; "
           "| |error| - b | %.5f against %.5f\n", what, nll[0], nll[1], ea[0], ea[1]);
    return true;
}

int cmd_scale(int argc, char** argv) {
    const char* model_path = NULL;
    const char* data = NULL;
    const char* heldout = NULL;
    const char* out = NULL;
    int64_t stride = 4, jobs = 1;
    ArgSpec specs[] = {
        {"model", ARG_STRING, &model_path, 1, 0, "MODEL: pixel model written by nudge train --kind jepa", false},
        {"data", ARG_STRING, &data, 1, 0, "DIR: training episodes with frames to fit the scale on (required)", false},
        {"heldout", ARG_STRING, &heldout, 1, 0,
         "DIR: episodes with frames to score it on (default: none, the fitting episodes are scored)", false},
        {"out", ARG_STRING, &out, 1, 0, "FILE: where the scale goes (required)", false},
        {"stride", ARG_INT, &stride, 1, 1000, "N: records between the windows fitted and scored (default 4)", false},
        {"jobs", ARG_INT, &jobs, 1, WORKERS_MAX, "N: threads encoding the episodes (default 1; every N gives the same scale)",
         false},
    };
    ArgParse p = {"scale", "nudge scale --model JEPA.ckpt --data DIR --out FILE [--heldout DIR] [--stride N] [--jobs N]",
                  "Fits how far a pixel model's one-step prediction is expected to miss each latent value (a linear map "
                  "of each cell's predicted change, its neighbourhood's and the prediction, shared by the cells: ridge "
                  "regression of the absolute error) and reports its Laplace likelihood against a constant scale. "
                  "nudge voe --scale FILE divides each value's error by it.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, 0};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (!model_path) return args_fail("scale", "--model MODEL is required");
    if (!data) return args_fail("scale", "--data DIR is required");
    if (!out) return args_fail("scale", "--out FILE is required");
    if (!args_output_not_input("scale", "--out", out, "the model", model_path) ||
        !args_output_outside("scale", "--out", out, data) || !args_output_outside("scale", "--out", out, heldout))
        return 2;
    nn_set_threads(1);
    char err[1024];
    JepaModel* m;
    JepaData *j, *h;
    if (!jepa_data_load_with_model(model_path, data, heldout, &m, &j, &h, err, sizeof err)) {
        fprintf(stderr, "nudge scale: %s\n", err);
        return 2;
    }
    bool ok = true;
    JepaScale s = {0};
    if (ok) ok = jepa_scale_fit(&s, m, j, (int)stride, (int)jobs, err, sizeof err);
    if (ok) {
        printf("scale fitted on %lld cells of %d episodes (stride %lld), %d features x %d channels\n",
               (long long)s.rows, j->d->episodes, (long long)stride, s.F, s.C);
        /* scored on the held-out episodes when there are some (a pass over the fitting data again
           would cost as much as the fit), else on the fitting data */
        ok = (h ? report(&s, m, h, (int)stride, (int)jobs, "held-out", err, sizeof err)
                : report(&s, m, j, (int)stride, (int)jobs, "training", err, sizeof err)) &&
             jepa_scale_save(&s, out, err, sizeof err);
    }
    if (!ok) fprintf(stderr, "nudge scale: %s\n", err);
    jepa_scale_free(&s);
    jepa_data_free(j);
    jepa_data_free(h);
    jepa_free(m);
    return ok ? 0 : 2;
}
