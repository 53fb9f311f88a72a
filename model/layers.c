/* layers: linear, activations, layer norm and the MLP builder (forward and backward) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/nn.h"

int nn_layout_add(NnLayout* l, int n, bool decay) {
    if (l->count + n > l->cap) {
        int cap = l->cap ? l->cap : 1024;
        while (cap < l->count + n) cap *= 2;
        l->decay = alloc_resize(l->decay, (size_t)cap, 1);
        l->cap = cap;
    }
    int off = l->count;
    memset(l->decay + off, decay ? 1 : 0, (size_t)n);
    l->count += n;
    return off;
}

void nn_layout_free(NnLayout* l) {
    free(l->decay);
    memset(l, 0, sizeof *l);
}

/* ---- linear ---- */

void nn_linear_layout(NnLinear* lin, NnLayout* l, int in, int out) {
    lin->in = in;
    lin->out = out;
    lin->w = nn_layout_add(l, in * out, true);
    lin->b = nn_layout_add(l, out, false);
}

void nn_linear_init(const NnLinear* lin, float* params, Rng* rng, float gain) {
    double sd = gain * sqrt(2.0 / (double)lin->in);
    for (int i = 0; i < lin->in * lin->out; i++) params[lin->w + i] = (float)(sd * rng_normal(rng));
    memset(params + lin->b, 0, sizeof(float) * (size_t)lin->out);
}

NN_HOT void nn_linear_forward(const NnLinear* lin, const float* params, int n, const float* x, float* y) {
    const float* b = params + lin->b;
    /* y = broadcast bias, then y += x W */
    for (int i = 0; i < n; i++) memcpy(y + (size_t)i * lin->out, b, sizeof(float) * lin->out);
    nn_gemm(false, false, n, lin->out, lin->in, 1.0f, x, params + lin->w, 1.0f, y);
}

NN_HOT void nn_linear_backward(const NnLinear* lin, const float* params, float* grads, int n,
                        const float* x, const float* dy, float* dx) {
    int out = lin->out;
    /* dW += x^T dy */
    nn_gemm(true, false, lin->in, out, n, 1.0f, x, dy, 1.0f, grads + lin->w);
    /* db += column sums of dy */
    float* db = grads + lin->b;
    for (int i = 0; i < n; i++) {
        const float* r = dy + (size_t)i * out;
        for (int j = 0; j < out; j++) db[j] += r[j];
    }
    /* dx = dy W^T */
    if (dx) nn_gemm(false, true, n, lin->in, out, 1.0f, dy, params + lin->w, 0.0f, dx);
}

/* ---- activations ---- */

NN_HOT void nn_act_forward(NnAct act, size_t count, const float* pre, float* post) {
    switch (act) {
    case NN_ACT_NONE:
        if (post != pre) memcpy(post, pre, sizeof(float) * count);
        break;
    case NN_ACT_RELU:
        /* branchless on the bits: half the inputs are negative, so a branch mispredicts a lot */
        for (size_t i = 0; i < count; i++) post[i] = nn_relu(pre[i]);
        break;
    case NN_ACT_SILU:
        for (size_t i = 0; i < count; i++) post[i] = pre[i] / (1.0f + expf(-pre[i]));
        break;
    }
}

NN_HOT void nn_act_backward(NnAct act, size_t count, const float* pre, const float* dpost, float* dpre) {
    switch (act) {
    case NN_ACT_NONE:
        if (dpre != dpost) memcpy(dpre, dpost, sizeof(float) * count);
        break;
    case NN_ACT_RELU:
        for (size_t i = 0; i < count; i++) dpre[i] = nn_relu_grad(pre[i], dpost[i]);
        break;
    case NN_ACT_SILU:
        for (size_t i = 0; i < count; i++) {
            float s = 1.0f / (1.0f + expf(-pre[i]));
            dpre[i] = dpost[i] * s * (1.0f + pre[i] * (1.0f - s));
        }
        break;
    }
}

/* ---- layer norm ---- */

#define NN_LN_EPS 1e-5f

void nn_layernorm_layout(NnLayerNorm* ln, NnLayout* l, int dim) {
    ln->dim = dim;
    ln->gamma = nn_layout_add(l, dim, false);
    ln->beta = nn_layout_add(l, dim, false);
}

void nn_layernorm_init(const NnLayerNorm* ln, float* params) {
    for (int j = 0; j < ln->dim; j++) {
        params[ln->gamma + j] = 1.0f;
        params[ln->beta + j] = 0.0f;
    }
}

