/* bench_train: training throughput of the NN core and the relational world model against PyTorch
 * (bench/torch_train.py, Debian's python3-torch, one thread) and against the raw GEMMs of the same
 * step (the limit), measured in the same run; GFLOP/s; and the rollout latency the view needs
 * (60 ticks, 16 objects, batch 1). Ratios are what count: absolute rates drift on shared machines.
 * Rates are per CPU second of the process (PyTorch likewise), so other jobs on the machine
 * distort them less. The pixel model's conv encoder: its train step against PyTorch and the GEMMs of
 * the same shapes. With NUDGE and SCENARIO, also training streamed from disk through a small
 * memory cap against in memory (bench/bench_train_stream.c).
 * A trained model's rollout on the same scene (its options: the collision prior's inputs are most of
 * what it adds), against the default architecture's fresh model in the same run: `rollout MODEL`, or
 * BENCH_TRAIN_MODEL=FILE in the full run.
 * The recipe's target encoder on a batch's rollout windows, through the trainer's shared cache
 * (frames shared by windows encoded once) against a cache of its own each; and on a stream's ticks
 * (one window a call, target and online), through the memo every inference scratch keeps.
 * usage: bench_train [SECONDS per measurement, default 2] [NUDGE SCENARIO | conv | targets | stream | rollout [MODEL] |
 *        trainer NUDGE SCENARIO (that one alone)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/rng.h"
#include "bench/bench_train_stream.h"
#include "model/jepa.h"
#include "model/jepa_impl.h"
#include "model/nn.h"
#include "model/replay.h"
#include "model/wm.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

static double seconds = 2.0;

/* CPU seconds of this process: robust to sharing the machine's two cores with other jobs */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* best rate (calls per CPU second) over three blocks of seconds/3 */
typedef void (*StepFn)(void* ctx);
static double rate(StepFn f, void* ctx) {
    for (int i = 0; i < 3; i++) f(ctx);
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = cpu_now(), t;
        long n = 0;
        do {
            f(ctx);
            n++;
            t = cpu_now() - t0;
        } while (t < seconds / 3);
        if (n / t > best) best = n / t;
    }
    return best;
}

/* ---- GEMM-only limits: a list of (m, n, k) with buffers ---- */

typedef struct Gemm {
    int m, n, k;
    bool ta, tb;
    float *a, *b, *c;
} Gemm;

typedef struct GemmSet {
    int   count;
    Gemm  g[32];
    double flops;
} GemmSet;

static void gemm_add(GemmSet* s, bool ta, bool tb, int m, int n, int k) {
    Gemm* g = &s->g[s->count++];
    g->m = m, g->n = n, g->k = k, g->ta = ta, g->tb = tb;
    g->a = calloc((size_t)m * k, sizeof(float));
    g->b = calloc((size_t)k * n, sizeof(float));
    g->c = calloc((size_t)m * n, sizeof(float));
    for (long i = 0; i < (long)m * k; i++) g->a[i] = 0.01f * (float)(i % 7);
    for (long i = 0; i < (long)k * n; i++) g->b[i] = 0.01f * (float)(i % 5);
    s->flops += 2.0 * m * n * k;
}

/* a linear layer's GEMMs in one training step: forward, dW, and dx unless it is the input layer */
static void gemm_linear(GemmSet* s, int rows, int in, int out, bool need_dx) {
    gemm_add(s, false, false, rows, out, in);
    gemm_add(s, true, false, in, out, rows);
    if (need_dx) gemm_add(s, false, true, rows, in, out);
}

static void gemm_run(void* ctx) {
    GemmSet* s = ctx;
    for (int i = 0; i < s->count; i++) {
        Gemm* g = &s->g[i];
        nn_gemm(g->ta, g->tb, g->m, g->n, g->k, 1.0f, g->a, g->b, 0.0f, g->c);
    }
}

static void gemm_free(GemmSet* s) {
    for (int i = 0; i < s->count; i++) free(s->g[i].a), free(s->g[i].b), free(s->g[i].c);
}

/* ---- PyTorch reference ---- */

