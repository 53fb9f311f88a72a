/* convnet: a stack of convolution, group norm and activation layers (nn.h) */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/nn.h"

#define GN_MAX_CHANNELS 1024

void nn_convnet_begin(NnConvNet* net, int h, int w, int c) {
    memset(net, 0, sizeof *net);
    net->h = h;
    net->w = w;
    net->c = c;
}

void nn_convnet_out(const NnConvNet* net, int* h, int* w, int* c) {
    if (net->nlayers == 0) {
        *h = net->h, *w = net->w, *c = net->c;
        return;
    }
    const NnConvLayer* L = &net->layer[net->nlayers - 1];
    *h = L->ho, *w = L->wo, *c = L->conv.cout;
}

size_t nn_convnet_out_size(const NnConvNet* net) {
    int h, w, c;
    nn_convnet_out(net, &h, &w, &c);
    return (size_t)h * w * c;
}

bool nn_convnet_add(NnConvNet* net, NnLayout* l, int cout, int k, int stride, int pad, int groups,
                    NnAct act) {
    int h, w, c;
    nn_convnet_out(net, &h, &w, &c);
    int ho = nn_conv2d_out(h, k, stride, pad), wo = nn_conv2d_out(w, k, stride, pad);
    if (net->nlayers >= NN_CONVNET_MAX || ho < 1 || wo < 1 || cout < 1 || cout > GN_MAX_CHANNELS ||
        (groups > 0 && cout % groups != 0) || groups < 0)
        return false;
    NnConvLayer* L = &net->layer[net->nlayers++];
    memset(L, 0, sizeof *L);
    nn_conv2d_layout(&L->conv, l, c, cout, k, stride, pad);
    L->norm = groups > 0;
    if (L->norm) nn_groupnorm_layout(&L->gn, l, cout, groups);
    L->act = act;
    L->h = h, L->w = w, L->ho = ho, L->wo = wo;
    return true;
}

void nn_convnet_init(const NnConvNet* net, float* params, Rng* rng, float last_gain) {
    for (int i = 0; i < net->nlayers; i++) {
        const NnConvLayer* L = &net->layer[i];
        nn_conv2d_init(&L->conv, params, rng, i + 1 == net->nlayers ? last_gain : 1.0f);
        if (L->norm) nn_groupnorm_init(&L->gn, params);
    }
}

static bool own_post(const NnConvLayer* L) {
    return L->act == NN_ACT_SILU;
}

void nn_convnet_cache_free(NnConvCache* c) {
    for (int i = 0; i < NN_CONVNET_MAX; i++) {
        if (c->post[i] && c->post[i] != c->normed[i]) free(c->post[i]);
        if (c->normed[i] && c->normed[i] != c->pre[i]) free(c->normed[i]);
        free(c->pre[i]);
        free(c->stats[i]);
        free(c->cols[i]);
    }
    free(c->col);
    free(c->d[0]);
    free(c->d[1]);
    bool keep = c->keep_cols;
    memset(c, 0, sizeof *c);
    c->keep_cols = keep;
}

void nn_convnet_cache_keep_cols(NnConvCache* c) {
    c->keep_cols = true;
}

size_t nn_convnet_cache_bytes(const NnConvNet* net, int n, bool keep_cols) {
    size_t cap = 1;
    while (cap < (size_t)n) cap *= 2;
    size_t widest = (size_t)net->h * net->w * net->c, col = 0, floats = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const NnConvLayer* L = &net->layer[i];
        size_t o1 = (size_t)L->ho * L->wo * L->conv.cout, out = cap * o1;
        floats += out * (1 + (L->norm ? 1 : 0) + (own_post(L) ? 1 : 0));
        if (L->norm) floats += cap * (size_t)L->gn.groups * 2;
        if (o1 > widest) widest = o1;
        size_t cs = nn_conv2d_col_size(&L->conv, (int)cap, L->h, L->w);
        if (cs > col) col = cs;
        if (keep_cols) floats += cs;
    }
    return sizeof(float) * (floats + col + 2 * cap * widest);
}

