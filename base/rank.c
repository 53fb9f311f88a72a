/* rank: Spearman's rank correlation (rank.h) */
#include "base/rank.h"

#include <math.h>
#include <stdlib.h>

#include "base/alloc.h"

typedef struct Keyed {
    double v;
    int    i;
} Keyed;

static int keyed_cmp(const void* a, const void* b) {
    const Keyed* x = a;
    const Keyed* y = b;
    if (x->v < y->v) return -1;
    if (x->v > y->v) return 1;
    return (x->i > y->i) - (x->i < y->i);
}

void rank_of(const double* x, int n, double* r) {
    if (n <= 0) return;
    Keyed* k = alloc_zeroed((size_t)n, sizeof *k);
    for (int i = 0; i < n; i++) k[i] = (Keyed){x[i], i};
    qsort(k, (size_t)n, sizeof *k, keyed_cmp);
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && k[j].v == k[i].v) j++;
        double mean = 0.5 * (double)(i + j - 1);   /* the mean of ranks i .. j-1 */
        for (int q = i; q < j; q++) r[k[q].i] = mean;
        i = j;
    }
    free(k);
}

double rank_correlation(const double* a, const double* b, int n) {
    if (n < 2) return NAN;
    double* ra = alloc_zeroed((size_t)n * 2, sizeof *ra);
    double* rb = ra + n;
    rank_of(a, n, ra);
    rank_of(b, n, rb);
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) ma += ra[i], mb += rb[i];
    ma /= n, mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    if (saa <= 0 || sbb <= 0) return NAN;
    double r = sab / sqrt(saa * sbb);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}