static double torch_rate(const char* args) {
    char cmd[1024];
    /* the script sits beside this file */
    char dir[512];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char* slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/torch_train.py %s %.2f 2>&1", dir, args, seconds * 1.5);
    FILE* p = popen(cmd, "r");
    if (!p) return NAN;
    char line[512];
    double r = NAN;
    while (fgets(line, sizeof line, p)) {
        if (!strncmp(line, "samples_per_s=", 14)) r = atof(line + 14);
        else if (!strncmp(line, "skip:", 5)) printf("  pytorch: %s", line);
    }
    pclose(p);
    return r;
}

/* ---- the MLP 48-256-256-24 ---- */

typedef struct MlpCtx {
    NnMlp      mlp;
    NnLayout   layout;
    float *    p, *g, *x, *y, *dy;
    NnMlpCache c;
    NnAdamW    opt;
    int        batch;
} MlpCtx;

static void mlp_step(void* ctx) {
    MlpCtx* m = ctx;
    int out = nn_mlp_out(&m->mlp);
    float* pred = nn_mlp_forward(&m->mlp, m->p, &m->c, m->batch, m->x);
    nn_loss_mse(m->batch * out, pred, m->y, NULL, 1.0f / (float)(m->batch * out), m->dy);
    memset(m->g, 0, sizeof(float) * (size_t)m->layout.count);
    nn_mlp_backward(&m->mlp, m->p, m->g, &m->c, m->batch, m->x, m->dy, NULL);
    nn_adamw_step(&m->opt, m->p, m->g, m->layout.decay, 0.0f);
}

static void bench_mlp(void) {
    int sizes[] = {48, 256, 256, 24}, B = 256;
    MlpCtx m;
    memset(&m, 0, sizeof m);
    m.batch = B;
    nn_mlp_layout(&m.mlp, &m.layout, sizes, 4, NN_ACT_RELU, false);
    m.p = calloc((size_t)m.layout.count, sizeof(float));
    m.g = calloc((size_t)m.layout.count, sizeof(float));
    Rng r;
    rng_seed(&r, 1);
    nn_mlp_init(&m.mlp, m.p, &r, 1.0f);
    nn_mlp_cache_reserve(&m.c, &m.mlp, B);
    nn_adamw_init(&m.opt, m.layout.count, 1e-3f, 0.0f);
    m.x = malloc(sizeof(float) * B * 48);
    m.y = malloc(sizeof(float) * B * 24);
    m.dy = malloc(sizeof(float) * B * 24);
    for (int i = 0; i < B * 48; i++) m.x[i] = (float)rng_normal(&r);
    for (int i = 0; i < B * 24; i++) m.y[i] = (float)rng_normal(&r);
    GemmSet gs = {0};
    gemm_linear(&gs, B, 48, 256, false);
    gemm_linear(&gs, B, 256, 256, true);
    gemm_linear(&gs, B, 256, 24, true);
    double ours = rate(mlp_step, &m) * B;
    double lim = rate(gemm_run, &gs) * B;
    double torch = torch_rate("mlp 256 48 256 256 24");
    double gf = gs.flops / B;
    printf("MLP 48-256-256-24, batch 256, 1 thread (train step: forward, MSE, backward, AdamW)\n");
    printf("  nudge      %9.0f samples/s  %6.1f GFLOP/s\n", ours, ours * gf / 1e9);
    printf("  GEMMs only %9.0f samples/s  %6.1f GFLOP/s   nudge/GEMM = %.2f (target >= 0.85)\n", lim,
           lim * gf / 1e9, ours / lim);
    if (isfinite(torch))
        printf("  PyTorch    %9.0f samples/s  %6.1f GFLOP/s   nudge/PyTorch = %.2f (target >= 1.3)\n", torch,
               torch * gf / 1e9, ours / torch);
    gemm_free(&gs);
    nn_mlp_cache_free(&m.c);
    nn_adamw_free(&m.opt);
    nn_layout_free(&m.layout);
    free(m.p), free(m.g), free(m.x), free(m.y), free(m.dy);
}

/* ---- the relational model ---- */

#define BK 32

static void body(float* st, float x, float y, float w, float h, float mass, bool is_static, Rng* r) {
    memset(st, 0, sizeof(float) * SIM_OBS_DIM);
    st[SIM_OBS_x] = x;
    st[SIM_OBS_y] = y;
    st[SIM_OBS_cos] = 1;
    st[SIM_OBS_vx] = r ? 0.3f * (float)rng_normal(r) : 0;
    st[SIM_OBS_vy] = r ? 0.3f * (float)rng_normal(r) : 0;
    st[SIM_OBS_kind_box] = 1;
    st[SIM_OBS_size_w] = w;
    st[SIM_OBS_size_h] = h;
    st[SIM_OBS_mass] = mass;
    st[SIM_OBS_friction] = 0.5f;
    st[SIM_OBS_is_static] = is_static;
}