void nn_layernorm_forward(const NnLayerNorm* ln, const float* params, int n, const float* x,
                          float* y, float* stats) {
    int d = ln->dim;
    const float* g = params + ln->gamma;
    const float* b = params + ln->beta;
    for (int i = 0; i < n; i++) {
        const float* xr = x + (size_t)i * d;
        float* yr = y + (size_t)i * d;
        double mean = 0, var = 0;
        for (int j = 0; j < d; j++) mean += xr[j];
        mean /= d;
        for (int j = 0; j < d; j++) var += (xr[j] - mean) * (xr[j] - mean);
        var /= d;
        float rstd = (float)(1.0 / sqrt(var + NN_LN_EPS));
        float mu = (float)mean;
        for (int j = 0; j < d; j++) yr[j] = (xr[j] - mu) * rstd * g[j] + b[j];
        stats[2 * i] = mu;
        stats[2 * i + 1] = rstd;
    }
}

void nn_layernorm_backward(const NnLayerNorm* ln, const float* params, float* grads, int n,
                           const float* x, const float* stats, const float* dy, float* dx) {
    int d = ln->dim;
    const float* g = params + ln->gamma;
    float* dg = grads + ln->gamma;
    float* db = grads + ln->beta;
    for (int i = 0; i < n; i++) {
        const float* xr = x + (size_t)i * d;
        const float* dyr = dy + (size_t)i * d;
        float mu = stats[2 * i], rstd = stats[2 * i + 1];
        /* xhat = (x - mu) * rstd; dxhat = dy * gamma */
        double s1 = 0, s2 = 0;
        for (int j = 0; j < d; j++) {
            float xh = (xr[j] - mu) * rstd;
            dg[j] += dyr[j] * xh;
            db[j] += dyr[j];
            float dxh = dyr[j] * g[j];
            s1 += dxh;
            s2 += dxh * xh;
        }
        if (!dx) continue;
        float m1 = (float)(s1 / d), m2 = (float)(s2 / d);
        float* dxr = dx + (size_t)i * d;
        for (int j = 0; j < d; j++) {
            float xh = (xr[j] - mu) * rstd;
            dxr[j] = rstd * (dyr[j] * g[j] - m1 - xh * m2);
        }
    }
}

/* ---- MLP ---- */

void nn_mlp_layout(NnMlp* mlp, NnLayout* l, const int* sizes, int nsizes, NnAct act,
                   bool act_last) {
    mlp->nlayers = nsizes - 1;
    if (mlp->nlayers > NN_MLP_MAX) abort();
    mlp->act = act;
    mlp->act_last = act_last;
    for (int i = 0; i + 1 < nsizes; i++) nn_linear_layout(&mlp->lin[i], l, sizes[i], sizes[i + 1]);
}

void nn_mlp_init(const NnMlp* mlp, float* params, Rng* rng, float last_gain) {
    for (int i = 0; i < mlp->nlayers; i++)
        nn_linear_init(&mlp->lin[i], params, rng, i + 1 == mlp->nlayers ? last_gain : 1.0f);
}

int nn_mlp_in(const NnMlp* mlp) {
    return mlp->lin[0].in;
}

int nn_mlp_out(const NnMlp* mlp) {
    return mlp->lin[mlp->nlayers - 1].out;
}

static bool layer_has_act(const NnMlp* mlp, int i) {
    return mlp->act != NN_ACT_NONE && (i + 1 < mlp->nlayers || mlp->act_last);
}

static int mlp_widest(const NnMlp* mlp) {
    int w = mlp->lin[0].in;
    for (int i = 0; i < mlp->nlayers; i++)
        if (mlp->lin[i].out > w) w = mlp->lin[i].out;
    return w;
}

void nn_mlp_cache_reserve(NnMlpCache* c, const NnMlp* mlp, int rows) {
    if (rows <= c->cap) return;
    int cap = c->cap ? c->cap : 16;
    while (cap < rows) cap *= 2;
    nn_mlp_cache_free(c);
    for (int i = 0; i < mlp->nlayers; i++) {
        size_t n = (size_t)cap * mlp->lin[i].out;
        c->pre[i] = alloc_array(n, sizeof(float));
        if (layer_has_act(mlp, i) && mlp->act == NN_ACT_SILU) {
            c->post[i] = alloc_array(n, sizeof(float));
        } else {
            c->post[i] = c->pre[i];
        }
    }
    size_t w = (size_t)cap * mlp_widest(mlp);
    c->d[0] = alloc_array(w, sizeof(float));
    c->d[1] = alloc_array(w, sizeof(float));
    c->cap = cap;
}