void nn_convnet_cache_reserve(NnConvCache* c, const NnConvNet* net, int n) {
    if (n <= c->cap) return;
    int cap = c->cap ? c->cap : 1;
    while (cap < n) cap *= 2;
    nn_convnet_cache_free(c);
    size_t widest = (size_t)net->h * net->w * net->c, col = 0;
    for (int i = 0; i < net->nlayers; i++) {
        const NnConvLayer* L = &net->layer[i];
        size_t out = (size_t)cap * L->ho * L->wo * L->conv.cout;
        c->pre[i] = alloc_array(out, sizeof(float));
        c->normed[i] = L->norm ? alloc_array(out, sizeof(float)) : c->pre[i];
        c->post[i] = own_post(L) ? alloc_array(out, sizeof(float)) : c->normed[i];
        if (L->norm) c->stats[i] = alloc_array((size_t)cap * L->gn.groups * 2, sizeof(float));
        size_t o1 = (size_t)L->ho * L->wo * L->conv.cout;
        if (o1 > widest) widest = o1;
        size_t cs = nn_conv2d_col_size(&L->conv, cap, L->h, L->w);
        if (cs > col) col = cs;
        if (c->keep_cols && cs) c->cols[i] = alloc_array(cs, sizeof(float));
    }
    c->col = col ? alloc_array(col, sizeof(float)) : NULL;
    c->d[0] = alloc_array((size_t)cap * widest, sizeof(float));
    c->d[1] = alloc_array((size_t)cap * widest, sizeof(float));
    c->cap = cap;
}

float* nn_convnet_forward(const NnConvNet* net, const float* params, NnConvCache* c, int n,
                          const float* x) {
    const float* in = x;
    for (int i = 0; i < net->nlayers; i++) {
        const NnConvLayer* L = &net->layer[i];
        nn_conv2d_forward(&L->conv, params, n, L->h, L->w, in, c->cols[i] ? c->cols[i] : c->col, c->pre[i]);
        size_t count = (size_t)n * L->ho * L->wo * L->conv.cout;
        if (L->norm)
            nn_groupnorm_forward(&L->gn, params, n, L->ho * L->wo, c->pre[i], c->normed[i], c->stats[i]);
        if (L->act == NN_ACT_SILU) nn_silu_fast_forward(count, c->normed[i], c->post[i]);
        else nn_act_forward(L->act, count, c->normed[i], c->post[i]);
        in = c->post[i];
    }
    return c->post[net->nlayers - 1];
}

void nn_convnet_backward(const NnConvNet* net, const float* params, float* grads, NnConvCache* c,
                         int n, const float* x, float* dy, float* dx) {
    nn_convnet_backward_tap(net, params, grads, c, n, x, dy, dx, -1, NULL);
}

void nn_convnet_backward_tap(const NnConvNet* net, const float* params, float* grads, NnConvCache* c,
                             int n, const float* x, float* dy, float* dx, int tap, const float* dtap) {
    float* d = dy;
    int ping = 0;
    for (int i = net->nlayers - 1; i >= 0; i--) {
        const NnConvLayer* L = &net->layer[i];
        size_t count = (size_t)n * L->ho * L->wo * L->conv.cout;
        /* a branch's gradient joins the one from above at the layer it reads */
        if (i == tap && dtap)
            for (size_t j = 0; j < count; j++) d[j] += dtap[j];
        /* through the activation (RELU reads its own output, which has the input's sign) */
        if (L->act == NN_ACT_SILU) nn_silu_fast_backward(count, c->normed[i], d, d);
        else nn_act_backward(L->act, count, c->normed[i], d, d);
        if (L->norm)
            nn_groupnorm_backward(&L->gn, params, grads, n, L->ho * L->wo, c->pre[i], c->stats[i], d, d);
        const float* in = i > 0 ? c->post[i - 1] : x;
        float* dnext = i > 0 ? c->d[ping] : dx;
        if (dnext == d) dnext = c->d[ping ^ 1];
        if (c->cols[i])
            nn_conv2d_backward_cols(&L->conv, params, grads, n, L->h, L->w, in, c->cols[i], d, c->col, dnext);
        else
            nn_conv2d_backward(&L->conv, params, grads, n, L->h, L->w, in, d, c->col, dnext);
        d = dnext;
        ping ^= 1;
    }
}