/* a table scene: floor, table, n-2 small boxes in a row on the table */
static void scene(float* st, uint8_t* mask, int n, Rng* r) {
    memset(st, 0, sizeof(float) * BK * SIM_OBS_DIM);
    memset(mask, 0, BK);
    body(st, 0, -0.05f, 6, 0.1f, 0, true, NULL);
    body(st + SIM_OBS_DIM, 0, 0.375f, 1.2f, 0.75f, 0, true, NULL);
    for (int k = 2; k < n; k++)
        body(st + k * SIM_OBS_DIM, -0.55f + 0.075f * (k - 2), 0.8f, 0.06f, 0.06f, 0.2f, false, r);
    memset(mask, 1, (size_t)n);
}

typedef struct RelCtx {
    WmModel*      m;
    WmScratch*    s;
    WmTransitions t;
    float*        raw;
    float*        g;
    NnAdamW       opt;
} RelCtx;

/* the network part of a step on an already packed batch: forward, loss, backward, AdamW */
static void rel_nn_step(void* ctx) {
    RelCtx* c = ctx;
    wm_forward(c->m, c->s);
    WmLossWeights lw = wm_loss_weights_default();
    wm_loss(c->m, c->s, &lw, true, NULL);
    memset(c->g, 0, sizeof(float) * (size_t)c->m->nparams);
    wm_backward(c->m, c->s, c->g);
    nn_adamw_step(&c->opt, c->m->params, c->g, c->m->layout.decay, 1.0f);
}

/* the whole step, packing and features included */
static void rel_full_step(void* ctx) {
    RelCtx* c = ctx;
    Rng noise;
    rng_seed(&noise, 5);
    wm_pack(c->m, c->s, c->t.n, c->t.s0, c->t.m0, c->t.push, &noise, 0.0005f, 0.01f);
    wm_targets(c->m, c->s, &c->t, c->raw);
    wm_features_normalize(c->m, c->s);
    rel_nn_step(ctx);
}

