/* adamw: AdamW over one flat parameter array, with gradient-norm clipping; and the exponential moving
 * average of that array (Polyak averaging) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/nn.h"

#ifdef __SSE2__
#include <immintrin.h>
#endif

void nn_adamw_init(NnAdamW* o, int n, float lr, float weight_decay) {
    memset(o, 0, sizeof *o);
    o->n = n;
    o->m = alloc_zeroed((size_t)n, sizeof(float));
    o->v = alloc_zeroed((size_t)n, sizeof(float));
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->weight_decay = weight_decay;
}

void nn_adamw_free(NnAdamW* o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

NN_HOT double nn_grad_norm(int n, const float* g) {
    /* eight partial sums in a fixed order: deterministic, and no single long dependency chain */
    double s[8] = {0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += (double)g[i + j] * g[i + j];
    for (; i < n; i++) s[0] += (double)g[i] * g[i];
    return sqrt(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
}

/* the elementwise update, branch-free so it vectorizes */
NN_HOT static void adamw_update(int n, float* restrict w, const float* restrict g, float* restrict m,
                                float* restrict v, const uint8_t* restrict decay, float gs, float b1,
                                float b2, float c1, float c2, float lr, float wd, float eps) {
    int i = 0;
#ifdef __SSE2__
    /* four at a time; the same IEEE operations in the same order as the scalar loop below
     * (sqrtps and divps round exactly like sqrtf and /), so the results are bit-identical */
    __m128 vgs = _mm_set1_ps(gs), vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2);
    __m128 va1 = _mm_set1_ps(1.0f - b1), va2 = _mm_set1_ps(1.0f - b2);
    __m128 vc1 = _mm_set1_ps(c1), vc2 = _mm_set1_ps(c2), vlr = _mm_set1_ps(lr), veps = _mm_set1_ps(eps);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_mul_ps(_mm_loadu_ps(g + i), vgs);
        __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + i)), _mm_mul_ps(va1, gi));
        __m128 vi = _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(va2, gi), gi));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        __m128 mh = _mm_mul_ps(mi, vc1), vh = _mm_mul_ps(vi, vc2);
        __m128 d = decay ? _mm_set_ps(wd * (float)decay[i + 3], wd * (float)decay[i + 2],
                                      wd * (float)decay[i + 1], wd * (float)decay[i])
                         : _mm_set1_ps(wd);
        __m128 wv = _mm_loadu_ps(w + i);
        __m128 wi = _mm_sub_ps(wv, _mm_mul_ps(d, wv));
        __m128 step = _mm_div_ps(_mm_mul_ps(vlr, mh), _mm_add_ps(_mm_sqrt_ps(vh), veps));
        _mm_storeu_ps(w + i, _mm_sub_ps(wi, step));
    }
#endif
    for (; i < n; i++) {
        float gi = g[i] * gs;
        m[i] = b1 * m[i] + (1.0f - b1) * gi;
        v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
        float mh = m[i] * c1, vh = v[i] * c2;
        /* decoupled decay on weights only */
        float d = decay ? wd * (float)decay[i] : wd;
        float wi = w[i] - d * w[i];
        w[i] = wi - lr * mh / (sqrtf(vh) + eps);
    }
}

double nn_adamw_step(NnAdamW* o, float* w, float* g, const uint8_t* decay, float clip) {
    double norm = nn_grad_norm(o->n, g);
    if (!isfinite(norm)) return norm;
    /* clip the whole gradient to norm <= clip */
    float gs = 1.0f;
    if (clip > 0 && norm > clip) gs = (float)(clip / norm);
    o->t++;
    float b1 = o->beta1, b2 = o->beta2;
    float c1 = (float)(1.0 / (1.0 - pow(b1, (double)o->t)));
    float c2 = (float)(1.0 / (1.0 - pow(b2, (double)o->t)));
    float lr = o->lr, wd = o->lr * o->weight_decay;
    adamw_update(o->n, w, g, o->m, o->v, decay, gs, b1, b2, c1, c2, lr, wd, o->eps);
    return norm;
}

float nn_ema_decay(float decay, int64_t t) {
    if (!(decay > 0)) return 0.0f;
    float warm = (float)((1.0 + (double)t) / (10.0 + (double)t));
    return warm < decay ? warm : decay;
}

NN_HOT void nn_ema_update(int n, float* restrict avg, const float* restrict w, float d) {
    float keep = d, take = 1.0f - d;
    for (int i = 0; i < n; i++) avg[i] = keep * avg[i] + take * w[i];
}