size_t nn_mlp_cache_bytes(const NnMlp* mlp, int rows) {
    size_t cap = 16, floats = 0;
    while (cap < (size_t)rows) cap *= 2;
    for (int i = 0; i < mlp->nlayers; i++) {
        size_t n = cap * (size_t)mlp->lin[i].out;
        floats += layer_has_act(mlp, i) && mlp->act == NN_ACT_SILU ? 2 * n : n;
    }
    return sizeof(float) * (floats + 2 * cap * (size_t)mlp_widest(mlp));
}

void nn_mlp_cache_free(NnMlpCache* c) {
    for (int i = 0; i < NN_MLP_MAX; i++) {
        if (c->post[i] && c->post[i] != c->pre[i]) free(c->post[i]);
        free(c->pre[i]);
    }
    free(c->d[0]);
    free(c->d[1]);
    free(c->stats);
    memset(c, 0, sizeof *c);
}

/* y = act(y + b) per row, in one pass (post may alias y for RELU and NONE) */
NN_HOT static void bias_act(NnAct act, int n, int out, const float* b, float* y, float* post) {
    for (int i = 0; i < n; i++) {
        float* r = y + (size_t)i * out;
        float* p = post + (size_t)i * out;
        switch (act) {
        case NN_ACT_RELU:
            for (int j = 0; j < out; j++) p[j] = nn_relu(r[j] + b[j]);
            break;
        case NN_ACT_NONE:
            for (int j = 0; j < out; j++) p[j] = r[j] + b[j];
            break;
        case NN_ACT_SILU:
            for (int j = 0; j < out; j++) r[j] += b[j];
            nn_act_forward(act, (size_t)out, r, p);
            break;
        }
    }
}

/* d = d * act'(pre) and db += column sums of d, in one pass */
NN_HOT static void act_back_bias(NnAct act, int n, int out, const float* pre, float* d, float* db) {
    for (int i = 0; i < n; i++) {
        const float* pr = pre + (size_t)i * out;
        float* r = d + (size_t)i * out;
        if (act == NN_ACT_RELU) {
            for (int j = 0; j < out; j++) {
                r[j] = nn_relu_grad(pr[j], r[j]);
                db[j] += r[j];
            }
        } else {
            nn_act_backward(act, (size_t)out, pr, r, r);
            for (int j = 0; j < out; j++) db[j] += r[j];
        }
    }
}

float* nn_mlp_forward(const NnMlp* mlp, const float* params, NnMlpCache* c, int n, const float* x) {
    const float* in = x;
    for (int i = 0; i < mlp->nlayers; i++) {
        const NnLinear* lin = &mlp->lin[i];
        /* y = x W, then bias and activation fused in one pass */
        nn_gemm(false, false, n, lin->out, lin->in, 1.0f, in, params + lin->w, 0.0f, c->pre[i]);
        bias_act(layer_has_act(mlp, i) ? mlp->act : NN_ACT_NONE, n, lin->out, params + lin->b, c->pre[i],
                 c->post[i]);
        in = c->post[i];
    }
    return c->post[mlp->nlayers - 1];
}

void nn_mlp_backward(const NnMlp* mlp, const float* params, float* grads, NnMlpCache* c, int n,
                     const float* x, float* dy, float* dx) {
    float* d = dy;
    int ping = 0;
    for (int i = mlp->nlayers - 1; i >= 0; i--) {
        const NnLinear* lin = &mlp->lin[i];
        /* through the activation and into the bias gradient, in one pass */
        act_back_bias(layer_has_act(mlp, i) ? mlp->act : NN_ACT_NONE, n, lin->out, c->pre[i], d,
                      grads + lin->b);
        const float* in = i > 0 ? c->post[i - 1] : x;
        float* dnext = i > 0 ? c->d[ping] : dx;
        /* dW += in^T d; din = d W^T */
        nn_gemm(true, false, lin->in, lin->out, n, 1.0f, in, d, 1.0f, grads + lin->w);
        if (dnext) nn_gemm(false, true, n, lin->in, lin->out, 1.0f, d, params + lin->w, 0.0f, dnext);
        d = dnext;
        ping ^= 1;
    }
}