static void bench_rel(void) {
    enum { B = 64, NOBJ = 8 };
    WmArch a = wm_arch_default(BK);
    a.radius = 0;  /* all pairs: the heaviest graph */
    RelCtx c;
    memset(&c, 0, sizeof c);
    c.m = wm_create(&a, 1);
    c.s = wm_scratch_create(c.m);
    wm_transitions_init(&c.t, B, BK, SIM_OBS_DIM, 0);
    c.t.n = B;
    Rng r;
    rng_seed(&r, 2);
    for (int b = 0; b < B; b++) {
        scene(c.t.s0 + (size_t)b * BK * SIM_OBS_DIM, c.t.m0 + b * BK, NOBJ, &r);
        memcpy(c.t.s1 + (size_t)b * BK * SIM_OBS_DIM, c.t.s0 + (size_t)b * BK * SIM_OBS_DIM, sizeof(float) * BK * SIM_OBS_DIM);
        memcpy(c.t.m1 + b * BK, c.t.m0 + b * BK, BK);
    }
    memset(c.t.push, 0, sizeof(float) * B * BK * WM_PUSH_DIM);
    memset(c.t.labels, 0, sizeof(float) * B * BK * WM_EVENTS);
    c.raw = malloc(sizeof(float) * B * BK * WM_TARGETS);
    c.g = calloc((size_t)c.m->nparams, sizeof(float));
    nn_adamw_init(&c.opt, c.m->nparams, 1e-3f, 0.0f);
    rel_full_step(&c);
    int n = c.s->n, nd = c.s->nd, ne = c.s->ne, L = a.latent, E = a.edge, H = a.hidden, R = a.rounds;
    int F = WM_NODE_FEATS, G = WM_EDGE_FEATS;
    int nstatic = 0;
    for (int e = 0; e < ne; e++) nstatic += c.s->send_row[e] < 0;
    GemmSet gs = {0};
    /* the encoder over the dynamic bodies; per round the edge layer's node and geometry parts and
     * (but the last) the residual update; the decoder */
    gemm_linear(&gs, nd, F, L, false);
    gemm_linear(&gs, nd, L, L, true);
    for (int r = 0; r < R; r++) {
        gemm_linear(&gs, nd, L, 2 * E, true);
        gemm_linear(&gs, ne, G, E, false);
        if (r + 1 < R) gemm_linear(&gs, nd, L + E, L, true);
    }
    gemm_linear(&gs, nd, L + E + F, H, true);
    gemm_linear(&gs, nd, H, H, true);
    gemm_linear(&gs, nd, H, WM_OUTPUTS, true);
    double nn = rate(rel_nn_step, &c) * B;
    double full = rate(rel_full_step, &c) * B;
    double lim = rate(gemm_run, &gs) * B;
    char args[256];
    snprintf(args, sizeof args, "rel %d %d %d %d %d %d %d %d %d %d %d", B, nd, nstatic, ne, F, G, L, E, H, WM_OUTPUTS, R);
    double torch = torch_rate(args);
    double gf = gs.flops / B;
    printf("relational model (latent %d, edge %d, hidden %d, %d rounds), batch %d worlds of %d bodies: %d nodes (%d "
           "dynamic), %d edges (%d from static bodies), 1 thread\n", L, E, H, R, B, NOBJ, n, nd, ne, nstatic);
    printf("  nudge      %9.0f worlds/s   %6.1f GFLOP/s   (forward, loss, backward, AdamW on a packed batch)\n", nn,
           nn * gf / 1e9);
    printf("  nudge full %9.0f worlds/s                   (plus packing, features, noise, targets)\n", full);
    printf("  GEMMs only %9.0f worlds/s   %6.1f GFLOP/s   nudge/GEMM = %.2f (target >= 0.85)\n", lim, lim * gf / 1e9,
           nn / lim);
    if (isfinite(torch))
        printf("  PyTorch    %9.0f worlds/s   %6.1f GFLOP/s   nudge/PyTorch = %.2f (target >= 1.3)\n", torch,
               torch * gf / 1e9, nn / torch);
    gemm_free(&gs);
    nn_adamw_free(&c.opt);
    wm_transitions_free(&c.t);
    free(c.raw);
    free(c.g);
    wm_scratch_free(c.s);
    wm_free(c.m);
}

/* ---- rollout latency ---- */

typedef struct RollCtx {
    WmModel*   m;
    WmScratch* s;
    float      st[BK * SIM_OBS_DIM];
    uint8_t    mask[BK];
    float*     out;
    float*     ev;
} RollCtx;

static void roll(void* ctx) {
    RollCtx* c = ctx;
    wm_rollout(c->m, c->s, 1, c->st, c->mask, NULL, 60, c->out, NULL, c->ev);
}

static void bench_rollout(float radius, int rounds) {
    RollCtx c;
    WmArch a = wm_arch_default(BK);
    a.radius = radius;
    a.rounds = rounds;
    c.m = wm_create(&a, 3);
    c.s = wm_scratch_create(c.m);
    Rng r;
    rng_seed(&r, 4);
    scene(c.st, c.mask, 16, &r);
    c.out = malloc(sizeof(float) * 60 * BK * SIM_OBS_DIM);
    c.ev = malloc(sizeof(float) * 60 * BK * WM_EVENTS);
    double per = 1.0 / rate(roll, &c);
    wm_pack(c.m, c.s, 1, c.st, c.mask, NULL, NULL, 0, 0);
    /* the limit: the forward pass's GEMMs alone, the start's graph for all 60 ticks */
    int nd = c.s->nd, ne = c.s->ne, L = a.latent, E = a.edge, H = a.hidden, F = WM_NODE_FEATS;
    GemmSet gs = {0};
    gemm_add(&gs, false, false, nd, L, F);
    gemm_add(&gs, false, false, nd, L, L);
    for (int r = 0; r < rounds; r++) {
        gemm_add(&gs, false, false, nd, 2 * E, L);
        gemm_add(&gs, false, false, ne, E, WM_EDGE_FEATS);
        if (r + 1 < rounds) gemm_add(&gs, false, false, nd, L, L + E);
    }
    gemm_add(&gs, false, false, nd, H, L + E + F);
    gemm_add(&gs, false, false, nd, H, H);
    gemm_add(&gs, false, false, nd, WM_OUTPUTS, H);
    double lim = 60.0 / rate(gemm_run, &gs);
    printf("rollout 60 ticks, 16 bodies (14 dynamic), batch 1, %d round%s, radius %.2f m (%d edges at the start): "
           "%.3f ms%s; its GEMMs alone %.3f ms (%.1f GFLOP/s): %.2fx them\n", rounds, rounds > 1 ? "s" : "", radius,
           ne, per * 1e3, rounds == wm_arch_default(BK).rounds ? " (target < 2 ms)" : "", lim * 1e3,
           60 * gs.flops / lim / 1e9, per / lim);
    gemm_free(&gs);
    free(c.out);
    free(c.ev);
    wm_scratch_free(c.s);
    wm_free(c.m);
}

