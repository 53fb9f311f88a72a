/* adamw: AdamW over one flat parameter array, with gradient-norm clipping */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/nn.h"

bool nn_adamw_init(NnAdamW* o, int n, float lr, float weight_decay) {
    memset(o, 0, sizeof *o);
    o->n = n;
    o->m = calloc((size_t)n, sizeof(float));
    o->v = calloc((size_t)n, sizeof(float));
    o->lr = lr;
    o->beta1 = 0.9f;
    o->beta2 = 0.999f;
    o->eps = 1e-8f;
    o->weight_decay = weight_decay;
    if (!o->m || !o->v) {
        nn_adamw_free(o);
        return false;
    }
    return true;
}

void nn_adamw_free(NnAdamW* o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

double nn_grad_norm(int n, const float* g) {
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
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
    for (int i = 0; i < o->n; i++) {
        float gi = g[i] * gs;
        o->m[i] = b1 * o->m[i] + (1.0f - b1) * gi;
        o->v[i] = b2 * o->v[i] + (1.0f - b2) * gi * gi;
        float mh = o->m[i] * c1, vh = o->v[i] * c2;
        /* decoupled decay on weights only */
        if (!decay || decay[i]) w[i] -= wd * w[i];
        w[i] -= lr * mh / (sqrtf(vh) + o->eps);
    }
    return norm;
}
