/* metrics: AUROC and quantiles */
#include <math.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "model/eval.h"

typedef struct Scored {
    double  s;
    uint8_t y;
} Scored;

static int by_score(const void* a, const void* b) {
    double x = ((const Scored*)a)->s, y = ((const Scored*)b)->s;
    return (x > y) - (x < y);
}

/* the AUROC of v[n] (sorted in place) */
static double auroc_of(Scored* v, int64_t n) {
    int64_t pos = 0;
    for (int64_t i = 0; i < n; i++) pos += v[i].y;
    int64_t neg = n - pos;
    if (pos == 0 || neg == 0) return NAN;
    qsort(v, (size_t)n, sizeof(Scored), by_score);
    /* Mann-Whitney: sum of the positives' ranks, ties sharing the average rank */
    double rank_sum = 0;
    for (int64_t i = 0; i < n;) {
        int64_t j = i;
        while (j < n && v[j].s == v[i].s) j++;
        double avg = 0.5 * (double)(i + 1 + j);
        for (int64_t k = i; k < j; k++)
            if (v[k].y) rank_sum += avg;
        i = j;
    }
    return (rank_sum - (double)pos * (pos + 1) / 2.0) / ((double)pos * neg);
}

double wm_auroc(const float* score, const uint8_t* label, int64_t n) {
    Scored* v = alloc_bytes(sizeof(Scored) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) v[i] = (Scored){score[i], label[i] != 0};
    double a = auroc_of(v, n);
    free(v);
    return a;
}

double wm_auroc_select(const double* score, const uint8_t* label, const uint8_t* use, int stride, int64_t n) {
    Scored* v = alloc_bytes(sizeof(Scored) * (size_t)(n > 0 ? n : 1));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (!use || use[i * stride]) v[m++] = (Scored){score[i], label[i * stride] != 0};
    double a = auroc_of(v, m);
    free(v);
    return a;
}

static int by_float(const void* a, const void* b) {
    float x = *(const float*)a, y = *(const float*)b;
    return (x > y) - (x < y);
}

void wm_floats_push(WmFloats* a, float x) {
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 256;
        a->v = alloc_resize(a->v, (size_t)a->cap, sizeof(float));
    }
    a->v[a->n++] = x;
}

void wm_floats_free(WmFloats* a) {
    free(a->v);
    a->v = NULL;
    a->n = a->cap = 0;
}

double wm_quantile(float* v, int64_t n, double q) {
    if (n <= 0) return NAN;
    qsort(v, (size_t)n, sizeof(float), by_float);
    double pos = q * (double)(n - 1);
    int64_t i = (int64_t)floor(pos);
    if (i >= n - 1) return v[n - 1];
    double f = pos - (double)i;
    return v[i] * (1 - f) + v[i + 1] * f;
}