/* a trained model's rollout latency on bench_rollout's scene, and its ratio to the default
   architecture's (fresh, 2 rounds) measured just before it; false + one line for a file that is no
   state model of BK slots */
static bool bench_rollout_model(const char* path) {
    char err[512];
    RollCtx c;
    c.m = wm_load(path, err, sizeof err);
    if (!c.m) {
        fprintf(stderr, "bench_train: %s\n", err);
        return false;
    }
    if (wm_arch(c.m)->slots != BK) {
        fprintf(stderr, "bench_train: %s: expected a model of %d slots, got %d\n", path, BK, wm_arch(c.m)->slots);
        wm_free(c.m);
        return false;
    }
    Rng r;
    rng_seed(&r, 4);
    scene(c.st, c.mask, 16, &r);
    c.out = malloc(sizeof(float) * 60 * BK * SIM_OBS_DIM);
    c.ev = malloc(sizeof(float) * 60 * BK * WM_EVENTS);
    /* the reference: the default architecture, fresh, on the same scene */
    WmArch a = wm_arch_default(BK);
    RollCtx f = c;
    f.m = wm_create(&a, 3);
    f.s = wm_scratch_create(f.m);
    double ref = 1.0 / rate(roll, &f);
    c.s = wm_scratch_create(c.m);
    double per = 1.0 / rate(roll, &c);
    printf("rollout 60 ticks, 16 bodies, batch 1, the model %s (inputs 0x%x, %d rounds): %.3f ms (target < 2 ms); "
           "%.2fx the default architecture's %.3f ms\n",
           path, (unsigned)wm_arch(c.m)->inputs, wm_arch(c.m)->rounds, per * 1e3, per / ref, ref * 1e3);
    wm_scratch_free(f.s);
    wm_free(f.m);
    wm_scratch_free(c.s);
    wm_free(c.m);
    free(c.out);
    free(c.ev);
    return true;
}

/* ---- the pixel model's conv encoder ---- */

typedef struct ConvCtx {
    JepaModel*  m;
    NnConvCache c;
    NnAdamW     opt;
    float *     x, *y, *dy, *g;
    int         batch;
} ConvCtx;

/* one training step of the encoder alone: forward, L1 loss, backward, AdamW */
static void conv_step(void* ctx) {
    ConvCtx* c = ctx;
    JepaModel* m = c->m;
    int n = c->batch * jepa_latent_size(m);
    const float* z = nn_convnet_forward(&m->enc, m->params, &c->c, c->batch, c->x);
    nn_loss_l1(n, z, c->y, NULL, 1.0f / (float)n, c->dy);
    memset(c->g, 0, sizeof(float) * (size_t)m->enc_count);
    nn_convnet_backward(&m->enc, m->params, c->g, &c->c, c->batch, c->x, c->dy, NULL);
    nn_adamw_step(&c->opt, m->params, c->g, m->layout.decay, 1.0f);
}

static void bench_conv(int W, int H) {
    enum { B = 16 };
    JepaArch a = jepa_arch_default(W, H, 1);
    ConvCtx c;
    memset(&c, 0, sizeof c);
    c.m = jepa_create(&a, 1);
    c.batch = B;
    JepaModel* m = c.m;
    int cin = a.context * a.channels, L = jepa_latent_size(m);
    nn_convnet_cache_keep_cols(&c.c);
    nn_convnet_cache_reserve(&c.c, &m->enc, B);
    c.x = malloc(sizeof(float) * (size_t)B * W * H * cin);
    c.y = malloc(sizeof(float) * (size_t)B * L);
    c.dy = malloc(sizeof(float) * (size_t)B * L);
    /* the encoder's parameters come first in the flat array: AdamW over enc_count of them */
    c.g = calloc((size_t)m->nparams, sizeof(float));
    Rng r;
    rng_seed(&r, 6);
    for (long i = 0; i < (long)B * W * H * cin; i++) c.x[i] = (float)rng_normal(&r);
    for (long i = 0; i < (long)B * L; i++) c.y[i] = (float)rng_normal(&r);
    nn_adamw_init(&c.opt, m->enc_count, 1e-3f, 0.0f);
    /* the GEMMs of the same step: per layer forward, dW and (but the first) dX */
    GemmSet gs = {0};
    for (int i = 0; i < m->enc.nlayers; i++) {
        const NnConvLayer* l = &m->enc.layer[i];
        int M = B * l->ho * l->wo, K = l->conv.k * l->conv.k * l->conv.cin, N = l->conv.cout;
        gemm_add(&gs, false, false, M, N, K);
        gemm_add(&gs, true, false, K, N, M);
        if (i > 0) gemm_add(&gs, false, true, M, K, N);
    }
    double ours = rate(conv_step, &c) * B;
    double lim = rate(gemm_run, &gs) * B;
    char args[256];
    snprintf(args, sizeof args, "conv %d %d %d %d %d %d %d %d", B, H, W, cin, a.width, a.latent, a.groups, a.levels);
    double torch = torch_rate(args);
    double gf = gs.flops / B;
    printf("pixel model encoder (%dx%d gray, %d frames, width %d, %d halvings, latent %d), batch %d, 1 thread\n", W, H,
           a.context, a.width, a.levels, a.latent, B);
    printf("  nudge      %9.0f frames/s   %6.1f GFLOP/s   (forward, L1, backward, AdamW)\n", ours, ours * gf / 1e9);
    printf("  GEMMs only %9.0f frames/s   %6.1f GFLOP/s   nudge/GEMM = %.2f (target >= 0.7)\n", lim, lim * gf / 1e9,
           ours / lim);
    if (isfinite(torch))
        printf("  PyTorch    %9.0f frames/s   %6.1f GFLOP/s   nudge/PyTorch = %.2f (target >= 1.3)\n", torch,
               torch * gf / 1e9, ours / torch);
    gemm_free(&gs);
    nn_convnet_cache_free(&c.c);
    nn_adamw_free(&c.opt);
    free(c.x), free(c.y), free(c.dy), free(c.g);
    jepa_free(c.m);
}

/* ---- the target encoder's keypoint branch: frames shared by a rollout's windows ---- */

typedef struct TargetCtx {
    JepaModel*   m;
    JepaEncCache c;
    int          n;
    const float* x;
} TargetCtx;

static void target_step(void* ctx) {
    TargetCtx* t = ctx;
    jepa_enc_forward(t->m, t->m->target, &t->c, t->n, t->x);
}

/* The recipe's encoder (make model-jepa: 160x120 gray, 3 frames, 4 motion keypoints with constant
   velocity over overlapping windows; appear: plus that many appearance keypoints) on a training
   batch's target windows: B = 16 sequences of 6 rollout steps, step-major as the trainer lays them
   out, of a still background with three 6-pixel squares moving a pixel a frame. Through a shared
   cache (the trainer's, jepa_enc_cache_share) against a cache of its own (the reference: every
   window's two images computed), in the same run; the latents must be the same bits */
/* the recipe's encoder on w x h gray frames, 3 of them (4 motion keypoints over overlapping windows
   with constant velocity, plus appear appearance keypoints) */
static JepaModel* recipe_encoder(int w, int h, int appear) {
    JepaArch a = jepa_arch_default(w, h, 1);
    a.context = 3;
    a.keypoints = 4 + appear, a.keypoint_appear = appear;
    a.keypoint_frames = a.keypoint_sharp = a.keypoint_cv = a.keypoint_motion = a.keypoint_overlap = 1;
    return jepa_create(&a, 1);
}

static int bench_targets(int appear) {
    enum { W = 160, H = 120, B = 16, R = 6, F = 3 };
    JepaModel* m = recipe_encoder(W, H, appear);
    if (!m) return 1;
    static uint8_t frames[B][R + F][W * H];
    for (int b = 0; b < B; b++)
        for (int f = 0; f < R + F; f++) {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) frames[b][f][y * W + x] = (uint8_t)(40 + (y > 90 ? 60 : 0) + x / 8);
            for (int q = 0; q < 3; q++) {
                int x0 = 20 + 40 * q + f + b, y0 = 30 + 20 * q;
                for (int y = y0; y < y0 + 6; y++)
                    for (int x = x0; x < x0 + 6; x++) frames[b][f][y * W + x] = 230;
            }
        }
    const uint8_t* ptr[R * B * F];
    for (int r = 1; r <= R; r++)
        for (int b = 0; b < B; b++)
            for (int f = 0; f < F; f++) ptr[((r - 1) * B + b) * F + f] = frames[b][r + f];
    int n = R * B;
    float* x = malloc(sizeof(float) * (size_t)n * W * H * F);
    jepa_frames_input(m, n, ptr, x);
    TargetCtx own, shared;
    memset(&own, 0, sizeof own);
    own.m = m, own.n = n, own.x = x;
    shared = own;
    jepa_enc_cache_reserve(m, &own.c, n);
    jepa_enc_cache_reserve(m, &shared.c, n);
    jepa_enc_cache_share(&shared.c);
    size_t L = (size_t)jepa_latent_size(m) * n;
    float* z = malloc(sizeof(float) * L);
    memcpy(z, jepa_enc_forward(m, m->target, &own.c, n, x), sizeof(float) * L);
    bool same = memcmp(z, jepa_enc_forward(m, m->target, &shared.c, n, x), sizeof(float) * L) == 0;
    double r_own = rate(target_step, &own) * n, r_shared = rate(target_step, &shared) * n;
    printf("target encoder (the recipe's: 4 motion keypoints, %d appearance), %d windows of %d sequences, 1 thread\n",
           appear, n, B);
    printf("  own cache     %7.0f windows/s   (every window's last frame and the one before)\n", r_own);
    printf("  shared cache  %7.0f windows/s   shared/own = %.2f, the same latents: %s\n", r_shared, r_shared / r_own,
           same ? "yes" : "NO");
    jepa_enc_cache_free(&own.c);
    jepa_enc_cache_free(&shared.c);
    free(x);
    free(z);
    jepa_free(m);
    return same ? 0 : 1;
}

/* ---- a stream's ticks: the memo of the keypoint images (voe, the view) ---- */

typedef struct StreamCtx {
    JepaModel*   m;
    JepaEncCache c;
    int          T;
    size_t       px;     /* one window's input floats */
    const float* x;      /* [T windows] */
    float*       z;      /* [2 T latents]: target then online, tick by tick */
} StreamCtx;

static void stream_step(void* ctx) {
    StreamCtx* t = ctx;
    size_t L = (size_t)jepa_latent_size(t->m);
    for (int i = 0; i < t->T; i++) {
        const float* xi = t->x + (size_t)i * t->px;
        memcpy(t->z + (size_t)(2 * i) * L, jepa_enc_forward(t->m, t->m->target, &t->c, 1, xi), sizeof(float) * L);
        memcpy(t->z + (size_t)(2 * i + 1) * L, jepa_enc_forward(t->m, t->m->params, &t->c, 1, xi), sizeof(float) * L);
    }
}

/* The recipe's encoder as voe and the view run it: one window a call, the target and then the
   online encoder (their keypoint branches differ, as a trained model's do) at each of T ticks of one
   scene (a still background, three 6-pixel squares moving a pixel a frame). Through a shared cache
   with its memo (every JepaScratch's: a tick reads its frame before from the tick before) against a
   cache of its own (the reference), in the same run; the latents must be the same bits */
static int bench_stream(int appear) {
    enum { W = 160, H = 120, T = 48, F = 3 };
    JepaModel* m = recipe_encoder(W, H, appear);
    if (!m) return 1;
    for (int i = m->kp.w; i < m->enc_count; i++) m->params[i] *= 1.01f;
    static uint8_t frames[T + F][W * H];
    for (int f = 0; f < T + F; f++) {
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) frames[f][y * W + x] = (uint8_t)(40 + (y > 90 ? 60 : 0) + x / 8);
        for (int q = 0; q < 3; q++) {
            int x0 = 20 + 40 * q + f, y0 = 30 + 20 * q;
            for (int y = y0; y < y0 + 6; y++)
                for (int x = x0; x < x0 + 6; x++) frames[f][y * W + x] = 230;
        }
    }
    const uint8_t* ptr[T * F];
    for (int i = 0; i < T; i++)
        for (int f = 0; f < F; f++) ptr[i * F + f] = frames[i + f];
    StreamCtx own, memo;
    memset(&own, 0, sizeof own);
    own.m = m, own.T = T, own.px = (size_t)W * H * F;
    float* x = malloc(sizeof(float) * (size_t)T * own.px);
    jepa_frames_input(m, T, ptr, x);
    own.x = x;
    memo = own;
    size_t L = (size_t)jepa_latent_size(m) * 2 * T;
    own.z = malloc(sizeof(float) * L);
    memo.z = malloc(sizeof(float) * L);
    jepa_enc_cache_memo(&memo.c);
    jepa_enc_cache_reserve(m, &own.c, 1);
    jepa_enc_cache_reserve(m, &memo.c, 1);
    stream_step(&own);
    stream_step(&memo);
    bool same = memcmp(own.z, memo.z, sizeof(float) * L) == 0;
    double r_own = rate(stream_step, &own) * 2 * T, r_memo = rate(stream_step, &memo) * 2 * T;
    printf("a stream's windows, one a call, target then online (the recipe's encoder: 4 motion keypoints, %d "
           "appearance), %d ticks, 1 thread\n", appear, T);
    printf("  own cache     %7.0f windows/s   (both images of every window)\n", r_own);
    printf("  memo          %7.0f windows/s   memo/own = %.2f, the same latents: %s\n", r_memo, r_memo / r_own,
           same ? "yes" : "NO");
    jepa_enc_cache_free(&own.c);
    jepa_enc_cache_free(&memo.c);
    free(x), free(own.z), free(memo.z);
    jepa_free(m);
    return same ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc > 1) seconds = atof(argv[1]) > 0 ? atof(argv[1]) : 2.0;
    nn_set_threads(1);
    /* bench_train SECONDS conv: the pixel model's encoder alone */
    if (argc > 2 && strcmp(argv[2], "conv") == 0) {
        bench_conv(128, 96);
        return 0;
    }
    /* bench_train SECONDS targets: the target encoder's shared frames alone */
    if (argc > 2 && strcmp(argv[2], "targets") == 0) return bench_targets(0) || bench_targets(4);
    /* bench_train SECONDS stream: the encoder's memo on a stream's ticks alone */
    if (argc > 2 && strcmp(argv[2], "stream") == 0) return bench_stream(0) || bench_stream(4);
    /* bench_train SECONDS trainer NUDGE SCENARIO: the trainer's step alone */
    if (argc > 4 && strcmp(argv[2], "trainer") == 0) return bench_train_parts(argv[3], argv[4], 3 * seconds) != 0;
    /* bench_train SECONDS rollout: the rollout latencies alone */
    if (argc > 2 && strcmp(argv[2], "rollout") == 0) {
        for (int rounds = 1; rounds <= 3; rounds++) bench_rollout(wm_arch_default(BK).radius, rounds);
        bench_rollout(0, wm_arch_default(BK).rounds);
        return argc > 3 && !bench_rollout_model(argv[3]) ? 2 : 0;
    }
    bench_mlp();
    bench_rel();
    /* the default model, then the cost of each number of message-passing rounds, and all pairs */
    float radius = wm_arch_default(BK).radius;
    for (int rounds = 1; rounds <= 3; rounds++) bench_rollout(radius, rounds);
    bench_rollout(0, wm_arch_default(BK).rounds);
    const char* trained = getenv("BENCH_TRAIN_MODEL");
    if (trained && *trained && !bench_rollout_model(trained)) return 2;
    bench_conv(128, 96);
    if (bench_targets(0) || bench_targets(4)) return 1;
    if (bench_stream(0) || bench_stream(4)) return 1;
    if (argc > 3 && bench_train_stream(argv[2], argv[3], 3 * seconds) != 0) return 1;
    if (argc > 3 && bench_train_parts(argv[2], argv[3], 3 * seconds) != 0) return 1;
    return 0;
}
