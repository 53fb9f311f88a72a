/* tests for model/: gradient checks, AdamW, checkpoints, replay buffer, rollouts, determinism */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensure.h"
#include "base/atomic_file.h"
#include "base/crc.h"
#include "base/npy.h"
#include "base/rng.h"
#include "model/dataset.h"
#include "model/eval.h"
#include "model/jepa.h"
#include "model/jepa_loss.h"
#include "model/jepa_cellprobe.h"
#include "model/jepa_events.h"
#include "model/jepa_fate.h"
#include "model/jepa_scale.h"
#include "model/jepa_energy.h"
#include "model/jepa_impl.h"
#include "model/jepa_replay.h"
#include "model/jepa_trainer.h"
#include "model/model_file.h"
#include "model/probe.h"
#include "model/nn.h"
#include "model/replay.h"
#include "model/trainer.h"
#include "model/wm.h"
#include "model/wm_impl.h"
#include "sim/materials.h"
#include "sim/world.h"
#include "sim/observation.h"


static void fill_normal(Rng* r, float* x, int n, float sd) {
    for (int i = 0; i < n; i++) x[i] = sd * (float)rng_normal(r);
}

/* relative agreement of an analytic and a numeric derivative */
static bool close_grad(double a, double n) {
    return fabs(a - n) <= 2e-2 * fmax(fabs(a), fabs(n)) + 2e-3;
}

/* nn_gemm without transposes, row counts from 1 to past 128 (small batches and large), widths
 * with and without a whole block of columns, C overwritten and added to: against a double sum */
static void test_gemm_shapes(void) {
    const int ms[] = {1, 2, 3, 4, 5, 14, 33, 128, 129};
    const int ns[] = {1, 7, 8, 9, 16, 21, 96, 192};
    const int ks[] = {1, 20, 64, 180};
    Rng r;
    rng_seed(&r, 8);
    float* a = malloc(sizeof(float) * 129 * 180);
    float* b = malloc(sizeof(float) * 180 * 192);
    float* c = malloc(sizeof(float) * 129 * 193);
    float* c0 = malloc(sizeof(float) * 129 * 193);
    fill_normal(&r, a, 129 * 180, 1.0f);
    fill_normal(&r, b, 180 * 192, 1.0f);
    for (size_t im = 0; im < sizeof ms / sizeof ms[0]; im++)
        for (size_t in = 0; in < sizeof ns / sizeof ns[0]; in++)
            for (size_t ik = 0; ik < sizeof ks / sizeof ks[0]; ik++)
                for (int add = 0; add < 2; add++) {
                    int m = ms[im], n = ns[in], k = ks[ik];
                    /* one float past C must stay as it was */
                    fill_normal(&r, c0, m * n + 1, 1.0f);
                    memcpy(c, c0, sizeof(float) * (size_t)(m * n + 1));
                    nn_gemm(false, false, m, n, k, 1.0f, a, b, add ? 1.0f : 0.0f, c);
                    bool ok = c[m * n] == c0[m * n];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double want = add ? c0[i * n + j] : 0, mag = fabs(want);
                            for (int q = 0; q < k; q++) {
                                want += (double)a[i * k + q] * b[q * n + j];
                                mag += fabs((double)a[i * k + q] * b[q * n + j]);
                            }
                            ok = ok && fabs(c[i * n + j] - want) <= 1e-6 * mag + 1e-30;
                        }
                    CHECK(ok);
                    if (!ok) fprintf(stderr, "nn_gemm %d x %d x %d (add %d) is off\n", m, n, k, add);
                }
    free(a);
    free(b);
    free(c);
    free(c0);
}

/* ---- layer gradient checks: loss = sum(y * r) ---- */

typedef struct LinCase {
    NnLinear lin;
    float *params, *x, *r, *y;
    int n;
} LinCase;

static double lin_loss(LinCase* c) {
    nn_linear_forward(&c->lin, c->params, c->n, c->x, c->y);
    double s = 0;
    for (int i = 0; i < c->n * c->lin.out; i++) s += (double)c->y[i] * c->r[i];
    return s;
}

static void test_linear_grad(void) {
    Rng rng;
    rng_seed(&rng, 1);
    NnLayout l = {0};
    LinCase c;
    c.n = 5;
    nn_linear_layout(&c.lin, &l, 4, 3);
    c.params = calloc((size_t)l.count, sizeof(float));
    float* g = calloc((size_t)l.count, sizeof(float));
    fill_normal(&rng, c.params, l.count, 1.0f);
    c.x = malloc(sizeof(float) * 20);
    c.r = malloc(sizeof(float) * 15);
    c.y = malloc(sizeof(float) * 15);
    float dx[20];
    fill_normal(&rng, c.x, 20, 1.0f);
    fill_normal(&rng, c.r, 15, 1.0f);
    lin_loss(&c);
    nn_linear_backward(&c.lin, c.params, g, c.n, c.x, c.r, dx);
    float eps = 1e-2f;
    for (int i = 0; i < l.count; i++) {
        float keep = c.params[i];
        c.params[i] = keep + eps;
        double lp = lin_loss(&c);
        c.params[i] = keep - eps;
        double lm = lin_loss(&c);
        c.params[i] = keep;
        CHECK(close_grad(g[i], (lp - lm) / (2 * eps)));
    }
    for (int i = 0; i < 20; i++) {
        float keep = c.x[i];
        c.x[i] = keep + eps;
        double lp = lin_loss(&c);
        c.x[i] = keep - eps;
        double lm = lin_loss(&c);
        c.x[i] = keep;
        CHECK(close_grad(dx[i], (lp - lm) / (2 * eps)));
    }
    free(c.params);
    free(g);
    free(c.x);
    free(c.r);
    free(c.y);
    nn_layout_free(&l);
}

static void test_activation_grad(NnAct act) {
    Rng rng;
    rng_seed(&rng, 2);
    float x[32], y[32], r[32], d[32];
    fill_normal(&rng, x, 32, 2.0f);
    /* stay away from the ReLU kink */
    for (int i = 0; i < 32; i++)
        if (fabsf(x[i]) < 0.05f) x[i] = 0.3f;
    fill_normal(&rng, r, 32, 1.0f);
    nn_act_forward(act, 32, x, y);
    nn_act_backward(act, 32, x, r, d);
    float eps = 1e-3f;
    for (int i = 0; i < 32; i++) {
        float xp = x[i] + eps, xm = x[i] - eps, yp, ym;
        nn_act_forward(act, 1, &xp, &yp);
        nn_act_forward(act, 1, &xm, &ym);
        CHECK(close_grad(d[i], r[i] * (yp - ym) / (2 * eps)));
    }
    if (act == NN_ACT_RELU) CHECK(y[0] == (x[0] > 0 ? x[0] : 0));
}

static double ln_loss(const NnLayerNorm* ln, const float* p, int n, const float* x, float* y,
                      float* st, const float* r) {
    nn_layernorm_forward(ln, p, n, x, y, st);
    double s = 0;
    for (int i = 0; i < n * ln->dim; i++) s += (double)y[i] * r[i];
    return s;
}

static void test_layernorm_grad(void) {
    Rng rng;
    rng_seed(&rng, 3);
    NnLayout l = {0};
    NnLayerNorm ln;
    nn_layernorm_layout(&ln, &l, 6);
    float p[12], g[12] = {0}, x[18], y[18], r[18], dx[18], st[6];
    nn_layernorm_init(&ln, p);
    fill_normal(&rng, p, 12, 0.5f);
    for (int i = 0; i < 6; i++) p[i] += 1.0f;
    fill_normal(&rng, x, 18, 1.5f);
    fill_normal(&rng, r, 18, 1.0f);
    ln_loss(&ln, p, 3, x, y, st, r);
    /* normalized rows have mean 0 before the affine part */
    nn_layernorm_backward(&ln, p, g, 3, x, st, r, dx);
    float eps = 1e-2f;
    for (int i = 0; i < 12; i++) {
        float keep = p[i];
        p[i] = keep + eps;
        double lp = ln_loss(&ln, p, 3, x, y, st, r);
        p[i] = keep - eps;
        double lm = ln_loss(&ln, p, 3, x, y, st, r);
        p[i] = keep;
        CHECK(close_grad(g[i], (lp - lm) / (2 * eps)));
    }
    for (int i = 0; i < 18; i++) {
        float keep = x[i];
        x[i] = keep + eps;
        double lp = ln_loss(&ln, p, 3, x, y, st, r);
        x[i] = keep - eps;
        double lm = ln_loss(&ln, p, 3, x, y, st, r);
        x[i] = keep;
        CHECK(close_grad(dx[i], (lp - lm) / (2 * eps)));
    }
    nn_layout_free(&l);
}

static double mlp_loss(const NnMlp* mlp, const float* p, NnMlpCache* c, int n, const float* x,
                       const float* r) {
    const float* y = nn_mlp_forward(mlp, p, c, n, x);
    double s = 0;
    for (int i = 0; i < n * nn_mlp_out(mlp); i++) s += (double)y[i] * r[i];
    return s;
}

static void test_mlp_grad(NnAct act) {
    Rng rng;
    rng_seed(&rng, 4);
    NnLayout l = {0};
    NnMlp mlp;
    int sizes[] = {5, 7, 6, 3};
    nn_mlp_layout(&mlp, &l, sizes, 4, act, false);
    float* p = calloc((size_t)l.count, sizeof(float));
    float* g = calloc((size_t)l.count, sizeof(float));
    nn_mlp_init(&mlp, p, &rng, 1.0f);
    for (int i = 0; i < l.count; i++) p[i] += 0.05f * (float)rng_normal(&rng);
    NnMlpCache c = {0};
    nn_mlp_cache_reserve(&c, &mlp, 4);
    float x[20], r[12], dy[12], dx[20];
    fill_normal(&rng, x, 20, 1.0f);
    fill_normal(&rng, r, 12, 1.0f);
    mlp_loss(&mlp, p, &c, 4, x, r);
    memcpy(dy, r, sizeof dy);
    nn_mlp_backward(&mlp, p, g, &c, 4, x, dy, dx);
    float eps = 1e-3f;
    int bad = 0;
    for (int i = 0; i < l.count; i++) {
        float keep = p[i];
        p[i] = keep + eps;
        double lp = mlp_loss(&mlp, p, &c, 4, x, r);
        p[i] = keep - eps;
        double lm = mlp_loss(&mlp, p, &c, 4, x, r);
        p[i] = keep;
        bad += !close_grad(g[i], (lp - lm) / (2 * eps));
    }
    for (int i = 0; i < 20; i++) {
        float keep = x[i];
        x[i] = keep + eps;
        double lp = mlp_loss(&mlp, p, &c, 4, x, r);
        x[i] = keep - eps;
        double lm = mlp_loss(&mlp, p, &c, 4, x, r);
        x[i] = keep;
        bad += !close_grad(dx[i], (lp - lm) / (2 * eps));
    }
    /* a ReLU unit crossing its kink may spoil one or two numeric derivatives */
    CHECK(bad <= (act == NN_ACT_RELU ? 2 : 0));
    nn_mlp_cache_free(&c);
    free(p);
    free(g);
    nn_layout_free(&l);
}

typedef double (*LossFn)(int, const float*, const float*, const float*, float, float*);

static double huber_1(int n, const float* p, const float* t, const float* w, float s, float* g) {
    return nn_loss_huber(n, p, t, w, 1.0f, s, g);
}

static void test_loss_grad(LossFn f, bool binary) {
    Rng rng;
    rng_seed(&rng, 5);
    float p[16], t[16], w[16], g[16];
    fill_normal(&rng, p, 16, 2.0f);
    for (int i = 0; i < 16; i++) {
        t[i] = binary ? (float)(rng_unit(&rng) < 0.5) : (float)rng_normal(&rng);
        w[i] = (float)rng_uniform(&rng, 0.2, 1.5);
        /* huber: not exactly at the corner */
        if (fabsf(fabsf(p[i] - t[i]) - 1.0f) < 0.05f) p[i] += 0.2f;
    }
    double l = f(16, p, t, w, 0.5f, g);
    CHECK(isfinite(l) && l >= 0);
    float eps = 1e-3f;
    for (int i = 0; i < 16; i++) {
        float keep = p[i];
        p[i] = keep + eps;
        double lp = f(16, p, t, w, 0.5f, NULL);
        p[i] = keep - eps;
        double lm = f(16, p, t, w, 0.5f, NULL);
        p[i] = keep;
        CHECK(close_grad(g[i], (lp - lm) / (2 * eps)));
    }
    /* perfect predictions cost nothing (regression losses) */
    if (!binary) CHECK(f(16, t, t, w, 1.0f, NULL) == 0.0);
    /* BCE stays finite for huge logits */
    if (binary) {
        float big[2] = {1000.0f, -1000.0f}, tt[2] = {1.0f, 0.0f};
        CHECK(f(2, big, tt, NULL, 1.0f, NULL) < 1e-6);
    }
}

/* ---- AdamW ---- */

static void test_adamw(void) {
    NnAdamW o;
    nn_adamw_init(&o, 3, 0.1f, 0.0f);
    float w[3] = {1.0f, -2.0f, 3.0f}, g[3];
    /* first Adam step moves every coordinate by lr against the gradient's sign */
    g[0] = 5.0f, g[1] = -0.01f, g[2] = 0.0f;
    nn_adamw_step(&o, w, g, NULL, 0.0f);
    CHECK(fabsf(w[0] - 0.9f) < 1e-5f && fabsf(w[1] - (-1.9f)) < 1e-4f && w[2] == 3.0f);
    /* minimizes a quadratic */
    for (int it = 0; it < 500; it++) {
        for (int i = 0; i < 3; i++) g[i] = 2.0f * (w[i] - (float)i);
        nn_adamw_step(&o, w, g, NULL, 1.0f);
    }
    for (int i = 0; i < 3; i++) CHECK(fabsf(w[i] - (float)i) < 0.05f);
    /* a NaN gradient leaves the weights untouched */
    float before[3];
    memcpy(before, w, sizeof w);
    g[0] = NAN;
    double norm = nn_adamw_step(&o, w, g, NULL, 1.0f);
    CHECK(!isfinite(norm) && memcmp(before, w, sizeof w) == 0);
    nn_adamw_free(&o);
    /* clipping: the returned norm is the unclipped one, and decay only hits marked entries */
    nn_adamw_init(&o, 2, 0.01f, 0.5f);
    float w2[2] = {1.0f, 1.0f}, g2[2] = {0.0f, 0.0f};
    uint8_t decay[2] = {1, 0};
    nn_adamw_step(&o, w2, g2, decay, 1.0f);
    CHECK(w2[0] < 1.0f && w2[1] == 1.0f);
    g2[0] = 30.0f, g2[1] = 40.0f;
    CHECK(fabs(nn_adamw_step(&o, w2, g2, decay, 1.0f) - 50.0) < 1e-9);
    nn_adamw_free(&o);
}

/* ---- synthetic worlds: a static floor and free-flying boxes ---- */

#define TK 8

static void body_row(float* st, float x, float y, float ang, float vx, float vy, float om, float w,
                     float h, float mass, bool is_static) {
    memset(st, 0, sizeof(float) * SIM_OBS_DIM);
    sim_obs_set_motion(st, x, y, ang, vx, vy, om);
    st[SIM_OBS_kind_box] = 1;
    st[SIM_OBS_size_w] = w;
    st[SIM_OBS_size_h] = h;
    st[SIM_OBS_mass] = mass;
    st[SIM_OBS_friction] = 0.6f;
    st[SIM_OBS_elasticity] = 0.2f;
    st[SIM_OBS_is_static] = is_static;
}

/* a random world: slot 0 floor, slots 1..3 boxes in the air (slot 2 sometimes empty), slot 4 a
 * box resting on the floor */
static void random_world(Rng* r, float* st, uint8_t* mask) {
    memset(st, 0, sizeof(float) * TK * SIM_OBS_DIM);
    memset(mask, 0, TK);
    body_row(st, 0, -0.1f, 0, 0, 0, 0, 20.0f, 0.2f, 0, true);
    mask[0] = 1;
    body_row(st + 4 * SIM_OBS_DIM, (float)rng_uniform(r, -2, 2), 0.05f, 0, 0, 0, 0, 0.1f, 0.1f, 0.5f, false);
    mask[4] = 1;
    for (int k = 1; k <= 3; k++) {
        if (k == 2 && rng_unit(r) < 0.3) continue;
        body_row(st + k * SIM_OBS_DIM, (float)rng_uniform(r, -2, 2), (float)rng_uniform(r, 2, 4),
                 (float)rng_uniform(r, -3, 3), (float)rng_uniform(r, -1, 1),
                 (float)rng_uniform(r, -1, 1), (float)rng_uniform(r, -2, 2), 0.1f, 0.1f, 0.5f,
                 false);
        mask[k] = 1;
    }
}

/* the truth for a free body: two steps of 1/120 s under gravity as Chipmunk takes them (position
 * with the velocity so far, then the velocity) */
static void free_fall(const float* st, const uint8_t* mask, float* next) {
    memcpy(next, st, sizeof(float) * TK * SIM_OBS_DIM);
    for (int k = 0; k < TK; k++) {
        float* s = next + k * SIM_OBS_DIM;
        /* static bodies stay; a body that reached the floor rests there */
        if (!mask[k] || s[SIM_OBS_is_static] > 0.5f) continue;
        if (s[SIM_OBS_y] < 0.2f) {
            s[SIM_OBS_vx] = s[SIM_OBS_vy] = s[SIM_OBS_omega] = 0.0f;
            continue;
        }
        float ang = atan2f(s[SIM_OBS_sin], s[SIM_OBS_cos]);
        for (int i = 0; i < 2; i++) {
            s[SIM_OBS_x] += s[SIM_OBS_vx] / 120.0f;
            s[SIM_OBS_y] += s[SIM_OBS_vy] / 120.0f;
            ang += s[SIM_OBS_omega] / 120.0f;
            s[SIM_OBS_vy] += -9.81f / 120.0f;
        }
        s[SIM_OBS_cos] = cosf(ang);
        s[SIM_OBS_sin] = sinf(ang);
    }
}

static WmArch small_arch(void) {
    WmArch a = wm_arch_default(TK);
    a.latent = 16;
    a.edge = 16;
    a.hidden = 32;
    a.radius = 0;
    return a;
}

/* two small models of one seed for an option against the model without it: *without has INPUTS,
 * the returned one INPUTS | EXTRA, and A is left at INPUTS | EXTRA */
static WmModel* option_pair(WmArch* a, int inputs, int extra, uint64_t seed, WmModel** without) {
    a->inputs = inputs;
    *without = wm_create(a, seed);
    a->inputs |= extra;
    return wm_create(a, seed);
}

/* ---- the whole model's gradient against finite differences ---- */

/* small_arch narrowed further for the finite-difference checks (every third weight, two losses each) */
static WmArch grad_arch(void) {
    WmArch a = small_arch();
    a.latent = 6;
    a.edge = 5;
    a.hidden = 7;
    return a;
}

static double wm_batch_loss(WmModel* m, WmScratch* s, const WmTransitions* t, float* raw,
                            bool grad, float* grads) {
    wm_pack(m, s, t->n, t->s0, t->m0, t->push, NULL, 0, 0);
    wm_targets(m, s, t, raw);
    wm_features_normalize(m, s);
    wm_forward(m, s);
    /* the variance head's NLL stops the mean's gradient, which finite differences cannot see: it
     * is checked on its own in test_wm_nll_grad */
    WmLossWeights lw = {0.6f, 0.0f, 0.7f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.5f, 1.0f};
    double l = wm_loss(m, s, &lw, grad, NULL);
    if (grad) wm_backward(m, s, grads);
    return l;
}

/* the next states of a batch of two worlds whose states t->s0 and masks t->m0 are set: each in free
 * fall, unpushed, every body kept */
static void falling_next(WmTransitions* t) {
    for (int b = 0; b < 2; b++) {
        free_fall(t->s0 + b * TK * SIM_OBS_DIM, t->m0 + b * TK, t->s1 + b * TK * SIM_OBS_DIM);
        memcpy(t->m1 + b * TK, t->m0 + b * TK, TK);
    }
    memset(t->push, 0, sizeof(float) * 2 * TK * 4);
}

/* two random worlds in free fall, unpushed (free with wm_transitions_free) */
static void falling_batch(Rng* rng, WmTransitions* t) {
    wm_transitions_init(t, 2, TK, SIM_OBS_DIM, 0);
    t->n = 2;
    for (int b = 0; b < 2; b++) random_world(rng, t->s0 + b * TK * SIM_OBS_DIM, t->m0 + b * TK);
    falling_next(t);
}

/* the batch loss's gradient g (at m's weights) against central differences of eps = 1e-3: every
 * third weight before head, every one from head on; returns the misses, those from head on apart in
 * *headbad (each printed as NAME's), and the weights checked in *checked */
static int batch_grad_misses(WmModel* m, WmScratch* s, const WmTransitions* t, float* raw, const float* g, int head,
                             const char* name, int* headbad, int* checked) {
    int bad = 0;
    float eps = 1e-3f;
    *headbad = *checked = 0;
    for (int i = 0; i < m->nparams; i += i >= head - 1 ? 1 : 3) {
        float keep = m->params[i];
        m->params[i] = keep + eps;
        double lp = wm_batch_loss(m, s, t, raw, false, NULL);
        m->params[i] = keep - eps;
        double lm = wm_batch_loss(m, s, t, raw, false, NULL);
        m->params[i] = keep;
        double num = (lp - lm) / (2 * eps);
        if (!close_grad(g[i], num)) bad++;
        if (i >= head && !close_grad(g[i], num)) {
            (*headbad)++;
            fprintf(stderr, "%s: head weight %d analytic %g numeric %g\n", name, i - head, g[i], num);
        }
        (*checked)++;
    }
    return bad;
}

static void test_wm_grad(int rounds, int inputs) {
    Rng rng;
    rng_seed(&rng, 6);
    WmArch a = grad_arch();
    a.rounds = rounds;
    a.inputs = inputs;
    WmModel* m = wm_create(&a, 7);
    WmScratch* s = wm_scratch_create(m);
    WmTransitions t;
    falling_batch(&rng, &t);
    t.push[(1 * TK + 1) * 4 + 0] = 0.3f;
    for (int i = 0; i < 2 * TK * WM_EVENTS; i++) t.labels[i] = (float)(rng_unit(&rng) < 0.3);
    /* perturb the weights so no unit sits at zero (the impulse head's less: a box's 5 mm-wide
     * turn from a metre away would swamp the loss, and float sums with it) */
    for (int i = 0; i < m->nparams; i++) m->params[i] += 0.1f * (float)rng_normal(&rng);
    if (inputs & WM_INPUT_IMPULSE)
        for (int i = m->impulse.w; i < m->nparams; i++) m->params[i] *= 1e-3f;
    /* a body gone after the tick (it broke: the break-now head's positive) */
    t.m1[1] = 0;
    t.labels[1 * WM_EVENTS + WM_EVENT_BREAK] = 1.0f;
    float* raw = malloc(sizeof(float) * 2 * TK * WM_TARGETS);
    float* g = calloc((size_t)m->nparams, sizeof(float));
    wm_batch_loss(m, s, &t, raw, true, g);
    /* (every third weight; with the impulse path, every one of its head's: the head is linear and
     * feeds the loss directly, no kink to excuse a miss there) */
    int head = (inputs & WM_INPUT_IMPULSE) ? m->impulse.w : m->nparams, headbad, checked;
    int bad = batch_grad_misses(m, s, &t, raw, g, head, "wm grad", &headbad, &checked);
    CHECK(checked > 100);
    CHECK(headbad == 0);
    /* ReLU kinks may spoil a handful */
    CHECK(bad * 50 <= checked);
    if (bad * 50 > checked) fprintf(stderr, "wm grad: %d of %d disagree\n", bad, checked);
    free(raw);
    free(g);
    wm_transitions_free(&t);
    wm_scratch_free(s);
    wm_free(m);
}

/* WM_INPUT_IMPULSE: with its head at zero a model predicts what the same weights without it do; with
 * the head set, what it adds to the velocity changes moves no pair's momentum (linear, and angular
 * about the origin), and it round-trips through a checkpoint */
static void test_wm_impulse(void) {
    Rng rng;
    rng_seed(&rng, 21);
    WmArch a = small_arch();
    WmArch ai = a;
    ai.inputs = WM_INPUT_IMPULSE;
    WmModel* m0 = wm_create(&a, 5);
    WmModel* m1 = wm_create(&ai, 5);
    CHECK(m1->nparams == m0->nparams + 2 * a.edge + 2);
    /* the same weights before the head, which starts at zero */
    CHECK(memcmp(m0->params, m1->params, sizeof(float) * (size_t)m0->nparams) == 0);
    for (int i = m0->nparams; i < m1->nparams; i++) CHECK(m1->params[i] == 0.0f);
    for (int i = 0; i < m0->nparams; i++) m0->params[i] += 0.1f * (float)rng_normal(&rng);
    memcpy(m1->params, m0->params, sizeof(float) * (size_t)m0->nparams);
    WmScratch* s0 = wm_scratch_create(m0);
    WmScratch* s1 = wm_scratch_create(m1);
    WmTransitions t;
    falling_batch(&rng, &t);
    float* raw = malloc(sizeof(float) * 2 * TK * WM_TARGETS);
    wm_batch_loss(m0, s0, &t, raw, false, NULL);
    wm_batch_loss(m1, s1, &t, raw, false, NULL);
    CHECK(s0->nd == s1->nd && s0->nd >= 6);
    int nout = s0->nd * WM_OUTPUTS, same = 0;
    for (int i = 0; i < nout; i++) same += s0->out[i] == s1->out[i];
    CHECK(same == nout);
    /* the same through wm_predict */
    float* n0 = malloc(sizeof(float) * 2 * TK * SIM_OBS_DIM);
    float* n1 = malloc(sizeof(float) * 2 * TK * SIM_OBS_DIM);
    wm_predict(m0, s0, 2, t.s0, t.m0, t.push, n0, NULL, NULL);
    wm_predict(m1, s1, 2, t.s0, t.m0, t.push, n1, NULL, NULL);
    int sames = 0;
    for (int i = 0; i < 2 * TK * SIM_OBS_DIM; i++) sames += n0[i] == n1[i];
    CHECK(sames == 2 * TK * SIM_OBS_DIM);
    /* a head that is not zero: what it adds conserves each world's momentum */
    for (int i = m0->nparams; i < m1->nparams; i++) m1->params[i] = (float)rng_normal(&rng);
    wm_batch_loss(m1, s1, &t, raw, false, NULL);
    double p[2][3] = {{0}}, scale = 0;
    int edges = 0;
    for (int e = 0; e < s1->ne; e++) edges += s1->send_row[e] >= 0;
    CHECK(edges >= 6);
    for (int r = 0; r < s1->nd; r++) {
        int i = s1->row_node[r];
        const float* st = s1->state + (size_t)i * SIM_OBS_DIM;
        double mass = st[SIM_OBS_mass], inertia = mass * wm_inertia_per_mass(st);
        double dv[3];
        for (int c = 0; c < 3; c++)
            dv[c] = ((double)s1->out[(size_t)r * WM_OUTPUTS + WM_DV + c] - s0->out[(size_t)r * WM_OUTPUTS + WM_DV + c]) *
                    m1->tgt.fstd[WM_DV + c];
        double *w = p[s1->node_world[i]];
        w[0] += mass * dv[0];
        w[1] += mass * dv[1];
        w[2] += inertia * dv[2] + mass * (st[SIM_OBS_x] * dv[1] - st[SIM_OBS_y] * dv[0]);
        scale += fabs(mass * dv[0]) + fabs(mass * dv[1]);
    }
    CHECK(scale > 0.1);
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 3; c++) {
            CHECK(fabs(p[b][c]) < 1e-4 * scale);
            if (!(fabs(p[b][c]) < 1e-4 * scale)) fprintf(stderr, "impulse: world %d momentum %d moved %g (scale %g)\n", b, c, p[b][c], scale);
        }
    /* the checkpoint keeps the option and the head */
    char dir[] = "/tmp/nudge-test-impulse-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/m.bin", dir);
    CHECK(wm_save(m1, path, err, sizeof err));
    WmModel* l = wm_load(path, err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK(wm_arch(l)->inputs == WM_INPUT_IMPULSE);
        CHECK(wm_param_count(l) == m1->nparams);
        CHECK(memcmp(l->params, m1->params, sizeof(float) * (size_t)m1->nparams) == 0);
        wm_free(l);
    }
    remove(path);
    rmdir(dir);
    free(n0);
    free(n1);
    free(raw);
    wm_transitions_free(&t);
    wm_scratch_free(s0);
    wm_scratch_free(s1);
    wm_free(m0);
    wm_free(m1);
}

/* the variance head's gradient: d loss / d log sigma against finite differences on the outputs, and
 * no gradient of the NLL into the means */
static void test_wm_nll_grad(void) {
    Rng rng;
    rng_seed(&rng, 16);
    WmArch a = small_arch();
    WmModel* m = wm_create(&a, 3);
    WmScratch* s = wm_scratch_create(m);
    WmTransitions t;
    falling_batch(&rng, &t);
    memset(t.labels, 0, sizeof(float) * 2 * TK * WM_EVENTS);
    for (int i = 0; i < m->nparams; i++) m->params[i] += 0.1f * (float)rng_normal(&rng);
    float raw[2 * TK * WM_TARGETS];
    wm_pack(m, s, t.n, t.s0, t.m0, t.push, NULL, 0, 0);
    wm_targets(m, s, &t, raw);
    wm_features_normalize(m, s);
    wm_forward(m, s);
    WmLossWeights nll_only = {0.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.5f, 1.0f};
    WmLossWeights none = {0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.5f, 1.0f};
    size_t nout = (size_t)s->nd * WM_OUTPUTS;
    float* d0 = malloc(sizeof(float) * nout);
    wm_loss(m, s, &none, true, NULL);
    memcpy(d0, s->dout, sizeof(float) * nout);
    wm_loss(m, s, &nll_only, true, NULL);
    float* d = malloc(sizeof(float) * nout);
    memcpy(d, s->dout, sizeof(float) * nout);
    int checked = 0;
    for (int r = 0; r < s->nd; r++)
        for (int c = 0; c < WM_TARGETS; c++) {
            float* o = s->out + (size_t)r * WM_OUTPUTS;
            /* no NLL gradient reaches the mean */
            CHECK(d[(size_t)r * WM_OUTPUTS + c] == d0[(size_t)r * WM_OUTPUTS + c]);
            float keep = o[WM_LOGSIG + c], e = 1e-3f;
            o[WM_LOGSIG + c] = keep + e;
            double lp = wm_loss(m, s, &nll_only, false, NULL) - wm_loss(m, s, &none, false, NULL);
            o[WM_LOGSIG + c] = keep - e;
            double lm = wm_loss(m, s, &nll_only, false, NULL) - wm_loss(m, s, &none, false, NULL);
            o[WM_LOGSIG + c] = keep;
            CHECK(close_grad(d[(size_t)r * WM_OUTPUTS + WM_LOGSIG + c], (lp - lm) / (2 * e)));
            checked++;
        }
    CHECK(checked >= 6);
    free(d);
    free(d0);
    wm_transitions_free(&t);
    wm_scratch_free(s);
    wm_free(m);
}

/* --break-weight: the break and break-now heads' BCE gradient is brk times what it is at 1, the other
 * outputs' unchanged */
/* the loss-weight tests' batch: two falling worlds (falling_batch) with random event labels, through a
 * fresh small model's forward pass; adjust, when given, changes the batch before it is packed */
typedef struct WeightFixture {
    WmModel*      m;
    WmScratch*    s;
    WmTransitions t;
} WeightFixture;

static void weight_fixture(WeightFixture* f, void (*adjust)(WmTransitions* t)) {
    Rng rng;
    rng_seed(&rng, 8);
    WmArch a = small_arch();
    f->m = wm_create(&a, 9);
    f->s = wm_scratch_create(f->m);
    falling_batch(&rng, &f->t);
    for (int i = 0; i < 2 * TK * WM_EVENTS; i++) f->t.labels[i] = (float)(rng_uniform(&rng, 0, 1) < 0.3);
    if (adjust) adjust(&f->t);
    float raw[2 * TK * WM_TARGETS];
    wm_pack(f->m, f->s, f->t.n, f->t.s0, f->t.m0, f->t.push, NULL, 0, 0);
    wm_targets(f->m, f->s, &f->t, raw);
    wm_features_normalize(f->m, f->s);
    wm_forward(f->m, f->s);
}

static void weight_fixture_free(WeightFixture* f) {
    wm_transitions_free(&f->t);
    wm_scratch_free(f->s);
    wm_free(f->m);
}

static void test_wm_break_weight(void) {
    WeightFixture fx;
    weight_fixture(&fx, NULL);
    WmModel* m = fx.m;
    WmScratch* s = fx.s;
    WmLossWeights one = {0.5f, 0.05f, 0.5f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.5f, 1.0f}, three = one;
    three.brk = 3.0f;
    size_t nout = (size_t)s->nd * WM_OUTPUTS;
    float* d1 = malloc(sizeof(float) * nout);
    wm_loss(m, s, &one, true, NULL);
    memcpy(d1, s->dout, sizeof(float) * nout);
    wm_loss(m, s, &three, true, NULL);
    int brk = 0;
    for (size_t r = 0; r < (size_t)s->nd; r++)
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float g1 = d1[r * WM_OUTPUTS + c], g3 = s->dout[r * WM_OUTPUTS + c];
            if (c == WM_OUT_EVENTS + WM_EVENT_BREAK || c == WM_BREAK_NOW) {
                CHECK(fabsf(g3 - 3.0f * g1) <= 1e-6f * fabsf(g1) + 1e-12f);
                brk += g1 != 0.0f;
            } else {
                CHECK(g3 == g1);
            }
        }
    CHECK(brk >= 4);
    free(d1);
    weight_fixture_free(&fx);
}

/* --onset-weight: the rest head's BCE gradient on an onset row (a body at rest now, unpushed, not at
 * rest next tick) is onset times what it is at 1; every other output's and row's unchanged; with
 * --onset-speed, only for an onset faster than it */
/* slot 4 rests on the floor in both worlds; in world 0 it slides off at 0.5 m/s next tick (an
   onset), in world 1 it is pushed and moves (not an onset: the gate never holds a pushed body); no
   event labels */
static void onset_batch(WmTransitions* t) {
    t->s1[(0 * TK + 4) * SIM_OBS_DIM + SIM_OBS_vx] = 0.5f;
    t->s1[(1 * TK + 4) * SIM_OBS_DIM + SIM_OBS_vx] = 0.5f;
    t->push[(1 * TK + 4) * 4 + 0] = 0.25f;
    memset(t->labels, 0, sizeof(float) * 2 * TK * WM_EVENTS);
}

static void test_wm_onset_weight(void) {
    WeightFixture fx;
    weight_fixture(&fx, onset_batch);
    WmModel* m = fx.m;
    WmScratch* s = fx.s;
    WmLossWeights one = {0.5f, 0.05f, 0.5f, 1.0f, 1.0f, 0.0f, 1.0f, 1.0f, 0.5f, 1.0f}, five = one;
    five.onset = 5.0f;
    size_t nout = (size_t)s->nd * WM_OUTPUTS;
    float* d1 = malloc(sizeof(float) * nout);
    double l1 = wm_loss(m, s, &one, true, NULL);
    memcpy(d1, s->dout, sizeof(float) * nout);
    double l5 = wm_loss(m, s, &five, true, NULL);
    CHECK(l5 > l1);
    int onset_rows = 0;
    for (size_t r = 0; r < (size_t)s->nd; r++) {
        int i = s->row_node[r];
        bool onset = s->node_world[i] == 0 && s->node_slot[i] == 4;
        onset_rows += onset;
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float g1 = d1[r * WM_OUTPUTS + c], g5 = s->dout[r * WM_OUTPUTS + c];
            if (onset && c == WM_REST) {
                CHECK(g1 != 0.0f && fabsf(g5 - 5.0f * g1) <= 1e-6f * fabsf(g1));
            } else {
                CHECK(g5 == g1);
            }
        }
    }
    CHECK(onset_rows == 1);
    /* --onset-speed: the onset moves at 0.5 m/s; a threshold of 0.3 keeps its weight, 1 m/s drops it */
    float* d5 = malloc(sizeof(float) * nout);
    memcpy(d5, s->dout, sizeof(float) * nout);
    WmLossWeights above = five, below = five;
    above.onset_speed = 0.3f;
    below.onset_speed = 1.0f;
    CHECK(wm_loss(m, s, &above, true, NULL) == l5 && memcmp(s->dout, d5, sizeof(float) * nout) == 0);
    CHECK(wm_loss(m, s, &below, true, NULL) == l1 && memcmp(s->dout, d1, sizeof(float) * nout) == 0);
    /* --onset-motion-weight: the velocity and position means' gradients on the onset row are 4 times
     * what they are at 1; its variance head's, its rest head's and every other row's unchanged */
    WmLossWeights motion = one;
    motion.onset_motion = 4.0f;
    int moved = 0;
    CHECK(wm_loss(m, s, &motion, true, NULL) > l1);
    for (size_t r = 0; r < (size_t)s->nd; r++) {
        int i = s->row_node[r];
        bool onset = s->node_world[i] == 0 && s->node_slot[i] == 4;
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float g1 = d1[r * WM_OUTPUTS + c], g4 = s->dout[r * WM_OUTPUTS + c];
            if (onset && c < WM_TARGETS) {
                CHECK(fabsf(g4 - 4.0f * g1) <= 1e-6f * fabsf(g1));
                moved += g1 != 0.0f;
            } else {
                CHECK(g4 == g1);
            }
        }
    }
    /* (the zero-initialized heads err only where the target is not zero: the slide's vx and x) */
    CHECK(moved >= 2);
    free(d5);
    free(d1);
    weight_fixture_free(&fx);
}

/* --still-weight: the event heads' BCE gradient (breaks, contact, falls) on a row whose body is at
 * rest now (pushed or not) is still times what it is at 1; the rest and break-now heads', the
 * motion's and every moving row's unchanged */
/* slot 4 rests in both worlds; in world 1 it is pushed (still at rest now: it counts) */
static void push_resting_slot(WmTransitions* t) {
    t->push[(1 * TK + 4) * 4 + 0] = 0.25f;
}

static void test_wm_still_weight(void) {
    WeightFixture fx;
    weight_fixture(&fx, push_resting_slot);
    WmModel* m = fx.m;
    WmScratch* s = fx.s;
    WmLossWeights one = wm_loss_weights_default(), four = one;
    four.still = 4.0f;
    size_t nout = (size_t)s->nd * WM_OUTPUTS;
    float* d1 = malloc(sizeof(float) * nout);
    double l1 = wm_loss(m, s, &one, true, NULL);
    memcpy(d1, s->dout, sizeof(float) * nout);
    CHECK(wm_loss(m, s, &four, true, NULL) > l1);
    int still_rows = 0, moving_rows = 0, pushed_still = 0;
    for (size_t r = 0; r < (size_t)s->nd; r++) {
        int i = s->row_node[r];
        bool still = wm_at_rest(s->state + (size_t)i * SIM_OBS_DIM);
        still_rows += still;
        moving_rows += !still;
        pushed_still += still && s->node_world[i] == 1 && s->node_slot[i] == 4;
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float g1 = d1[r * WM_OUTPUTS + c], g4 = s->dout[r * WM_OUTPUTS + c];
            if (still && c >= WM_OUT_EVENTS && c < WM_OUT_EVENTS + WM_EVENTS) {
                CHECK(g1 != 0.0f && fabsf(g4 - 4.0f * g1) <= 1e-6f * fabsf(g1));
            } else {
                CHECK(g4 == g1);
            }
        }
    }
    CHECK(still_rows >= 2 && moving_rows >= 2 && pushed_still == 1);
    free(d1);
    weight_fixture_free(&fx);
}

/* breaking in imagination: a body the break-now head fires on is replaced by sim's pieces at its
 * predicted state, in new slots after the highest live one, mass conserved; others stay whole */
static void test_imagined_break(void) {
    for (int K = 16; K >= 8; K -= 8) {
        WmArch a = small_arch();
        a.slots = K;
        WmModel* m = wm_create(&a, 5);
        const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
        m->params[last->b + WM_BREAK_NOW] = 10.0f;   /* it always says "breaks now" */
        /* a floor, a glass falling onto it, a box: observed from a world */
        SimWorldDef wd = sim_world_def_default();
        SimWorld* w = sim_world_create(&wd);
        SimBodyDef b = sim_body_def_default();
        b.kind = SIM_KIND_BOX;
        b.material = sim_material_find("stone");
        b.w = 4, b.h = 0.1, b.y = -0.05, b.is_static = true;
        sim_world_add_body(w, &b, NULL, 0);
        b = sim_body_def_default();
        b.kind = SIM_KIND_CUP;
        b.material = sim_material_find("glass");
        b.w = 0.08, b.h = 0.12, b.y = 0.5, b.vy = -2, b.angle = 0.3;
        sim_world_add_body(w, &b, NULL, 0);
        b = sim_body_def_default();
        b.x = 1, b.y = 0.05;
        sim_world_add_body(w, &b, NULL, 0);
        float st[16 * SIM_OBS_DIM];
        uint8_t mask[16];
        int32_t ids[16];
        sim_world_observe(w, st, mask, ids, K);
        float glass_mass = st[1 * SIM_OBS_DIM + SIM_OBS_mass];
        /* where the glass goes in one tick, whole */
        float whole[16 * SIM_OBS_DIM];
        WmScratch* s = wm_scratch_create(m);
        wm_predict(m, s, 1, st, mask, NULL, whole, NULL, NULL);
        CHECK(wm_break_count(s) == 0);
        enum { H = 3 };
        float out[H * 16 * SIM_OBS_DIM];
        uint8_t omask[H * 16];
        wm_rollout(m, s, 1, st, mask, NULL, H, out, omask, NULL);
        CHECK(wm_break_count(s) == 1);   /* pieces are not breakable: once */
        int want = K - 3 < 6 ? K - 3 : 6;
        for (int h = 0; h < H; h++) {
            const uint8_t* om = omask + h * K;
            const float* o = out + (size_t)h * K * SIM_OBS_DIM;
            CHECK(om[0] && !om[1] && om[2]);
            double mass = 0, mx = 0, my = 0;
            int pieces = 0;
            for (int k = 3; k < K; k++) {
                if (!om[k]) continue;
                const float* r = o + (size_t)k * SIM_OBS_DIM;
                CHECK(r[SIM_OBS_kind_shard] == 1.0f && r[SIM_OBS_breakable] == 0.0f && r[SIM_OBS_mass] > 0);
                CHECK(wm_rollout_parent(s, 0, k) == 1);
                mass += r[SIM_OBS_mass];
                mx += r[SIM_OBS_mass] * r[SIM_OBS_x];
                my += r[SIM_OBS_mass] * r[SIM_OBS_y];
                pieces++;
            }
            CHECK(pieces == want);
            if (K == 16 && h == 0) {
                /* all six: the glass's mass, centred where the glass would have been */
                CHECK(fabs(mass - glass_mass) < 1e-4 * glass_mass);
                CHECK(fabs(mx / mass - whole[1 * SIM_OBS_DIM + SIM_OBS_x]) < 1e-4);
                CHECK(fabs(my / mass - whole[1 * SIM_OBS_DIM + SIM_OBS_y]) < 1e-4);
            }
        }
        CHECK(wm_rollout_parent(s, 0, 0) == -1 && wm_rollout_parent(s, 0, 2) == -1);
        /* one step with a mask to update shatters too */
        uint8_t nm[16];
        wm_predict(m, s, 1, st, mask, NULL, whole, nm, NULL);
        CHECK(!nm[1] && nm[3] && wm_break_count(s) == 2);
        wm_scratch_free(s);
        wm_free(m);
        sim_world_destroy(w);
    }
}

/* the model's foresight is its imagination's event heads: for each body live at the start, the
 * largest break and fall head over a WM_EVENT_HORIZON-tick rollout with the start's pushes and none
 * after (checked against wm_rollout itself), 1 for a body the rollout shatters, contact the start's
 * head, 0 for static and empty slots */
static void test_wm_foresee(void) {
    WmArch a = small_arch();
    int K = a.slots;
    WmModel* m = wm_create(&a, 11);
    Rng r;
    rng_seed(&r, 5);
    /* heads that change as the bodies move (a fresh last layer is zero), and no body shatters */
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    for (int i = 0; i < last->in * last->out; i++) m->params[last->w + i] = 0.05f * (float)rng_normal(&r);
    m->params[last->b + WM_BREAK_NOW] = -20.0f;
    /* two worlds: a floor, a glass falling onto it, a box; world 0 pushes the box, world 1 does not */
    enum { B = 2, H = WM_EVENT_HORIZON };
    float st[B * TK * SIM_OBS_DIM];
    uint8_t mask[B * TK];
    memset(st, 0, sizeof st);
    memset(mask, 0, sizeof mask);
    for (int b = 0; b < B; b++) {
        float* w = st + (size_t)b * K * SIM_OBS_DIM;
        body_row(w, 0, -0.05f, 0, 0, 0, 0, 4, 0.1f, 0, true);
        body_row(w + SIM_OBS_DIM, 0, 0.5f, 0.3f, 0, -2, 0, 0.08f, 0.12f, 0.5f, false);
        w[SIM_OBS_DIM + SIM_OBS_breakable] = 1;
        w[SIM_OBS_DIM + SIM_OBS_friction] = 0.4f, w[SIM_OBS_DIM + SIM_OBS_elasticity] = 0.4f;   /* glass */
        body_row(w + 2 * SIM_OBS_DIM, 1, 0.05f, 0, 0, 0, 0, 0.1f, 0.1f, 0.5f, false);
        mask[b * K] = mask[b * K + 1] = mask[b * K + 2] = 1;
    }
    float push[B * TK * WM_PUSH_DIM];
    memset(push, 0, sizeof push);
    push[(0 * K + 2) * WM_PUSH_DIM + 0] = 0.4f;
    float fore[B * TK * WM_EVENTS];
    WmScratch* s = wm_scratch_create(m);
    wm_foresee(m, s, B, st, mask, push, fore);
    /* the reference: the same rollout, the pushes at its first tick only */
    float* pushes = calloc((size_t)B * H * K * WM_PUSH_DIM, sizeof(float));
    for (int b = 0; b < B; b++) memcpy(pushes + (size_t)b * H * K * WM_PUSH_DIM, push + (size_t)b * K * WM_PUSH_DIM, sizeof(float) * K * WM_PUSH_DIM);
    float* os = malloc(sizeof(float) * (size_t)B * H * K * SIM_OBS_DIM);
    uint8_t* om = malloc((size_t)B * H * K);
    float* oe = malloc(sizeof(float) * (size_t)B * H * K * WM_EVENTS);
    WmScratch* s2 = wm_scratch_create(m);
    wm_rollout(m, s2, B, st, mask, pushes, H, os, om, oe);
    int above = 0;
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++) {
            const float* f = fore + ((size_t)b * K + k) * WM_EVENTS;
            if (!mask[b * K + k] || k == 0) {   /* empty slots and the static floor */
                CHECK(f[0] == 0 && f[1] == 0 && f[2] == 0);
                continue;
            }
            float want[WM_EVENTS];
            memcpy(want, oe + ((size_t)b * H * K + k) * WM_EVENTS, sizeof want);
            CHECK(f[WM_EVENT_CONTACT] == want[WM_EVENT_CONTACT]);
            for (int h = 1; h < H; h++) {
                CHECK(om[((size_t)b * H + h - 1) * K + k]);   /* nothing shatters */
                const float* e = oe + (((size_t)b * H + h) * K + k) * WM_EVENTS;
                want[WM_EVENT_BREAK] = fmaxf(want[WM_EVENT_BREAK], e[WM_EVENT_BREAK]);
                want[WM_EVENT_FALL] = fmaxf(want[WM_EVENT_FALL], e[WM_EVENT_FALL]);
            }
            CHECK(f[WM_EVENT_BREAK] == want[WM_EVENT_BREAK] && f[WM_EVENT_FALL] == want[WM_EVENT_FALL]);
            const float* e0 = oe + ((size_t)b * H * K + k) * WM_EVENTS;
            above += f[WM_EVENT_BREAK] > e0[WM_EVENT_BREAK] || f[WM_EVENT_FALL] > e0[WM_EVENT_FALL];
        }
    CHECK(above > 0);   /* the imagination says more than the start's heads somewhere */
    /* the rule read off the reference rollout is the same answer; off its first tick alone, the
       start's heads */
    float fr[B * TK * WM_EVENTS];
    wm_foresight(m, B, st, mask, H, om, oe, fr);
    CHECK(memcmp(fr, fore, sizeof fr) == 0);
    float* oe1 = malloc(sizeof(float) * (size_t)B * K * WM_EVENTS);
    uint8_t* om1 = malloc((size_t)B * K);
    for (int b = 0; b < B; b++) {
        memcpy(oe1 + (size_t)b * K * WM_EVENTS, oe + (size_t)b * H * K * WM_EVENTS, sizeof(float) * K * WM_EVENTS);
        memcpy(om1 + (size_t)b * K, om + (size_t)b * H * K, (size_t)K);
    }
    wm_foresight(m, B, st, mask, 1, om1, oe1, fr);
    for (int b = 0; b < B; b++)
        for (int k = 1; k < 3; k++)
            CHECK(memcmp(fr + ((size_t)b * K + k) * WM_EVENTS, oe1 + ((size_t)b * K + k) * WM_EVENTS, sizeof(float) * WM_EVENTS) == 0);
    free(oe1);
    free(om1);
    /* the push enters: the pushed box's foresight differs between the worlds (their rollouts do) */
    CHECK(memcmp(os + ((size_t)0 * H + H - 1) * K * SIM_OBS_DIM + 2 * SIM_OBS_DIM,
                 os + ((size_t)1 * H + H - 1) * K * SIM_OBS_DIM + 2 * SIM_OBS_DIM, sizeof(float) * 2) != 0);
    float fore2[B * TK * WM_EVENTS];
    wm_foresee(m, s, B, st, mask, push, fore2);
    CHECK(memcmp(fore, fore2, sizeof fore) == 0);   /* deterministic, the scratch reused */
    /* a head that says "breaks now" everywhere: the glass shatters in the first tick, its foresight
       of a break is 1; the box cannot break, and its break foresight stays a head's (< 1) */
    m->params[last->b + WM_BREAK_NOW] = 20.0f;
    wm_foresee(m, s, B, st, mask, push, fore);
    for (int b = 0; b < B; b++) {
        CHECK(fore[((size_t)b * K + 1) * WM_EVENTS + WM_EVENT_BREAK] == 1.0f);
        CHECK(fore[((size_t)b * K + 2) * WM_EVENTS + WM_EVENT_BREAK] < 1.0f);
    }
    free(pushes);
    free(os);
    free(om);
    free(oe);
    wm_scratch_free(s);
    wm_scratch_free(s2);
    wm_free(m);
}

/* incremental stepping repeats the bodies whose surroundings did not change and recomputes the
 * others: the same states and event probabilities as stepping everything, tick after tick */
static void test_incremental(void) {
    WmArch a = small_arch();
    a.radius = 0.3f;
    WmModel* m = wm_create(&a, 9);
    Rng r;
    rng_seed(&r, 3);
    /* every output matters (the last layer is zero when fresh), and unpushed bodies are held */
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    for (int i = 0; i < last->in * last->out; i++) m->params[last->w + i] = 0.05f * (float)rng_normal(&r);
    m->params[last->b + WM_REST] = 20.0f;
    for (int c = 0; c < WM_TARGETS; c++) m->tgt.fstd[c] = 1e-3f;   /* corrections of millimetres */
    /* a floor; A alone far left; a chain B - C - D - E, 0.25 m apart, B pushed every tick (in world
     * 0; world 1 pushes nobody, world 2 pushes A at the first tick only) */
    enum { B = 3, K = TK, H = 8 };
    float st[B * K * SIM_OBS_DIM];
    uint8_t mask[B * K];
    memset(st, 0, sizeof st);
    memset(mask, 0, sizeof mask);
    const float xs[6] = {0, -2.0f, 0.5f, 0.75f, 1.0f, 1.25f};
    for (int b = 0; b < B; b++)
        for (int k = 0; k < 6; k++) {
            float* row = st + ((size_t)b * K + k) * SIM_OBS_DIM;
            row[SIM_OBS_x] = xs[k];
            row[SIM_OBS_y] = k == 0 ? -0.05f : 0.05f;
            row[SIM_OBS_cos] = 1;
            row[k == 0 ? SIM_OBS_kind_box : SIM_OBS_kind_ball] = 1;
            row[SIM_OBS_size_w] = k == 0 ? 8.0f : 0.1f;
            row[SIM_OBS_size_h] = k == 0 ? 0.1f : 0.1f;
            row[SIM_OBS_mass] = k == 0 ? 0.0f : 0.3f;
            row[SIM_OBS_friction] = 0.5f;
            row[SIM_OBS_is_static] = k == 0;
            mask[b * K + k] = 1;
        }
    float full[B * K * SIM_OBS_DIM], inc[B * K * SIM_OBS_DIM];
    float ev_full[B * K * WM_EVENTS], ev_inc[B * K * WM_EVENTS];
    memcpy(full, st, sizeof st);
    memcpy(inc, st, sizeof st);
    WmScratch* sf = wm_scratch_create(m);
    WmScratch* si = wm_scratch_create(m);
    wm_scratch_incremental(si, true);
    float push[B * K * WM_PUSH_DIM];
    for (int h = 0; h < H; h++) {
        memset(push, 0, sizeof push);
        push[(0 * K + 2) * WM_PUSH_DIM + 0] = 0.02f;   /* world 0: B, a little to the right */
        if (h == 0) push[(2 * K + 1) * WM_PUSH_DIM + 1] = 0.05f;   /* world 2: A, up, once */
        /* world 1, all at rest and as recorded (its edges are not even packed), loses E at tick
         * 5: D's senders change, and so does what C and B hear */
        if (h == 5) mask[1 * K + 5] = 0;
        wm_predict(m, sf, B, full, mask, push, full, NULL, ev_full);
        wm_predict(m, si, B, inc, mask, push, inc, NULL, ev_inc);
        for (int i = 0; i < B * K * SIM_OBS_DIM; i++) CHECK(fabsf(full[i] - inc[i]) <= 1e-5f * (1 + fabsf(full[i])));
        for (int i = 0; i < B * K * WM_EVENTS; i++) CHECK(fabsf(ev_full[i] - ev_inc[i]) <= 1e-5f);
        /* which bodies were recomputed: nothing at the first tick is known; then world 0's
         * chain up to two edges from B (C, D), world 2's A for the two ticks after its push (the
         * tick it was pushed in, and the one it was stopped in), and nothing else */
        int computed[B][6];
        memset(computed, 0, sizeof computed);
        for (int i = 0; i < si->n; i++)
            if (si->node_row[i] >= 0) computed[si->node_world[i]][si->node_slot[i]] = 1;
        if (h == 0) {
            CHECK(si->nd == B * 5);
            continue;
        }
        for (int b = 0; b < B; b++)
            for (int k = 1; k < 6; k++) {
                bool want = (b == 0 && k >= 2 && k <= 4) || (b == 2 && k == 1 && h <= 2) ||
                            (b == 1 && k >= 2 && k <= 4 && h == 5);
                CHECK(computed[b][k] == want);
            }
    }
    /* the surprise of the tick just stepped, from the step's own pass (the incremental one's
     * reused rows included) against a pass of its own */
    float before[B * K * SIM_OBS_DIM], sur[B * K], sur_last[B * K];
    memcpy(before, inc, sizeof inc);
    wm_predict(m, si, B, inc, mask, NULL, inc, NULL, NULL);
    CHECK(wm_surprise_last(m, si, inc, mask, sur_last));
    wm_surprise(m, sf, B, before, mask, NULL, inc, mask, sur);
    int scored = 0;
    for (int i = 0; i < B * K; i++) {
        CHECK(isnan(sur[i]) == isnan(sur_last[i]));
        if (!isnan(sur[i])) CHECK(fabsf(sur[i] - sur_last[i]) <= 1e-4f * (1 + fabsf(sur[i])));
        scored += !isnan(sur[i]);
    }
    CHECK(scored == B * 5 - 1);
    /* a scratch whose last use was not a step has nothing to score */
    CHECK(!wm_surprise_last(m, sf, inc, mask, sur_last));
    /* B moved (E stood in for D through its recorded messages all along) */
    CHECK(inc[(0 * K + 2) * SIM_OBS_DIM + SIM_OBS_x] > xs[2] + 0.01f);
    /* turning it off forgets: every row is computed again */
    wm_scratch_incremental(si, false);
    wm_predict(m, si, B, inc, mask, NULL, inc, NULL, ev_inc);
    CHECK(si->nd == B * 5 - 1);
    wm_scratch_free(sf);
    wm_scratch_free(si);
    wm_free(m);
}

/* sleeping: a ball at rest sleeps while the ball pushed at it is farther than WM_WAKE_GAP and
 * wakes when it comes nearer, where stepping incrementally without sleep recomputes it at every
 * tick */
static void test_sleep(void) {
    WmArch a = small_arch();
    a.radius = 0.3f;
    WmModel* m = wm_create(&a, 4);
    Rng r;
    rng_seed(&r, 5);
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    for (int i = 0; i < last->in * last->out; i++) m->params[last->w + i] = 0.05f * (float)rng_normal(&r);
    m->params[last->b + WM_REST] = 20.0f;   /* unpushed bodies at rest are held */
    for (int c = 0; c < WM_TARGETS; c++) m->tgt.fstd[c] = 1e-3f;
    enum { B = 150, K = TK };
    float* st = calloc((size_t)B * K * SIM_OBS_DIM, sizeof(float));
    float* alone = calloc((size_t)K * SIM_OBS_DIM, sizeof(float));
    float* push = calloc((size_t)B * K * WM_PUSH_DIM, sizeof(float));
    uint8_t* mask = calloc((size_t)B * K, 1);
    /* a floor, ball A at x = 0 and ball B 0.25 m to its right (a gap of 0.15 m) in every world;
     * each world pushes A to the right by its own amount */
    for (int b = 0; b < B; b++) {
        for (int k = 0; k < 3; k++) {
            float* row = st + ((size_t)b * K + k) * SIM_OBS_DIM;
            row[SIM_OBS_x] = k == 0 ? 0.0f : k == 1 ? 0.0f : 0.25f;
            row[SIM_OBS_y] = k == 0 ? -0.05f : 0.05f;
            row[SIM_OBS_cos] = 1;
            row[k == 0 ? SIM_OBS_kind_box : SIM_OBS_kind_ball] = 1;
            row[SIM_OBS_size_w] = k == 0 ? 8.0f : 0.1f;
            row[SIM_OBS_size_h] = 0.1f;
            row[SIM_OBS_mass] = k == 0 ? 0.0f : 0.3f;
            row[SIM_OBS_friction] = 0.5f;
            row[SIM_OBS_is_static] = k == 0;
            mask[b * K + k] = 1;
        }
        push[((size_t)b * K + 1) * WM_PUSH_DIM + 0] = 0.3f + 0.001f * (float)b;
    }
    WmScratch* s1 = wm_scratch_create(m);
    /* sleeping: world 0 alone, A pushed hard once, stepped incrementally with and without sleep */
    WmScratch* sl = wm_scratch_create(m);
    wm_scratch_incremental(sl, true);
    wm_scratch_incremental(s1, true);
    wm_scratch_sleep(sl, true);
    float w_full[K * SIM_OBS_DIM], w_sleep[K * SIM_OBS_DIM], p0[K * WM_PUSH_DIM];
    memcpy(w_full, st, sizeof w_full);
    memcpy(w_sleep, st, sizeof w_sleep);
    memset(p0, 0, sizeof p0);
    p0[1 * WM_PUSH_DIM + 0] = 0.03f;   /* 0.1 m/s more every tick: the 0.15 m gap closes in ~13 */
    int slept = 0, woke = 0;
    float gap_before = 0.15f;
    for (int h = 0; h < 16; h++) {
        wm_predict(m, s1, 1, w_full, mask, p0, w_full, NULL, NULL);
        wm_predict(m, sl, 1, w_sleep, mask, p0, w_sleep, NULL, NULL);
        /* the gap A - B this step saw (B held still: A's position before the step) */
        float gap = gap_before;
        gap_before = w_sleep[2 * SIM_OBS_DIM + SIM_OBS_x] - w_sleep[1 * SIM_OBS_DIM + SIM_OBS_x] - 0.1f;
        bool b_computed = false, b_computed_full = false;
        for (int i = 0; i < sl->n; i++)
            if (sl->node_slot[i] == 2) b_computed = sl->node_row[i] >= 0;
        for (int i = 0; i < s1->n; i++)
            if (s1->node_slot[i] == 2) b_computed_full = s1->node_row[i] >= 0;
        if (h < 2) continue;   /* B's first steps are computed as it comes to rest */
        /* without sleep B is recomputed every tick A moves within the radius */
        CHECK(b_computed_full);
        if (gap > WM_WAKE_GAP + 0.05f) {
            slept += !b_computed;
            CHECK(!b_computed);
            /* held still either way */
            CHECK(memcmp(w_full + 2 * SIM_OBS_DIM, w_sleep + 2 * SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0);
        }
        if (gap < WM_WAKE_GAP - 0.02f) woke += b_computed;
        if (getenv("TEST_VERBOSE")) fprintf(stderr, "tick %d gap %.4f computed %d (without sleep %d)\n", h, gap, b_computed, b_computed_full);
    }
    CHECK(slept >= 1);
    CHECK(woke >= 1);
    wm_scratch_free(s1);
    wm_scratch_free(sl);
    free(st);
    free(alone);
    free(push);
    free(mask);
    wm_free(m);
}

/* ---- replay buffer ---- */

static void test_replay(void) {
    /* the figure the README and nudge view --help state for the live buffer's memory */
    CHECK(wm_replay_bytes_per_transition(32, SIM_OBS_DIM) == 3176);
    WmReplay* r = wm_replay_create(TK, SIM_OBS_DIM, 100);
    float st[TK * SIM_OBS_DIM] = {0};
    uint8_t mask[TK] = {1, 1, 1}, bits[TK] = {0}, contacts[TK] = {0};
    wm_replay_begin_episode(r);
    for (int t = 0; t < 50; t++) {
        st[SIM_OBS_x] = (float)t;
        memset(bits, 0, TK);
        memset(contacts, 0, TK);
        if (t == 40) bits[2] = WM_BIT_BREAK;
        if (t == 20) contacts[1] = 1;
        wm_replay_add(r, st, mask, contacts, NULL, bits);
    }
    /* 49 links, the newest 30 still wait for their labels */
    CHECK(wm_replay_size(r) == 50);
    CHECK(wm_replay_ready(r) == 19);
    wm_replay_begin_episode(r);
    CHECK(wm_replay_ready(r) == 49);
    WmTransitions t;
    wm_transitions_init(&t, 64, TK, SIM_OBS_DIM, 0);
    int64_t cursor = 0;
    CHECK(wm_replay_sweep(r, &cursor, 64, &t) == 49);
    for (int i = 0; i < t.n; i++) {
        int tick = (int)t.s0[(size_t)i * TK * SIM_OBS_DIM + SIM_OBS_x];
        CHECK(t.s1[(size_t)i * TK * SIM_OBS_DIM + SIM_OBS_x] == (float)(tick + 1));
        /* breaks within the next 30 ticks: ticks 10..39 see the break at 40 */
        float lb = t.labels[((size_t)i * TK + 2) * WM_EVENTS + WM_EVENT_BREAK];
        CHECK(lb == ((tick >= 10 && tick < 40) ? 1.0f : 0.0f));
        float lc = t.labels[((size_t)i * TK + 1) * WM_EVENTS + WM_EVENT_CONTACT];
        CHECK(lc == (tick == 19 ? 1.0f : 0.0f));
    }
    /* bounded: capacity 100 ticks, old ones dropped; links never cross episodes */
    for (int e = 0; e < 10; e++) {
        wm_replay_begin_episode(r);
        for (int k = 0; k < 20; k++) {
            st[SIM_OBS_x] = (float)(1000 * e + k);
            wm_replay_add(r, st, mask, NULL, NULL, NULL);
        }
    }
    wm_replay_begin_episode(r);
    CHECK(wm_replay_size(r) == 100);
    CHECK(wm_replay_ready(r) == 5 * 19);
    Rng rng;
    rng_seed(&rng, 9);
    CHECK(wm_replay_sample(r, &rng, 64, &t));
    for (int i = 0; i < t.n; i++) {
        float x0 = t.s0[(size_t)i * TK * SIM_OBS_DIM], x1 = t.s1[(size_t)i * TK * SIM_OBS_DIM];
        CHECK(x1 == x0 + 1 && x0 >= 5000);
    }
    wm_transitions_free(&t);
    wm_replay_free(r);
}

/* pushforward windows: the start roll ticks before the transition, its pushes on the way, one
 * episode, the same live bodies throughout */
static void test_replay_rolled(void) {
    WmReplay* r = wm_replay_create(TK, SIM_OBS_DIM, 1000);
    float st[TK * SIM_OBS_DIM] = {0}, push[TK * WM_PUSH_DIM] = {0};
    uint8_t mask[TK] = {1, 1, 1};
    for (int e = 0; e < 4; e++) {
        wm_replay_begin_episode(r);
        for (int k = 0; k < 40; k++) {
            st[SIM_OBS_x] = (float)(1000 * e + k);
            push[0] = (float)(1000 * e + k);
            /* episode 3 gains a body at tick 20: windows across it are not allowed */
            mask[3] = e == 3 && k >= 20;
            wm_replay_add(r, st, mask, NULL, push, NULL);
        }
    }
    wm_replay_begin_episode(r);
    WmTransitions t;
    wm_transitions_init(&t, 64, TK, SIM_OBS_DIM, 5);
    Rng rng;
    rng_seed(&rng, 3);
    for (int roll = 1; roll <= 5; roll++) {
        CHECK(wm_replay_sample_rolled(r, &rng, 64, roll, &t));
        CHECK(t.n == 64 && t.roll == roll);
        for (int i = 0; i < t.n; i++) {
            float x0 = t.s0[(size_t)i * TK * SIM_OBS_DIM], x1 = t.s1[(size_t)i * TK * SIM_OBS_DIM];
            int ep = (int)(x0 / 1000);
            CHECK(x1 == x0 + (float)roll + 1 && (int)(x1 / 1000) == ep);
            /* the pushes of the rolled ticks, then the transition's own */
            for (int j = 0; j < roll; j++)
                CHECK(t.roll_push[((size_t)i * t.max_roll + j) * TK * WM_PUSH_DIM] == x0 + (float)j);
            CHECK(t.push[(size_t)i * TK * WM_PUSH_DIM] == x0 + (float)roll);
            /* the same live bodies from the start to the transition */
            float xt = x0 + (float)roll;
            if (ep == 3) CHECK(((int)x0 % 1000 >= 20) == ((int)xt % 1000 >= 20));
            CHECK(memcmp(t.m0 + (size_t)i * TK, t.m1 + (size_t)i * TK, TK) == 0 || (int)xt % 1000 == 19);
        }
    }
    CHECK(!wm_replay_sample_rolled(r, &rng, 64, 6, &t));   /* longer than the batch holds */
    wm_transitions_free(&t);
    wm_replay_free(r);
}
/* the pixel model's replay draws windows with a break ahead (train --kind jepa --break-sample P):
   10 episodes of 40 records, a break at record 20 of episodes 2 and 7, a fall at record 10 of
   episode 4; windows of 2 frames back and 6 ahead (32 per episode, 320 in all) */
static bool jepa_window_breaks(const JepaReplay* r, int64_t s, int ahead) {
    for (int k = 1; k <= ahead; k++)
        if (jepa_replay_marks(r, s + k) & WM_BIT_BREAK) return true;
    return false;
}

static void test_jepa_replay_break_sample(void) {
    enum { EPS = 10, LEN = 40, BACK = 2, AHEAD = 6, N = 20000, BATCH = 20 };
    JepaReplay* r = jepa_replay_create(4, 1000);
    uint8_t frame[4] = {0};
    for (int e = 0; e < EPS; e++) {
        jepa_replay_begin_episode(r);
        for (int t = 0; t < LEN; t++) {
            frame[0] = (uint8_t)t;
            jepa_replay_add(r, frame, NULL, 0);
            if (t == 20 && (e == 2 || e == 7)) jepa_replay_mark(r, WM_BIT_BREAK);
            if (t == 10 && e == 4) jepa_replay_mark(r, WM_BIT_FALL);
        }
    }
    /* the windows with the break among records t + 1 .. t + 6: t = 14 .. 19 of episodes 2 and 7 */
    CHECK(jepa_replay_marked_windows(r, BACK, AHEAD, WM_BIT_BREAK) == 12);
    CHECK(jepa_replay_marked_windows(r, BACK, AHEAD, WM_BIT_FALL) == 6);
    CHECK(jepa_replay_marked_windows(r, BACK, 1, WM_BIT_BREAK) == 2);   /* t = 19 of each */
    CHECK(jepa_replay_marked_windows(r, BACK, AHEAD, WM_BIT_BREAK) == 12);
    /* P = 0: jepa_replay_sample's windows, and the rng left where it leaves it */
    Rng a, b;
    rng_seed(&a, 5), rng_seed(&b, 5);
    int64_t s0[64], s1[64], from = 0;
    CHECK(jepa_replay_sample(r, &a, 64, BACK, AHEAD, s0));
    CHECK(jepa_replay_sample_marked(r, &b, 64, BACK, AHEAD, WM_BIT_BREAK, 0.0, s1, &from));
    CHECK(memcmp(s0, s1, sizeof s0) == 0 && from == 0 && rng_next(&a) == rng_next(&b));
    /* P = 0.25: a window holds a break with probability q = P + (1 - P) 12/320 = 0.278125; over
       N = 20000 windows the share's standard deviation is sqrt(q (1 - q) / N) = 0.0032: within 4 of
       it (0.0127). The windows drawn from the list: P within 4 sqrt(P (1 - P) / N) = 0.0122 */
    for (int pass = 0; pass < 3; pass++) {
        double P = pass == 0 ? 0.25 : pass == 1 ? 1.0 : 0.05;
        rng_seed(&a, 7);
        int64_t breaks = 0, valid = 0;
        from = 0;
        for (int i = 0; i < N / BATCH; i++) {
            CHECK(jepa_replay_sample_marked(r, &a, BATCH, BACK, AHEAD, WM_BIT_BREAK, P, s0, &from));
            for (int k = 0; k < BATCH; k++) {
                valid += jepa_replay_window_ok(r, s0[k], BACK, AHEAD);
                breaks += jepa_window_breaks(r, s0[k], AHEAD);
            }
        }
        double q = P + (1 - P) * 12.0 / 320.0, share = (double)breaks / N, drawn = (double)from / N;
        CHECK(valid == N);
        CHECK(fabs(share - q) <= 4 * sqrt(q * (1 - q) / N));
        CHECK(fabs(drawn - P) <= 4 * sqrt(P * (1 - P) / N));
        if (P == 1.0) CHECK(breaks == N && from == N);
    }
    /* the same seed, the same windows */
    rng_seed(&a, 9), rng_seed(&b, 9);
    CHECK(jepa_replay_sample_marked(r, &a, 64, BACK, AHEAD, WM_BIT_BREAK, 0.5, s0, NULL));
    CHECK(jepa_replay_sample_marked(r, &b, 64, BACK, AHEAD, WM_BIT_BREAK, 0.5, s1, NULL));
    CHECK(memcmp(s0, s1, sizeof s0) == 0);
    /* a new episode with a break: the list is made again */
    jepa_replay_begin_episode(r);
    for (int t = 0; t < LEN; t++) {
        jepa_replay_add(r, frame, NULL, 0);
        if (t == 30) jepa_replay_mark(r, WM_BIT_BREAK | WM_BIT_FALL);
    }
    CHECK(jepa_replay_marked_windows(r, BACK, AHEAD, WM_BIT_BREAK) == 18);
    jepa_replay_free(r);
    /* no marks (the live trainer's replay): every window uniformly, none from the empty list */
    r = jepa_replay_create(4, 1000);
    jepa_replay_begin_episode(r);
    for (int t = 0; t < LEN; t++) jepa_replay_add(r, frame, NULL, 0);
    CHECK(jepa_replay_marked_windows(r, BACK, AHEAD, WM_BIT_BREAK) == 0);
    from = 0;
    rng_seed(&a, 3);
    CHECK(jepa_replay_sample_marked(r, &a, 64, BACK, AHEAD, WM_BIT_BREAK, 0.5, s0, &from));
    CHECK(from == 0);
    for (int k = 0; k < 64; k++) CHECK(jepa_replay_window_ok(r, s0[k], BACK, AHEAD));
    jepa_replay_free(r);
}

/* ---- checkpoints ---- */

static char* slurp(const char* path, size_t* n) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char* p = malloc(*n);
    if (fread(p, 1, *n, f) != *n) *n = 0;
    fclose(f);
    return p;
}

static void spit(const char* path, const char* p, size_t n) {
    FILE* f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

static void test_checkpoint(void) {
    char dir[] = "/tmp/nudge-test-model-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], bad[256], err[512];
    snprintf(path, sizeof path, "%s/m.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    WmArch a = small_arch();
    WmModel* m = wm_create(&a, 11);
    float rows[2 * WM_NODE_NORM];
    for (int i = 0; i < 2 * WM_NODE_NORM; i++) rows[i] = (float)i;
    wm_norm_update(&m->nin, 2, rows);
    CHECK(wm_save(m, path, err, sizeof err));
    WmModel* l = wm_load(path, err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK(wm_param_count(l) == wm_param_count(m));
        CHECK(memcmp(l->params, m->params, sizeof(float) * (size_t)m->nparams) == 0);
        CHECK(memcmp(l->nin.fmean, m->nin.fmean, sizeof(float) * WM_NODE_NORM) == 0);
        CHECK(memcmp(wm_arch(l), wm_arch(m), sizeof(WmArch)) == 0);
        wm_free(l);
    }
    size_t n = 0;
    char* bytes = slurp(path, &n);
    CHECK(n > 100);
    /* truncated */
    spit(bad, bytes, n / 2);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "truncated"));
    spit(bad, bytes, 20);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "truncated"));
    /* corrupted */
    bytes[n / 2] ^= 0x40;
    spit(bad, bytes, n);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "corrupted"));
    bytes[n / 2] ^= 0x40;
    /* foreign file */
    spit(bad, "hello world, not a model at all......................................................", 80);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "not a nudge model"));
    /* another format version */
    char version = bytes[8];
    bytes[8] = 7;
    spit(bad, bytes, n);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "version 7"));
    /* an older one: its inputs differ, retrain */
    bytes[8] = 1;
    spit(bad, bytes, n);
    CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "version 1") && strstr(err, "retrain"));
    bytes[8] = version;
    /* intact, but made for other inputs (another node feature count, a valid checksum) */
    {
        int32_t nf;
        memcpy(&nf, bytes + 48, 4);
        CHECK(nf == WM_NODE_FEATS);
        int32_t other = nf - 1;
        memcpy(bytes + 48, &other, 4);
        uint32_t crc = crc32_update(0, (const unsigned char*)bytes, n - 4);
        memcpy(bytes + n - 4, &crc, 4);
        spit(bad, bytes, n);
        CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "inputs") && strstr(err, "retrain"));
        memcpy(bytes + 48, &nf, 4);
        crc = crc32_update(0, (const unsigned char*)bytes, n - 4);
        memcpy(bytes + n - 4, &crc, 4);
    }
    /* missing */
    CHECK(wm_load("/nonexistent/m.bin", err, sizeof err) == NULL && strstr(err, "cannot open"));
    /* intact again */
    spit(bad, bytes, n);
    WmModel* again = wm_load(bad, err, sizeof err);
    CHECK(again != NULL);
    wm_free(again);
    /* non-finite numbers behind a valid CRC (a diverged run, an altered file): refused with one line.
       The parameters end the file before its CRC; the target statistics' sums of squares end just
       before the parameters */
    size_t params_at = n - 4 - sizeof(float) * (size_t)m->nparams;
    const struct {
        size_t      at;
        double      value;
        bool        f64;
        const char* want;
    } poisons[] = {
        {params_at + 4 * 7, NAN, false, "non-finite weights"},
        {n - 8, INFINITY, false, "non-finite weights"},
        {params_at - 8, NAN, true, "target statistics"},
        {params_at - 8, -1.0, true, "target statistics"},
    };
    for (size_t i = 0; i < sizeof poisons / sizeof poisons[0]; i++) {
        char* copy = malloc(n);
        memcpy(copy, bytes, n);
        if (poisons[i].f64) memcpy(copy + poisons[i].at, &poisons[i].value, 8);
        else memcpy(copy + poisons[i].at, &(float){(float)poisons[i].value}, 4);
        uint32_t crc = crc32_update(0, copy, n - 4);
        memcpy(copy + n - 4, &crc, 4);
        spit(bad, copy, n);
        CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, poisons[i].want) && strstr(err, "bad.bin"));
        free(copy);
    }
    /* an architecture this nudge cannot build says what is wrong, not "out of memory" */
    WmArch wide = small_arch();
    wide.latent = 0;
    CHECK(!wm_arch_check(&wide, err, sizeof err) && strstr(err, "latent width 0"));
    wide = small_arch();
    wide.dt = 20;
    CHECK(!wm_arch_check(&wide, err, sizeof err) && strstr(err, "control tick 20"));
    WmTrainerDef td = wm_trainer_def_default(TK);
    td.arch.slots = 5000;
    CHECK(!wm_trainer_def_check(&td, NULL, err, sizeof err) && strstr(err, "slots 5000"));
    CHECK(wm_trainer_create(&td, NULL) == NULL);
    td = wm_trainer_def_default(TK);
    td.capacity = 1;
    CHECK(!wm_trainer_def_check(&td, NULL, err, sizeof err) && strstr(err, "replay buffer of 1"));
    free(bytes);
    wm_free(m);
    unlink(path);
    unlink(bad);
    rmdir(dir);
}

/* ---- the options of later models (arch.inputs, arch.rest_gate) ---- */

/* a model whose outputs all depend on its inputs: the last layer random instead of zero */
static WmModel* options_model(int inputs, float rest_gate, uint64_t seed) {
    WmArch a = small_arch();
    a.radius = 0.3f;
    a.inputs = inputs;
    a.rest_gate = rest_gate;
    WmModel* m = wm_create(&a, seed);
    Rng r;
    rng_seed(&r, seed);
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    for (int i = 0; i < last->in * last->out; i++) m->params[last->w + i] = 0.05f * (float)rng_normal(&r);
    /* and no body is held still by the rest head */
    m->params[last->b + WM_REST] = -20.0f;
    return m;
}

/* a floor (slot 0) and a box of mass kg resting on it (slot 1), its bottom 1 mm above the floor */
static void resting_box(float* st, uint8_t* mask, float mass) {
    memset(st, 0, sizeof(float) * TK * SIM_OBS_DIM);
    memset(mask, 0, TK);
    body_row(st, 0, -0.05f, 0, 0, 0, 0, 4.0f, 0.1f, 0, true);
    body_row(st + SIM_OBS_DIM, 0.2f, 0.051f, 0, 0, 0, 0, 0.1f, 0.1f, mass, false);
    mask[0] = mask[1] = 1;
}

/* m, saved and loaded again, has the same architecture and parameters and predicts the same bytes
   for the scene (st, mask) on the scratch s */
static void check_reload_predicts_same(const WmModel* m, WmScratch* s, const float* st, const uint8_t* mask) {
    float out[TK * SIM_OBS_DIM], out2[TK * SIM_OBS_DIM];
    wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
    char dir[] = "/tmp/nudge-test-reload-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/m.wm", dir);
    CHECK(wm_save(m, path, err, sizeof err));
    WmModel* l = wm_load(path, err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK(memcmp(wm_arch(l), wm_arch(m), sizeof(WmArch)) == 0);
        CHECK(l->nparams == m->nparams && memcmp(l->params, m->params, sizeof(float) * (size_t)m->nparams) == 0);
        wm_predict(l, s, 1, st, mask, NULL, out2, NULL, NULL);
        CHECK(memcmp(out, out2, sizeof out) == 0);
        wm_free(l);
    }
    unlink(path);
    rmdir(dir);
}

static void test_wm_options(void) {
    char dir[] = "/tmp/nudge-test-options-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/m.wm", dir);
    float st[TK * SIM_OBS_DIM], st2[TK * SIM_OBS_DIM], out[TK * SIM_OBS_DIM], out2[TK * SIM_OBS_DIM];
    uint8_t mask[TK];

    /* clipping: masses beyond the range training saw predict as its largest; without the option
     * they are extrapolated */
    for (int clip = 0; clip < 2; clip++) {
        WmModel* m = options_model(clip ? WM_INPUT_CLIP : 0, 0.5f, 22);
        WmScratch* s = wm_scratch_create(m);
        /* the statistics of a few boxes of 0.2 .. 0.8 kg on the floor */
        for (int i = 0; i < 4; i++) {
            resting_box(st, mask, 0.2f + 0.2f * (float)i);
            st[SIM_OBS_DIM + SIM_OBS_vx] = 0.1f * (float)i;
            wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
            wm_norm_update(&m->nin, s->nd, s->xraw);
            wm_norm_update(&m->ein, s->ne, s->eraw);
        }
        CHECK(fabsf(m->nin.hi[13] - logf(0.8f)) < 1e-6f && fabsf(m->nin.lo[13] - logf(0.2f)) < 1e-6f);
        resting_box(st, mask, 8.0f);
        resting_box(st2, mask, 80.0f);
        wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
        wm_predict(m, s, 1, st2, mask, NULL, out2, NULL, NULL);
        bool same = memcmp(out + SIM_OBS_DIM, out2 + SIM_OBS_DIM, sizeof(float) * 7) == 0;
        CHECK(same == (clip == 1));
        /* and the options survive a checkpoint: version 3 with the state kind, the ranges kept */
        CHECK(wm_save(m, path, err, sizeof err));
        size_t n = 0;
        char* bytes = slurp(path, &n);
        uint32_t version, kind;
        memcpy(&version, bytes + 8, 4);
        memcpy(&kind, bytes + 12, 4);
        CHECK(version == (clip ? 3u : 2u));
        CHECK(!clip || kind == MODEL_KIND_STATE);
        CHECK(model_file_kind(path, err, sizeof err) == MODEL_KIND_STATE);
        WmModel* l = wm_load(path, err, sizeof err);
        CHECK(l != NULL);
        if (l) {
            CHECK(memcmp(wm_arch(l), wm_arch(m), sizeof(WmArch)) == 0);
            if (clip) CHECK(memcmp(l->nin.hi, m->nin.hi, sizeof(float) * WM_NODE_NORM) == 0);
            wm_predict(l, s, 1, st2, mask, NULL, out, NULL, NULL);
            CHECK(memcmp(out, out2, sizeof out) == 0);
            wm_free(l);
        }
        if (clip) {
            /* a range that is not one (a NaN, lo above hi) behind a valid CRC is refused */
            size_t at = 8 + 4 + 4 + 4 + 6 * 4 + 2 * 4 + 3 * 4 + 8 + 8 + 4 + 4 + 4 + 4 + 4 + 8 + 2 * 8 * WM_NODE_NORM;
            memcpy(bytes + at, &(float){NAN}, 4);
            uint32_t crc = crc32_update(0, (const unsigned char*)bytes, n - 4);
            memcpy(bytes + n - 4, &crc, 4);
            spit(path, bytes, n);
            CHECK(wm_load(path, err, sizeof err) == NULL && strstr(err, "node input statistics") && strstr(err, "range"));
        }
        free(bytes);
        wm_scratch_free(s);
        wm_free(m);
    }

    /* the rest gate: a resting, unpushed body whose rest head says P = 0.27 is held by a gate of
     * 0.1 and moves (the velocity head says fall) at the default 0.5; a moving body is never held
     * below P = 0.5 */
    for (int g = 0; g < 2; g++) {
        WmModel* m = options_model(0, g ? 0.1f : 0.5f, 23);
        const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
        memset(m->params + last->w, 0, sizeof(float) * (size_t)last->in * last->out);
        m->params[last->b + WM_REST] = -1.0f;
        m->params[last->b + WM_DV + 1] = -1.0f;
        WmScratch* s = wm_scratch_create(m);
        resting_box(st, mask, 0.5f);
        memcpy(st2, st, sizeof st);
        st2[SIM_OBS_DIM + SIM_OBS_vx] = 0.5f;
        wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
        wm_predict(m, s, 1, st2, mask, NULL, out2, NULL, NULL);
        bool held = memcmp(out + SIM_OBS_DIM, st + SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0;
        CHECK(held == (g == 1));
        CHECK(out2[SIM_OBS_DIM + SIM_OBS_vy] < 0);
        wm_scratch_free(s);
        wm_free(m);
    }
    /* the release option: the same gate of 0.1 holds the box 1 mm above the floor (within
     * WM_SUPPORT_GAP) with and without it, and the box 5 mm above only without it: with it, the box
     * nothing supports falls (the velocity head) whatever the rest head says; the option survives a
     * checkpoint */
    for (int rel = 0; rel < 2; rel++) {
        WmModel* m = options_model(rel ? WM_INPUT_RELEASE : 0, 0.1f, 25);
        const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
        memset(m->params + last->w, 0, sizeof(float) * (size_t)last->in * last->out);
        m->params[last->b + WM_REST] = -1.0f;
        m->params[last->b + WM_DV + 1] = -1.0f;
        WmScratch* s = wm_scratch_create(m);
        resting_box(st, mask, 0.5f);
        memcpy(st2, st, sizeof st);
        st2[SIM_OBS_DIM + SIM_OBS_y] += 0.004f;
        wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
        CHECK(memcmp(out + SIM_OBS_DIM, st + SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0);
        wm_predict(m, s, 1, st2, mask, NULL, out2, NULL, NULL);
        bool held = memcmp(out2 + SIM_OBS_DIM, st2 + SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0;
        CHECK(held == (rel == 0));
        CHECK(rel == 0 || (out2[SIM_OBS_DIM + SIM_OBS_vy] < 0 && out2[SIM_OBS_DIM + SIM_OBS_y] < st2[SIM_OBS_DIM + SIM_OBS_y]));
        CHECK(wm_save(m, path, err, sizeof err));
        WmModel* l = wm_load(path, err, sizeof err);
        CHECK(l != NULL);
        if (l) {
            CHECK(wm_arch(l)->inputs == (rel ? WM_INPUT_RELEASE : 0));
            wm_predict(l, s, 1, st2, mask, NULL, out, NULL, NULL);
            CHECK(memcmp(out, out2, sizeof out) == 0);
            wm_free(l);
        }
        wm_scratch_free(s);
        wm_free(m);
    }
    /* support inputs: a box on a 1 m table (x -0.5 .. 0.5) at x = 0.2 sees 0.7 m of table to its
     * left (along t = (-ny, nx) = (-1, 0)) and 0.3 m to its right; at x = 0.45, 0.95 and 0.05; a
     * floor's 4 m is capped at WM_SUPPORT_CAP. The features survive a checkpoint */
    {
        WmModel* m = options_model(WM_INPUT_SUPPORT, 0.5f, 24);
        CHECK(wm_edge_feats(wm_arch(m)) == WM_EDGE_FEATS + 2 && m->ein.dim == WM_EDGE_FEATS + 2);
        WmScratch* s = wm_scratch_create(m);
        float want[3][2] = {{0.7f, 0.3f}, {0.95f, 0.05f}, {WM_SUPPORT_CAP, WM_SUPPORT_CAP}};
        float at[3] = {0.2f, 0.45f, 0.2f};
        for (int c = 0; c < 3; c++) {
            resting_box(st, mask, 0.5f);
            if (c < 2) st[SIM_OBS_size_w] = 1.0f;
            st[SIM_OBS_DIM + SIM_OBS_x] = at[c];
            wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
            CHECK(s->ne == 1);
            const float* f = s->eraw;
            CHECK(fabsf(f[WM_EDGE_FEATS] - want[c][0]) < 1e-5f && fabsf(f[WM_EDGE_FEATS + 1] - want[c][1]) < 1e-5f);
            CHECK(f[19] == 1.0f && fabsf(f[4] - 1.0f) < 1e-6f);
            wm_norm_update(&m->ein, s->ne, s->eraw);
        }
        resting_box(st, mask, 0.5f);
        check_reload_predicts_same(m, s, st, mask);
        wm_scratch_free(s);
        wm_free(m);
    }
    WmArch a = small_arch();
    a.rest_gate = 1.0f;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "rest gate 1"));
    a = small_arch();
    a.inputs = 4194304;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "input options 0x400000"));
    a.inputs = WM_INPUT_PRIOR_GATE;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "collision gate (input option 0x200) needs the collision prior"));
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_GATE;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "collision gate (input option 0x200) needs the collision prior"));
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_GATE;
    CHECK(wm_arch_check(&a, err, sizeof err));
    a.inputs = WM_INPUT_PRIOR_STATIC;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "needs the collision inputs"));
    a.inputs = WM_INPUT_PRIOR_OUT;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "needs the collision inputs"));
    unlink(path);
    rmdir(dir);
}

/* ---- the learning-rate schedule (nudge train --lr-decay, --lr-floor) ---- */

static void test_lr_schedule(void) {
    /* no decay: the rate throughout */
    for (int64_t t = 0; t < 100; t++) CHECK(wm_lr_schedule(1e-3f, t, 100, 0.0f, 0.1f) == 1e-3f);
    /* the last half of 100 steps: constant to step 49, then a half cosine from the rate down
     * towards a tenth of it (halfway at step 75), never increasing, never below the floor */
    float prev = 1.0f;
    for (int64_t t = 0; t < 100; t++) {
        float r = wm_lr_schedule(1.0f, t, 100, 0.5f, 0.1f);
        if (t <= 50) CHECK(r == 1.0f);
        CHECK(r <= prev && r > 0.1f);
        prev = r;
    }
    CHECK(fabsf(wm_lr_schedule(1.0f, 75, 100, 0.5f, 0.1f) - 0.55f) < 1e-6f);
    CHECK(wm_lr_schedule(1.0f, 99, 100, 0.5f, 0.1f) < 0.11f);
    /* the whole run, to a floor of 0 */
    CHECK(wm_lr_schedule(2.0f, 0, 10, 1.0f, 0.0f) == 2.0f);
    CHECK(fabsf(wm_lr_schedule(2.0f, 5, 10, 1.0f, 0.0f) - 1.0f) < 1e-6f);
    CHECK(wm_lr_schedule(2.0f, 9, 10, 1.0f, 0.0f) > 0.0f);
}

/* ---- the impact release (arch.inputs WM_INPUT_IMPACT, arch.release_impact) ---- */

/* a gate-0.1 model whose every body has P(at rest next tick) = 0.27 (held when at rest) and whose
 * velocity head says fall; with the option (v > 0) bodies hit faster than v m/s are released */
static WmModel* impact_model(int inputs, float v) {
    WmArch a = small_arch();
    a.radius = 0.3f;
    a.rest_gate = 0.1f;
    a.inputs = inputs | (v > 0 ? WM_INPUT_IMPACT : 0);
    a.release_impact = v;
    WmModel* m = wm_create(&a, 26);
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    memset(m->params + last->w, 0, sizeof(float) * (size_t)last->in * last->out);
    m->params[last->b + WM_REST] = -1.0f;
    m->params[last->b + WM_DV + 1] = -1.0f;
    return m;
}

/* slot 2: a ball of 0.1 m whose bottom is gap above y_top at x, moving at vy */
static void ball_above(float* st, uint8_t* mask, float x, float y_top, float gap, float vy) {
    float* b = st + 2 * SIM_OBS_DIM;
    body_row(b, x, y_top + gap + 0.05f, 0, 0, vy, 0, 0.1f, 0.1f, 4.0f, false);
    b[SIM_OBS_kind_box] = 0;
    b[SIM_OBS_kind_ball] = 1;
    mask[2] = 1;
}

static bool row_held(const float* out, const float* st, int k) {
    return memcmp(out + k * SIM_OBS_DIM, st + k * SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0;
}

static void test_wm_release_impact(void) {
    float st[TK * SIM_OBS_DIM], out[TK * SIM_OBS_DIM], out2[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    /* a box resting on the floor (its top at y = 0.101) and a ball above it: (gap m, ball's vy m/s,
     * released by a rule of 0.2 m/s) */
    const struct {
        float gap, vy;
        bool released;
    } cases[] = {
        {0.010f, -1.0f, true},   /* closes 1 cm at 1 m/s within the tick (1.7 cm) */
        {0.001f, -0.1f, false},  /* touching, but closing below 0.2 m/s */
        {0.050f, -1.0f, false},  /* 5 cm away: not reached within the tick */
        {0.010f, 1.0f, false},   /* moving away */
        {0.001f, -0.25f, true},  /* touching, just above 0.2 m/s */
    };
    for (int on = 0; on < 2; on++) {
        WmModel* m = impact_model(0, on ? 0.2f : 0.0f);
        WmScratch* s = wm_scratch_create(m);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            resting_box(st, mask, 0.5f);
            ball_above(st, mask, 0.2f, 0.101f, cases[c].gap, cases[c].vy);
            wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
            CHECK(row_held(out, st, 1) == !(on && cases[c].released));
            /* the ball itself moves (the gate holds a moving body only above P = 1/2) */
            CHECK(!row_held(out, st, 2));
            /* with a mask, as rollouts step */
            uint8_t nmask[TK];
            wm_predict(m, s, 1, st, mask, NULL, out2, nmask, NULL);
            CHECK(memcmp(out, out2, sizeof out) == 0);
        }
        /* a 1.6 m plank on the floor and the ball 10 cm above its end at 1 m/s: seen from the
         * plank's centre the ball is nearer than touching (a negative gap) and closing at about
         * 0.23 m/s, but the pair is judged by the ball's edge (10 cm, 1 m/s: not within a tick),
         * so the plank is held; 1 cm above, it is released */
        for (int near = 0; near < 2; near++) {
            resting_box(st, mask, 0.5f);
            body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
            ball_above(st, mask, 0.75f, 0.051f, near ? 0.01f : 0.10f, -1.0f);
            if (on && !near) {
                wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
                size_t G = (size_t)wm_edge_feats(wm_arch(m));
                bool seen = false;
                for (int e = 0; e < s->ne; e++) {
                    const float* f = s->eraw + (size_t)e * G;
                    if (s->node_slot[s->row_node[s->recv[e]]] == 1 && s->node_slot[s->send[e]] == 2)
                        seen = f[WM_EDGE_GAP] < 0 && f[WM_EDGE_CLOSING] > 0.2f;
                }
                CHECK(seen);
            }
            wm_predict(m, s, 1, st, mask, NULL, out, NULL, NULL);
            CHECK(row_held(out, st, 1) == !(on && near));
        }
        /* rolled out: the ball falling from 1 cm above the box releases it at the first tick,
         * stepping incrementally as rollouts do */
        resting_box(st, mask, 0.5f);
        ball_above(st, mask, 0.2f, 0.101f, 0.01f, -1.0f);
        float roll[3 * TK * SIM_OBS_DIM];
        wm_rollout(m, s, 1, st, mask, NULL, 3, roll, NULL, NULL);
        CHECK(row_held(roll, st, 1) == !on);
        wm_scratch_free(s);
        wm_free(m);
    }

    /* WM_INPUT_PAIR: the plank's edge from the ball 1 cm over its end carries the ball's edge's gap
     * (1 cm: contact scale exp(-2), 1 after clamping) and closing speed (1 m/s), not its own negative
     * gap; the edges from the floor repeat their own; the features survive a checkpoint */
    {
        WmModel* m = impact_model(WM_INPUT_PAIR, 0.0f);
        CHECK(wm_edge_feats(wm_arch(m)) == WM_EDGE_FEATS + WM_EDGE_PAIR && m->ein.dim == WM_EDGE_FEATS + WM_EDGE_PAIR);
        WmScratch* s = wm_scratch_create(m);
        resting_box(st, mask, 0.5f);
        body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
        ball_above(st, mask, 0.75f, 0.051f, 0.01f, -1.0f);
        wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
        size_t G = (size_t)wm_edge_feats(wm_arch(m)), at = (size_t)wm_edge_pair_at(wm_arch(m));
        int checked = 0;
        for (int e = 0; e < s->ne; e++) {
            const float* f = s->eraw + (size_t)e * G;
            int ks = s->node_slot[s->row_node[s->recv[e]]], kj = s->node_slot[s->send[e]];
            if (kj == 0) {
                CHECK(f[at + 1] == fminf(fmaxf(f[WM_EDGE_GAP] / 0.01f, -1.0f), 1.0f) && f[at + 2] == f[WM_EDGE_CLOSING]);
                checked++;
            } else {
                CHECK(fabsf(f[at + 0] - expf(-2.0f)) < 1e-3f && fabsf(f[at + 1] - 1.0f) < 1e-3f &&
                      fabsf(f[at + 2] - 1.0f) < 1e-5f);
                if (ks == 1) CHECK(f[WM_EDGE_GAP] < 0.0f);
                checked++;
            }
        }
        CHECK(checked == 4);
        wm_norm_update(&m->ein, s->ne, s->eraw);
        check_reload_predicts_same(m, s, st, mask);
        wm_scratch_free(s);
        wm_free(m);
    }

    /* the checkpoint: the threshold follows rest_gate (4 bytes) only with the option; the same
     * weights without it are the bytes of a release-only model, as before the option existed */
    char dir[] = "/tmp/nudge-test-impact-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], path2[256], err[512];
    snprintf(path, sizeof path, "%s/a.wm", dir);
    snprintf(path2, sizeof path2, "%s/b.wm", dir);
    WmModel* m = impact_model(WM_INPUT_RELEASE, 0.0f);
    WmModel* mi = impact_model(WM_INPUT_RELEASE, 0.3f);
    CHECK(m->nparams == mi->nparams);
    memcpy(mi->params, m->params, sizeof(float) * (size_t)m->nparams);
    CHECK(wm_save(m, path, err, sizeof err) && wm_save(mi, path2, err, sizeof err));
    size_t n = 0, n2 = 0;
    char* a = slurp(path, &n);
    char* b = slurp(path2, &n2);
    size_t at = 8 + 4 + 4 + 4 + 6 * 4 + 2 * 4 + 3 * 4 + 8 + 8 + 4 + 4; /* the inputs field */
    int32_t in_a, in_b;
    float v;
    memcpy(&in_a, a + at, 4);
    memcpy(&in_b, b + at, 4);
    memcpy(&v, b + at + 8, 4);
    CHECK(n2 == n + 4 && in_a == WM_INPUT_RELEASE && in_b == (WM_INPUT_RELEASE | WM_INPUT_IMPACT) && v == 0.3f);
    CHECK(memcmp(a, b, at) == 0 && memcmp(a + at + 4, b + at + 4, 4) == 0);
    CHECK(memcmp(a + at + 8, b + at + 12, n - at - 12) == 0);
    WmModel* l = wm_load(path2, err, sizeof err);
    CHECK(l != NULL);
    if (l) {
        CHECK(memcmp(wm_arch(l), wm_arch(mi), sizeof(WmArch)) == 0 && wm_arch(l)->release_impact == 0.3f);
        WmScratch* s = wm_scratch_create(l);
        resting_box(st, mask, 0.5f);
        ball_above(st, mask, 0.2f, 0.101f, 0.01f, -1.0f);
        wm_predict(l, s, 1, st, mask, NULL, out, NULL, NULL);
        CHECK(!row_held(out, st, 1));
        wm_scratch_free(s);
        wm_free(l);
    }
    /* a threshold out of range behind a valid CRC is refused with one line */
    memcpy(b + at + 8, &(float){NAN}, 4);
    uint32_t crc = crc32_update(0, (const unsigned char*)b, n2 - 4);
    memcpy(b + n2 - 4, &crc, 4);
    spit(path2, b, n2);
    CHECK(wm_load(path2, err, sizeof err) == NULL && strstr(err, "impact release speed") && !strchr(err, '\n'));
    free(a);
    free(b);
    wm_free(m);
    wm_free(mi);
    WmArch ar = small_arch();
    ar.inputs = WM_INPUT_IMPACT;
    CHECK(!wm_arch_check(&ar, err, sizeof err) && strstr(err, "impact release speed 0"));
    ar.release_impact = 200.0f;
    CHECK(!wm_arch_check(&ar, err, sizeof err) && strstr(err, "impact release speed 200"));
    ar.inputs = 0;
    ar.release_impact = 0.3f;
    CHECK(!wm_arch_check(&ar, err, sizeof err) && strstr(err, "option is off"));
    ar.inputs = WM_INPUT_IMPACT;
    CHECK(wm_arch_check(&ar, err, sizeof err));
    unlink(path);
    unlink(path2);
    rmdir(dir);
}

/* WM_INPUT_PRIOR (--collision-inputs): a 4 kg ball 1 cm above the right end of a 2 kg, 1.6 m plank,
 * falling at 1 m/s, closes to touching within the tick (1.67 cm): both edges carry the impulse of a
 * frictionless collision at the contact (judged on the ball's edge, the larger gap), the ball's as
 * its lift, the plank's as its push down and clockwise turn, momentum conserved, and the share of
 * the tick left (0.4); 10 cm above, nothing; the floor's edges nothing; a checkpoint keeps it */
static void test_wm_collision_inputs(void) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    WmModel* m = impact_model(WM_INPUT_PRIOR, 0.0f);
    CHECK(wm_edge_feats(wm_arch(m)) == WM_EDGE_FEATS + WM_EDGE_PRIOR && m->ein.dim == WM_EDGE_FEATS + WM_EDGE_PRIOR);
    WmScratch* s = wm_scratch_create(m);
    size_t G = (size_t)wm_edge_feats(wm_arch(m)), at = (size_t)wm_edge_prior_at(wm_arch(m));
    float ip = 2.0f * (1.6f * 1.6f + 0.05f * 0.05f) / 12.0f;
    float j = (1.0f + 0.2f * 0.2f) * 1.0f / (1.0f / 4.0f + 1.0f / 2.0f + 0.75f * 0.75f / ip);
    for (int near = 1; near >= 0; near--) {
        resting_box(st, mask, 0.5f);
        body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
        ball_above(st, mask, 0.75f, 0.051f, near ? 0.01f : 0.10f, -1.0f);
        wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
        int checked = 0;
        for (int e = 0; e < s->ne; e++) {
            const float* f = s->eraw + (size_t)e * G + at;
            int ks = s->node_slot[s->row_node[s->recv[e]]], kj = s->node_slot[s->send[e]];
            if (kj == 0 || !near) {
                CHECK(f[0] == 0.0f && f[1] == 0.0f && f[2] == 0.0f && f[3] == 0.0f);
            } else if (ks == 2) {
                CHECK(fabsf(f[0] - 0.4f) < 1e-3f && fabsf(f[1]) < 1e-6f && fabsf(f[2] - j / 4.0f) < 1e-4f &&
                      fabsf(f[3]) < 1e-4f);
            } else {
                CHECK(ks == 1 && fabsf(f[0] - 0.4f) < 1e-3f && fabsf(f[1]) < 1e-6f && fabsf(f[2] + j / 2.0f) < 1e-4f &&
                      fabsf(f[3] + j * 0.75f / ip) < 1e-3f);
            }
            checked++;
        }
        CHECK(checked == 4);
    }
    /* the closing speed is the surfaces' at the contact, turning included: the ball at rest 1 cm above
     * the plank's end, the plank turning anticlockwise at 2 rad/s (its end rising at 1.5 m/s): a
     * collision; turning clockwise, or the ball falling at 1 m/s onto an end sinking at 1.5 m/s: none */
    const struct {
        float vy, om;
        bool hit;
    } turns[] = {{0.0f, 2.0f, true}, {0.0f, -2.0f, false}, {-1.0f, -2.0f, false}};
    for (size_t c = 0; c < sizeof turns / sizeof turns[0]; c++) {
        resting_box(st, mask, 0.5f);
        body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, turns[c].om, 1.6f, 0.05f, 2.0f, false);
        ball_above(st, mask, 0.75f, 0.051f, 0.01f, turns[c].vy);
        wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
        int fired = 0;
        for (int e = 0; e < s->ne; e++) fired += s->eraw[(size_t)e * G + at + 2] != 0.0f;
        CHECK(fired == (turns[c].hit ? 2 : 0));
    }
    /* WM_INPUT_PRIOR_STATIC: the box falling at 1 m/s 1.1 cm above the floor (its bottom's centre over
     * the floor: no turn) carries the floor's collision, (1 + e) 1 m/s up, and the share 0.34; the
     * ball's and plank's edges as before; without the option the floor's edge carries nothing */
    {
        WmModel* ms = impact_model(WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC, 0.0f);
        WmScratch* ss = wm_scratch_create(ms);
        for (int on = 0; on < 2; on++) {
            resting_box(st, mask, 0.5f);
            float* box = st + SIM_OBS_DIM;
            box[SIM_OBS_y] += 0.01f;
            box[SIM_OBS_vy] = -1.0f;
            WmModel* mm = on ? ms : m;
            WmScratch* sc = on ? ss : s;
            wm_pack(mm, sc, 1, st, mask, NULL, NULL, 0, 0);
            CHECK(sc->ne == 1);
            const float* f = sc->eraw + at;
            if (on)
                CHECK(fabsf(f[0] - 0.34f) < 1e-3f && fabsf(f[1]) < 1e-6f && fabsf(f[2] - 1.04f) < 1e-4f && fabsf(f[3]) < 1e-4f);
            else
                CHECK(f[0] == 0.0f && f[1] == 0.0f && f[2] == 0.0f && f[3] == 0.0f);
        }
        wm_scratch_free(ss);
        wm_free(ms);
    }
    /* WM_INPUT_PRIOR_OUT: the same weights predict each row's velocity change plus its edges' collision
     * velocity changes (the plank's and the ball's; the floor adds none) */
    {
        WmModel* mo = impact_model(WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT, 0.0f);
        CHECK(mo->nparams == m->nparams);
        memcpy(mo->params, m->params, sizeof(float) * (size_t)m->nparams);
        WmScratch* so = wm_scratch_create(mo);
        resting_box(st, mask, 0.5f);
        body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
        ball_above(st, mask, 0.75f, 0.051f, 0.01f, -1.0f);
        CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0) && wm_pack(mo, so, 1, st, mask, NULL, NULL, 0, 0));
        wm_features_normalize(m, s);
        wm_forward(m, s);
        wm_features_normalize(mo, so);
        wm_forward(mo, so);
        CHECK(s->nd == 2 && so->nd == 2);
        float add[2][3] = {{0}};
        for (int e = 0; e < s->ne; e++)
            for (int c = 0; c < 3; c++) add[s->recv[e]][c] += s->eraw[(size_t)e * G + at + 1 + c] / m->tgt.fstd[WM_DV + c];
        for (int r = 0; r < 2; r++) {
            int k = s->node_slot[s->row_node[r]];
            for (int c = 0; c < WM_OUTPUTS; c++) {
                float a0 = s->out[r * WM_OUTPUTS + c], a1 = so->out[r * WM_OUTPUTS + c];
                float want = c >= WM_DV && c < WM_DV + 3 ? add[r][c - WM_DV] : 0.0f;
                CHECK(fabsf(a1 - (a0 + want)) <= 1e-5f * (1.0f + fabsf(want)));
            }
            /* the plank turns clockwise, the ball is lifted */
            CHECK(k == 1 ? add[r][2] < -0.5f : add[r][1] > 0.1f);
        }
        wm_scratch_free(so);
        wm_free(mo);
    }
    /* the same through a checkpoint */
    resting_box(st, mask, 0.5f);
    body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
    ball_above(st, mask, 0.75f, 0.051f, 0.01f, -1.0f);
    wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0);
    wm_norm_update(&m->ein, s->ne, s->eraw);
    check_reload_predicts_same(m, s, st, mask);
    wm_scratch_free(s);
    wm_free(m);
}

/* the summed collision change (dvx, dvy, domega) of every edge into the body in slot k, as packed */
static void slot_prior(const WmModel* m, const WmScratch* s, int k, float sum[3]) {
    size_t G = (size_t)wm_edge_feats(wm_arch(m)), at = (size_t)wm_edge_prior_at(wm_arch(m));
    sum[0] = sum[1] = sum[2] = 0.0f;
    for (int e = 0; e < s->ne; e++)
        if (s->node_slot[s->row_node[s->recv[e]]] == k)
            for (int c = 0; c < 3; c++) sum[c] += s->eraw[(size_t)e * G + at + 1 + c];
}

/* WM_INPUT_PRIOR_SUPPORT (--collision-supports): the collisions know each body's supports.
 * - a free pair (the 4 kg ball 1 cm above the right end of the 2 kg plank, both 2 m above the floor)
 *   gives every edge what the one-point formula gives (WM_INPUT_PRIOR_STATIC alone);
 * - the ball falling at 1 m/s 1 cm above a 0.5 kg box flat on the floor, 3 cm right of its centre:
 *   the box is neither turned nor moved (its two corners pass the hit to the floor) and the ball
 *   bounces as off the floor, (1 + e) 1 m/s; the one-point formula turns and sinks the box;
 * - seesaw's plank (1 m x 3 cm, 2 kg) on a wedge's apex under its centre, the ball landing 0.45 m
 *   right of it: the plank turns about the apex at the closed form of a frictionless pivot,
 *   omega = -j L / I, j = (1 + e) c / (1/m + L^2 / I) (I about its centre; about the apex it is
 *   0.3% more), and its centre is not pushed down; the ball keeps what j leaves it;
 * - the option needs the static collisions; a checkpoint keeps it */
static void test_wm_collision_supports(void) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    WmArch a = small_arch();
    WmModel* m1;
    WmModel* m2 = option_pair(&a, WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC, WM_INPUT_PRIOR_SUPPORT, 26, &m1);
    WmScratch* s1 = wm_scratch_create(m1);
    WmScratch* s2 = wm_scratch_create(m2);
    size_t G = (size_t)wm_edge_feats(wm_arch(m2)), at = (size_t)wm_edge_prior_at(wm_arch(m2));
    const float e = 0.2f * 0.2f;
    /* a free pair */
    resting_box(st, mask, 0.5f);
    body_row(st + SIM_OBS_DIM, 0.0f, 2.0f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
    ball_above(st, mask, 0.75f, 2.025f, 0.01f, -1.0f);
    CHECK(wm_pack(m1, s1, 1, st, mask, NULL, NULL, 0, 0) && wm_pack(m2, s2, 1, st, mask, NULL, NULL, 0, 0));
    CHECK(s1->ne == s2->ne && s2->ne == 4);
    int fired = 0;
    for (int i = 0; i < s2->ne; i++) {
        const float* f1 = s1->eraw + (size_t)i * G + at;
        const float* f2 = s2->eraw + (size_t)i * G + at;
        for (int c = 0; c < 4; c++) CHECK(fabsf(f1[c] - f2[c]) <= 1e-4f * (1.0f + fabsf(f1[c])));
        fired += f2[2] != 0.0f;
    }
    CHECK(fired == 2);
    /* a box flat on the floor hit off its centre from above */
    float box[3], ball[3], box1[3];
    resting_box(st, mask, 0.5f);
    ball_above(st, mask, 0.23f, 0.101f, 0.01f, -1.0f);
    CHECK(wm_pack(m2, s2, 1, st, mask, NULL, NULL, 0, 0));
    slot_prior(m2, s2, 1, box);
    slot_prior(m2, s2, 2, ball);
    CHECK(fabsf(box[0]) < 1e-4f && fabsf(box[1]) < 1e-3f && fabsf(box[2]) < 5e-3f);
    CHECK(fabsf(ball[0]) < 1e-4f && fabsf(ball[1] - (1.0f + e)) < 1e-3f && fabsf(ball[2]) < 1e-4f);
    CHECK(wm_pack(m1, s1, 1, st, mask, NULL, NULL, 0, 0));
    slot_prior(m1, s1, 1, box1);
    CHECK(box1[1] < -0.5f && box1[2] < -5.0f);
    /* seesaw's plank on a wedge's apex */
    resting_box(st, mask, 0.5f);
    float* wedge = st + 3 * SIM_OBS_DIM;
    body_row(wedge, 0.0f, 0.1f, 0, 0, 0, 0, 0.2f, 0.2f, 0, true);
    wedge[SIM_OBS_kind_box] = 0;
    wedge[SIM_OBS_kind_box + SIM_KIND_RAMP] = 1;
    mask[3] = 1;
    body_row(st + SIM_OBS_DIM, 0.1f, 0.215f, 0, 0, 0, 0, 1.0f, 0.03f, 2.0f, false);
    st[SIM_OBS_DIM + SIM_OBS_kind_box] = 0;
    st[SIM_OBS_DIM + SIM_OBS_kind_box + SIM_KIND_PLANK] = 1;
    ball_above(st, mask, 0.55f, 0.23f, 0.01f, -1.0f);
    CHECK(wm_pack(m2, s2, 1, st, mask, NULL, NULL, 0, 0));
    float plank[3];
    slot_prior(m2, s2, 1, plank);
    slot_prior(m2, s2, 2, ball);
    float I = 2.0f * (1.0f + 0.03f * 0.03f) / 12.0f, L = 0.45f;
    float j = (1.0f + e) * 1.0f / (1.0f / 4.0f + L * L / I);
    CHECK(fabsf(plank[2] - (-j * L / I)) < 2e-3f * (j * L / I) && fabsf(plank[1]) < 1e-3f && fabsf(plank[0]) < 1e-4f);
    CHECK(fabsf(ball[1] - j / 4.0f) < 1e-3f && fabsf(ball[0]) < 1e-4f);
    /* the wedge's edge into the plank carries the apex's push up, j / m */
    int apex = 0;
    for (int i = 0; i < s2->ne; i++)
        if (s2->node_slot[s2->send[i]] == 3 && s2->node_slot[s2->row_node[s2->recv[i]]] == 1) {
            const float* f = s2->eraw + (size_t)i * G + at;
            CHECK(fabsf(f[2] - j / 2.0f) < 1e-3f && fabsf(f[3]) < 1e-3f);
            apex++;
        }
    CHECK(apex == 1);
    /* the one-point formula leaves the plank free: a slower turn, and its centre pushed down */
    CHECK(wm_pack(m1, s1, 1, st, mask, NULL, NULL, 0, 0));
    float plank1[3];
    slot_prior(m1, s1, 1, plank1);
    CHECK(plank1[1] < -0.1f && plank1[2] > plank[2] + 0.3f);
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_SUPPORT;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "collision supports") && !strchr(err, '\n'));
    check_reload_predicts_same(m2, s2, st, mask);
    wm_scratch_free(s1);
    wm_scratch_free(s2);
    wm_free(m1);
    wm_free(m2);
}

/* a 4 kg ball (r 5 cm) just touching the floor (slot 0) at x 0.5, falling at vy and spinning at
 * omega, the box of resting_box gone (slot 1 empty) */
static void spinning_ball(float* st, uint8_t* mask, float vy, float omega) {
    resting_box(st, mask, 0.5f);
    mask[1] = 0;
    ball_above(st, mask, 0.5f, 0.0f, 0.0f, vy);
    st[2 * SIM_OBS_DIM + SIM_OBS_omega] = omega;
}

/* the prior's change of slot k (vx, vy, omega) for the state st */
static void prior_of(const WmModel* m, WmScratch* s, const float* st, const uint8_t* mask, int k, float sum[3]) {
    CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0));
    slot_prior(m, s, k, sum);
}

/* a ball's change by friction at its contact below: pushed right by push, vy changed by dvy, its spin
 * slowed by lever x push (lever = r / (I / m)) */
static void check_rolled(const float ball[3], float push, float dvy, float lever) {
    CHECK(fabsf(ball[0] - push) < 1e-3f && fabsf(ball[1] - dvy) < 1e-3f);
    CHECK(fabsf(ball[2] - lever * push) < 1e-2f * (lever * push));
}

/* WM_INPUT_PRIOR_FRICTION (--collision-friction): the solve starts after the tick's gravity and has
 * Coulomb friction (the pair's friction product 0.36). On the floor (slot 0): a box at rest is held
 * up (its edge from the floor carries -g dt, no slide, no turn); the box sliding at 1 m/s is slowed
 * by mu g dt; a 4 kg ball spinning clockwise at 20 rad/s where it lies is pushed right by mu g dt
 * and its spin slowed by r mu g dt m / I (its contact slides at 1 m/s: the bound holds); without
 * friction the ball gets no push. The option needs the supports */
/* WM_INPUT_PRIOR_SUBSTEP (--friction-substeps): the solve over the tick's 8 substeps. The 4 kg ball
 * (r 5 cm, I / m = r^2 / 2) on the floor (slot 0), friction product 0.36:
 * - lying there spinning clockwise at 20 rad/s: each substep's weight m g h bounds its friction, so
 *   the tick pushes it right by mu g dt and slows its spin by r mu g dt m / I, as the one solve does;
 * - falling onto it at 1 m/s spinning at 60 rad/s, elasticity product 1: the hit's substep stops the
 *   fall (m (1 + g h)), friction bounded by that, then the bounce (the same again, no friction) and
 *   the ball is in the air for the rest of the tick: it is pushed right by mu (1 + g h) and its
 *   spin slowed by r mu (1 + g h) m / I (the one solve bounds friction by the bounce too: mu (2 + g
 *   dt), more than twice as much); its contacts' change along y is 2 (1 + g h);
 * - the option needs the collision friction */
static void test_wm_friction_substeps(void) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    WmArch a = small_arch();
    WmModel* m1;
    WmModel* m = option_pair(&a, WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION,
                             WM_INPUT_PRIOR_SUBSTEP, 27, &m1);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s1 = wm_scratch_create(m1);
    const float g = 9.81f, dt = a.dt, h = dt / WM_PRIOR_SUBSTEPS, mu = 0.6f * 0.6f, lever = 0.05f / (0.1f * 0.1f / 8.0f);
    float ball[3], one[3];
    spinning_ball(st, mask, 0.0f, -20.0f);
    prior_of(m, s, st, mask, 2, ball);
    check_rolled(ball, mu * g * dt, g * dt, lever);
    spinning_ball(st, mask, -1.0f, -60.0f);
    st[SIM_OBS_elasticity] = st[2 * SIM_OBS_DIM + SIM_OBS_elasticity] = 1.0f;
    prior_of(m, s, st, mask, 2, ball);
    float stop = 1.0f + g * h;
    check_rolled(ball, mu * stop, 2.0f * stop, lever);
    prior_of(m1, s1, st, mask, 2, one);
    CHECK(fabsf(one[0] - mu * (2.0f + g * dt)) < 1e-3f && fabsf(one[2] - ball[2]) > 10.0f);
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_SUBSTEP;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "friction substeps") && !strchr(err, '\n'));
    a.inputs |= WM_INPUT_PRIOR_FRICTION;
    WmModel* m2 = wm_create(&a, 28);
    WmScratch* s2 = wm_scratch_create(m2);
    check_reload_predicts_same(m2, s2, st, mask);
    wm_scratch_free(s);
    wm_scratch_free(s1);
    wm_scratch_free(s2);
    wm_free(m);
    wm_free(m1);
    wm_free(m2);
}

/* resting_box's 0.5 kg box (10 x 10 cm) put 20 um into the floor, as the simulator leaves a body at
 * rest (it removes overlaps beyond 0.1 mm), and with two, a second such box in slot 2 resting 20 um
 * into the first, shifted 50 um right: their corners all but meet, as in a stack of boxes of one width */
static void box_stack(float* st, uint8_t* mask, bool two) {
    resting_box(st, mask, 0.5f);
    st[SIM_OBS_DIM + SIM_OBS_y] = 0.05f - 2e-5f;
    if (!two) return;
    body_row(st + 2 * SIM_OBS_DIM, 0.2f + 5e-5f, 0.15f - 4e-5f, 0, 0, 0, 0, 0.1f, 0.1f, 0.5f, false);
    mask[2] = 1;
}

/* the largest miss over the stack's boxes of the prior's change from that of a body at rest: none
 * without friction (the solve starts before gravity: nothing closes), the tick's gravity taken back,
 * (0, -g dt, 0) with it; out: the misses (vx, vy, omega) */
static void stack_miss(const WmModel* m, WmScratch* s, bool two, float out[3]) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    box_stack(st, mask, two);
    float want = (wm_arch(m)->inputs & WM_INPUT_PRIOR_FRICTION) ? -WM_PRIOR_GRAVITY * wm_arch(m)->dt : 0.0f;
    out[0] = out[1] = out[2] = 0.0f;
    for (int k = 1; k <= (two ? 2 : 1); k++) {
        float p[3];
        prior_of(m, s, st, mask, k, p);
        p[1] -= want;
        for (int c = 0; c < 3; c++) out[c] = fabsf(p[c]) > out[c] ? fabsf(p[c]) : out[c];
    }
}

/* WM_INPUT_PRIOR_AXIS (--contact-axis): a box at rest on the floor and a stack of two (box_stack) get no
 * velocity change over a tick from the prior beyond carrying their weight, with and without
 * friction, in one solve and over the substeps: within 1e-4 m/s and 1e-3 rad/s (each solve stops
 * once no impulse moves by 1e-5 of the largest, 2 m g dt = 0.16 N s at most here: 3e-6 m/s on a
 * 0.5 kg box, well inside; 1e-4 m/s is 0.06% of the tick's g dt and moves a body 2 um a tick; the
 * measured misses are 1e-5 m/s and 7e-5 rad/s at most). Without the axes the stack's upper box is
 * held at its right corners along the direction between them, nearly sideways: with friction, in
 * one solve and over the substeps alike, it falls 0.08 m/s and turns 1.6 rad/s in the tick (the box
 * alone is held); the option needs the supports */
static void test_wm_contact_axis(void) {
    WmArch a = small_arch();
    const int base = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT;
    const int variants[3] = {base, base | WM_INPUT_PRIOR_FRICTION, base | WM_INPUT_PRIOR_FRICTION | WM_INPUT_PRIOR_SUBSTEP};
    for (int v = 0; v < 3; v++)
        for (int axis = 0; axis < 2; axis++) {
            a.inputs = variants[v] | (axis ? WM_INPUT_PRIOR_AXIS : 0);
            WmModel* m = wm_create(&a, 29);
            WmScratch* s = wm_scratch_create(m);
            for (int two = 0; two < 2; two++) {
                float miss[3];
                stack_miss(m, s, two, miss);
                if (axis || !two) {
                    CHECK(miss[0] < 1e-4f && miss[1] < 1e-4f && miss[2] < 1e-3f);
                } else if (v > 0) {
                    CHECK(miss[1] > 0.01f && miss[2] > 0.1f);
                }
            }
            wm_scratch_free(s);
            wm_free(m);
        }
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_AXIS;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "contact axes") && !strchr(err, '\n'));
    a.inputs = variants[2] | WM_INPUT_PRIOR_AXIS;
    WmModel* m = wm_create(&a, 30);
    WmScratch* s = wm_scratch_create(m);
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    box_stack(st, mask, true);
    check_reload_predicts_same(m, s, st, mask);
    wm_scratch_free(s);
    wm_free(m);
}

/* a world of the default definition with a static 4 m floor of MATERIAL (x -2 .. 2, top at y 0) as
 * its first body (slot 0) */
static SimWorld* floor_world(const char* material) {
    SimWorldDef wd = sim_world_def_default();
    SimWorld* w = sim_world_create(&wd);
    SimBodyDef b = sim_body_def_default();
    b.kind = SIM_KIND_BOX;
    b.material = sim_material_find(material);
    b.w = 4, b.h = 0.1, b.y = -0.05, b.is_static = true;
    CHECK(sim_world_add_body(w, &b, NULL, 0) == 0);
    return w;
}

/* a 6 cm rubber ball over a 4 m floor of material floor (x -2 .. 2, top at 0) at (x, 0.03 + gap),
 * moving at (vx, vy) and spinning at omega, observed (slot 0 the floor, 1 the ball) into st, mask, then
 * one tick of the simulator: its observation into next */
static void ball_tick(const char* floor, double x, double gap, double vx, double vy, double omega, float* st,
                      uint8_t* mask, float* next) {
    SimWorld* w = floor_world(floor);
    SimBodyDef b = sim_body_def_default();
    b.kind = SIM_KIND_BALL;
    b.material = sim_material_find("rubber");
    b.w = b.h = 0.06, b.x = x, b.y = 0.03 + gap, b.vx = vx, b.vy = vy, b.omega = omega;
    CHECK(sim_world_add_body(w, &b, NULL, 0) == 1);
    int32_t ids[TK];
    uint8_t mn[TK];
    CHECK(sim_world_observe(w, st, mask, ids, TK) == 2);
    sim_world_tick(w, NULL);
    CHECK(sim_world_observe(w, next, mn, ids, TK) == 2);
    sim_world_destroy(w);
}

/* a world observed into st, mask (TK slots): a stone floor and N wooden boxes of 10 cm stacked on
 * it from x = x0, each shifted dx right of the one below (a leaning tower) */
static void tower_state(int n, double x0, double dx, float* st, uint8_t* mask) {
    SimWorld* w = floor_world("stone");
    for (int i = 0; i < n; i++) {
        SimBodyDef b = sim_body_def_default();
        b.kind = SIM_KIND_BOX;
        b.material = sim_material_find("wood");
        b.w = b.h = 0.1, b.x = x0 + i * dx, b.y = 0.05 + 0.1 * i;
        CHECK(sim_world_add_body(w, &b, NULL, 0) == i + 1);
    }
    int32_t ids[TK];
    CHECK(sim_world_observe(w, st, mask, ids, TK) == n + 1);
    sim_world_destroy(w);
}

/* The collision prior's solve settles each world's contacts on its own: a world's prior does not
 * depend on the other worlds packed with it. A box on the floor (a few sweeps) and a leaning tower of
 * 7 boxes (its impulses settle slowly: every sweep it has left changes them), one tick each, for the
 * one solve and the substeps: the box's edges carry the same bytes packed alone, first, and after the
 * tower; so do the tower's alone and after the box. (The worlds' contacts were one loop with one stop
 * before: the box then took the tower's sweeps, and its prior followed its batch.) */
static void test_wm_prior_batch_independent(void) {
    const int opts[2] = {WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION,
                         WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                             WM_INPUT_PRIOR_SUBSTEP};
    float one[2][TK * SIM_OBS_DIM], two[2 * TK * SIM_OBS_DIM];
    uint8_t m1[2][TK], m2[2 * TK];
    tower_state(1, 0.3, 0.0, one[0], m1[0]);
    tower_state(7, -0.5, 0.012, one[1], m1[1]);
    for (int o = 0; o < 2; o++) {
        WmArch a = small_arch();
        a.inputs = opts[o];
        WmModel* m = wm_create(&a, 41);
        WmScratch* s = wm_scratch_create(m);
        size_t G = (size_t)wm_edge_feats(&a), at = (size_t)wm_edge_prior_at(&a);
        /* each world's prior edges alone: [world][the receiver's slot] summed, and the edge count */
        float alone[2][TK][3];
        int edges[2];
        for (int wi = 0; wi < 2; wi++) {
            CHECK(wm_pack(m, s, 1, one[wi], m1[wi], NULL, NULL, 0, 0));
            edges[wi] = s->ne;
            for (int k = 0; k < TK; k++) slot_prior(m, s, k, alone[wi][k]);
        }
        CHECK(alone[1][7][1] != 0.0f && alone[0][1][1] != 0.0f);   /* both are held up */
        for (int order = 0; order < 2; order++) {
            int first = order, second = 1 - order;
            memcpy(two, one[first], sizeof one[0]);
            memcpy(two + TK * SIM_OBS_DIM, one[second], sizeof one[0]);
            memcpy(m2, m1[first], TK);
            memcpy(m2 + TK, m1[second], TK);
            CHECK(wm_pack(m, s, 2, two, m2, NULL, NULL, 0, 0));
            CHECK(s->ne == edges[0] + edges[1]);
            /* each slot's prior summed over its edges, against the same world's alone */
            int same = 0;
            for (int w = 0; w < 2; w++) {
                int wi = w == 0 ? first : second;
                for (int k = 0; k < TK; k++) {
                    float sum[3] = {0.0f, 0.0f, 0.0f};
                    for (int e = 0; e < s->ne; e++) {
                        int node = s->row_node[s->recv[e]];
                        if (s->node_world[node] != w || s->node_slot[node] != k) continue;
                        for (int c = 0; c < 3; c++) sum[c] += s->eraw[(size_t)e * G + at + 1 + c];
                    }
                    same += memcmp(sum, alone[wi][k], sizeof sum) == 0;
                }
            }
            CHECK(same == 2 * TK);
        }
        wm_scratch_free(s);
        wm_free(m);
    }
}

/* The solve settles each island of contacts on its own (the bodies joined by contacts between
 * dynamic bodies), not each world: a box alone on the floor packed in the same world as a leaning
 * tower of 5 boxes (0.8 m away: two islands) gets the same bytes as packed alone, and so does each
 * box of the tower, for the one solve and the substeps, with and without the settled-speed stop */
static void test_wm_prior_islands(void) {
    const int base = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION;
    const int opts[3] = {base, base | WM_INPUT_PRIOR_SUBSTEP, base | WM_INPUT_PRIOR_SETTLE};
    float tower[TK * SIM_OBS_DIM], box[TK * SIM_OBS_DIM], both[TK * SIM_OBS_DIM];
    uint8_t mt[TK], mb[TK], m2[TK];
    tower_state(5, -0.5, 0.012, tower, mt);
    tower_state(1, 0.3, 0.0, box, mb);
    /* both: the tower's floor and boxes (slots 0-5), then the box (slot 6) */
    memcpy(both, tower, sizeof tower);
    memcpy(m2, mt, TK);
    memcpy(both + 6 * SIM_OBS_DIM, box + SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM);
    m2[6] = 1;
    for (int o = 0; o < 3; o++) {
        WmArch a = small_arch();
        a.inputs = opts[o];
        WmModel* m = wm_create(&a, 47);
        WmScratch* s = wm_scratch_create(m);
        float alone[7][3], p[3];
        for (int k = 1; k <= 5; k++) prior_of(m, s, tower, mt, k, alone[k]);
        long sweeps = s->prior_sweeps;
        prior_of(m, s, box, mb, 1, alone[6]);
        sweeps += s->prior_sweeps;
        CHECK(alone[6][1] != 0.0f && alone[5][1] != 0.0f);   /* both are held up */
        for (int k = 1; k <= 6; k++) {
            prior_of(m, s, both, m2, k, p);
            CHECK(memcmp(p, alone[k], sizeof p) == 0);
        }
        /* (one island's sweeps do not run on for the other: the same count as the two apart) */
        CHECK(s->prior_sweeps == sweeps);
        wm_scratch_free(s);
        wm_free(m);
    }
}

/* Incremental stepping with the collision prior's solve (the bodies of an island share one solve):
 * a tower of 6 boxes on the floor and a 7th box alone 2 cm to the right of its bottom box, edges only
 * between neighbours (radius 5 cm) and 2 rounds of messages. Unpushed, nothing is computed at the
 * second tick and no contact either. The bottom box pushed at tick 2 (and moving after) changes the
 * solve of the whole tower: all 6 are computed (the rounds alone reach 3 of them) and so is the box
 * beside it (its edge from the bottom box), whose own contacts are not (it cannot touch anything
 * within the tick: its prior is its record's). The states, events and raw outputs of every body are
 * those of stepping everything, tick after tick */
static void incremental_prior_case(int extra, bool glass) {
    WmArch a = small_arch();
    a.radius = 0.05f;
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
               WM_INPUT_PRIOR_SETTLE | extra;
    CHECK(a.rounds == 2);
    WmModel* m = wm_create(&a, 53);
    Rng r;
    rng_seed(&r, 7);
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    for (int i = 0; i < last->in * last->out; i++) m->params[last->w + i] = 0.05f * (float)rng_normal(&r);
    m->params[last->b + WM_REST] = 20.0f;   /* unpushed bodies are held */
    /* (the break gate acting, below the line where the rollout would shatter a box) */
    if (extra & WM_INPUT_BREAK_GATE) m->params[m->brk.w] = 2.0f, m->params[m->brk.b] = -6.0f;
    for (int c = 0; c < WM_TARGETS; c++) m->tgt.fstd[c] = 1e-3f;
    float full[TK * SIM_OBS_DIM], inc[TK * SIM_OBS_DIM], ev_full[TK * WM_EVENTS], ev_inc[TK * WM_EVENTS];
    uint8_t mask[TK];
    tower_state(6, 0.0, 0.0, full, mask);
    memcpy(full + 7 * SIM_OBS_DIM, full + 1 * SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM);
    full[7 * SIM_OBS_DIM + SIM_OBS_x] = 0.12f;
    mask[7] = 1;
    if (glass)
        for (int k = 1; k <= 7; k++) full[k * SIM_OBS_DIM + SIM_OBS_breakable] = 1.0f;
    memcpy(inc, full, sizeof full);
    WmScratch* sf = wm_scratch_create(m);
    WmScratch* si = wm_scratch_create(m);
    wm_scratch_incremental(si, true);
    float push[TK * WM_PUSH_DIM];
    int contacts[5];
    for (int h = 0; h < 5; h++) {
        memset(push, 0, sizeof push);
        if (h == 2) push[1 * WM_PUSH_DIM + 0] = 0.02f;
        wm_predict(m, sf, 1, full, mask, push, full, NULL, ev_full);
        /* (the raw outputs of the step before wm_predict's next one) */
        float o_full[TK][WM_OUTPUTS];
        for (int i = 0; i < sf->n; i++) {
            const float* pd;
            const float* o = wm_node_out(m, sf, i, &pd);
            if (o) memcpy(o_full[sf->node_slot[i]], o, sizeof o_full[0]);
        }
        wm_predict(m, si, 1, inc, mask, push, inc, NULL, ev_inc);
        contacts[h] = si->prior_nc;
        int computed = 0;
        for (int i = 0; i < si->n; i++) {
            const float* pd;
            const float* o = wm_node_out(m, si, i, &pd);
            if (!o) continue;
            int k = si->node_slot[i];
            for (int c = 0; c < WM_OUTPUTS; c++) CHECK(fabsf(o[c] - o_full[k][c]) <= 1e-4f * (1 + fabsf(o_full[k][c])));
            computed += si->node_row[i] >= 0 && k == 7;
        }
        for (int i = 0; i < TK * SIM_OBS_DIM; i++) CHECK(fabsf(full[i] - inc[i]) <= 1e-5f * (1 + fabsf(full[i])));
        for (int i = 0; i < TK * WM_EVENTS; i++) CHECK(fabsf(ev_full[i] - ev_inc[i]) <= 1e-5f);
        /* the incremental path ran (the prior no longer turns it off) */
        CHECK(si->inc_step);
        /* (after the push the box keeps moving: the tower's solve changes at every tick) */
        CHECK(si->nd == (h == 1 ? 0 : 7));
        CHECK(computed == (h != 1));
    }
    /* no contact at the quiet tick; after the push every one but the lone box's on the floor */
    CHECK(contacts[0] > 0 && contacts[1] == 0);
    for (int h = 2; h < 5; h++) CHECK(contacts[h] > 0 && contacts[h] < contacts[0]);
    /* the pushed box moved */
    CHECK(inc[1 * SIM_OBS_DIM + SIM_OBS_x] > 0.0f);
    wm_scratch_free(sf);
    wm_scratch_free(si);
    wm_free(m);
}

/* ... and the same with the collision impulse's edge column and the break gate (the boxes breakable,
 * the gate's weights set): a row's gate reads its edges' prior, which an untouched row takes from its
 * record */
static void test_incremental_prior(void) {
    incremental_prior_case(0, false);
    incremental_prior_case(WM_INPUT_PRIOR_JMAG | WM_INPUT_BREAK_GATE, true);
    incremental_prior_case(WM_INPUT_PRIOR_SWEEP, false);
}

/* WM_INPUT_PRIOR_SETTLE (--prior-settle): the solve stops once the contacts' relative speeds settle.
 * The leaning tower of 7 boxes, one tick, the one solve with friction and with the substeps: the
 * impulse test runs to WM_PGS_ITERS sweeps (the one solve; the substeps 1854 in all: its impulses keep
 * trading between each pair's two corners), the settled speeds stop in under a third of them
 * (measured: 74 and 56), and every box's prior change (vx, vy, and omega times its half-width) is
 * within 1 cm/s of the impulse test's (measured 8 mm/s; the substeps 3 cm/s, measured 2.2 cm/s: the
 * two stops leave a stack's solve at different points, and run to 4000 sweeps both still differ by
 * 2 mm/s and 2.5 cm/s, friction's many answers); the box alone on the floor is held up either way
 * (-g dt). The option needs the collision supports; a checkpoint keeps it */
static void test_wm_prior_settle(void) {
    const int base[2] = {WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION,
                         WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                             WM_INPUT_PRIOR_SUBSTEP};
    float tower[TK * SIM_OBS_DIM], box[TK * SIM_OBS_DIM];
    uint8_t mt[TK], mb[TK];
    tower_state(7, -0.5, 0.012, tower, mt);
    tower_state(1, 0.3, 0.0, box, mb);
    for (int o = 0; o < 2; o++) {
        WmArch a = small_arch();
        WmModel* m0;
        WmModel* m = option_pair(&a, base[o], WM_INPUT_PRIOR_SETTLE, 43, &m0);
        WmScratch* s = wm_scratch_create(m);
        WmScratch* s0 = wm_scratch_create(m0);
        float worst = 0.0f;
        for (int k = 1; k <= 7; k++) {
            float p[3], p0[3];
            prior_of(m, s, tower, mt, k, p);
            prior_of(m0, s0, tower, mt, k, p0);
            float d[3] = {p[0] - p0[0], p[1] - p0[1], 0.05f * (p[2] - p0[2])};
            for (int c = 0; c < 3; c++) worst = fabsf(d[c]) > worst ? fabsf(d[c]) : worst;
        }
        long sweeps = s->prior_sweeps, sweeps0 = s0->prior_sweeps;
        CHECK(sweeps0 >= WM_PGS_ITERS && sweeps > 0 && 3 * sweeps < sweeps0);
        CHECK(worst < (o ? 0.03f : 0.01f));
        float gdt = -WM_PRIOR_GRAVITY * a.dt, p[3], p0[3];
        prior_of(m, s, box, mb, 1, p);
        prior_of(m0, s0, box, mb, 1, p0);
        CHECK(fabsf(p[1] - gdt) < 1e-4f && fabsf(p0[1] - gdt) < 1e-4f && fabsf(p[0]) < 1e-4f && fabsf(p[2]) < 1e-3f);
        check_reload_predicts_same(m, s, tower, mt);
        wm_scratch_free(s);
        wm_scratch_free(s0);
        wm_free(m);
        wm_free(m0);
    }
    char err[256];
    WmArch a = small_arch();
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SETTLE;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "settled-speed stop") && !strchr(err, '\n'));
}

/* a ball against the floor, one tick (ball_tick): a small model with the collision friction's prior
 * and OPTION beside the same model without it (one seed), a scratch, the tick's observations (slot 1
 * the ball: r before the tick, rn after) and the prior's p (with the option) and p0 (without) */
typedef struct BallCase {
    WmArch a;
    WmModel *m, *m0;
    WmScratch* s;
    float st[TK * SIM_OBS_DIM], sn[TK * SIM_OBS_DIM], p[3], p0[3];
    uint8_t mask[TK];
    const float *r, *rn;
    float gdt;   /* the prior change that holds a body up: g dt */
} BallCase;

static void ball_case_init(BallCase* c, int option, uint64_t seed) {
    c->a = small_arch();
    c->m = option_pair(&c->a, WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION,
                       option, seed, &c->m0);
    c->s = wm_scratch_create(c->m);
    c->r = c->st + SIM_OBS_DIM;
    c->rn = c->sn + SIM_OBS_DIM;
    c->gdt = -WM_PRIOR_GRAVITY * c->a.dt;
}

/* ball_tick into c, then the ball's prior with the option and without */
static void ball_case_tick(BallCase* c, const char* floor, double x, double gap, double vx, double vy, double omega) {
    ball_tick(floor, x, gap, vx, vy, omega, c->st, c->mask, c->sn);
    prior_of(c->m, c->s, c->st, c->mask, 1, c->p);
    prior_of(c->m0, c->s, c->st, c->mask, 1, c->p0);
}

static void ball_case_free(BallCase* c) {
    wm_scratch_free(c->s);
    wm_free(c->m);
    wm_free(c->m0);
}

/* WM_INPUT_PRIOR_LIFT (--contact-lift), against the simulator: a 6 cm rubber ball over the stone floor.
 * - 1.3 mm over it and rising at 0.02 m/s (a low bounce's top): the simulator lets it fall the whole
 *   tick (vy changes by -g dt, it falls 1.04 mm); with the option the prior gives nothing, without it
 *   the floor holds the ball (+g dt);
 * - resting on it, and falling onto it at 0.05 m/s from 1.5 mm or at 3 m/s from 2 cm: the simulator
 *   stops it within the tick, and so does the prior with the option or without.
 * The option needs the friction; a checkpoint keeps it */
static void test_wm_contact_lift(void) {
    BallCase c;
    ball_case_init(&c, WM_INPUT_PRIOR_LIFT, 59);
    ball_case_tick(&c, "stone", 0.0, 0.0013, 0.0, 0.02, 0.0);
    CHECK(fabsf(c.rn[SIM_OBS_vy] - c.r[SIM_OBS_vy] + c.gdt) < 1e-3f);   /* it fell the whole tick */
    CHECK(fabsf(c.p[0]) < 1e-6f && fabsf(c.p[1]) < 1e-6f && fabsf(c.p[2]) < 1e-6f);
    CHECK(fabsf(c.p0[1] - c.gdt) < 0.2f * c.gdt);
    const double gaps[3] = {0.0, 0.0015, 0.02}, vys[3] = {0.0, -0.05, -3.0};
    for (int i = 0; i < 3; i++) {
        ball_case_tick(&c, "stone", 0.0, gaps[i], 0.0, vys[i], 0.0);
        CHECK(c.rn[SIM_OBS_vy] > -0.01f);   /* stopped (or bounced) within the tick */
        CHECK(c.p[1] > 0.9f * c.gdt && fabsf(c.p[1] - c.p0[1]) < 1e-4f);
    }
    check_reload_predicts_same(c.m, c.s, c.st, c.mask);
    ball_case_free(&c);
    char err[256];
    WmArch a = small_arch();
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_LIFT;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "contact lift") && !strchr(err, '\n'));
}

/* two flat 4 cm x 7 mm wood boxes on the stone floor of floor_world (slot 0), A at x = 0 moving at
 * (vx, vy) and spinning at omega, B at rest with its centre gap_b m right of A's, observed into st,
 * mask (slots 1, 2), then one tick of the simulator: B's observation after it into b_next */
static void flat_pair_tick(double vx, double vy, double omega, double gap_b, float* st, uint8_t* mask, float* b_next) {
    SimWorld* w = floor_world("stone");
    SimBodyDef b = sim_body_def_default();
    b.kind = SIM_KIND_BOX;
    b.material = sim_material_find("wood");
    b.w = 0.04, b.h = 0.007, b.y = 0.0035, b.vx = vx, b.vy = vy, b.omega = omega;
    CHECK(sim_world_add_body(w, &b, NULL, 0) == 1);
    b.x = gap_b, b.vx = b.vy = b.omega = 0.0;
    CHECK(sim_world_add_body(w, &b, NULL, 0) == 2);
    int32_t ids[TK];
    CHECK(sim_world_observe(w, st, mask, ids, TK) == 3);
    sim_world_tick(w, NULL);
    float next[TK * SIM_OBS_DIM];
    uint8_t mn[TK];
    CHECK(sim_world_observe(w, next, mn, ids, TK) == 3);
    memcpy(b_next, next + 2 * SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM);
    sim_world_destroy(w);
}

/* WM_INPUT_PRIOR_SWEEP (--impact-sweep), against the simulator. Two flat 4 cm x 7 mm wood boxes on the
 * floor, B 19 cm right of A (the shape of a held-out episode's shards, where a push flung one over the
 * others):
 * - A flung at (15.2, 9.6) m/s, 33 degrees up, spinning -30 rad/s: the simulator leaves B where it
 *   lies (A passes 7 cm over it). Along the contact's horizontal normal alone A closes the gap in 0.6
 *   of the tick, and without the option the prior sends B right at more than 1 m/s; with it B gets
 *   what it gets with A at rest (the floor's hold, +g dt) to 1e-6;
 * - A flung flat along the floor at 15 m/s: the simulator sends B right, and the prior sends it right
 *   with the option as without it (the same change);
 * - turning counts: a 1 m plank 2 m above the floor turning at -3 rad/s about its centre (which does
 *   not move), its right end 1 cm above a 4 cm box, closes on it at 1.5 m/s: the option keeps the hit
 *   (the box is sent down, the same as without it);
 * - a checkpoint keeps the option; it needs the collision supports, and the friction substeps refuse
 *   it */
static void test_wm_impact_sweep(void) {
    const int base = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                     WM_INPUT_PRIOR_SETTLE | WM_INPUT_PRIOR_AXIS;
    WmArch a = small_arch();
    WmModel* without;
    WmModel* m = option_pair(&a, base, WM_INPUT_PRIOR_SWEEP, 61, &without);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s0 = wm_scratch_create(without);
    float st[TK * SIM_OBS_DIM], bn[TK * SIM_OBS_DIM], p[3], p0[3], rest[3];
    uint8_t mask[TK];
    /* flung over B */
    flat_pair_tick(15.2, 9.6, -30.0, 0.19, st, mask, bn);
    CHECK(hypotf(bn[SIM_OBS_vx], bn[SIM_OBS_vy]) < 0.01f && fabsf(bn[SIM_OBS_x] - 0.19f) < 1e-3f);
    prior_of(m, s, st, mask, 2, p);
    prior_of(without, s0, st, mask, 2, p0);
    CHECK(p0[0] > 1.0f);
    float at_rest[TK * SIM_OBS_DIM];
    memcpy(at_rest, st, sizeof st);
    at_rest[SIM_OBS_DIM + SIM_OBS_vx] = at_rest[SIM_OBS_DIM + SIM_OBS_vy] = at_rest[SIM_OBS_DIM + SIM_OBS_omega] = 0.0f;
    prior_of(m, s, at_rest, mask, 2, rest);
    CHECK(rest[1] > 0.0f && fabsf(rest[0]) < 1e-4f);
    for (int c = 0; c < 3; c++) CHECK(fabsf(p[c] - rest[c]) < 1e-6f);
    /* flung along the floor into B */
    flat_pair_tick(15.0, 0.0, 0.0, 0.19, st, mask, bn);
    CHECK(bn[SIM_OBS_vx] > 1.0f);
    prior_of(m, s, st, mask, 2, p);
    prior_of(without, s0, st, mask, 2, p0);
    CHECK(p[0] > 1.0f);
    for (int c = 0; c < 3; c++) CHECK(fabsf(p[c] - p0[c]) < 1e-4f * (1.0f + fabsf(p0[c])));
    /* a turning plank's end onto a box */
    memset(st, 0, sizeof st);
    memset(mask, 0, sizeof mask);
    body_row(st, 0, -0.1f, 0, 0, 0, 0, 20.0f, 0.2f, 0, true);
    body_row(st + SIM_OBS_DIM, 0.0f, 2.0f, 0, 0, 0, -3.0f, 1.0f, 0.03f, 2.0f, false);
    body_row(st + 2 * SIM_OBS_DIM, 0.48f, 2.0f - 0.015f - 0.01f - 0.02f, 0, 0, 0, 0, 0.04f, 0.04f, 0.5f, false);
    mask[0] = mask[1] = mask[2] = 1;
    prior_of(m, s, st, mask, 2, p);
    prior_of(without, s0, st, mask, 2, p0);
    CHECK(p0[1] < -0.5f);
    for (int c = 0; c < 3; c++) CHECK(fabsf(p[c] - p0[c]) < 1e-4f * (1.0f + fabsf(p0[c])));
    check_reload_predicts_same(m, s, st, mask);
    wm_scratch_free(s);
    wm_scratch_free(s0);
    wm_free(m);
    wm_free(without);
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SWEEP;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "impact sweep") && !strchr(err, '\n'));
    a.inputs = base | WM_INPUT_PRIOR_SUBSTEP | WM_INPUT_PRIOR_SWEEP;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "impact sweep") && !strchr(err, '\n'));
}

/* a 6 cm glass box (0.9 kg) over the stone floor of floor_world, falling at vy from gap above it,
 * observed (slot 0 the floor, 1 the glass) into st, mask, then one tick of the simulator: whether the
 * glass broke in it, and otherwise its vy after the tick in *vy_next */
static bool glass_tick_next(double gap, double vy, float* st, uint8_t* mask, float* vy_next, float* next, uint8_t* mn) {
    SimWorld* w = floor_world("stone");
    SimBodyDef b = sim_body_def_default();
    b.kind = SIM_KIND_BOX;
    b.material = sim_material_find("glass");
    b.w = b.h = 0.06, b.y = 0.03 + gap, b.vy = vy;
    CHECK(sim_world_add_body(w, &b, NULL, 0) == 1);
    int32_t ids[TK];
    CHECK(sim_world_observe(w, st, mask, ids, TK) == 2);
    sim_world_tick(w, NULL);
    int n = sim_world_observe(w, next, mn, ids, TK);
    sim_world_destroy(w);
    *vy_next = next[SIM_OBS_DIM + SIM_OBS_vy];
    return n != 2 || !mn[1] || next[SIM_OBS_DIM + SIM_OBS_kind_box] != 1.0f;
}

static bool glass_tick(double gap, double vy, float* st, uint8_t* mask, float* vy_next) {
    float next[TK * SIM_OBS_DIM];
    uint8_t mn[TK];
    return glass_tick_next(gap, vy, st, mask, vy_next, next, mn);
}

/* WM_INPUT_PRIOR_JMAG (--collision-impulse): each edge also carries log(1 + |J| / 1 N*s) of the
 * collision impulse on its receiver, J = the receiver's mass times the edge's velocity change.
 * - the other features are the same bytes with the option and without it; one more column;
 * - a glass box landing on the floor within the tick at 0.2 to 4 m/s: the feature is that log, and
 *   against the simulator: where the glass stays whole the floor's impulse m (vy' - vy + g dt) is
 *   the feature's |J| within 10%, and the glass breaks (its break impulse 1 N*s) exactly where the
 *   feature's |J| is over 1 N*s (the speeds keep 20% from the line);
 * - the option needs the collision inputs; a checkpoint keeps it */
static void test_wm_collision_impulse(void) {
    WmArch a = small_arch();
    WmModel* m0;
    int base = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION;
    WmModel* m = option_pair(&a, base, WM_INPUT_PRIOR_JMAG, 61, &m0);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s0 = wm_scratch_create(m0);
    int G = wm_edge_feats(wm_arch(m)), G0 = wm_edge_feats(wm_arch(m0)), at = wm_edge_prior_at(wm_arch(m));
    CHECK(G == G0 + 1 && at == wm_edge_prior_at(wm_arch(m0)));
    float st[TK * SIM_OBS_DIM], vy1;
    uint8_t mask[TK];
    const double speeds[6] = {0.2, 0.4, 0.6, 1.5, 2.5, 4.0};
    int broke = 0, whole = 0;
    for (int i = 0; i < 6; i++) {
        bool brk = glass_tick(0.002, -speeds[i], st, mask, &vy1);
        CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0) && wm_pack(m0, s0, 1, st, mask, NULL, NULL, 0, 0));
        CHECK(s->ne == s0->ne && s->ne == 1);
        const float* f = s->eraw;
        CHECK(memcmp(f, s0->eraw, sizeof(float) * (size_t)G0) == 0);
        float mass = st[SIM_OBS_DIM + SIM_OBS_mass];
        float J = mass * sqrtf(f[at + 1] * f[at + 1] + f[at + 2] * f[at + 2]);
        CHECK(fabsf(f[at + WM_EDGE_PRIOR] - log1pf(J)) < 1e-6f);
        CHECK(J > 0.2f * (float)speeds[i] * mass);
        CHECK(brk == (J > 1.0f));
        CHECK(J > 1.2f || J < 0.8f);
        if (brk) {
            broke++;
        } else {
            float js = mass * (vy1 + (float)speeds[i] - WM_PRIOR_GRAVITY * a.dt);
            CHECK(fabsf(J - js) < 0.1f * js);
            whole++;
        }
    }
    CHECK(broke >= 2 && whole >= 2);
    check_reload_predicts_same(m, s, st, mask);
    wm_scratch_free(s);
    wm_scratch_free(s0);
    wm_free(m);
    wm_free(m0);
    char err[256];
    a.inputs = WM_INPUT_PRIOR_JMAG;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "collision impulse") && !strchr(err, '\n'));
}

/* WM_INPUT_BREAK_GATE (--break-gate): the break-now logit of a breakable body gains a z + c, z =
 * log(1 + sum |J| / 1 N*s) of its edges' collision impulses, from two weights of its own.
 * - created, the gate's weights are zero and the model predicts what the same weights without it do;
 * - a glass box landing on the floor at 4 m/s (the simulator breaks it) and at 0.4 m/s (whole): z
 *   is log(1 + the box's mass times its edge's velocity change); a box of wood landing alike gets no
 *   addition (it cannot break); with a = 4, c = -4 log 2 (the line at 1 N*s) the landing at 4 m/s
 *   says break now and the one at 0.4 m/s does not;
 * - the whole model's gradient against finite differences, both gate weights and every third other,
 *   on the two landings with their labels (the fast one gone after the tick: a break);
 * - the option needs the collision inputs; a checkpoint keeps it */
static void test_wm_break_gate(void) {
    WmArch a = grad_arch();
    a.radius = 0.3f;
    WmModel* m0;
    int base = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION;
    WmModel* m = option_pair(&a, base, WM_INPUT_BREAK_GATE, 62, &m0);
    CHECK(m->nparams == m0->nparams + 2 && m->brk.w >= m0->nparams && m->brk.b >= m0->nparams);
    CHECK(memcmp(m->params, m0->params, sizeof(float) * (size_t)m0->nparams) == 0);
    CHECK(m->params[m->brk.w] == 0.0f && m->params[m->brk.b] == 0.0f);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s0 = wm_scratch_create(m0);
    WmTransitions t;
    wm_transitions_init(&t, 2, TK, SIM_OBS_DIM, 0);
    t.n = 2;
    const double speeds[2] = {4.0, 0.4};
    float vy1;
    memset(t.labels, 0, sizeof(float) * 2 * TK * WM_EVENTS);
    for (int b = 0; b < 2; b++) {
        float* st = t.s0 + (size_t)b * TK * SIM_OBS_DIM;
        bool brk = glass_tick_next(0.002, -speeds[b], st, t.m0 + b * TK, &vy1, t.s1 + (size_t)b * TK * SIM_OBS_DIM,
                                   t.m1 + b * TK);
        CHECK(brk == (b == 0));
        if (brk) {
            t.m1[b * TK + 1] = 0;
            t.labels[(b * TK + 1) * WM_EVENTS + WM_EVENT_BREAK] = 1.0f;
        }
    }
    memset(t.push, 0, sizeof(float) * 2 * TK * WM_PUSH_DIM);
    float out[TK * SIM_OBS_DIM], out0[TK * SIM_OBS_DIM], ev[TK * WM_EVENTS], ev0[TK * WM_EVENTS];
    uint8_t nm[TK], nm0[TK];
    wm_predict(m, s, 1, t.s0, t.m0, NULL, out, nm, ev);
    wm_predict(m0, s0, 1, t.s0, t.m0, NULL, out0, nm0, ev0);
    CHECK(memcmp(out, out0, sizeof out) == 0 && memcmp(ev, ev0, sizeof ev) == 0 && memcmp(nm, nm0, TK) == 0);
    m->params[m->brk.w] = 4.0f, m->params[m->brk.b] = -4.0f * logf(2.0f);
    size_t G = (size_t)wm_edge_feats(wm_arch(m)), at = (size_t)wm_edge_prior_at(wm_arch(m));
    for (int b = 0; b < 2; b++) {
        float* st = t.s0 + (size_t)b * TK * SIM_OBS_DIM;
        CHECK(wm_pack(m, s, 1, st, t.m0 + b * TK, NULL, NULL, 0, 0) && s->nd == 1 && s->ne == 1);
        wm_features_normalize(m, s);
        wm_forward(m, s);
        const float* f = s->eraw + at;
        float z = log1pf(st[SIM_OBS_DIM + SIM_OBS_mass] * sqrtf(f[1] * f[1] + f[2] * f[2]));
        CHECK(fabsf(s->brkz[0] - z) < 1e-6f && z > 0.1f);
        CHECK(b == 0 ? s->out[WM_BREAK_NOW] > 2.0f : s->out[WM_BREAK_NOW] < -1.0f);
        (void)G;
        /* the same landing by a wooden box: no addition */
        st[SIM_OBS_DIM + SIM_OBS_breakable] = 0.0f;
        CHECK(wm_pack(m, s, 1, st, t.m0 + b * TK, NULL, NULL, 0, 0));
        wm_features_normalize(m, s);
        wm_forward(m, s);
        float wood = s->out[WM_BREAK_NOW];
        CHECK(wm_pack(m0, s0, 1, st, t.m0 + b * TK, NULL, NULL, 0, 0));
        wm_features_normalize(m0, s0);
        wm_forward(m0, s0);
        CHECK(s->brkz[0] == 0.0f && wood == s0->out[WM_BREAK_NOW]);
        st[SIM_OBS_DIM + SIM_OBS_breakable] = 1.0f;
    }
    check_reload_predicts_same(m, s, t.s0, t.m0);
    /* the gradient */
    Rng rng;
    rng_seed(&rng, 63);
    for (int i = 0; i < m->nparams; i++) m->params[i] += 0.1f * (float)rng_normal(&rng);
    float* raw = malloc(sizeof(float) * 2 * TK * WM_TARGETS);
    float* g = calloc((size_t)m->nparams, sizeof(float));
    wm_batch_loss(m, s, &t, raw, true, g);
    CHECK(g[m->brk.w] != 0.0f && g[m->brk.b] != 0.0f);
    int head = m->brk.w < m->brk.b ? m->brk.w : m->brk.b, headbad, checked;
    int bad = batch_grad_misses(m, s, &t, raw, g, head, "break gate grad", &headbad, &checked);
    CHECK(checked > 100);
    CHECK(headbad == 0);
    CHECK(bad * 50 <= checked);
    free(raw);
    free(g);
    wm_transitions_free(&t);
    wm_scratch_free(s);
    wm_scratch_free(s0);
    wm_free(m);
    wm_free(m0);
    char err[256];
    a.inputs = WM_INPUT_BREAK_GATE;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "break gate") && !strchr(err, '\n'));
}

/* WM_INPUT_PRIOR_ANCHOR (--contact-anchor), against the simulator itself.
 * - A 6 cm rubber ball rolling left at 1.5 m/s (50 rad/s, its contact not sliding) falls at 3 m/s
 *   onto the stone floor from gaps of 5 mm to 4.5 cm (it lands within the tick's first physics step
 *   or its second). The simulator pushes both bodies at the point midway between the surfaces at the
 *   start of the landing's step, so friction takes spin that a sliding-free landing would keep: the
 *   anchor's prior gives the tick's vx and spin changes of the simulator's own tick within 2 mm/s and
 *   2% (measured: to 1e-4); the candidate point itself (the floor's point under the ball, as without
 *   the option) slides the contact by omega times the whole gap and takes 1.7 to 9 times the spin the
 *   simulator takes (at 3 cm 22.2 rad/s for its 2.5). Normal speeds are the same: vy alike.
 * - The ball rolling right at 1.45 m/s on a wooden floor, its centre 3 to 10 mm before the floor's
 *   end: the simulator lets it go within the tick (vy -g dt / 2, it leaves the surface halfway). With
 *   the option the ball touches the floor at its nearest point only and is held (vy 0, no turn);
 *   without it the floor's corner, a second point the ball approaches for the tick's first
 *   millimetres, is held apart for the whole tick and throws the ball up (+0.18 to +0.54 m/s).
 * The option needs the friction */
static void test_wm_contact_anchor(void) {
    const double gaps[4] = {0.005, 0.02, 0.03, 0.045}, edge[3] = {0.003, 0.005, 0.01};
    BallCase c;
    ball_case_init(&c, WM_INPUT_PRIOR_ANCHOR, 31);
    for (int i = 0; i < 4; i++) {
        ball_case_tick(&c, "stone", 0.0, gaps[i], -1.5, -3.0, 50.0);
        float dvx = c.rn[SIM_OBS_vx] - c.r[SIM_OBS_vx], dw = c.rn[SIM_OBS_omega] - c.r[SIM_OBS_omega];
        CHECK(c.rn[SIM_OBS_vy] > 0.0f && dw < -1.0f);   /* it landed, and lost spin */
        CHECK(fabsf(c.p[0] - dvx) < 2e-3f && fabsf(c.p[2] - dw) < 0.02f * fabsf(dw));
        CHECK(fabsf(c.p0[2] - dw) > 0.5f * fabsf(dw));
        CHECK(fabsf(c.p[1] - c.p0[1]) < 1e-4f);
    }
    for (int i = 0; i < 3; i++) {
        ball_case_tick(&c, "wood", 2.0 - edge[i], 0.0, 1.45, 0.0, -1.45 / 0.03);
        CHECK(fabsf(c.rn[SIM_OBS_vy] - c.r[SIM_OBS_vy] + 0.5f * c.gdt) < 0.01f);   /* it leaves halfway */
        /* (its weight) */
        CHECK(fabsf(c.p[1] - c.gdt) < 1e-4f && fabsf(c.p[0]) < 1e-4f && fabsf(c.p[2]) < 1e-3f);
        CHECK(c.p0[1] - c.gdt > 0.15f);
    }
    check_reload_predicts_same(c.m, c.s, c.st, c.mask);
    ball_case_free(&c);
    char err[256];
    WmArch a = small_arch();
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_ANCHOR;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "contact anchors") && !strchr(err, '\n'));
}

/* a 4 m stone floor (x -2 .. 2, top at 0) in slot 0 and the n bodies defs after it, observed into st,
 * mask, then one tick of the simulator: its observation into next */
static void floor_tick(const SimBodyDef* defs, int n, float* st, uint8_t* mask, float* next) {
    SimWorld* w = floor_world("stone");
    for (int i = 0; i < n; i++) CHECK(sim_world_add_body(w, &defs[i], NULL, 0) == i + 1);
    int32_t ids[TK];
    uint8_t mn[TK];
    CHECK(sim_world_observe(w, st, mask, ids, TK) == n + 1);
    sim_world_tick(w, NULL);
    CHECK(sim_world_observe(w, next, mn, ids, TK) == n + 1);
    sim_world_destroy(w);
}

/* WM_INPUT_PRIOR_RECHECK (--contact-recheck), against the simulator's own tick.
 * - A wooden plank (1 m x 3 cm) falls flat at 2 m/s, 1 mm above the floor, and an 8 cm steel ball
 *   falls at 1 m/s 4 mm above it, 0.3 m right of its centre: at the tick's start the plank falls away
 *   from the ball, so the one solve leaves the pair out; the floor stops the plank within the tick's
 *   first millisecond and the ball lands on it a few milliseconds later (seesaw's tick 26). With the
 *   option the ball's change is the simulator's within 20% (measured 1.31 m/s up, truly 1.15: the
 *   ball bounces at steel-on-wood's 0.15 of its 1 m/s; 1.40 while the simulator warm-started
 *   impacts); without it the ball gets nothing from the contacts (gravity's -g dt alone).
 * - A 10 cm steel ball slides right at 6 m/s into a wooden box (10 cm) lying on the floor, 1 mm from
 *   it, and a second such box lies 2 cm right of the first: at the start speeds the two boxes are too
 *   far apart to meet within the tick (the first pass skips the pair), but the hit sends the first
 *   into the second within it. With the option the second box is pushed right as the simulator's is,
 *   within 35% (measured 6.22 m/s, truly 4.70: the one solve's chain of hits, no substeps; 5.36 while
 *   the simulator warm-started impacts); without
 *   it it gets nothing.
 * The option needs the supports and is not one of the substeps' */
static void test_wm_contact_recheck(void) {
    WmArch a = small_arch();
    WmModel* m0;
    WmModel* m = option_pair(&a, WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                                     WM_INPUT_PRIOR_AXIS | WM_INPUT_PRIOR_ANCHOR,
                             WM_INPUT_PRIOR_RECHECK, 33, &m0);
    WmScratch* s = wm_scratch_create(m);
    float st[TK * SIM_OBS_DIM], sn[TK * SIM_OBS_DIM], p[3], p0[3];
    uint8_t mask[TK];
    float gdt = -WM_PRIOR_GRAVITY * a.dt;
    SimBodyDef d[3];
    d[0] = sim_body_def_default();
    d[0].kind = SIM_KIND_PLANK;
    d[0].material = sim_material_find("wood");
    d[0].w = 1.0, d[0].h = 0.03, d[0].y = 0.015 + 0.001, d[0].vy = -2.0;
    d[1] = sim_body_def_default();
    d[1].kind = SIM_KIND_BALL;
    d[1].material = sim_material_find("steel");
    d[1].w = d[1].h = 0.08, d[1].x = 0.3, d[1].y = 0.031 + 0.004 + 0.04, d[1].vy = -1.0;
    floor_tick(d, 2, st, mask, sn);
    const float* r = st + 2 * SIM_OBS_DIM;
    const float* rn = sn + 2 * SIM_OBS_DIM;
    float dvy = rn[SIM_OBS_vy] - r[SIM_OBS_vy];
    prior_of(m, s, st, mask, 2, p);
    prior_of(m0, s, st, mask, 2, p0);
    CHECK(dvy > 1.0f);   /* it landed and bounced */
    CHECK(fabsf(p[1] - gdt - dvy) < 0.2f * dvy && fabsf(p[0]) < 1e-3f);   /* (gravity in gdt; measured 1.31 m/s, truly 1.15) */
    CHECK(fabsf(p0[0]) < 1e-6f && fabsf(p0[1]) < 1e-6f && fabsf(p0[2]) < 1e-6f);
    d[0] = sim_body_def_default();
    d[0].material = sim_material_find("wood");
    d[0].y = 0.05;
    d[1] = d[0];
    d[1].x = 0.12;
    d[2] = sim_body_def_default();
    d[2].kind = SIM_KIND_BALL;
    d[2].material = sim_material_find("steel");
    d[2].w = d[2].h = 0.1, d[2].x = -0.101, d[2].y = 0.05, d[2].vx = 6.0;
    floor_tick(d, 3, st, mask, sn);
    r = st + 2 * SIM_OBS_DIM;
    rn = sn + 2 * SIM_OBS_DIM;
    float dvx = rn[SIM_OBS_vx] - r[SIM_OBS_vx];
    prior_of(m, s, st, mask, 2, p);
    prior_of(m0, s, st, mask, 2, p0);
    CHECK(dvx > 4.0f);   /* the first box passed the hit on */
    CHECK(fabsf(p[0] - dvx) < 0.35f * dvx);   /* (measured: 6.22 m/s, truly 4.70) */
    /* (the second box's own island stops at its own impulses' 1e-5: measured 5e-7 m/s, 9e-6 rad/s) */
    CHECK(fabsf(p0[0]) < 1e-5f && fabsf(p0[2]) < 1e-4f);
    check_reload_predicts_same(m, s, st, mask);
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_RECHECK;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "contact recheck") && !strchr(err, '\n'));
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
               WM_INPUT_PRIOR_SUBSTEP | WM_INPUT_PRIOR_RECHECK;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "contact recheck") && !strchr(err, '\n'));
    wm_scratch_free(s);
    wm_free(m);
    wm_free(m0);
}

/* WM_INPUT_EDGE_TIME (--edge-time): the edge from a 4 m floor (x -2 .. 2) to a box on it at x = 1
 * carries how soon the box passes the floor's end ahead of it, in event horizons (0.5 s): moving
 * right at 2 m/s, 1 m from the end: 0.5 s = 1; at 4 m/s 0.5; left at 2 m/s, 3 m from the other end,
 * 1.5 s: capped at 2; at rest: 2. The reach inputs beside it are capped at 1.5 m, the time's reach
 * is not (left at 5 m/s: 0.6 s = 1.2). One column more than the model without it, whose columns are
 * the same bytes; the option needs the support inputs */
static void test_wm_edge_time(void) {
    WmArch a = small_arch();
    WmModel* m0;
    WmModel* m = option_pair(&a, WM_INPUT_SUPPORT, WM_INPUT_EDGE_TIME, 32, &m0);
    int G = wm_edge_feats(&a), G0 = wm_edge_feats(wm_arch(m0)), at = wm_edge_time_at(&a);
    CHECK(G == G0 + 1 && at == G0);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s0 = wm_scratch_create(m0);
    const float vx[5] = {2.0f, 4.0f, -2.0f, 0.0f, -5.0f}, want[5] = {1.0f, 0.5f, 2.0f, 2.0f, 1.2f};
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    for (int i = 0; i < 5; i++) {
        resting_box(st, mask, 0.5f);
        st[SIM_OBS_DIM + SIM_OBS_x] = 1.0f;
        st[SIM_OBS_DIM + SIM_OBS_vx] = vx[i];
        CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0) && s->ne == 1);
        CHECK(wm_pack(m0, s0, 1, st, mask, NULL, NULL, 0, 0) && s0->ne == 1);
        CHECK(fabsf(s->eraw[at] - want[i]) < 1e-4f);
        CHECK(memcmp(s->eraw, s0->eraw, sizeof(float) * (size_t)G0) == 0);
    }
    check_reload_predicts_same(m, s, st, mask);
    char err[256];
    a.inputs = WM_INPUT_EDGE_TIME;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "support inputs") && !strchr(err, '\n'));
    wm_scratch_free(s);
    wm_scratch_free(s0);
    wm_free(m);
    wm_free(m0);
}

static void test_wm_collision_friction(void) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    WmArch a = small_arch();
    WmModel* m0;
    WmModel* m = option_pair(&a, WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT,
                             WM_INPUT_PRIOR_FRICTION, 26, &m0);
    WmScratch* s = wm_scratch_create(m);
    WmScratch* s0 = wm_scratch_create(m0);
    const float gdt = 9.81f * a.dt, mu = 0.6f * 0.6f;
    float box[3], ball[3];
    for (int slide = 0; slide < 2; slide++) {
        resting_box(st, mask, 0.5f);
        st[SIM_OBS_DIM + SIM_OBS_vx] = slide ? 1.0f : 0.0f;
        CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0));
        slot_prior(m, s, 1, box);
        CHECK(fabsf(box[0] - (slide ? -mu * gdt : 0.0f)) < 1e-3f && fabsf(box[1] - gdt) < 1e-4f);
        if (!slide) CHECK(fabsf(box[2]) < 1e-3f);
    }
    spinning_ball(st, mask, 0.0f, -20.0f);
    prior_of(m, s, st, mask, 2, ball);
    check_rolled(ball, mu * gdt, gdt, 0.05f / (0.1f * 0.1f / 8.0f));
    prior_of(m0, s0, st, mask, 2, ball);
    CHECK(ball[0] == 0.0f && ball[2] == 0.0f);
    char err[256];
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_FRICTION;
    CHECK(!wm_arch_check(&a, err, sizeof err) && strstr(err, "collision friction") && !strchr(err, '\n'));
    wm_scratch_free(s);
    wm_scratch_free(s0);
    wm_free(m);
    wm_free(m0);
}

/* the ball-over-the-plank's-end scene of test_wm_collision_inputs (the floor, the 2 kg plank in slot 1,
 * the 4 kg ball 1 cm above its right end falling at 1 m/s: the pair collides within the tick) */
static void plank_hit_scene(float* st, uint8_t* mask) {
    resting_box(st, mask, 0.5f);
    body_row(st + SIM_OBS_DIM, 0.0f, 0.026f, 0, 0, 0, 0, 1.6f, 0.05f, 2.0f, false);
    ball_above(st, mask, 0.75f, 0.051f, 0.01f, -1.0f);
}

/* one forward pass of model m over the scene: out[2][WM_OUTPUTS] by slot (plank, ball) and, when add is
 * given, each row's collision velocity change (normalized, as the prior adds it) */
static void plank_hit_outputs(const WmModel* m, WmScratch* s, float out[2][WM_OUTPUTS], float add[2][3]) {
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    plank_hit_scene(st, mask);
    CHECK(wm_pack(m, s, 1, st, mask, NULL, NULL, 0, 0) && s->nd == 2);
    wm_features_normalize(m, s);
    wm_forward(m, s);
    size_t G = (size_t)wm_edge_feats(wm_arch(m)), at = (size_t)wm_edge_prior_at(wm_arch(m));
    if (add) memset(add, 0, sizeof(float) * 6);
    for (int r = 0; r < 2; r++) {
        int k = s->node_slot[s->row_node[r]] - 1;
        memcpy(out[k], s->out + (size_t)r * WM_OUTPUTS, sizeof(float) * WM_OUTPUTS);
        if (add)
            for (int e = 0; e < s->ne; e++)
                if (s->recv[e] == r)
                    for (int c = 0; c < 3; c++) add[k][c] += s->eraw[(size_t)e * G + at + 1 + c] / m->tgt.fstd[WM_DV + c];
    }
}

/* WM_INPUT_PRIOR_GATE (--collision-gate): with its head at zero (as created) a model predicts what the
 * same weights without the gate do (gain 1); with the head's biases at (+20, -20) the collision's linear
 * change counts twice and its turn not at all (the ball lifted twice as much, the plank pushed down
 * twice as hard and not turned); with random head weights both bodies of the pair take their pair's
 * gains, so the gated exchange still moves no linear momentum; a checkpoint keeps the head */
static void test_wm_collision_gate(void) {
    WmModel* m0 = impact_model(WM_INPUT_PRIOR, 0.0f);
    WmModel* mp = impact_model(WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT, 0.0f);
    WmModel* mg = impact_model(WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_GATE, 0.0f);
    int E = wm_arch(mg)->edge;
    CHECK(mp->nparams == m0->nparams && mg->nparams == mp->nparams + 2 * E + 2);
    CHECK(mg->gate.w >= mp->nparams);
    for (int i = mp->nparams; i < mg->nparams; i++) CHECK(mg->params[i] == 0.0f);
    /* (every other weight nonzero, the same in the three) */
    Rng rng;
    rng_seed(&rng, 41);
    for (int i = 0; i < mp->nparams; i++) mp->params[i] += 0.1f * (float)rng_normal(&rng);
    memcpy(m0->params, mp->params, sizeof(float) * (size_t)mp->nparams);
    memcpy(mg->params, mp->params, sizeof(float) * (size_t)mp->nparams);
    WmScratch* s = wm_scratch_create(mg);
    float o0[2][WM_OUTPUTS], op[2][WM_OUTPUTS], og[2][WM_OUTPUTS], add[2][3];
    plank_hit_outputs(m0, s, o0, add);
    plank_hit_outputs(mp, s, op, NULL);
    plank_hit_outputs(mg, s, og, NULL);
    /* the plank turns clockwise and is pushed down, the ball is lifted */
    CHECK(add[0][2] < -0.5f && add[0][1] < -0.05f && add[1][1] > 0.05f);
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < WM_OUTPUTS; c++) {
            CHECK(og[k][c] == op[k][c]);
            float want = c >= WM_DV && c < WM_DV + 3 ? add[k][c - WM_DV] : 0.0f;
            CHECK(fabsf(op[k][c] - (o0[k][c] + want)) <= 1e-5f * (1.0f + fabsf(want)));
        }
    mg->params[mg->gate.b + 0] = 20.0f;
    mg->params[mg->gate.b + 1] = -20.0f;
    plank_hit_outputs(mg, s, og, NULL);
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float want = c == WM_DV + 0 || c == WM_DV + 1 ? 2.0f * add[k][c - WM_DV] : 0.0f;
            CHECK(fabsf(og[k][c] - (o0[k][c] + want)) <= 1e-5f * (1.0f + fabsf(want)));
        }
    /* random head weights: gains away from 1, the same for both bodies of the pair */
    for (int i = mg->gate.w; i < mg->nparams; i++) mg->params[i] = 2.0f * (float)rng_normal(&rng);
    plank_hit_outputs(mg, s, og, NULL);
    float mass[2] = {2.0f, 4.0f}, gains[2] = {0};
    double p[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        gains[k] = (og[k][WM_DV + 1] - o0[k][WM_DV + 1]) / add[k][1];
        for (int c = 0; c < 2; c++) p[c] += mass[k] * (og[k][WM_DV + c] - o0[k][WM_DV + c]) * mg->tgt.fstd[WM_DV + c];
    }
    CHECK(fabsf(gains[0] - gains[1]) < 1e-4f && gains[0] > 0.0f && gains[0] < 2.0f && fabsf(gains[0] - 1.0f) > 0.01f);
    CHECK(fabs(p[0]) < 1e-5 && fabs(p[1]) < 1e-5 * fabs(mass[1] * add[1][1] * mg->tgt.fstd[WM_DV + 1]) + 1e-6);
    /* through a checkpoint */
    float st[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    plank_hit_scene(st, mask);
    CHECK(wm_arch(mg)->inputs == (WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_GATE));
    check_reload_predicts_same(mg, s, st, mask);
    wm_scratch_free(s);
    wm_free(m0);
    wm_free(mp);
    wm_free(mg);
}

/* WM_INPUT_PRIOR_GATE: the whole model's gradient against finite differences where the gate acts: the
 * ball landing on the plank's end (a dynamic pair: two edges, one gate) and a box falling onto the
 * floor (a static sender: the edge's own gate), every gate weight and every third other one */
static void test_wm_gate_grad(void) {
    Rng rng;
    rng_seed(&rng, 43);
    WmArch a = grad_arch();
    a.radius = 0.3f;
    a.inputs = WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_GATE;
    WmModel* m = wm_create(&a, 44);
    WmScratch* s = wm_scratch_create(m);
    for (int i = 0; i < m->nparams; i++) m->params[i] += 0.1f * (float)rng_normal(&rng);
    for (int i = m->gate.w; i < m->nparams; i++) m->params[i] = 0.5f * (float)rng_normal(&rng);
    WmTransitions t;
    wm_transitions_init(&t, 2, TK, SIM_OBS_DIM, 0);
    t.n = 2;
    plank_hit_scene(t.s0, t.m0);
    resting_box(t.s0 + TK * SIM_OBS_DIM, t.m0 + TK, 0.5f);
    t.s0[(TK + 1) * SIM_OBS_DIM + SIM_OBS_y] += 0.01f;
    t.s0[(TK + 1) * SIM_OBS_DIM + SIM_OBS_vy] = -1.0f;
    falling_next(&t);
    for (int i = 0; i < 2 * TK * WM_EVENTS; i++) t.labels[i] = (float)(rng_unit(&rng) < 0.3);
    /* (the targets' scales of a collision: a fresh model's 1 would make a 1 m/s change tiny) */
    float* raw = malloc(sizeof(float) * 2 * TK * WM_TARGETS);
    float* g = calloc((size_t)m->nparams, sizeof(float));
    wm_batch_loss(m, s, &t, raw, true, g);
    /* the gate acts on three edges: the pair's two and the box's floor */
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    int fired = 0;
    for (int e = 0; e < s->ne; e++) fired += s->eraw[(size_t)e * G + at + 2] != 0.0f;
    CHECK(fired == 3);
    int head = m->gate.w, headbad, checked;
    int bad = batch_grad_misses(m, s, &t, raw, g, head, "gate grad", &headbad, &checked);
    /* the gate's gradient is not zero (it acts) */
    double gsum = 0;
    for (int i = head; i < m->nparams; i++) gsum += fabs(g[i]);
    CHECK(gsum > 1e-3);
    CHECK(checked > 100);
    CHECK(headbad == 0);
    CHECK(bad * 50 <= checked);
    if (bad * 50 > checked) fprintf(stderr, "gate grad: %d of %d disagree\n", bad, checked);
    free(raw);
    free(g);
    wm_transitions_free(&t);
    wm_scratch_free(s);
    wm_free(m);
}

/* --impact-weight: the velocity and position means' gradients on the two rows of a pair that is
 * hitting (of --impact-speed, the rule of --release-impact: the ball 1 cm above the box at 1 m/s) are
 * W times what they are at 1; every other output's and every other row's unchanged (world 1: the
 * ball 5 cm above, not within a tick); with a speed above the closing speed, nothing changes */
static void test_wm_impact_weight(void) {
    WmModel* m = impact_model(0, 0.0f);
    /* (a decoder that gives every row a nonzero error) */
    Rng rng;
    rng_seed(&rng, 31);
    for (int i = 0; i < m->nparams; i++) m->params[i] += 0.05f * (float)rng_normal(&rng);
    WmScratch* s = wm_scratch_create(m);
    WmTransitions t;
    wm_transitions_init(&t, 2, TK, SIM_OBS_DIM, 0);
    t.n = 2;
    for (int b = 0; b < 2; b++) {
        float* st = t.s0 + (size_t)b * TK * SIM_OBS_DIM;
        resting_box(st, t.m0 + b * TK, 0.5f);
        ball_above(st, t.m0 + b * TK, 0.2f, 0.101f, b ? 0.05f : 0.01f, -1.0f);
        memcpy(t.m1 + b * TK, t.m0 + b * TK, TK);
        /* next tick: the box knocked down and turned, the ball slowed */
        memcpy(t.s1 + (size_t)b * TK * SIM_OBS_DIM, st, sizeof(float) * TK * SIM_OBS_DIM);
        float* box = t.s1 + ((size_t)b * TK + 1) * SIM_OBS_DIM;
        float* ball = t.s1 + ((size_t)b * TK + 2) * SIM_OBS_DIM;
        box[SIM_OBS_vy] = -0.3f, box[SIM_OBS_omega] = 2.0f;
        ball[SIM_OBS_vy] = -0.4f, ball[SIM_OBS_y] -= 0.008f;
    }
    memset(t.push, 0, sizeof(float) * 2 * TK * 4);
    memset(t.labels, 0, sizeof(float) * 2 * TK * WM_EVENTS);
    float raw[2 * TK * WM_TARGETS];
    wm_pack(m, s, t.n, t.s0, t.m0, t.push, NULL, 0, 0);
    wm_targets(m, s, &t, raw);
    wm_features_normalize(m, s);
    wm_forward(m, s);
    WmLossWeights one = wm_loss_weights_default(), four = one, slow = one;
    four.impact = 4.0f;
    slow.impact = 4.0f;
    slow.impact_speed = 1.5f;
    size_t nout = (size_t)s->nd * WM_OUTPUTS;
    float* d1 = malloc(sizeof(float) * nout);
    double l1 = wm_loss(m, s, &one, true, NULL);
    memcpy(d1, s->dout, sizeof(float) * nout);
    CHECK(wm_loss(m, s, &four, true, NULL) > l1);
    int hit = 0, scaled = 0;
    for (size_t r = 0; r < (size_t)s->nd; r++) {
        int i = s->row_node[r];
        bool pair = s->node_world[i] == 0 && (s->node_slot[i] == 1 || s->node_slot[i] == 2);
        hit += pair;
        for (int c = 0; c < WM_OUTPUTS; c++) {
            float g1 = d1[r * WM_OUTPUTS + c], g4 = s->dout[r * WM_OUTPUTS + c];
            if (pair && c < WM_TARGETS) {
                CHECK(fabsf(g4 - 4.0f * g1) <= 1e-6f * fabsf(g1));
                scaled += g1 != 0.0f;
            } else {
                CHECK(g4 == g1);
            }
        }
    }
    CHECK(hit == 2 && s->nd == 4 && scaled >= 6);
    CHECK(wm_loss(m, s, &slow, true, NULL) == l1 && memcmp(s->dout, d1, sizeof(float) * nout) == 0);
    free(d1);
    wm_transitions_free(&t);
    wm_scratch_free(s);
    wm_free(m);
}

/* ---- dataset reader: a tiny dataset in nudge gen's layout ---- */

static void write_manifest(const char* dir, int version, int E, int T, const char* shard) {
    char path[512], fp[512], err[256];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE* f = fopen(path, "w");
    fprintf(f, "{\"format\": \"nudge-dataset\", \"version\": %d, \"columns\": [", version);
    for (int c = 0; c < SIM_OBS_DIM; c++)
        fprintf(f, "%s{\"name\": \"%s\", \"unit\": \"%s\"}", c ? ", " : "", sim_obs_columns[c].name,
                sim_obs_columns[c].unit);
    fprintf(f, "], \"slots\": %d, \"dim\": %d, \"tick\": 0.0166667, \"ticks\": %d, \"episodes\": %d, "
               "\"shards\": [{\"dir\": \"%s\", \"first\": 0, \"count\": %d, \"files\": {",
            TK, SIM_OBS_DIM, T, E, shard, E);
    const char* names[] = {"states.npy", "mask.npy", "actions.npy", "contacts.npy", "events.npy"};
    for (int i = 0; i < 5; i++) {
        uint32_t crc = 0;
        snprintf(fp, sizeof fp, "%s/%s/%s", dir, shard, names[i]);
        crc32_file(fp, &crc, err, sizeof err);
        fprintf(f, "%s\"%s\": {\"crc32\": \"%08x\"}", i ? ", " : "", names[i], crc);
    }
    fprintf(f, "}}]}\n");
    fclose(f);
}

static void test_dataset(void) {
    char dir[] = "/tmp/nudge-test-data-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sh[512], path[600], err[512];
    snprintf(sh, sizeof sh, "%s/shard-00000", dir);
    CHECK(make_dirs(sh, err, sizeof err));
    enum { E = 2, T = 40 };
    size_t rec = (size_t)E * T * TK;
    float* st = calloc(rec * SIM_OBS_DIM, sizeof(float));
    uint8_t* mk = calloc(rec, 1);
    float* ac = calloc(rec * 4, sizeof(float));
    uint8_t* ct = calloc(rec, 1);
    Rng r;
    rng_seed(&r, 5);
    for (int e = 0; e < E; e++) {
        random_world(&r, st + (size_t)e * T * TK * SIM_OBS_DIM, mk + (size_t)e * T * TK);
        for (int t = 1; t < T; t++) {
            size_t i = ((size_t)e * T + t) * TK;
            free_fall(st + (i - TK) * SIM_OBS_DIM, mk + i - TK, st + i * SIM_OBS_DIM);
            memcpy(mk + i, mk + i - TK, TK);
        }
    }
    /* one break event: episode 1, record 20, body 1 (packed 21-byte records) */
    unsigned char ev[21] = {0};
    int32_t v = 1;
    memcpy(ev, &v, 4);
    v = 20;
    memcpy(ev + 4, &v, 4);
    ev[8] = SIM_EV_BREAK;
    v = 1;
    memcpy(ev + 9, &v, 4);
    int64_t s4[4] = {E, T, TK, SIM_OBS_DIM}, s3[3] = {E, T, TK}, sa[4] = {E, T, TK, 4}, se[1] = {1};
    snprintf(path, sizeof path, "%s/states.npy", sh);
    CHECK(npy_save(path, "'<f4'", s4, 4, st, rec * SIM_OBS_DIM * 4, err, sizeof err));
    snprintf(path, sizeof path, "%s/mask.npy", sh);
    CHECK(npy_save(path, "'|u1'", s3, 3, mk, rec, err, sizeof err));
    snprintf(path, sizeof path, "%s/actions.npy", sh);
    CHECK(npy_save(path, "'<f4'", sa, 4, ac, rec * 16, err, sizeof err));
    snprintf(path, sizeof path, "%s/contacts.npy", sh);
    CHECK(npy_save(path, "'|u1'", s3, 3, ct, rec, err, sizeof err));
    snprintf(path, sizeof path, "%s/events.npy", sh);
    CHECK(npy_save(path, "[('episode', '<i4'), ('tick', '<i4'), ('type', 'u1'), ('a', '<i4'), ('b', '<i4'), ('magnitude', '<f4')]",
                    se, 1, ev, 21, err, sizeof err));
    write_manifest(dir, 1, E, T, "shard-00000");
    WmDataset* d = wm_dataset_load(dir, err, sizeof err);
    CHECK(d != NULL);
    if (d) {
        CHECK(d->episodes == E && d->ticks == T && d->slots == TK);
        CHECK(memcmp(d->states, st, rec * SIM_OBS_DIM * 4) == 0);
        /* the break between records 20 and 21 marks record 21 (model/replay.h) */
        CHECK(d->bits[((size_t)1 * T + 21) * TK + 1] == WM_BIT_BREAK);
        CHECK(d->bits[((size_t)1 * T + 20) * TK + 1] == 0);
        /* replay labels: it is within 30 ticks of the transitions from records 0..20 */
        WmReplay* rp = wm_replay_create(TK, SIM_OBS_DIM, 1000);
        wm_dataset_fill(d, rp, 1, 1);
        CHECK(wm_replay_ready(rp) == T - 1);
        WmTransitions t;
        wm_transitions_init(&t, 64, TK, SIM_OBS_DIM, 0);
        int64_t cur = 0;
        CHECK(wm_replay_sweep(rp, &cur, 64, &t) == T - 1);
        for (int i = 0; i < t.n; i++)
            CHECK(t.labels[((size_t)i * TK + 1) * WM_EVENTS + WM_EVENT_BREAK] == (i <= 20 ? 1.0f : 0.0f));
        wm_transitions_free(&t);
        wm_replay_free(rp);
        /* a model with another slot count does not fit */
        WmArch a = wm_arch_default(TK + 1);
        WmModel* m = wm_create(&a, 1);
        CHECK(!wm_dataset_check_model(d, m, "m.bin", err, sizeof err) && strstr(err, "slots"));
        wm_free(m);
        /* keeping the second episode only */
        wm_dataset_keep(d, 1, 1);
        CHECK(d->episodes == 1);
        CHECK(memcmp(d->states, st + (size_t)T * TK * SIM_OBS_DIM, sizeof(float) * T * TK * SIM_OBS_DIM) == 0);
        CHECK(d->bits[(size_t)21 * TK + 1] == WM_BIT_BREAK);
        wm_dataset_free(d);
    }
    /* another format version */
    write_manifest(dir, 99, E, T, "shard-00000");
    CHECK(wm_dataset_load(dir, err, sizeof err) == NULL && strstr(err, "version 99") && strstr(err, "nudge gen"));
    /* a corrupted shard file */
    write_manifest(dir, 1, E, T, "shard-00000");
    snprintf(path, sizeof path, "%s/mask.npy", sh);
    mk[7] ^= 1;
    CHECK(npy_save(path, "'|u1'", s3, 3, mk, rec, err, sizeof err));
    CHECK(wm_dataset_load(dir, err, sizeof err) == NULL && strstr(err, "corrupted") && strstr(err, "mask.npy"));
    /* missing folder */
    CHECK(wm_dataset_load("/nonexistent-dataset", err, sizeof err) == NULL && strstr(err, "manifest.json"));
    /* malformed manifest: file:line:col */
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE* f = fopen(path, "w");
    fprintf(f, "{\"format\": \"nudge-dataset\",\n  \"version\": ]}\n");
    fclose(f);
    CHECK(wm_dataset_load(dir, err, sizeof err) == NULL && strstr(err, "manifest.json:2:"));
    remove_tree(dir);
    free(st);
    free(mk);
    free(ac);
    free(ct);
}

/* ---- training on free fall: determinism, learning, rollouts ---- */

static WmTrainerDef fall_def(uint64_t seed, int threads) {
    WmTrainerDef d = wm_trainer_def_default(TK);
    d.threads = threads;
    d.arch = small_arch();
    d.seed = seed;
    d.batch = 32;
    d.capacity = 5000;
    d.val_every = 5;
    d.lr = 3e-3f;
    return d;
}

/* a trainer of def d (from start, or a new model), its buffers filled with 96 free-fall episodes */
static WmTrainer* fall_trainer_from(const WmTrainerDef* d, const WmModel* start) {
    WmTrainer* tr = wm_trainer_create(d, start);
    Rng r;
    rng_seed(&r, 42);
    float st[TK * SIM_OBS_DIM], nx[TK * SIM_OBS_DIM];
    uint8_t mask[TK];
    for (int e = 0; e < 96; e++) {
        wm_trainer_begin_episode(tr);
        random_world(&r, st, mask);
        /* 25 ticks: the falling bodies (from 2 m up) never reach the floor */
        for (int t = 0; t < 25; t++) {
            wm_trainer_add_tick(tr, st, mask, NULL, NULL, NULL, 0);
            free_fall(st, mask, nx);
            memcpy(st, nx, sizeof st);
        }
    }
    wm_trainer_begin_episode(tr);
    return tr;
}

static WmTrainer* fall_trainer(uint64_t seed, int threads) {
    WmTrainerDef d = fall_def(seed, threads);
    return fall_trainer_from(&d, NULL);
}

static void test_training(void) {
    nn_set_threads(1);
    WmTrainer* a = fall_trainer(3, 1);
    WmTrainer* b = fall_trainer(3, 1);
    WmTrainerStats sa;
    wm_trainer_stats(a, &sa);
    CHECK(sa.transitions > 1000 && sa.val_transitions > 100);
    float v0 = wm_trainer_validate(a, 8);
    for (int i = 0; i < 300; i++) {
        CHECK(wm_trainer_step(a));
        if (i < 40) wm_trainer_step(b);
    }
    float v1 = wm_trainer_validate(a, 8);
    CHECK(isfinite(v0) && isfinite(v1) && v1 < 0.3f * v0);
    /* the profile counts every step, and rolled, forward and backward work took time */
    WmTrainerProfile prof;
    wm_trainer_profile(a, &prof);
    CHECK(prof.steps == 300);
    CHECK(prof.roll > 0 && prof.pack > 0 && prof.forward > 0 && prof.backward > 0 && prof.update > 0);
    CHECK(prof.sample >= 0 && prof.targets >= 0 && prof.stats >= 0 && prof.loss >= 0);
    if (!(v1 < 0.3f * v0)) fprintf(stderr, "val loss %g -> %g\n", v0, v1);
    /* bit-reproducible: a second trainer with the same seed, same steps, same weights */
    WmTrainer* c = fall_trainer(3, 1);
    for (int i = 0; i < 40; i++) wm_trainer_step(c);
    WmModel* mb = wm_trainer_model(b);
    WmModel* mc = wm_trainer_model(c);
    CHECK(memcmp(mb->params, mc->params, sizeof(float) * (size_t)mb->nparams) == 0);
    CHECK(wm_train_steps(mc) == 40);
    /* two threads, each a part of every batch: the same bytes run after run, and it learns too */
    {
        WmTrainer* t2[2] = {fall_trainer(3, 2), fall_trainer(3, 2)};
        float w0 = wm_trainer_validate(t2[0], 8);
        for (int i = 0; i < 150; i++) {
            CHECK(wm_trainer_step(t2[0]));
            if (i < 40) CHECK(wm_trainer_step(t2[1]));
        }
        for (int i = 40; i < 150; i++) wm_trainer_step(t2[1]);
        WmModel* p0 = wm_trainer_model(t2[0]);
        WmModel* p1 = wm_trainer_model(t2[1]);
        CHECK(memcmp(p0->params, p1->params, sizeof(float) * (size_t)p0->nparams) == 0);
        float w1 = wm_trainer_validate(t2[0], 8);
        CHECK(isfinite(w1) && w1 < 0.3f * w0);
        wm_trainer_free(t2[0]);
        wm_trainer_free(t2[1]);
    }

    /* the published copy: nothing until publish, then the working weights */
    WmModel* view = wm_create(&mb->arch, 99);
    CHECK(wm_trainer_snapshot(a, view, 0) == 0);
    wm_trainer_publish(a);
    uint64_t v = wm_trainer_snapshot(a, view, 0);
    CHECK(v == 1);
    CHECK(memcmp(view->params, wm_trainer_model(a)->params, sizeof(float) * (size_t)view->nparams) == 0);
    CHECK(wm_trainer_snapshot(a, view, v) == v);

    /* rollouts: shapes, static and empty slots untouched, free fall learned */
    WmScratch* s = wm_scratch_create(view);
    enum { B = 3, H = 10 };
    float st[B * TK * SIM_OBS_DIM], truth[TK * SIM_OBS_DIM], tmp[TK * SIM_OBS_DIM];
    uint8_t mask[B * TK];
    Rng r;
    rng_seed(&r, 77);
    for (int b = 0; b < B; b++) random_world(&r, st + b * TK * SIM_OBS_DIM, mask + b * TK);
    float* out = malloc(sizeof(float) * B * H * TK * SIM_OBS_DIM);
    float* ev = malloc(sizeof(float) * B * H * TK * WM_EVENTS);
    wm_rollout(view, s, B, st, mask, NULL, H, out, NULL, ev);
    double err_model = 0, err_cv = 0;
    for (int b = 0; b < B; b++) {
        memcpy(truth, st + b * TK * SIM_OBS_DIM, sizeof truth);
        for (int h = 0; h < H; h++) {
            free_fall(truth, mask + b * TK, tmp);
            memcpy(truth, tmp, sizeof truth);
            const float* o = out + ((size_t)b * H + h) * TK * SIM_OBS_DIM;
            for (int k = 0; k < TK; k++) {
                const float* p = o + k * SIM_OBS_DIM;
                for (int c = 0; c < SIM_OBS_DIM; c++) CHECK(isfinite(p[c]));
                for (int e = 0; e < WM_EVENTS; e++) {
                    float pe = ev[(((size_t)b * H + h) * TK + k) * WM_EVENTS + e];
                    CHECK(pe >= 0 && pe <= 1);
                }
                if (!mask[b * TK + k] || k == 0) {
                    /* static floor and empty slots: copied */
                    CHECK(memcmp(p, st + (b * TK + k) * SIM_OBS_DIM, sizeof(float) * SIM_OBS_DIM) == 0);
                    continue;
                }
                if (k == 4) {
                    /* resting on the floor: held still (the learned rest head) */
                    CHECK(p[SIM_OBS_x] == st[(b * TK + k) * SIM_OBS_DIM + SIM_OBS_x]);
                    CHECK(p[SIM_OBS_y] == st[(b * TK + k) * SIM_OBS_DIM + SIM_OBS_y]);
                    continue;
                }
                if (h == H - 1) {
                    const float* s0 = st + (b * TK + k) * SIM_OBS_DIM;
                    float cvx = s0[SIM_OBS_x] + H * s0[SIM_OBS_vx] / 60.0f;
                    float cvy = s0[SIM_OBS_y] + H * s0[SIM_OBS_vy] / 60.0f;
                    err_model += hypot(p[SIM_OBS_x] - truth[k * SIM_OBS_DIM + SIM_OBS_x],
                                       p[SIM_OBS_y] - truth[k * SIM_OBS_DIM + SIM_OBS_y]);
                    err_cv += hypot(cvx - truth[k * SIM_OBS_DIM + SIM_OBS_x],
                                    cvy - truth[k * SIM_OBS_DIM + SIM_OBS_y]);
                }
            }
        }
    }
    CHECK(err_model < 0.25 * err_cv);
    if (!(err_model < 0.25 * err_cv)) fprintf(stderr, "rollout error %g vs cv %g\n", err_model, err_cv);
    /* one-step predict agrees with the first rollout step */
    float nx[B * TK * SIM_OBS_DIM];
    wm_predict(view, s, B, st, mask, NULL, nx, NULL, NULL);
    CHECK(memcmp(nx, out, sizeof(float) * TK * SIM_OBS_DIM) == 0);
    CHECK(wm_nan_count(s) == 0);
    /* surprise: what happens is unsurprising, a teleport or a body stopping dead in mid-air is */
    {
        float truth1[B * TK * SIM_OBS_DIM], jump[B * TK * SIM_OBS_DIM], frozen[B * TK * SIM_OBS_DIM];
        float su[B * TK], sj[B * TK], sf[B * TK];
        for (int b = 0; b < B; b++) free_fall(st + b * TK * SIM_OBS_DIM, mask + b * TK, truth1 + b * TK * SIM_OBS_DIM);
        memcpy(jump, truth1, sizeof jump);
        memcpy(frozen, truth1, sizeof frozen);
        jump[1 * SIM_OBS_DIM + SIM_OBS_x] += 0.5f;
        frozen[3 * SIM_OBS_DIM + SIM_OBS_vx] = frozen[3 * SIM_OBS_DIM + SIM_OBS_vy] = 0.0f;
        wm_surprise(view, s, B, st, mask, NULL, truth1, mask, su);
        wm_surprise(view, s, B, st, mask, NULL, jump, mask, sj);
        wm_surprise(view, s, B, st, mask, NULL, frozen, mask, sf);
        for (int b = 0; b < B; b++)
            for (int k = 0; k < TK; k++) {
                int i = b * TK + k;
                bool body = mask[i] && k != 0;
                CHECK(body ? isfinite(su[i]) : isnan(su[i]));
                if (body) CHECK(su[i] < 50.0f);
            }
        CHECK(sj[1] > su[1] + 1000.0f);
        CHECK(sf[3] > su[3] + 50.0f);
        CHECK(sj[4] == su[4]);   /* per body: the others are not affected */
        /* the heads from the same forward pass: the same NLL, and the event logits wm_predict's
           probabilities come from; NaN where there is no dynamic body */
        float sh[B * TK], lg[B * TK * WM_SURPRISE_LOGITS], evp[B * TK * WM_EVENTS];
        float nx2[B * TK * SIM_OBS_DIM];
        wm_surprise_heads(view, s, B, st, mask, NULL, jump, mask, sh, lg);
        wm_predict(view, s, B, st, mask, NULL, nx2, NULL, evp);
        for (int i = 0; i < B * TK; i++) {
            CHECK(memcmp(&sh[i], &sj[i], sizeof(float)) == 0);
            bool body = mask[i] && i % TK != 0;
            for (int e = 0; e < WM_SURPRISE_LOGITS; e++) {
                float z = lg[i * WM_SURPRISE_LOGITS + e];
                CHECK(body ? isfinite(z) : isnan(z));
            }
            for (int e = 0; body && e < WM_EVENTS; e++)
                CHECK(fabsf(nn_sigmoid(lg[i * WM_SURPRISE_LOGITS + e]) - evp[i * WM_EVENTS + e]) < 1e-6f);
        }
    }
    /* a push changes the pushed body's prediction in its direction */
    float push[TK * WM_PUSH_DIM] = {0};
    push[1 * WM_PUSH_DIM + 0] = 0.5f;
    float np[TK * SIM_OBS_DIM];
    wm_predict(view, s, 1, st, mask, push, np, NULL, NULL);
    CHECK(np[SIM_OBS_DIM + SIM_OBS_vx] > nx[SIM_OBS_DIM + SIM_OBS_vx] + 0.5f);
    free(out);
    free(ev);
    wm_scratch_free(s);
    wm_free(view);
    wm_trainer_free(a);
    wm_trainer_free(b);
    wm_trainer_free(c);
}

/* ---- Polyak averaging of the weights (nudge train --ema) ---- */

static void test_ema_arithmetic(void) {
    /* the warm-up: min(D, (1 + t) / (10 + t)) at optimizer step t */
    CHECK(nn_ema_decay(0.999f, 1) == (float)(2.0 / 11.0));
    CHECK(nn_ema_decay(0.999f, 90) == (float)(91.0 / 100.0));
    CHECK(nn_ema_decay(0.999f, 1000000) == 0.999f);
    CHECK(nn_ema_decay(0.5f, 10) == 0.5f);
    CHECK(nn_ema_decay(0.0f, 1000) == 0.0f);
    /* a known sequence at D = 0.5, every value exact in float: from 0, the weights 1, 1, 3, -1 give
     * 0.5, 0.75, 1.875, 0.4375; from 4, their negatives give 1.5, 0.25, -1.375, -0.1875 */
    float avg[2] = {0.0f, 4.0f};
    const float seq[4] = {1, 1, 3, -1}, want0[4] = {0.5f, 0.75f, 1.875f, 0.4375f}, want1[4] = {1.5f, 0.25f, -1.375f, -0.1875f};
    for (int i = 0; i < 4; i++) {
        float w[2] = {seq[i], -seq[i]};
        nn_ema_update(2, avg, w, 0.5f);
        CHECK(avg[0] == want0[i] && avg[1] == want1[i]);
    }
    /* a random walk of 37 weights (a vector's tail too) over 300 warmed-up steps against the same
     * recursion in double */
    enum { N = 37, T = 300 };
    float a[N], w[N];
    double ref[N];
    Rng r;
    rng_seed(&r, 5);
    for (int j = 0; j < N; j++) a[j] = w[j] = (float)rng_normal(&r), ref[j] = a[j];
    for (int t = 1; t <= T; t++) {
        for (int j = 0; j < N; j++) w[j] += 0.1f * (float)rng_normal(&r);
        float d = nn_ema_decay(0.95f, t);
        nn_ema_update(N, a, w, d);
        for (int j = 0; j < N; j++) ref[j] = (double)d * ref[j] + (1.0 - (double)d) * w[j];
    }
    double worst = 0, apart = 0;
    for (int j = 0; j < N; j++) {
        worst = fmax(worst, fabs(a[j] - ref[j]) / (1.0 + fabs(ref[j])));
        apart = fmax(apart, fabs(a[j] - w[j]));
    }
    CHECK(worst < 1e-5);
    CHECK(apart > 0.05);   /* an average, not the last weights */
    /* D = 0: the weights themselves */
    nn_ema_update(N, a, w, 0.0f);
    CHECK(memcmp(a, w, sizeof a) == 0);
}

static bool file_bytes_equal(const char* p, const char* q) {
    size_t n = 0, m = 0;
    char* a = slurp(p, &n);
    char* b = slurp(q, &m);
    bool same = a && b && n == m && memcmp(a, b, n) == 0;
    free(a);
    free(b);
    return same;
}

static void test_training_ema(void) {
    nn_set_threads(1);
    char dir[] = "/tmp/nudge-test-ema-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char mid[256], whole[256], resumed[256], plain[256], bad[256], err[512];
    snprintf(mid, sizeof mid, "%s/mid.bin", dir);
    snprintf(whole, sizeof whole, "%s/whole.bin", dir);
    snprintf(resumed, sizeof resumed, "%s/resumed.bin", dir);
    snprintf(plain, sizeof plain, "%s/plain.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    /* two parts (threads), so that every part's noise stream has to be resumed */
    WmTrainerDef de = fall_def(3, 2);
    de.ema = 0.9f;
    CHECK(wm_trainer_def_check(&de, NULL, err, sizeof err));
    WmTrainer* e = fall_trainer_from(&de, NULL);
    WmTrainer* p = fall_trainer(3, 2);
    int n = wm_param_count(wm_trainer_model(e));
    double* ref = malloc(sizeof(double) * (size_t)n);
    for (int j = 0; j < n; j++) ref[j] = wm_trainer_model(e)->params[j];
    for (int i = 1; i <= 60; i++) {
        CHECK(wm_trainer_step(e));
        CHECK(wm_trainer_step(p));
        const float* w = wm_trainer_model(e)->params;
        double d = nn_ema_decay(0.9f, i);
        for (int j = 0; j < n; j++) ref[j] = d * ref[j] + (1.0 - d) * w[j];
    }
    /* the optimizer's path is untouched: the raw weights are those of a run without the average */
    const float* raw = wm_trainer_model(e)->params;
    CHECK(memcmp(raw, wm_trainer_model(p)->params, sizeof(float) * (size_t)n) == 0);
    /* the model the trainer gives is the average of the raw weights after every step */
    const WmModel* avg = wm_trainer_result(e);
    double worst = 0, apart = 0;
    for (int j = 0; j < n; j++) {
        worst = fmax(worst, fabs(avg->params[j] - ref[j]) / (1.0 + fabs(ref[j])));
        apart = fmax(apart, fabs(avg->params[j] - raw[j]));
    }
    CHECK(worst < 1e-5);
    CHECK(apart > 1e-3);
    CHECK(wm_trainer_result(p) == wm_trainer_model(p));
    float* avg_copy = malloc(sizeof(float) * (size_t)n);
    float* raw_copy = malloc(sizeof(float) * (size_t)n);
    memcpy(avg_copy, avg->params, sizeof(float) * (size_t)n);
    memcpy(raw_copy, raw, sizeof(float) * (size_t)n);
    /* validation scores the average: the loss of a plain trainer that starts from it, not the raw one's */
    float ve = wm_trainer_validate(e, 8), vp = wm_trainer_validate(p, 8);
    {
        WmTrainerDef dq = fall_def(3, 2);
        WmTrainer* q = fall_trainer_from(&dq, wm_trainer_result(e));
        float vq = wm_trainer_validate(q, 8);
        CHECK(isfinite(ve) && ve == vq && ve != vp);
        wm_trainer_free(q);
    }
    /* the published copy is the average */
    {
        WmModel* view = wm_clone(wm_trainer_model(e));
        wm_trainer_publish(e);
        CHECK(wm_trainer_snapshot(e, view, 0) == 1);
        CHECK(memcmp(view->params, avg_copy, sizeof(float) * (size_t)n) == 0);
        wm_free(view);
    }
    /* the saved model is the average; without the average the file is as before (no resume state) */
    CHECK(wm_trainer_save(e, mid, err, sizeof err));
    CHECK(wm_trainer_save(p, plain, err, sizeof err));
    WmModel* l = wm_load(mid, err, sizeof err);
    CHECK(l && memcmp(l->params, avg_copy, sizeof(float) * (size_t)n) == 0);
    wm_free(l);
    {
        size_t len_e = 0, len_p = 0;
        char* be = slurp(mid, &len_e);
        char* bp = slurp(plain, &len_p);
        CHECK(len_e == len_p + 4 * (size_t)n + 32 + 4 + 2 * 32);
        free(be);
        free(bp);
    }
    /* resumed from the mid-run checkpoint: the same bytes as the run that never stopped */
    for (int i = 0; i < 60; i++) CHECK(wm_trainer_step(e));
    CHECK(wm_trainer_save(e, whole, err, sizeof err));
    {
        WmModel* start = wm_load(mid, err, sizeof err);
        CHECK(start != NULL);
        WmTrainer* g = fall_trainer_from(&de, start);
        CHECK(wm_trainer_load_optimizer(g, mid, err, sizeof err));
        CHECK(memcmp(wm_trainer_model(g)->params, raw_copy, sizeof(float) * (size_t)n) == 0);
        for (int i = 0; i < 60; i++) CHECK(wm_trainer_step(g));
        CHECK(wm_trainer_save(g, resumed, err, sizeof err));
        CHECK(file_bytes_equal(whole, resumed));
        wm_trainer_free(g);
        /* resumed without the average, the optimizer goes on with the raw weights */
        WmTrainerDef dp = fall_def(3, 2);
        WmTrainer* h = fall_trainer_from(&dp, start);
        CHECK(wm_trainer_load_optimizer(h, mid, err, sizeof err));
        CHECK(memcmp(wm_trainer_model(h)->params, raw_copy, sizeof(float) * (size_t)n) == 0);
        wm_trainer_free(h);
        wm_free(start);
    }
    /* a resume state that lies (a valid CRC): one line, no model */
    {
        size_t len = 0;
        char* bytes = slurp(mid, &len);
        size_t parts_at = len - 4 - 2 * 32 - 4;
        int32_t parts;
        memcpy(&parts, bytes + parts_at, 4);
        CHECK(parts == 2);
        memcpy(bytes + parts_at, &(int32_t){9}, 4);
        uint32_t crc = crc32_update(0, (const unsigned char*)bytes, len - 4);
        memcpy(bytes + len - 4, &crc, 4);
        spit(bad, bytes, len);
        CHECK(wm_load(bad, err, sizeof err) == NULL && strstr(err, "resume state") && strstr(err, "bad.bin"));
        memcpy(bytes + parts_at, &parts, 4);
        /* a NaN among the raw weights */
        size_t raw_at = parts_at - 32 - 4 * (size_t)n;
        memcpy(bytes + raw_at + 4 * 5, &(float){NAN}, 4);
        crc = crc32_update(0, (const unsigned char*)bytes, len - 4);
        memcpy(bytes + len - 4, &crc, 4);
        spit(bad, bytes, len);
        WmTrainerDef dq = fall_def(3, 2);
        dq.ema = 0.9f;
        WmTrainer* q = wm_trainer_create(&dq, avg);
        CHECK(!wm_trainer_load_optimizer(q, bad, err, sizeof err) && strstr(err, "resume state"));
        wm_trainer_free(q);
        free(bytes);
    }
    /* a decay outside [0, 1) is refused with one line */
    de.ema = 1.0f;
    CHECK(!wm_trainer_def_check(&de, NULL, err, sizeof err) && strstr(err, "[0, 1)"));
    CHECK(wm_trainer_create(&de, NULL) == NULL);
    de.ema = -0.5f;
    CHECK(!wm_trainer_def_check(&de, NULL, err, sizeof err));
    de.ema = NAN;
    CHECK(!wm_trainer_def_check(&de, NULL, err, sizeof err));
    free(ref);
    free(avg_copy);
    free(raw_copy);
    wm_trainer_free(e);
    wm_trainer_free(p);
    unlink(mid);
    unlink(whole);
    unlink(resumed);
    unlink(plain);
    unlink(bad);
    rmdir(dir);
}

/* ---- eval: subsets and the truth of a broken body ---- */

/* one episode, every subset's case in it: slot 0 a floor; 1 a box at rest; 2 a box flying at 1 m/s
 * that "falls" at record 10; 3 a glass flying at -0.5 m/s that breaks between records 20 and 21
 * into shards 4 (0.1 kg) and 5 (0.3 kg) whose centre of mass goes on where the glass would be;
 * 6 a box at rest pushed after record 30, then sliding at 1.2 m/s */
static void test_eval_subsets(void) {
    enum { T = 61 };
    WmDataset d;
    memset(&d, 0, sizeof d);
    d.episodes = 1, d.ticks = T, d.slots = TK, d.dim = SIM_OBS_DIM, d.tick = 1 / 60.0;
    size_t rec = (size_t)T * TK;
    d.states = calloc(rec * SIM_OBS_DIM, sizeof(float));
    d.mask = calloc(rec, 1);
    d.actions = calloc(rec * 4, sizeof(float));
    d.contacts = calloc(rec, 1);
    d.bits = calloc(rec, 1);
    for (int t = 0; t < T; t++) {
        float* st = d.states + (size_t)t * TK * SIM_OBS_DIM;
        uint8_t* mk = d.mask + (size_t)t * TK;
        float tt = t / 60.0f;
        body_row(st, 0, -0.1f, 0, 0, 0, 0, 20, 0.2f, 0, true);
        body_row(st + 1 * SIM_OBS_DIM, -1, 0.05f, 0, 0, 0, 0, 0.1f, 0.1f, 0.5f, false);
        body_row(st + 2 * SIM_OBS_DIM, tt, 1, 0, 1, 0, 0, 0.1f, 0.1f, 0.5f, false);
        mk[0] = mk[1] = mk[2] = mk[6] = 1;
        float xc = 2 - 0.5f * tt;
        if (t <= 20) {
            body_row(st + 3 * SIM_OBS_DIM, xc, 2, 0, -0.5f, 0, 0, 0.08f, 0.12f, 0.4f, false);
            st[3 * SIM_OBS_DIM + SIM_OBS_breakable] = 1;
            mk[3] = 1;
        } else {
            body_row(st + 4 * SIM_OBS_DIM, xc - 0.03f, 2, 0, -0.5f, 0, 0, 0.04f, 0.04f, 0.1f, false);
            body_row(st + 5 * SIM_OBS_DIM, xc + 0.01f, 2, 0, -0.5f, 0, 0, 0.04f, 0.04f, 0.3f, false);
            for (int k = 4; k <= 5; k++) {
                st[k * SIM_OBS_DIM + SIM_OBS_kind_box] = 0;
                st[k * SIM_OBS_DIM + SIM_OBS_kind_shard] = 1;
            }
            mk[4] = mk[5] = 1;
        }
        float vd = t > 30 ? 1.2f : 0;
        body_row(st + 6 * SIM_OBS_DIM, -2 + (t > 30 ? 0.02f * (t - 30) : 0), 0.05f, 0, vd, 0, 0, 0.1f, 0.1f, 0.5f, false);
    }
    d.bits[10 * TK + 2] = WM_BIT_FALL;
    d.bits[21 * TK + 3] = WM_BIT_BREAK;
    d.actions[((size_t)30 * TK + 6) * 4] = 0.6f;   /* 0.6 N*s on 0.5 kg: +1.2 m/s */
    WmArch a = small_arch();
    WmModel* m = wm_create(&a, 3);
    WmEvalDef def = wm_eval_def_default();
    def.horizon = 30;
    def.stride = 10;
    WmEvalResult r;
    CHECK(wm_evaluate(m, &d, &def, &r));
    CHECK(r.rollouts == 6 && r.horizon == 30);
    const WmErrStats* cv[WM_SUBSETS];
    for (int s = 0; s < WM_SUBSETS; s++) cv[s] = r.err[s][WM_METHOD_CONST_VEL];
    /* starts 0..50 by 10; h = 1: boxes 1, 2, 6 at each start, the glass at 0, 10, 20, shards at 30..50 */
    CHECK(cv[WM_SUBSET_ALL][0].n == 6 * 3 + 3 + 3 * 2);
    /* moving at h = 1: box 2 (1.7 cm a tick), box 6 from 30, 40, 50 (2 cm a tick once pushed); at
       h = 2 the glass and the shards (0.8 cm a tick) join */
    CHECK(cv[WM_SUBSET_MOVING][0].n == 6 + 3);
    CHECK(cv[WM_SUBSET_MOVING][1].n == 6 + 3 + 3 + 3 * 2);
    /* fall: box 2 fell at record 10, by h = 10 from start 0 only */
    CHECK(cv[WM_SUBSET_FALL][8].n == 0 && cv[WM_SUBSET_FALL][9].n == 1 && cv[WM_SUBSET_FALL][29].n == 1);
    /* break: the glass from start 20 at h = 1; from 0, 10 and 20 at h = 30; its truth is its shards'
       centre of mass, which constant velocity predicts */
    CHECK(cv[WM_SUBSET_BREAK][0].n == 1 && cv[WM_SUBSET_BREAK][29].n == 3 && cv[WM_SUBSET_BREAK][10].n == 2);
    CHECK(cv[WM_SUBSET_BREAK][29].mean < 1e-4 && isnan(cv[WM_SUBSET_BREAK][29].angle_mean));
    /* resting: box 1 from every start (while the episode lasts: start 50 reaches h = 10); box 6 from
       0, 10, 20 until its push (h <= 30 - t0) */
    CHECK(cv[WM_SUBSET_RESTING][0].n == 6 + 3);
    CHECK(cv[WM_SUBSET_RESTING][9].n == 6 + 3 && cv[WM_SUBSET_RESTING][10].n == 5 + 2);
    CHECK(cv[WM_SUBSET_RESTING][29].n == 4 + 1 && cv[WM_SUBSET_RESTING][29].mean == 0);
    /* the ballistic baseline lets the flying bodies fall: large errors; and the resting boxes sink
       into the floor (2 cm deep after 4 ticks), which constant velocity never does */
    CHECK(r.err[WM_SUBSET_MOVING][WM_METHOD_BALLISTIC][29].mean > 0.5);
    const WmErrStats* bal = r.err[WM_SUBSET_RESTING][WM_METHOD_BALLISTIC];
    CHECK(bal[0].sink == 0 && bal[2].sink == 0 && bal[5].sink == 1 && bal[29].sink == 1);
    for (int h = 0; h < 30; h++) CHECK(cv[WM_SUBSET_ALL][h].sink == 0);
    /* empty cells are NaN, not zero */
    CHECK(cv[WM_SUBSET_FALL][0].n == 0 && isnan(cv[WM_SUBSET_FALL][0].mean) && isnan(cv[WM_SUBSET_FALL][0].median));
    /* every subset is within all */
    for (int s = 1; s < WM_SUBSETS; s++)
        for (int h = 0; h < 30; h++) CHECK(r.err[s][WM_METHOD_MODEL][h].n <= r.err[WM_SUBSET_ALL][WM_METHOD_MODEL][h].n);
    CHECK(r.events[WM_EVENT_BREAK].positives > 0 && isfinite(r.events[WM_EVENT_BREAK].auroc));
    /* the events are scored at records 0..59: boxes 1, 2 and 6 and the glass to record 20 (84), then
       the boxes and the two shards (195); box 2's fall at record 10 labels records 0..9, the glass's
       break at 21 records 0..20. The push after record 30 is record 30's own input, and what records
       1..29 label can follow from it, so records 0 and 30..59 are the "no new push" ones (4 + 30 x 5
       bodies), one positive each */
    CHECK(r.events[WM_EVENT_FALL].n == 279 && r.events[WM_EVENT_FALL].positives == 10);
    CHECK(r.events[WM_EVENT_BREAK].n == 279 && r.events[WM_EVENT_BREAK].positives == 21);
    CHECK(r.events_quiet[WM_EVENT_FALL].n == 154 && r.events_quiet[WM_EVENT_FALL].positives == 1);
    CHECK(r.events_quiet[WM_EVENT_BREAK].n == 154 && r.events_quiet[WM_EVENT_BREAK].positives == 1);
    /* the break-now head over the glass's records 0..20: it is gone and broken at 21, so record 20 is
       the one positive; an untrained head's logit is 0 (P = 1/2), which the rollout does not shatter */
    CHECK(r.break_now.n == 21 && r.break_now.positives == 1 && r.break_now_said == 0 && r.break_now_false == 0);
    CHECK(fabs(r.break_now.accuracy - 20.0 / 21.0) < 1e-9 && r.break_now.auroc == 0.5);
    /* the foresight's rows: the same records and labels as the heads' (break and fall), none for
       the contact at the next tick */
    for (int q = 0; q < WM_EVENTS; q++) {
        if (q == WM_EVENT_CONTACT) {
            CHECK(r.events_foreseen[q].n == 0 && isnan(r.events_foreseen[q].auroc) && r.events_foreseen_quiet[q].n == 0);
            continue;
        }
        CHECK(r.events_foreseen[q].n == r.events[q].n && r.events_foreseen[q].positives == r.events[q].positives);
        CHECK(r.events_foreseen_quiet[q].n == r.events_quiet[q].n &&
              r.events_foreseen_quiet[q].positives == r.events_quiet[q].positives);
        CHECK(isfinite(r.events_foreseen[q].auroc));
    }
    wm_eval_free(&r);
    /* a head that says break everywhere (its output's bias at +5): the break and all 20 others */
    const NnLinear* last = &m->node.lin[m->node.nlayers - 1];
    m->params[last->b + WM_BREAK_NOW] = 5.0f;
    CHECK(wm_evaluate(m, &d, &def, &r));
    CHECK(r.break_now.n == 21 && r.break_now_said == 1 && r.break_now_false == 20);
    CHECK(fabs(r.break_now.accuracy - 1.0 / 21.0) < 1e-9);
    /* the glass is the break's only candidate and every one of its records (0..20) is a positive: the
       imagination shatters it from each, a foresight of 1 that no other body's head reaches */
    CHECK(r.events_foreseen[WM_EVENT_BREAK].auroc == 1.0 && r.events_foreseen_quiet[WM_EVENT_BREAK].auroc == 1.0);
    CHECK(r.events[WM_EVENT_BREAK].auroc < 1.0);
    wm_eval_free(&r);
    m->params[last->b + WM_BREAK_NOW] = 0.0f;
    CHECK(wm_evaluate(m, &d, &def, &r));
    /* the rest gate: box 1 rests through all 60 transitions, box 6 through 30 before its push (the
       pushed transition is not the gate's); an untrained model's rest logit is 0, P = 1/2, which the
       default gate does not hold: every one released, no onset */
    CHECK(r.gate.stays == 90 && r.gate.stays_released == 90 && r.gate.onsets == 0 && r.gate.hard == 0);
    CHECK(isnan(r.gate.auroc));
    wm_eval_free(&r);
    /* without the push box 6 starts moving by itself after record 30: an unpushed onset, hard
       (1.2 m/s); a gate of 0.001 holds every body at rest, that one too */
    d.actions[((size_t)30 * TK + 6) * 4] = 0;
    CHECK(wm_evaluate(m, &d, &def, &r));
    CHECK(r.gate.stays == 90 && r.gate.stays_released == 90 && r.gate.onsets == 1 && r.gate.onsets_held == 0);
    /* no push at all: every record is a "no new push" one */
    for (int q = 0; q < WM_EVENTS; q++)
        CHECK(r.events_quiet[q].n == r.events[q].n && r.events_quiet[q].positives == r.events[q].positives &&
              (r.events_quiet[q].auroc == r.events[q].auroc || (isnan(r.events_quiet[q].auroc) && isnan(r.events[q].auroc))));
    CHECK(r.gate.hard == 1 && r.gate.hard_held == 0);
    CHECK(r.gate.auroc == 0.5); /* an untrained head gives every body the same logit */
    wm_eval_free(&r);
    WmArch ag = a;
    ag.rest_gate = 0.001f;
    WmModel* mg = wm_create(&ag, 3);
    CHECK(wm_evaluate(mg, &d, &def, &r));
    CHECK(r.gate.stays == 90 && r.gate.stays_released == 0 && r.gate.onsets == 1 && r.gate.onsets_held == 1);
    CHECK(r.gate.hard == 1 && r.gate.hard_held == 1);
    wm_eval_free(&r);
    wm_free(mg);
    d.actions[((size_t)30 * TK + 6) * 4] = 0.6f;
    /* no dynamic body (only the floor is live): nothing scored, and nothing left to free (the
       sanitizers' leak check sees the rest) */
    for (size_t i = 0; i < rec; i++)
        if (i % TK != 0) d.mask[i] = 0;
    CHECK(!wm_evaluate(m, &d, &def, &r));
    for (int s = 0; s < WM_SUBSETS; s++)
        for (int q = 0; q < WM_METHODS; q++) CHECK(r.err[s][q] == NULL);
    wm_free(m);
    free(d.states);
    free(d.mask);
    free(d.actions);
    free(d.contacts);
    free(d.bits);
}

/* ---- convolutions, group norm, conv nets: finite differences (loss = sum(y * r)) ---- */

typedef double (*FdLoss)(void* ctx);

/* numeric derivative of loss(ctx) along each of v[n], against analytic[n]; returns the misses */
static int fd_misses(FdLoss loss, void* ctx, float* v, const float* analytic, int n, float eps) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + eps;
        double lp = loss(ctx);
        v[i] = keep - eps;
        double lm = loss(ctx);
        v[i] = keep;
        if (!close_grad(analytic[i], (lp - lm) / (2 * eps))) {
            if (bad < 3) fprintf(stderr, "    entry %d: analytic %g, numeric %g\n", i, analytic[i], (lp - lm) / (2 * eps));
            bad++;
        }
    }
    return bad;
}

typedef struct ConvCase {
    NnConv2d cv;
    int n, h, w, ho, wo;
    float *p, *x, *r, *y, *col;
} ConvCase;

static double conv_loss(void* ctx) {
    ConvCase* c = ctx;
    nn_conv2d_forward(&c->cv, c->p, c->n, c->h, c->w, c->x, c->col, c->y);
    double s = 0;
    for (int i = 0; i < c->n * c->ho * c->wo * c->cv.cout; i++) s += (double)c->y[i] * c->r[i];
    return s;
}

/* conv2d against finite differences for one shape; also against a direct (loop) convolution */
static void check_conv2d(int n, int h, int w, int cin, int cout, int k, int stride, int pad) {
    Rng rng;
    rng_seed(&rng, (uint64_t)(h * 131 + w * 7 + k * 3 + stride));
    NnLayout l = {0};
    ConvCase c;
    memset(&c, 0, sizeof c);
    nn_conv2d_layout(&c.cv, &l, cin, cout, k, stride, pad);
    c.n = n, c.h = h, c.w = w;
    c.ho = nn_conv2d_out(h, k, stride, pad);
    c.wo = nn_conv2d_out(w, k, stride, pad);
    ENSURE(c.ho > 0 && c.wo > 0);
    int nx = n * h * w * cin, ny = n * c.ho * c.wo * cout;
    c.p = calloc((size_t)l.count, sizeof(float));
    float* g = calloc((size_t)l.count, sizeof(float));
    c.x = malloc(sizeof(float) * nx);
    float* dx = malloc(sizeof(float) * nx);
    c.r = malloc(sizeof(float) * ny);
    c.y = malloc(sizeof(float) * ny);
    size_t cs = nn_conv2d_col_size(&c.cv, n, h, w);
    c.col = cs ? malloc(sizeof(float) * cs) : NULL;
    nn_conv2d_init(&c.cv, c.p, &rng, 1.0f);
    fill_normal(&rng, c.p + c.cv.b, cout, 0.5f);
    fill_normal(&rng, c.x, nx, 1.0f);
    fill_normal(&rng, c.r, ny, 1.0f);
    conv_loss(&c);
    /* the output against the definition, pixel by pixel */
    double worst = 0;
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < c.ho; oy++)
            for (int ox = 0; ox < c.wo; ox++)
                for (int co = 0; co < cout; co++) {
                    double v = c.p[c.cv.b + co];
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            for (int ci = 0; ci < cin; ci++)
                                v += (double)c.x[((b * h + iy) * w + ix) * cin + ci] *
                                     c.p[c.cv.w + ((ky * k + kx) * cin + ci) * cout + co];
                        }
                    worst = fmax(worst, fabs(v - c.y[((b * c.ho + oy) * c.wo + ox) * cout + co]));
                }
    CHECK(worst < 1e-4);
    float* dy = malloc(sizeof(float) * ny);
    memcpy(dy, c.r, sizeof(float) * ny);
    nn_conv2d_backward(&c.cv, c.p, g, n, h, w, c.x, dy, c.col, dx);
    int bad = fd_misses(conv_loss, &c, c.p, g, l.count, 1e-2f) + fd_misses(conv_loss, &c, c.x, dx, nx, 1e-2f);
    if (bad) fprintf(stderr, "    conv %dx%d k%d s%d p%d: %d misses\n", h, w, k, stride, pad, bad);
    CHECK(bad == 0);
    free(c.p), free(g), free(c.x), free(dx), free(c.r), free(c.y), free(c.col), free(dy);
    nn_layout_free(&l);
}

static void test_conv2d_grad(void) {
    CHECK(nn_conv2d_out(8, 4, 2, 1) == 4 && nn_conv2d_out(7, 3, 2, 0) == 3 && nn_conv2d_out(2, 5, 1, 1) == 0);
    check_conv2d(2, 6, 5, 3, 4, 3, 1, 1);   /* same size */
    check_conv2d(2, 8, 6, 2, 3, 4, 2, 1);   /* halving, as the encoder does */
    check_conv2d(1, 7, 9, 3, 2, 3, 2, 0);   /* odd sizes, no padding */
    check_conv2d(3, 4, 5, 5, 3, 1, 1, 0);   /* pointwise: no im2col */
    check_conv2d(1, 5, 5, 2, 2, 5, 1, 2);   /* a kernel as large as the image */
}

typedef struct GnCase {
    NnGroupNorm gn;
    int n, hw;
    float *p, *x, *r, *y, *st;
} GnCase;

static double gn_loss(void* ctx) {
    GnCase* c = ctx;
    nn_groupnorm_forward(&c->gn, c->p, c->n, c->hw, c->x, c->y, c->st);
    double s = 0;
    for (int i = 0; i < c->n * c->hw * c->gn.c; i++) s += (double)c->y[i] * c->r[i];
    return s;
}

static void check_groupnorm(int n, int hw, int ch, int groups) {
    Rng rng;
    rng_seed(&rng, (uint64_t)(ch * 10 + groups));
    NnLayout l = {0};
    GnCase c;
    nn_groupnorm_layout(&c.gn, &l, ch, groups);
    c.n = n, c.hw = hw;
    int nx = n * hw * ch;
    c.p = calloc((size_t)l.count, sizeof(float));
    float* g = calloc((size_t)l.count, sizeof(float));
    c.x = malloc(sizeof(float) * nx);
    c.y = malloc(sizeof(float) * nx);
    c.r = malloc(sizeof(float) * nx);
    float* dx = malloc(sizeof(float) * nx);
    c.st = malloc(sizeof(float) * n * groups * 2);
    nn_groupnorm_init(&c.gn, c.p);
    fill_normal(&rng, c.p, l.count, 0.5f);
    for (int j = 0; j < ch; j++) c.p[c.gn.gamma + j] += 1.0f;
    fill_normal(&rng, c.x, nx, 2.0f);
    for (int i = 0; i < nx; i++) c.x[i] += 3.0f;   /* an offset the norm removes */
    fill_normal(&rng, c.r, nx, 1.0f);
    /* with gamma = 1, beta = 0 every (image, group) comes out with mean 0 and variance 1 */
    float* pid = calloc((size_t)l.count, sizeof(float));
    nn_groupnorm_init(&c.gn, pid);
    nn_groupnorm_forward(&c.gn, pid, n, hw, c.x, c.y, c.st);
    int cg = ch / groups;
    for (int b = 0; b < n; b++)
        for (int gi = 0; gi < groups; gi++) {
            double m = 0, q = 0;
            for (int p = 0; p < hw; p++)
                for (int j = gi * cg; j < (gi + 1) * cg; j++) {
                    double v = c.y[((size_t)b * hw + p) * ch + j];
                    m += v, q += v * v;
                }
            m /= hw * cg, q /= hw * cg;
            CHECK(fabs(m) < 1e-4 && fabs(q - 1) < 1e-3);
        }
    free(pid);
    gn_loss(&c);
    memcpy(dx, c.r, sizeof(float) * nx);
    nn_groupnorm_backward(&c.gn, c.p, g, n, hw, c.x, c.st, dx, dx);   /* in place, as the conv net does */
    int bad = fd_misses(gn_loss, &c, c.p, g, l.count, 1e-2f) + fd_misses(gn_loss, &c, c.x, dx, nx, 1e-2f);
    if (bad) fprintf(stderr, "    group norm c%d g%d: %d misses\n", ch, groups, bad);
    CHECK(bad == 0);
    free(c.p), free(g), free(c.x), free(c.y), free(c.r), free(dx), free(c.st);
    nn_layout_free(&l);
}

static void test_groupnorm_grad(void) {
    check_groupnorm(2, 6, 4, 1);   /* layer norm over the whole image */
    check_groupnorm(3, 5, 6, 2);
    check_groupnorm(2, 4, 4, 4);   /* instance norm */
}

/* the cell soft-argmax: against finite differences (loss = sum(out * r)); an even heat gives offset
   0 and strength its level; one hot pixel gives its offset from the cell's centre, in units, and the
   offset moves linearly as the heat moves between two pixels */
typedef struct KpCase {
    int n, h, w, K, s, m;
    bool energy;
    float unit;
    float *heat, *prob, *work, *out, *r;
    float* temp;   /* NULL: plain; [K]: sharp */
    int nsharp;    /* with temp: channels from nsharp on are plain (0: none, all K sharp) */
} KpCase;

static double kp_loss(void* ctx) {
    KpCase* c = ctx;
    nn_keypoint_forward(c->n, c->h, c->w, c->K, c->s, c->m, c->energy, c->unit, c->temp, c->nsharp ? c->nsharp : c->K,
                        c->heat, c->prob, c->work, c->out);
    int no = c->n * (c->h / c->s) * (c->w / c->s) * 3 * c->K;
    double l = 0;
    for (int i = 0; i < no; i++) l += (double)c->out[i] * c->r[i];
    return l;
}

static void test_keypoint(void) {
    KpCase c = {2, 8, 12, 3, 4, 0, false, 2.0f, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    int nh = c.n * c.h * c.w * c.K, no = c.n * (c.h / c.s) * (c.w / c.s) * 3 * c.K;
    c.heat = malloc(sizeof(float) * nh);
    c.prob = malloc(sizeof(float) * nn_keypoint_prob_size(c.n, c.h, c.w, c.K, c.s, c.m, false));
    c.work = malloc(sizeof(float) * nn_keypoint_work_size(c.n, c.h, c.w, c.K, c.s, c.m));
    c.out = malloc(sizeof(float) * no);
    c.r = malloc(sizeof(float) * no);
    float* dh = malloc(sizeof(float) * nh);
    Rng rng;
    rng_seed(&rng, 17);
    for (int i = 0; i < nh; i++) c.heat[i] = (float)rng_normal(&rng) * 1.5f;
    for (int i = 0; i < no; i++) c.r[i] = (float)rng_normal(&rng);
    kp_loss(&c);
    nn_keypoint_backward(c.n, c.h, c.w, c.K, c.s, c.m, c.energy, c.unit, NULL, c.K, c.prob, c.r, c.work, dh, NULL);
    int bad = fd_misses(kp_loss, &c, c.heat, dh, nh, 1e-2f);
    if (bad) fprintf(stderr, "    keypoint: %d of %d heats miss\n", bad, nh);
    CHECK(bad == 0);
    /* an even heat of 0.7: offsets 0, strength 0.7 */
    for (int i = 0; i < nh; i++) c.heat[i] = 0.7f;
    kp_loss(&c);
    int even = 0;
    for (int i = 0; i < no; i += 3)
        even += fabsf(c.out[i]) < 1e-6f && fabsf(c.out[i + 1]) < 1e-6f && fabsf(c.out[i + 2] - 0.7f) < 1e-5f;
    CHECK(even == no / 3);
    /* image 1, cell (1, 2), channel 1: one hot pixel at (iy, ix) = (3, 0): offset (-1.5, 1.5) pixels
       of the map, times unit 2 */
    for (int i = 0; i < nh; i++) c.heat[i] = 0.0f;
    int cw = c.w / c.s;
    float* hot = &c.heat[((1 * c.h + 1 * c.s + 3) * c.w + 2 * c.s + 0) * c.K + 1];
    *hot = 40.0f;
    kp_loss(&c);
    const float* o = c.out + (((size_t)1 * (c.h / c.s) + 1) * cw + 2) * 3 * c.K + 3;
    CHECK(fabsf(o[0] + 3.0f) < 1e-4f && fabsf(o[1] - 3.0f) < 1e-4f && o[2] > 30.0f);
    /* split between (3, 0) and (3, 1) with weights (1 - f, f): x offset -3 + 2 f */
    float* next = hot + c.K;
    for (int k = 1; k < 4; k++) {
        float f = 0.25f * (float)k;
        *hot = 40.0f + logf(1.0f - f), *next = 40.0f + logf(f);
        kp_loss(&c);
        CHECK(fabsf(o[0] - (-3.0f + 2.0f * f)) < 1e-4f && fabsf(o[1] - 3.0f) < 1e-4f);
    }
    free(c.heat), free(c.prob), free(c.work), free(c.out), free(c.r), free(dh);
}

/* the sharp cell soft-argmax (normalised heats times a learned temperature): its heats' and its
   temperatures' gradients against finite differences; an even cell gives offset 0 and strength 0 */
static void test_keypoint_sharp_grad(void) {
    KpCase c = {2, 8, 12, 3, 4, 0, false, 2.0f, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    int nh = c.n * c.h * c.w * c.K, no = c.n * (c.h / c.s) * (c.w / c.s) * 3 * c.K;
    c.heat = malloc(sizeof(float) * nh);
    c.prob = malloc(sizeof(float) * nn_keypoint_prob_size(c.n, c.h, c.w, c.K, c.s, c.m, true));
    c.work = malloc(sizeof(float) * nn_keypoint_work_size(c.n, c.h, c.w, c.K, c.s, c.m));
    c.out = malloc(sizeof(float) * no);
    c.r = malloc(sizeof(float) * no);
    float temp[3] = {2.0f, 0.7f, -1.3f}, dtemp[3] = {0, 0, 0};
    c.temp = temp;
    float* dh = malloc(sizeof(float) * nh);
    Rng rng;
    rng_seed(&rng, 23);
    for (int i = 0; i < nh; i++) c.heat[i] = (float)rng_normal(&rng) * 0.8f;
    for (int i = 0; i < no; i++) c.r[i] = (float)rng_normal(&rng);
    kp_loss(&c);
    nn_keypoint_backward(c.n, c.h, c.w, c.K, c.s, c.m, c.energy, c.unit, temp, c.K, c.prob, c.r, c.work, dh, dtemp);
    int bad = fd_misses(kp_loss, &c, c.heat, dh, nh, 1e-2f);
    int bad_t = fd_misses(kp_loss, &c, temp, dtemp, 3, 1e-2f);
    if (bad || bad_t) fprintf(stderr, "    sharp keypoint: %d of %d heats, %d of 3 temperatures miss\n", bad, nh, bad_t);
    CHECK(bad == 0 && bad_t == 0);
    /* the temperatures' gradient is added to what is there */
    float again[3] = {1, 1, 1};
    kp_loss(&c);   /* the finite differences left the last forward at a shifted temperature */
    nn_keypoint_backward(c.n, c.h, c.w, c.K, c.s, c.m, c.energy, c.unit, temp, c.K, c.prob, c.r, c.work, dh, again);
    CHECK(fabsf(again[0] - 1.0f - dtemp[0]) < 1e-5f && fabsf(again[2] - 1.0f - dtemp[2]) < 1e-5f);
    /* an even heat of 0.7: offsets 0, strength 0 (the normalised heats are 0) */
    for (int i = 0; i < nh; i++) c.heat[i] = 0.7f;
    kp_loss(&c);
    int even = 0;
    for (int i = 0; i < no; i += 3)
        even += fabsf(c.out[i]) < 1e-6f && fabsf(c.out[i + 1]) < 1e-6f && fabsf(c.out[i + 2]) < 1e-6f;
    CHECK(even == no / 3);
    free(c.heat), free(c.prob), free(c.work), free(c.out), free(c.r), free(dh);
}

/* the cell soft-argmax of a batch is the soft-argmax of each image alone, to the bit: the recipe's
   shape (160 x 120 heats, 4 channels, 8-pixel cells with a margin of 4: 1200 rows of 256 an image),
   where one image's offsets are below OpenBLAS's small-matrix size and three are above it; plain,
   sharp and energy rows. The encoder's memo and shared cache rely on it */
static void test_keypoint_batch_pure(void) {
    enum { N = 3, H = 120, W = 160, K = 4, S = 8, M = 4 };
    size_t plane = (size_t)H * W * K, cells = (size_t)(H / S) * (W / S);
    float* heat = malloc(sizeof(float) * plane * N);
    Rng rng;
    rng_seed(&rng, 17);
    for (size_t i = 0; i < plane * N; i++) heat[i] = (float)rng_normal(&rng);
    /* a still area: even windows (the energy rows' shortcut) */
    for (int b = 0; b < N; b++)
        for (int y = 0; y < 40; y++)
            for (int x = 0; x < 40; x++)
                for (int k = 0; k < K; k++) heat[(size_t)b * plane + ((size_t)y * W + x) * K + k] = 0.5f;
    float temp[K] = {2.0f, 3.0f, 1.5f, 4.0f};
    float* prob = malloc(sizeof(float) * nn_keypoint_prob_size(N, H, W, K, S, M, true));
    float* work = malloc(sizeof(float) * nn_keypoint_work_size(N, H, W, K, S, M));
    float* all = malloc(sizeof(float) * cells * 3 * K * N);
    float* one = malloc(sizeof(float) * cells * 3 * K);
    for (int mode = 0; mode < 3; mode++) {
        bool energy = mode == 2;
        const float* T = mode == 0 ? NULL : temp;
        nn_keypoint_forward(N, H, W, K, S, M, energy, 2.0f, T, K, heat, prob, work, all);
        for (int b = 0; b < N; b++) {
            nn_keypoint_forward(1, H, W, K, S, M, energy, 2.0f, T, K, heat + (size_t)b * plane, prob, work, one);
            CHECK(memcmp(one, all + (size_t)b * cells * 3 * K, sizeof(float) * cells * 3 * K) == 0);
        }
    }
    free(heat), free(prob), free(work), free(all), free(one);
}

/* the windowed (margin m: overlapping windows, the map's edge repeated) and energy (logit T log(1 +
   u^2 / e)) kinds of the cell soft-argmax: the heats' and temperatures' gradients against finite
   differences (plain and sharp with a margin of 2 on 4-pixel cells; energy with and without it;
   sharp and plain on 3-pixel cells with a margin of 1, whose 25-pixel windows leave the vectorized
   rows a remainder); an even heat gives offset 0 and strength 0 (sharp); and with a margin one hot pixel in cell (0, 0)'s
   right neighbour, 1 px past the border, is seen by both cells at its place (offsets +3.5 and -0.5
   map pixels of 2 units: +7 and -1) */
static void test_keypoint_window_grad(void) {
    for (int kind = 0; kind < 6; kind++) {
        /* kinds 4 and 5 (sharp and plain): 3-pixel cells with a margin of 1, 25-pixel windows, so
           that the vectorized rows' eight lanes leave a remainder */
        bool odd = kind >= 4;
        int m = kind == 3 ? 0 : odd ? 1 : 2;
        bool sharp = (kind > 0 && kind < 5), energy = kind == 2 || kind == 3;
        KpCase c = {2, odd ? 9 : 8, 12, 3, odd ? 3 : 4, m, energy, 2.0f, NULL, NULL, NULL, NULL, NULL, NULL, 0};
        int nh = c.n * c.h * c.w * c.K, no = c.n * (c.h / c.s) * (c.w / c.s) * 3 * c.K;
        c.heat = malloc(sizeof(float) * nh);
        c.prob = malloc(sizeof(float) * nn_keypoint_prob_size(c.n, c.h, c.w, c.K, c.s, c.m, sharp));
        c.work = malloc(sizeof(float) * nn_keypoint_work_size(c.n, c.h, c.w, c.K, c.s, c.m));
        c.out = malloc(sizeof(float) * no);
        c.r = malloc(sizeof(float) * no);
        float temp[3] = {1.0f, 0.7f, 1.6f}, dtemp[3] = {0, 0, 0};
        c.temp = sharp ? temp : NULL;
        float* dh = malloc(sizeof(float) * nh);
        Rng rng;
        rng_seed(&rng, 29 + (uint64_t)kind);
        for (int i = 0; i < nh; i++) c.heat[i] = (float)rng_normal(&rng) * 0.8f;
        for (int i = 0; i < no; i++) c.r[i] = (float)rng_normal(&rng);
        kp_loss(&c);
        nn_keypoint_backward(c.n, c.h, c.w, c.K, c.s, c.m, c.energy, c.unit, c.temp, c.K, c.prob, c.r, c.work, dh,
                             sharp ? dtemp : NULL);
        int bad = fd_misses(kp_loss, &c, c.heat, dh, nh, 1e-2f);
        int bad_t = sharp ? fd_misses(kp_loss, &c, temp, dtemp, 3, 1e-2f) : 0;
        if (bad || bad_t)
            fprintf(stderr, "    keypoint window %d energy %d: %d of %d heats, %d of 3 temperatures miss\n", m, energy, bad,
                    nh, bad_t);
        CHECK(bad == 0 && bad_t == 0);
        if (sharp) {
            for (int i = 0; i < nh; i++) c.heat[i] = 0.7f;
            kp_loss(&c);
            int even = 0;
            for (int i = 0; i < no; i += 3)
                even += fabsf(c.out[i]) < 1e-6f && fabsf(c.out[i + 1]) < 1e-6f && fabsf(c.out[i + 2]) < 1e-6f;
            CHECK(even == no / 3);
        }
        if (kind == 1) {
            /* image 0, channel 0: a hot pixel at (y, x) = (1, 5), 1 px into cell (0, 1) (x 4-7; cell (0, 0)'s
               window is x -2..5) */
            for (int i = 0; i < nh; i++) c.heat[i] = 0.0f;
            c.heat[(1 * c.w + 5) * c.K + 0] = 1.0f;
            temp[0] = 8.0f;
            kp_loss(&c);
            float ox0 = c.out[0], ox1 = c.out[3 * c.K];
            CHECK(fabsf(ox0 - 7.0f) < 0.05f && fabsf(ox1 + 1.0f) < 0.05f);
        }
        free(c.heat), free(c.prob), free(c.work), free(c.out), free(c.r), free(dh);
    }
}

/* a layer of sharp (or energy) channels followed by plain ones (nsharp < K: the objectness keypoint
   beside the appearance ones): the heats' and the sharp temperatures' gradients against finite
   differences with a margin; the plain channel's outputs are a plain layer's of that channel alone
   (bit for bit), the sharp ones a sharp layer's of those channels alone, and the plain channel's
   temperature gets no gradient */
static void test_keypoint_mixed(void) {
    for (int energy = 0; energy < 2; energy++) {
        KpCase c = {2, 8, 12, 3, 4, 2, energy != 0, 2.0f, NULL, NULL, NULL, NULL, NULL, NULL, 2};
        int nh = c.n * c.h * c.w * c.K, no = c.n * (c.h / c.s) * (c.w / c.s) * 3 * c.K;
        int cells = c.n * (c.h / c.s) * (c.w / c.s), px = c.n * c.h * c.w;
        c.heat = malloc(sizeof(float) * nh);
        c.prob = malloc(sizeof(float) * nn_keypoint_prob_size(c.n, c.h, c.w, c.K, c.s, c.m, true));
        c.work = malloc(sizeof(float) * nn_keypoint_work_size(c.n, c.h, c.w, c.K, c.s, c.m));
        c.out = malloc(sizeof(float) * no);
        c.r = malloc(sizeof(float) * no);
        float temp[3] = {1.2f, 0.7f, 5.0f}, dtemp[3] = {0, 0, 0};
        c.temp = temp;
        float* dh = malloc(sizeof(float) * nh);
        Rng rng;
        rng_seed(&rng, 41 + (uint64_t)energy);
        for (int i = 0; i < nh; i++) c.heat[i] = (float)rng_normal(&rng) * 0.8f;
        for (int i = 0; i < no; i++) c.r[i] = (float)rng_normal(&rng);
        kp_loss(&c);
        nn_keypoint_backward(c.n, c.h, c.w, c.K, c.s, c.m, c.energy, c.unit, temp, c.nsharp, c.prob, c.r, c.work, dh,
                             dtemp);
        int bad = fd_misses(kp_loss, &c, c.heat, dh, nh, 1e-2f);
        int bad_t = fd_misses(kp_loss, &c, temp, dtemp, 2, 1e-2f);
        if (bad || bad_t) fprintf(stderr, "    mixed keypoint energy %d: %d of %d heats, %d of 2 temperatures miss\n",
                                  energy, bad, nh, bad_t);
        CHECK(bad == 0 && bad_t == 0);
        CHECK(dtemp[2] == 0.0f);
        /* against one layer of the sharp channels and one of the plain channel */
        kp_loss(&c);
        float* hs = malloc(sizeof(float) * px * 2);
        float* hp = malloc(sizeof(float) * px);
        float* os = malloc(sizeof(float) * cells * 6);
        float* op = malloc(sizeof(float) * cells * 3);
        for (int i = 0; i < px; i++) {
            hs[i * 2 + 0] = c.heat[i * 3 + 0], hs[i * 2 + 1] = c.heat[i * 3 + 1];
            hp[i] = c.heat[i * 3 + 2];
        }
        float* prob = malloc(sizeof(float) * nn_keypoint_prob_size(c.n, c.h, c.w, 2, c.s, c.m, true));
        nn_keypoint_forward(c.n, c.h, c.w, 2, c.s, c.m, c.energy, c.unit, temp, 2, hs, prob, c.work, os);
        nn_keypoint_forward(c.n, c.h, c.w, 1, c.s, c.m, false, c.unit, NULL, 1, hp, prob, c.work, op);
        int same = 0;
        for (int i = 0; i < cells; i++)
            same += memcmp(c.out + i * 9, os + i * 6, sizeof(float) * 6) == 0 &&
                    memcmp(c.out + i * 9 + 6, op + i * 3, sizeof(float) * 3) == 0;
        CHECK(same == cells);
        free(hs), free(hp), free(os), free(op), free(prob);
        free(c.heat), free(c.prob), free(c.work), free(c.out), free(c.r), free(dh);
    }
}

/* a dot moving across a cell: the sharp soft-argmax's offset follows it one for one (whole pixels:
   within 0.02 of the dot's offset; the travel over the cell within 2% of the dot's), where the plain
   softmax of the same heat moves a small fraction as far (what the traces of freeze showed: 5-90x
   less); between two pixels it moves monotonically. No training: the heat is the frame itself, a
   dot of 1 on a background of 0 in a 16 x 16 frame of 8-pixel cells, as a 1x1 heat of one frame
   gives it up to scale and sign */
/* nn_blur: its own adjoint (<y, B x> = <B y, x> on random maps of two channels, a sigma whose taps pass
   the edge), the mass kept away from the edge and lost past it, a flat map kept flat inside; and what
   it is for: a uniform 5 x 3 block whose edge pixel won the sharp softmax before has its blurred heat
   peak at the block's centre, and its cell soft-argmax's offset there (the block's mean, where the
   unblurred even block's offset is the same: a plateau weighs every pixel alike); and the 2-D sum
   written out on maps of several shapes */
static void test_nn_blur(void) {
    enum { N = 2, H = 12, W = 10, K = 2, PX = N * H * W * K };
    float *x = malloc(sizeof(float) * PX), *y = malloc(sizeof(float) * PX), *bx = malloc(sizeof(float) * PX),
          *by = malloc(sizeof(float) * PX), *tmp = malloc(sizeof(float) * H * W * K);
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < PX; i++) x[i] = (float)rng_normal(&r), y[i] = (float)rng_normal(&r);
    const float sigmas[] = {0.5f, 1.0f, 2.5f};
    for (int q = 0; q < 3; q++) {
        nn_blur(N, H, W, K, sigmas[q], x, bx, tmp);
        nn_blur(N, H, W, K, sigmas[q], y, by, tmp);
        double a = 0, b = 0, n = 0;
        for (int i = 0; i < PX; i++) a += (double)y[i] * bx[i], b += (double)by[i] * x[i], n += fabs((double)y[i] * bx[i]);
        CHECK(fabs(a - b) < 1e-5 * n);
    }
    /* one unit in the middle of channel 1 of image 1: the mass is kept (1 within rounding), and the
       other channel and image get nothing; at the corner, sigma 2.5: most of it is lost past the edge */
    memset(x, 0, sizeof(float) * PX);
    x[((size_t)(1 * H + 6) * W + 5) * K + 1] = 1.0f;
    nn_blur(N, H, W, K, 1.0f, x, bx, tmp);
    double mass = 0, other = 0;
    for (int i = 0; i < PX; i++) {
        bool mine = i >= H * W * K && i % K == 1;
        if (mine) mass += bx[i];
        else other += fabs(bx[i]);
    }
    CHECK(fabs(mass - 1.0) < 1e-5 && other == 0.0);
    CHECK(bx[((size_t)(1 * H + 6) * W + 5) * K + 1] > bx[((size_t)(1 * H + 6) * W + 6) * K + 1]);
    memset(x, 0, sizeof(float) * PX);
    x[0] = 1.0f;
    nn_blur(N, H, W, K, 2.5f, x, bx, tmp);
    mass = 0;
    for (int i = 0; i < PX; i++) mass += bx[i];
    CHECK(mass > 0.1 && mass < 0.5);
    /* a flat map stays flat where the taps (radius 3 at sigma 1) stay inside */
    for (int i = 0; i < PX; i++) x[i] = 2.0f;
    nn_blur(N, H, W, K, 1.0f, x, bx, tmp);
    for (int i = 3; i < H - 3; i++)
        for (int j = 3; j < W - 3; j++) CHECK(fabsf(bx[((size_t)i * W + j) * K] - 2.0f) < 1e-5f);
    /* a block of rows 3..7, columns 2..4 of channel 0 (centre row 5, column 3): the blurred heat's
       largest pixel is its centre, where every pixel of the block tied before */
    memset(x, 0, sizeof(float) * PX);
    for (int i = 3; i <= 7; i++)
        for (int j = 2; j <= 4; j++) x[((size_t)i * W + j) * K] = 1.0f;
    nn_blur(1, H, W, K, 1.0f, x, bx, tmp);
    int best = 0;
    for (int p = 1; p < H * W; p++)
        if (bx[(size_t)p * K] > bx[(size_t)best * K]) best = p;
    CHECK(best == 5 * W + 3);
    free(x);
    free(y);
    free(bx);
    free(by);
    free(tmp);
    /* against the 2-D sum written out (double; the taps a Gaussian out to ceil(3 sigma), at least 1,
       summing to 1), on maps shorter than the taps on an axis, one pixel, and larger ones whose inner
       runs end between the 16-value blocks */
    const int shapes[][4] = {{1, 1, 1, 1}, {2, 2, 40, 1}, {1, 40, 2, 3}, {2, 30, 41, 3}, {1, 17, 9, 5}};
    const float sig2[] = {0.5f, 1.0f, 1.7f, 4.0f};
    for (int q = 0; q < 5; q++) {
        int n = shapes[q][0], h = shapes[q][1], w = shapes[q][2], k = shapes[q][3];
        size_t px = (size_t)n * h * w * k;
        float *xs = malloc(sizeof(float) * px), *ys = malloc(sizeof(float) * px), *ts = malloc(sizeof(float) * px);
        for (size_t i = 0; i < px; i++) xs[i] = (float)rng_normal(&r);
        for (int u = 0; u < 4; u++) {
            double sg = sig2[u], taps[2 * NN_BLUR_MAX_RADIUS + 1], sum = 0;
            int rad = (int)ceil(3.0 * sg);
            if (rad > NN_BLUR_MAX_RADIUS) rad = NN_BLUR_MAX_RADIUS;
            for (int d = -rad; d <= rad; d++) sum += taps[d + rad] = exp(-(double)(d * d) / (2 * sg * sg));
            nn_blur(n, h, w, k, sig2[u], xs, ys, ts);
            double worst = 0;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < w; j++)
                        for (int c = 0; c < k; c++) {
                            double want = 0;
                            for (int di = -rad; di <= rad; di++)
                                for (int dj = -rad; dj <= rad; dj++)
                                    if (i + di >= 0 && i + di < h && j + dj >= 0 && j + dj < w)
                                        want += taps[di + rad] * taps[dj + rad] / (sum * sum) *
                                                xs[(((size_t)b * h + i + di) * w + j + dj) * k + c];
                            double e = fabs(want - ys[(((size_t)b * h + i) * w + j) * k + c]);
                            if (e > worst) worst = e;
                        }
            CHECK(worst < 1e-5);
        }
        free(xs), free(ys), free(ts);
    }
}

static void test_keypoint_sharp_tracks(void) {
    enum { H = 16, W = 16, S = 8 };
    KpCase c = {1, H, W, 1, S, 0, false, 1.0f, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    int no = (H / S) * (W / S) * 3;
    c.heat = malloc(sizeof(float) * H * W);
    c.prob = malloc(sizeof(float) * nn_keypoint_prob_size(1, H, W, 1, S, 0, true));
    c.work = malloc(sizeof(float) * nn_keypoint_work_size(1, H, W, 1, S, 0));
    c.out = malloc(sizeof(float) * no);
    c.r = calloc((size_t)no, sizeof(float));
    float temp = JEPA_KEYPOINT_TEMP;
    /* the dot in cell (1, 0), row 2 of it, at column x = 0 .. 7: its offset x + 0.5 - 4 */
    float sharp[S], plain[S], dy_sharp = 0;
    for (int x = 0; x < S; x++) {
        for (int i = 0; i < H * W; i++) c.heat[i] = 0.0f;
        c.heat[(S + 2) * W + x] = 1.0f;
        c.temp = &temp;
        kp_loss(&c);
        const float* o = c.out + (1 * (W / S) + 0) * 3;
        sharp[x] = o[0];
        dy_sharp = fmaxf(dy_sharp, fabsf(o[1] - (2.5f - 4.0f)));
        /* the other cells are even: offset 0 */
        CHECK(fabsf(c.out[0]) < 1e-6f && fabsf(c.out[3]) < 1e-6f && fabsf(c.out[9]) < 1e-6f);
        c.temp = NULL;
        kp_loss(&c);
        plain[x] = o[0];
    }
    float miss = 0;
    for (int x = 0; x < S; x++) miss = fmaxf(miss, fabsf(sharp[x] - ((float)x + 0.5f - 4.0f)));
    float travel_sharp = sharp[S - 1] - sharp[0], travel_plain = plain[S - 1] - plain[0];
    fprintf(stderr, "    sharp keypoint: a dot moving 7 px moves the offset %.3f px (plain softmax %.3f px); "
            "largest miss %.4f px\n", travel_sharp, travel_plain, miss);
    CHECK(miss < 0.02f && dy_sharp < 0.02f);
    CHECK(fabsf(travel_sharp - 7.0f) < 0.14f);
    CHECK(travel_plain < 0.25f * 7.0f);
    /* between pixels 3 and 4: an antialiased dot (1 - f, f) moves the offset monotonically */
    float last = -INFINITY;
    int mono = 1;
    c.temp = &temp;
    for (int k = 0; k <= 10; k++) {
        float f = 0.1f * (float)k;
        for (int i = 0; i < H * W; i++) c.heat[i] = 0.0f;
        c.heat[(S + 2) * W + 3] = 1.0f - f, c.heat[(S + 2) * W + 4] = f;
        kp_loss(&c);
        float ox = c.out[(1 * (W / S) + 0) * 3];
        mono &= ox > last - 1e-6f;
        last = ox;
    }
    CHECK(mono && fabsf(last - 0.5f) < 0.02f);
    /* a dot of another brightness on another background: the same offsets (the normalisation) */
    for (int i = 0; i < H * W; i++) c.heat[i] = -3.0f;
    c.heat[(S + 2) * W + 6] = -2.5f;
    kp_loss(&c);
    CHECK(fabsf(c.out[(1 * (W / S) + 0) * 3] - sharp[6]) < 1e-3f);
    free(c.heat), free(c.prob), free(c.work), free(c.out), free(c.r);
}

/* the same through a pixel model's encoder (jepa_encode, no training): sharp keypoints from the
   input frames, the heat set to the window's last frame (its 1x1 weights 0, 0, 1), and a 2 x 2 dot
   moving 1 px a frame along row 19 of 32 x 32 frames (8-pixel cells): the keypoint's dx at the dot's
   cell is the dot's offset from the cell's centre, one for one (within 0.02 px), dy too, and every
   cell without the dot is even (offset 0) */
static void test_jepa_sharp_keypoint_tracks(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 1, a.keypoint_frames = 1, a.keypoint_sharp = 1;
    JepaModel* m = jepa_create(&a, 7);
    ENSURE(m && m->ktemp >= 0 && m->kp.cin == 3 && m->kp.cout == 1);
    m->params[m->kp.w + 0] = 0.0f, m->params[m->kp.w + 1] = 0.0f, m->params[m->kp.w + 2] = 1.0f;
    m->params[m->kp.b] = 0.25f;   /* a bias changes nothing (the normalisation) */
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 4 && lw == 4 && lc == a.latent + 3);
    static uint8_t fr[3][32 * 32];
    float* z = malloc(sizeof(float) * (size_t)jepa_latent_size(m));
    JepaScratch* sc = jepa_scratch_create(m);
    float miss = 0, even = 0, first = NAN, last = NAN;
    /* the dot covers columns x, x + 1 (its centre at x + 1) and rows 18, 19 (centre 19: 3 px below
       the centre of cell row 2, at 20) */
    for (int x = 8; x <= 14; x++) {
        for (int f = 0; f < 3; f++) {
            memset(fr[f], 0, sizeof fr[f]);
            int xf = x - (2 - f);   /* the dot one pixel further every frame */
            for (int y = 18; y <= 19; y++) fr[f][y * 32 + xf] = fr[f][y * 32 + xf + 1] = 255;
        }
        const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
        jepa_encode(m, sc, 1, win, false, z);
        int cx = 1, cy = 2;
        const float* o = z + ((size_t)cy * lw + cx) * lc + a.latent;
        float want = (float)(x + 1) - (cx + 0.5f) * 8.0f;
        miss = fmaxf(miss, fmaxf(fabsf(o[0] - want), fabsf(o[1] - (19.0f - 20.0f))));
        if (x == 8) first = o[0];
        if (x == 14) last = o[0];
        for (int q = 0; q < lh * lw; q++)
            if (q != cy * lw + cx) even = fmaxf(even, fmaxf(fabsf(z[q * lc + a.latent]), fabsf(z[q * lc + a.latent + 1])));
    }
    fprintf(stderr, "    sharp keypoint through the encoder: a dot moving 6 px moves dx %.4f px; largest miss %.4f\n",
            last - first, miss);
    CHECK(miss < 0.02f && even < 1e-6f && fabsf(last - first - 6.0f) < 0.05f);
    jepa_scratch_free(sc);
    free(z);
    jepa_free(m);
}

/* a frame of 32 x 24 pixels: a background of 60, a still bright bar (a bench's edge) along rows 14
   and 15, and a dot of 3 px across (value 255, antialiased: 8 x 8 samples a pixel) centred at (px,
   11.5), in cell row 1 (rows 8-15) */
static void kp_dot_frame(uint8_t* f, float px) {
    for (int y = 0; y < 24; y++)
        for (int x = 0; x < 32; x++) {
            int in = 0;
            for (int sy = 0; sy < 8; sy++)
                for (int sx = 0; sx < 8; sx++) {
                    float dx = (float)x + (sx + 0.5f) / 8.0f - px, dy = (float)y + (sy + 0.5f) / 8.0f - 11.5f;
                    in += dx * dx + dy * dy <= 2.25f;
                }
            float bg = (y == 14 || y == 15) ? 200.0f : 60.0f;
            f[y * 32 + x] = (uint8_t)lrintf(bg + (255.0f - bg) * (float)in / 64.0f);
        }
}

/* the encoded keypoints of an untrained encoder (random heat weights, seed) on the dot moving 0.25 px
   a frame from x = 6 to x = 26 (3-frame windows, the last frame's dot at px): for cell (1, 1) (x
   8-15, centre 12) every channel's dx against px over px in [lo, hi], as a least-squares slope, and
   the largest step of dx between consecutive windows beyond the dot's 0.25 px (a jump); the worst
   channel's of each. agree: over px in [alo, ahi], the largest difference between the dot's place
   as cell (1, 1) reads it (12 + dx) and as cell (1, 2) does (20 + dx), every channel */
static void kp_dot_track(int motion, int overlap, int sharp_only, uint64_t seed, float lo, float hi, float alo,
                         float ahi, float* slope, float* jump, float* agree) {
    JepaArch a = jepa_arch_default(32, 24, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 4, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = !sharp_only;
    a.keypoint_motion = motion, a.keypoint_overlap = overlap;
    JepaModel* m = jepa_create(&a, seed);
    ENSURE(m);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 3 && lw == 4);
    float* z = malloc(sizeof(float) * (size_t)jepa_latent_size(m));
    JepaScratch* sc = jepa_scratch_create(m);
    static uint8_t fr[3][32 * 24];
    const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
    enum { N = 81 };
    float dxs[N][4], dx2[N][4];
    for (int i = 0; i < N; i++) {
        float px = 6.0f + 0.25f * (float)i;
        for (int f = 0; f < 3; f++) kp_dot_frame(fr[f], px - 0.25f * (float)(2 - f));
        jepa_encode(m, sc, 1, win, false, z);
        for (int k = 0; k < 4; k++) {
            dxs[i][k] = z[((size_t)1 * lw + 1) * lc + a.latent + 3 * k];
            dx2[i][k] = z[((size_t)1 * lw + 2) * lc + a.latent + 3 * k];
        }
    }
    *slope = 1.0f, *jump = 0, *agree = 0;
    for (int k = 0; k < 4; k++) {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int n = 0;
        for (int i = 0; i < N; i++) {
            float px = 6.0f + 0.25f * (float)i;
            if (px >= alo && px <= ahi) *agree = fmaxf(*agree, fabsf(12.0f + dxs[i][k] - (20.0f + dx2[i][k])));
            if (px < lo || px > hi) continue;
            sx += px, sy += dxs[i][k], sxx += (double)px * px, sxy += (double)px * dxs[i][k], n++;
            if (px > lo) *jump = fmaxf(*jump, fabsf(dxs[i][k] - dxs[i - 1][k]) - 0.25f);
        }
        float sl = (float)((n * sxy - sx * sy) / (n * sxx - sx * sx));
        if (fabsf(sl - 1.0f) > fabsf(*slope - 1.0f)) *slope = sl;
    }
    jepa_scratch_free(sc);
    free(z);
    jepa_free(m);
}

/* keypoints that track a small body one for one by construction (keypoint_motion, keypoint_overlap):
   an untrained encoder (three seeds of random heat weights) on a 3 px dot that rolls 0.25 px a frame
   along a bench's edge, across cell (1, 1) and over its border at x = 16 into the next cell. From the
   frames' change and over overlapping windows, every channel's dx at cell (1, 1) moves 0.8-1.2 px per
   px of the dot from x = 7 to x = 17.5 (1.5 px past the border: as long as its window holds the
   heat's whole response, which reaches 2.5 px from the dot's centre), with no step more than 0.5 px
   beyond the dot's 0.25 (no jump at the border; what is left is a wobble with the dot's phase within
   a pixel, 0.38 px at most here), and while both cells' windows hold it (x = 15 to 17.5) the
   two cells place it within 0.5 px of each other, so a body handed from one cell to the next does not
   jump. Without the overlap the cell's dx stops at its border (a slope far from 1 over the range, and
   the next cell places the dot elsewhere); from the frames' pixels, the still bar holds the softmax (a slope
   far from 1); the sharp keypoints of the window (before) both */
static void test_jepa_keypoint_motion_tracks(void) {
    float sl, jmp, agr, worst_sl = 1.0f, worst_j = 0, worst_a = 0;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        kp_dot_track(1, 1, 0, seed, 7.0f, 17.5f, 15.0f, 17.5f, &sl, &jmp, &agr);
        if (fabsf(sl - 1.0f) > fabsf(worst_sl - 1.0f)) worst_sl = sl;
        worst_j = fmaxf(worst_j, jmp), worst_a = fmaxf(worst_a, agr);
    }
    float sl_cell, j_cell, a_cell, sl_pix, j_pix, a_pix, sl_sh, j_sh, a_sh;
    kp_dot_track(1, 0, 0, 1, 7.0f, 17.5f, 15.0f, 17.5f, &sl_cell, &j_cell, &a_cell);
    kp_dot_track(0, 1, 0, 1, 7.0f, 17.5f, 15.0f, 17.5f, &sl_pix, &j_pix, &a_pix);
    kp_dot_track(0, 0, 1, 1, 7.0f, 17.5f, 15.0f, 17.5f, &sl_sh, &j_sh, &a_sh);
    fprintf(stderr, "    motion keypoints, untrained, a 3 px dot across a cell and its border (worst of 4 channels, "
            "3 seeds): slope %.3f px/px, largest step beyond the dot's %.3f px, the two cells' places %.3f px apart; "
            "own cells only: %.3f, %.3f, %.3f; from the pixels: %.3f, %.3f, %.3f; sharp from the window (before): "
            "%.3f, %.3f, %.3f\n", worst_sl, worst_j, worst_a, sl_cell, j_cell, a_cell, sl_pix, j_pix, a_pix, sl_sh,
            j_sh, a_sh);
    CHECK(worst_sl >= 0.8f && worst_sl <= 1.2f && worst_j < 0.5f && worst_a < 0.5f);
    CHECK(a_cell > 1.0f && fabsf(sl_cell - 1.0f) > 0.2f);
    CHECK(fabsf(sl_pix - 1.0f) > 0.2f && fabsf(sl_sh - 1.0f) > 0.2f);
}

/* a keypoint heat layer's 3x3 kernel (its weights at w) set to the identity and its bias (at b) to
 * 0.25: the heat is the input itself */
static void keypoint_identity(JepaModel* m, int w, int b) {
    for (int i = 0; i < 9; i++) m->params[w + i] = i == 4 ? 1.0f : 0.0f;
    m->params[b] = 0.25f;
}

/* constant-velocity keypoints (keypoint_cv), no training: a 2 x 2 dot moving 1 px a frame along row
   19 of 32 x 32 frames (8-pixel cells), the heat set to the frame's pixel (the 3x3 kernel's centre 1,
   the rest 0). The encoding's velocity channel at the dot's cell is 1 px a step; the predictor,
   untrained, rolled out 4 steps without pushes, moves dx 1 px a step and keeps vx at 1, as the
   encodings of the windows that came; and through a stream, a dot that stops errs on the
   keypoint channels at the tick after the stop (where a moving one does not) */
static void test_jepa_keypoint_cv_carries(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 1, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1;
    JepaModel* m = jepa_create(&a, 7);
    ENSURE(m && m->kp.cin == 1 && m->kp.cout == 1 && m->kp.k == 3);
    keypoint_identity(m, m->kp.w, m->kp.b);
    memcpy(m->target, m->params, sizeof(float) * (size_t)m->enc_count);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 4 && lw == 4 && lc == a.latent + 5);
    int L = jepa_latent_size(m), cell = (2 * lw + 1) * lc + a.latent;   /* cell (2, 1): x 8..15, y 16..23 */
    static uint8_t fr[3][32 * 32];
    float* z = malloc(sizeof(float) * (size_t)L);
    float* zr = malloc(sizeof(float) * (size_t)L);
    JepaScratch* sc = jepa_scratch_create(m);
    /* the window whose last frame has the dot at columns x, x + 1 (frame f: x - (2 - f)) */
#define CV_WINDOW(x) do {                                                                    \
        for (int f = 0; f < 3; f++) {                                                          \
            memset(fr[f], 0, sizeof fr[f]);                                                    \
            int xf = (x) - (2 - f);                                                            \
            for (int y = 18; y <= 19; y++) fr[f][y * 32 + xf] = fr[f][y * 32 + xf + 1] = 255;  \
        }                                                                                      \
    } while (0)
    const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
    CV_WINDOW(9);
    jepa_encode(m, sc, 1, win, false, zr);
    /* dx: the dot's centre (x + 1 = 10) from the cell's (12); vx, vy: 1 and 0 */
    CHECK(fabsf(zr[cell + 0] + 2.0f) < 0.02f && fabsf(zr[cell + 1] + 1.0f) < 0.02f);
    CHECK(fabsf(zr[cell + 3] - 1.0f) < 0.02f && fabsf(zr[cell + 4]) < 0.02f);
    float miss = 0;
    for (int r = 1; r <= 4; r++) {
        jepa_predict(m, sc, 1, zr, NULL, NULL, zr);
        CV_WINDOW(9 + r);
        jepa_encode(m, sc, 1, win, true, z);
        for (int c = 0; c < 5; c++)
            if (c != 2) miss = fmaxf(miss, fabsf(zr[cell + c] - z[cell + c]));
        CHECK(fabsf(zr[cell + 0] - (-2.0f + (float)r)) < 0.05f && fabsf(zr[cell + 3] - 1.0f) < 0.05f);
    }
    fprintf(stderr, "    keypoint cv, untrained predictor: dx after 4 steps %.3f px (the dot's: 2), largest miss "
            "against the encodings %.4f px\n", zr[cell + 0], miss);
    CHECK(miss < 0.05f);
#undef CV_WINDOW
    /* a stream each: the dot moves 1 px a tick; in the second it stops at tick 3 (column 10) */
    float kerr[2][8], all[2][8], wall[2][8];
    bool same = true;
    for (int stop = 0; stop < 2; stop++) {
        JepaStream* st = jepa_stream_create(m);
        static uint8_t frame[32 * 32];
        for (int t = 0; t < 7; t++) {
            int x = 7 + (stop && t > 3 ? 3 : t);
            memset(frame, 0, sizeof frame);
            for (int y = 18; y <= 19; y++) frame[y * 32 + x] = frame[y * 32 + x + 1] = 255;
            int got = jepa_stream_add(st, frame, NULL, 0, true);
            kerr[stop][t] = all[stop][t] = wall[stop][t] = NAN;
            if (got < 2) continue;
            const float* p = jepa_stream_pred(st);
            const float* o = jepa_stream_obs(st);
            float e = 0;
            for (int c = 0; c < 5; c++) e += fabsf(p[cell + c] - o[cell + c]);
            kerr[stop][t] = e;
            jepa_surprise(m, 1, p, o, &all[stop][t], NULL);
            /* the keypoint channels weighed 50 times; weighed 1, the plain surprise's bits */
            float one, plain, pk, pk1;
            jepa_surprise_weighted(m, 1, p, o, 50.0f, &wall[stop][t], NULL);
            jepa_surprise_weighted(m, 1, p, o, 1.0f, &one, &pk1);
            jepa_surprise(m, 1, p, o, &plain, &pk);
            same = same && memcmp(&one, &plain, sizeof one) == 0 && memcmp(&pk, &pk1, sizeof pk) == 0;
        }
        jepa_stream_free(st);
    }
    fprintf(stderr, "    keypoint cv: the dot's cell, keypoint channels' L1 at ticks 4, 5: moving %.3f %.3f, "
            "stopped %.3f %.3f; grid mean at tick 4 %.4f / %.4f, keypoints weighed 50x %.4f / %.4f\n", kerr[0][4],
            kerr[0][5], kerr[1][4], kerr[1][5], all[0][4], all[1][4], wall[0][4], wall[1][4]);
    /* the stop misses dx and vx by the dot's step each; the moving dot is carried on */
    CHECK(kerr[0][3] < 0.1f && kerr[0][4] < 0.1f && kerr[0][5] < 0.1f && kerr[1][4] > 1.8f);
    CHECK(wall[1][4] > wall[0][4] && same);
    jepa_scratch_free(sc);
    free(z);
    free(zr);
    jepa_free(m);
}

/* the conv nets' SiLU (vectorized, polynomial exp): close to the definition over the whole range,
   each value the same bits whether it goes through the vector loop or alone (the scalar tail),
   finite for finite inputs, NaN for NaN */
static void test_silu_fast(void) {
    enum { N = 20011 };
    float* x = malloc(sizeof(float) * N);
    float* y = malloc(sizeof(float) * N);
    float* d = malloc(sizeof(float) * N);
    float* one = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        x[i] = -100.0f + 200.0f * (float)i / (float)(N - 1);
        one[i] = 1.0f;
    }
    nn_silu_fast_forward(N, x, y);
    nn_silu_fast_backward(N, x, one, d);
    int bad = 0, split = 0;
    for (int i = 0; i < N; i++) {
        double s = 1.0 / (1.0 + exp(-(double)x[i]));
        double f = x[i] * s, g = s * (1.0 + x[i] * (1.0 - s));
        if (!isfinite(y[i]) || fabs(y[i] - f) > 1e-6 * fabs(f) + 1e-30) bad++;
        if (!isfinite(d[i]) || fabs(d[i] - g) > 2e-6 * fabs(g) + 1e-7) bad++;
        float y1, d1;
        nn_silu_fast_forward(1, &x[i], &y1);
        nn_silu_fast_backward(1, &x[i], &one[i], &d1);
        if (memcmp(&y1, &y[i], sizeof y1) || memcmp(&d1, &d[i], sizeof d1)) split++;
    }
    if (bad || split) fprintf(stderr, "    silu: %d off the definition, %d differ alone\n", bad, split);
    CHECK(bad == 0 && split == 0);
    float q[5] = {NAN, 0.0f, -0.0f, 1e-30f, -1e-30f}, r[5];
    nn_silu_fast_forward(5, q, r);
    CHECK(isnan(r[0]) && r[1] == 0.0f && r[2] == 0.0f && fabsf(r[3] - 0.5e-30f) < 1e-36f);
    free(x), free(y), free(d), free(one);
}

typedef struct NetCase {
    NnConvNet net;
    NnConvCache cache;
    int n;
    float *p, *x, *r;
} NetCase;

static double net_loss(void* ctx) {
    NetCase* c = ctx;
    const float* y = nn_convnet_forward(&c->net, c->p, &c->cache, c->n, c->x);
    double s = 0;
    for (size_t i = 0; i < (size_t)c->n * nn_convnet_out_size(&c->net); i++) s += (double)y[i] * c->r[i];
    return s;
}

static void test_convnet_grad(void) {
    Rng rng;
    rng_seed(&rng, 11);
    NnLayout l = {0};
    NetCase c;
    memset(&c, 0, sizeof c);
    c.n = 2;
    nn_convnet_begin(&c.net, 8, 10, 2);
    ENSURE(nn_convnet_add(&c.net, &l, 4, 4, 2, 1, 2, NN_ACT_SILU));
    ENSURE(nn_convnet_add(&c.net, &l, 4, 3, 1, 1, 1, NN_ACT_SILU));
    ENSURE(nn_convnet_add(&c.net, &l, 3, 1, 1, 0, 0, NN_ACT_NONE));
    CHECK(!nn_convnet_add(&c.net, &l, 3, 9, 1, 0, 0, NN_ACT_NONE));   /* does not fit a 4x5 map */
    CHECK(!nn_convnet_add(&c.net, &l, 3, 1, 1, 0, 2, NN_ACT_NONE));   /* 2 groups of 3 channels */
    int h, w, ch;
    nn_convnet_out(&c.net, &h, &w, &ch);
    CHECK(h == 4 && w == 5 && ch == 3);
    int nx = c.n * 8 * 10 * 2, ny = c.n * h * w * ch;
    c.p = calloc((size_t)l.count, sizeof(float));
    float* g = calloc((size_t)l.count, sizeof(float));
    c.x = malloc(sizeof(float) * nx);
    float* dx = malloc(sizeof(float) * nx);
    c.r = malloc(sizeof(float) * ny);
    float* dy = malloc(sizeof(float) * ny);
    nn_convnet_init(&c.net, c.p, &rng, 1.0f);
    for (int i = 0; i < l.count; i++) c.p[i] += 0.1f * (float)rng_normal(&rng);
    fill_normal(&rng, c.x, nx, 1.0f);
    fill_normal(&rng, c.r, ny, 1.0f);
    nn_convnet_cache_reserve(&c.cache, &c.net, c.n);
    net_loss(&c);
    memcpy(dy, c.r, sizeof(float) * ny);
    nn_convnet_backward(&c.net, c.p, g, &c.cache, c.n, c.x, dy, dx);
    int bad = fd_misses(net_loss, &c, c.p, g, l.count, 1e-2f) + fd_misses(net_loss, &c, c.x, dx, nx, 1e-2f);
    CHECK(bad == 0);
    /* a cache that keeps the forward's columns gives the same bytes */
    NnConvCache kc = {0};
    nn_convnet_cache_keep_cols(&kc);
    nn_convnet_cache_reserve(&kc, &c.net, c.n);
    CHECK(kc.cols[0] && kc.cols[1] && !kc.cols[2]);   /* the 1x1 layer needs none */
    float* g2 = calloc((size_t)l.count, sizeof(float));
    float* dx2 = malloc(sizeof(float) * nx);
    float* g1 = calloc((size_t)l.count, sizeof(float));
    float* dx1 = malloc(sizeof(float) * nx);
    const float* y1 = nn_convnet_forward(&c.net, c.p, &c.cache, c.n, c.x);
    const float* y2 = nn_convnet_forward(&c.net, c.p, &kc, c.n, c.x);
    CHECK(memcmp(y1, y2, sizeof(float) * ny) == 0);
    memcpy(dy, c.r, sizeof(float) * ny);
    nn_convnet_backward(&c.net, c.p, g1, &c.cache, c.n, c.x, dy, dx1);
    memcpy(dy, c.r, sizeof(float) * ny);
    nn_convnet_backward(&c.net, c.p, g2, &kc, c.n, c.x, dy, dx2);
    CHECK(memcmp(g1, g2, sizeof(float) * l.count) == 0 && memcmp(dx1, dx2, sizeof(float) * nx) == 0);
    nn_convnet_cache_free(&kc);
    free(g1), free(dx1), free(g2), free(dx2);
    nn_convnet_cache_free(&c.cache);
    free(c.p), free(g), free(c.x), free(dx), free(c.r), free(dy);
    nn_layout_free(&l);
}

/* the LAPACK pieces: a Cholesky solve and symmetric eigenvalues against known answers */
static void test_lapack(void) {
    /* A = L L^T with L = [[2,0,0],[1,3,0],[-1,0.5,1]]; x = (1, -2, 0.5) and (0, 1, 2) */
    double L[3][3] = {{2, 0, 0}, {1, 3, 0}, {-1, 0.5, 1}};
    double A[9], x[2][3] = {{1, -2, 0.5}, {0, 1, 2}}, b[2][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            A[i * 3 + j] = 0;
            for (int k = 0; k < 3; k++) A[i * 3 + j] += L[i][k] * L[j][k];
        }
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 3; i++) {
            b[r][i] = 0;
            for (int j = 0; j < 3; j++) b[r][i] += A[i * 3 + j] * x[r][j];
        }
    double A2[9];
    memcpy(A2, A, sizeof A);
    CHECK(nn_cholesky_solve(3, A2, 2, &b[0][0]));
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 3; i++) CHECK(fabs(b[r][i] - x[r][i]) < 1e-12);
    /* not positive definite: refused */
    double N[4] = {1, 2, 2, 1}, nb[2] = {1, 1};
    CHECK(!nn_cholesky_solve(2, N, 1, nb));
    /* eigenvalues of [[2,1,0],[1,2,0],[0,0,5]]: 1, 3, 5 */
    double S[9] = {2, 1, 0, 1, 2, 0, 0, 0, 5}, w[3];
    CHECK(nn_sym_eigvals(3, S, w));
    CHECK(fabs(w[0] - 1) < 1e-12 && fabs(w[1] - 3) < 1e-12 && fabs(w[2] - 5) < 1e-12);
    /* double GEMM: [1 2; 3 4] [5; 6] = [17; 39] */
    double P[4] = {1, 2, 3, 4}, Q[2] = {5, 6}, R[2];
    nn_dgemm(false, false, 2, 1, 2, 1.0, P, Q, 0.0, R);
    CHECK(R[0] == 17 && R[1] == 39);
}

/* ---- the pixel model ---- */

/* the ridge probe recovers a linear map per slot from the rows where the slot is live, leaves a
   slot with too few rows unfitted (NaN), and round-trips through a model file's bytes */
static void test_probe(void) {
    enum { N = 200, F = 5, K = 3, O = 2 };
    Rng rng;
    rng_seed(&rng, 11);
    float x[N * F], y[N * K * O];
    uint8_t mask[N * K];
    float A[K][O][F], b0[K][O];
    for (int k = 0; k < K; k++)
        for (int o = 0; o < O; o++) {
            b0[k][o] = (float)rng_normal(&rng);
            for (int j = 0; j < F; j++) A[k][o][j] = (float)rng_normal(&rng);
        }
    for (int n = 0; n < N; n++) {
        for (int j = 0; j < F; j++) x[n * F + j] = (float)rng_normal(&rng) + 3.0f;
        for (int k = 0; k < K; k++) {
            /* slot 0 live in every row, slot 1 in a third, slot 2 in 3 rows only; dead rows hold junk */
            mask[n * K + k] = k == 0 || (k == 1 && n % 3 == 0) || (k == 2 && n < 3);
            for (int o = 0; o < O; o++) {
                double v = b0[k][o];
                for (int j = 0; j < F; j++) v += A[k][o][j] * x[n * F + j];
                y[(n * K + k) * O + o] = mask[n * K + k] ? (float)v : 1e6f;
            }
        }
    }
    Probe p;
    CHECK(probe_fit(&p, N, F, K, O, x, y, mask, 1e-7, 10));
    CHECK(p.fitted[0] && p.fitted[1] && !p.fitted[2] && p.rows[1] == (N + 2) / 3);
    float out[4 * K * O];
    probe_apply(&p, 4, x, out);
    for (int n = 0; n < 4; n++)
        for (int k = 0; k < 2; k++)
            for (int o = 0; o < O; o++)
                if (mask[n * K + k]) CHECK(fabsf(out[(n * K + k) * O + o] - y[(n * K + k) * O + o]) < 1e-3f);
    CHECK(isnan(out[2 * O]));
    ModelBuf mb = {0};
    probe_write(&p, &mb);
    ModelRd rd = {mb.p, mb.n, 0, false};
    Probe q;
    char err[256];
    CHECK(probe_read(&q, &rd, F, err, sizeof err) && rd.at == mb.n);
    CHECK(memcmp(q.w, p.w, sizeof(float) * K * O * F) == 0 && q.fitted[1] == 1 && q.rows[2] == 3);
    probe_free(&q);
    rd.at = 0, rd.n = mb.n - 5;
    CHECK(!probe_read(&q, &rd, F, err, sizeof err) && strstr(err, "cut short"));
    rd.at = 0, rd.n = mb.n, rd.short_read = false;
    CHECK(!probe_read(&q, &rd, F + 1, err, sizeof err));
    free(mb.p);
    probe_free(&p);
}

/* the probe's ridge chosen on held-out rows: with few noisy rows and many features the smallest
   ridge overfits, so the held-out error picks a larger one, which also predicts new rows better;
   without held-out rows it is the first ridge, the same bytes as probe_fit */
static void test_probe_select(void) {
    enum { N = 120, F = 60, K = 1, O = 1, NEW = 400 };
    Rng rng;
    rng_seed(&rng, 12);
    static float x[(N + NEW) * F], y[N + NEW];
    uint8_t mask[N + NEW], held[N];
    float a[F];
    for (int j = 0; j < F; j++) a[j] = (float)rng_normal(&rng) * (j < 3 ? 1.0f : 0.0f);
    for (int n = 0; n < N + NEW; n++) {
        double v = 0;
        for (int j = 0; j < F; j++) {
            x[n * F + j] = (float)rng_normal(&rng);
            v += a[j] * x[n * F + j];
        }
        y[n] = (float)(v + rng_normal(&rng));
        mask[n] = 1;
        if (n < N) held[n] = n % 5 == 4;
    }
    const double ridges[] = {1e-6, 1e-2, 1e-1, 1.0, 10.0};
    double herr[5];
    Probe p, q, r;
    CHECK(probe_fit_select(&p, N, F, K, O, x, y, mask, held, ridges, 5, 10, herr));
    CHECK(p.ridge > 1e-6 && herr[0] > 0);
    for (int i = 0; i < 5; i++) CHECK(isfinite(herr[i]) && herr[i] >= 0);
    for (int i = 0; i < 5; i++)
        if (ridges[i] == p.ridge) CHECK(herr[i] < herr[0]);
    CHECK(probe_fit(&q, N, F, K, O, x, y, mask, 1e-6, 10));
    /* on new rows the chosen ridge beats the smallest */
    float out_p[NEW], out_q[NEW];
    probe_apply(&p, NEW, x + (size_t)N * F, out_p);
    probe_apply(&q, NEW, x + (size_t)N * F, out_q);
    double ep = 0, eq = 0;
    for (int n = 0; n < NEW; n++) {
        ep += (out_p[n] - y[N + n]) * (out_p[n] - y[N + n]);
        eq += (out_q[n] - y[N + n]) * (out_q[n] - y[N + n]);
    }
    CHECK(ep < eq);
    CHECK(probe_fit_select(&r, N, F, K, O, x, y, mask, NULL, ridges, 5, 10, NULL));
    CHECK(r.ridge == 1e-6 && memcmp(r.w, q.w, sizeof(float) * F) == 0 && r.b[0] == q.b[0]);
    probe_free(&p);
    probe_free(&q);
    probe_free(&r);
}

/* probe_fit_select_jobs: the slots shared by 1, 2, 3 and 6 threads give the same bytes (weights,
   intercepts, the ridge chosen, the held-out errors, the rows and what was fitted), with slots of
   every kind: live in most rows, in a few held-out ones only, in too few rows to fit, with no
   held-out row, and with none at all; and without held rows (one ridge) likewise */
static void test_probe_select_jobs(void) {
    enum { N = 150, F = 24, K = 5, O = 2 };
    Rng rng;
    rng_seed(&rng, 31);
    static float x[N * F], y[N * K * O];
    uint8_t mask[N * K], held[N];
    for (int n = 0; n < N; n++) {
        held[n] = n % 5 == 4;
        for (int j = 0; j < F; j++) x[n * F + j] = (float)rng_normal(&rng);
        for (int k = 0; k < K; k++) {
            for (int o = 0; o < O; o++)
                y[(n * K + k) * O + o] = x[n * F + k + o] * (float)(k + 1) + 0.3f * (float)rng_normal(&rng);
            bool live = k == 0   ? n % 7 != 0
                        : k == 1 ? n % 2 == 0
                        : k == 2 ? n < 12               /* too few rows for min_rows 15 */
                        : k == 3 ? !held[n] && n % 3   /* no held-out row */
                                 : false;              /* never live */
            mask[n * K + k] = live;
        }
    }
    const double ridges[] = {1e-4, 1e-2, 1.0};
    for (int h = 0; h < 2; h++) {
        Probe ref;
        double eref[3];
        CHECK(probe_fit_select_jobs(&ref, N, F, K, O, x, y, mask, h ? held : NULL, ridges, 3, 15, eref, 1));
        CHECK(ref.fitted[0] && ref.fitted[1] && !ref.fitted[2] && ref.fitted[3] && !ref.fitted[4]);
        if (h) CHECK(isfinite(eref[0]) && isfinite(eref[1]) && isfinite(eref[2]));
        else CHECK(isnan(eref[0]) && ref.ridge == ridges[0]);
        const int jobs[] = {2, 3, 6};
        for (int q = 0; q < 3; q++) {
            Probe p;
            double e[3];
            CHECK(probe_fit_select_jobs(&p, N, F, K, O, x, y, mask, h ? held : NULL, ridges, 3, 15, e, jobs[q]));
            CHECK(p.ridge == ref.ridge && memcmp(p.w, ref.w, sizeof(float) * K * O * F) == 0 &&
                  memcmp(p.b, ref.b, sizeof(float) * K * O) == 0 && memcmp(p.fitted, ref.fitted, K) == 0 &&
                  memcmp(p.rows, ref.rows, sizeof(int64_t) * K) == 0 && memcmp(p.mean, ref.mean, sizeof(float) * F) == 0);
            CHECK(memcmp(e, eref, sizeof e) == 0);
            probe_free(&p);
        }
        probe_free(&ref);
    }
}

/* a tiny pixel model's trainer on random frames and pushes; motion: its motion_weight; still: the
   same frame all along (nothing moves) */
/* tiny_jepa_kps's keypoints from the frames' change (1) and over overlapping windows (2) */
static int tiny_kp_window;
/* tiny_jepa_kps's appearance keypoints (keypoint_appear, of its keypoints) */
static int tiny_kp_appear;
/* tiny_jepa_kps's objectness keypoint (the last appearance one; objness_weight 1) */
static int tiny_kp_objness;
/* tiny_jepa_kps's appearance_weight */
static float tiny_appearance;
/* tiny_jepa_kps's event_weight (the records at t = 5 of each episode are marked as breaks) */
static float tiny_events;
/* tiny_jepa_kps's var_space_weight */
static float tiny_var_space;
/* tiny_jepa_kps's recon_weight */
static float tiny_recon;
/* tiny_jepa_kps's pool_weight (blocks of 2 x 2 cells: the tiny grid's whole) */
static float tiny_pool;
/* tiny_jepa_kps's latent_noise */
static float tiny_latent_noise;
/* tiny_jepa_kps's pred_gate */
static int tiny_pred_gate;
/* tiny_jepa_kps's keypoint_blur */
static float tiny_kp_blur;
/* tiny_jepa_kps without pushes */
static bool tiny_no_push;

static JepaTrainer* tiny_jepa_kps(uint64_t seed, int episodes, int len, float motion, bool still, int step,
                                  int keypoints, bool sharp, float keypoint_weight, bool cv, int context) {
    JepaTrainerDef def = jepa_trainer_def_default(16, 16, 1);
    def.arch.frame_step = step;
    /* keypoints < 0: -keypoints of them from the input frames */
    def.arch.keypoints = abs(keypoints);
    def.arch.keypoint_frames = keypoints < 0;
    def.arch.keypoint_sharp = sharp;
    def.arch.keypoint_cv = cv;
    def.arch.keypoint_motion = (tiny_kp_window & 1) != 0;
    def.arch.keypoint_overlap = (tiny_kp_window & 2) != 0;
    def.arch.keypoint_appear = tiny_kp_appear;
    def.arch.keypoint_objness = tiny_kp_objness;
    def.arch.pred_gate = tiny_pred_gate;
    def.arch.keypoint_blur = tiny_kp_blur;
    def.objness_weight = (float)tiny_kp_objness;
    if (context) def.arch.context = context;
    def.keypoint_weight = keypoint_weight;
    def.arch.width = 4;
    def.arch.latent = 4;
    def.arch.hidden = 4;
    def.arch.pred_layers = 1;
    def.arch.groups = 2;
    def.batch = 3;
    def.rollout = 2;
    def.capacity = 200;
    def.val_every = 0;
    def.seed = seed;
    def.motion_weight = motion;
    def.appearance_weight = tiny_appearance;
    def.event_weight = tiny_events;
    def.var_space_weight = tiny_var_space;
    def.recon_weight = tiny_recon;
    def.pool_weight = tiny_pool;
    def.latent_noise = tiny_latent_noise;
    def.pool_size = 2;
    char err[256];
    JepaTrainer* tr = jepa_trainer_create(&def, NULL, err, sizeof err);
    ENSURE(tr);
    Rng rng;
    rng_seed(&rng, 99);
    uint8_t frame[256];
    for (int e = 0; e < episodes; e++) {
        jepa_trainer_begin_episode(tr);
        for (int t = 0; t < len; t++) {
            if (!still || (e == 0 && t == 0))
                for (int i = 0; i < 256; i++) frame[i] = (uint8_t)rng_int(&rng, 0, 255);
            JepaPush p = {(float)rng_uniform(&rng, 0, 16), (float)rng_uniform(&rng, 0, 16), (float)rng_normal(&rng),
                          (float)rng_normal(&rng), 0};
            jepa_trainer_add_frame(tr, frame, &p, !tiny_no_push && t % 3 == 0);
            if (tiny_events > 0 && t == 5) jepa_replay_mark(jepa_trainer_replay(tr), WM_BIT_BREAK);
        }
    }
    return tr;
}

static JepaTrainer* tiny_jepa_kp(uint64_t seed, int episodes, int len, float motion, bool still, int step,
                                 int keypoints) {
    return tiny_jepa_kps(seed, episodes, len, motion, still, step, keypoints, false, 1.0f, false, 0);
}

static JepaTrainer* tiny_jepa_step(uint64_t seed, int episodes, int len, float motion, bool still, int step) {
    return tiny_jepa_kp(seed, episodes, len, motion, still, step, 0);
}

static JepaTrainer* tiny_jepa_of(uint64_t seed, int episodes, int len, float motion, bool still) {
    return tiny_jepa_step(seed, episodes, len, motion, still, 1);
}

static JepaTrainer* tiny_jepa(uint64_t seed, int episodes, int len) {
    return tiny_jepa_of(seed, episodes, len, 0.0f, false);
}

/* the appearance head's parameters set to fixed values of either sign (none without the head) */
static void fill_appearance_head(JepaTrainer* tr) {
    float* hp = NULL;
    int nh = jepa_trainer_appearance_head(tr, &hp, NULL);
    for (int i = 0; i < nh; i++) hp[i] = 0.5f * sinf(1.0f + 0.7f * (float)i);
}

typedef struct JepaFd {
    JepaTrainer* tr;
    int64_t seq[3];
} JepaFd;

static double jepa_fd_loss(void* ctx) {
    JepaFd* c = ctx;
    return jepa_trainer_loss_at(c->tr, c->seq, false, NULL);
}

/* a trainer-only head's n parameters p against finite differences of the whole loss (its gradient g0,
   copied first: every one must match); returns how many of them have a zero gradient */
static int head_fd_zeros(JepaFd* c, float* p, const float* g0, int n) {
    float* g = malloc(sizeof(float) * n);
    memcpy(g, g0, sizeof(float) * n);
    CHECK(fd_misses(jepa_fd_loss, c, p, g, n, 3e-3f) == 0);
    int zero = 0;
    for (int i = 0; i < n; i++) zero += g[i] == 0.0f;
    free(g);
    return zero;
}

/* the whole loss (encoder, rollout of the predictor with push maps, L1, variance and covariance)
   against finite differences; the target encoder gets no gradient */
static void jepa_grad_check_cv(float motion, int step, int keypoints, bool sharp, float keypoint_weight, bool cv,
                               int context) {
    JepaFd c;
    c.tr = tiny_jepa_kps(5, 2, 8 * step, motion, false, step, keypoints, sharp, keypoint_weight, cv, context);
    JepaModel* m = jepa_trainer_model(c.tr);
    /* the appearance head starts at zero (no gradient to the latent yet): set weights to check */
    fill_appearance_head(c.tr);
    /* so do the event heads */
    float* ep = NULL;
    int ne = jepa_trainer_event_heads(c.tr, &ep, NULL);
    for (int i = 0; i < ne; i++) ep[i] = 0.5f * cosf(2.0f + 0.9f * (float)i);
    /* and the reconstruction decoder */
    float* rp = NULL;
    int nr = jepa_trainer_recon_decoder(c.tr, &rp, NULL);
    for (int i = 0; i < nr; i++) rp[i] = 0.3f * sinf(0.5f + 1.3f * (float)i);
    /* windows of frames t - (F - 1) S .. t + 2 S, in one episode each */
    int back = ((context ? context : 2) - 1) * step;
    c.seq[0] = back, c.seq[1] = back + 2, c.seq[2] = 8 * step + back;
    const float* g0 = NULL;
    jepa_trainer_loss_at(c.tr, c.seq, true, &g0);
    int n = m->nparams;
    float* g = malloc(sizeof(float) * n);
    memcpy(g, g0, sizeof(float) * n);
    /* L1's kinks may spoil a few numeric derivatives */
    int bad = fd_misses(jepa_fd_loss, &c, m->params, g, n, 3e-3f);
    if (bad) fprintf(stderr, "    jepa: %d of %d parameters miss\n", bad, n);
    CHECK(bad <= n / 100);
    /* sharp: every temperature's gradient right (none of the allowed misses), and not zero. From the
       frames' change of these noise frames (every pixel changes) the energy logits bend the loss so
       sharply in T that a step of 3e-3 misses (the numeric slope reaches the analytic one only at
       steps of 1e-5 or so): test_keypoint_window_grad checks their temperatures exactly, here only
       the allowed misses apply */
    if (sharp) {
        int K = abs(keypoints), bad_t = fd_misses(jepa_fd_loss, &c, m->params + m->ktemp, g + m->ktemp, K, 3e-3f);
        if (m->arch.keypoint_motion) bad_t = 0;
        CHECK(m->ktemp >= 0 && m->ktemp + K <= m->enc_count && bad_t == 0);
        for (int k = 0; k < K; k++) {
            /* appearance keypoints (the last keypoint_appear) start at the sharp kind's temperature */
            bool energy = m->arch.keypoint_motion && k < K - m->arch.keypoint_appear;
            float t0 = energy ? JEPA_KEYPOINT_TEMP_MOTION : JEPA_KEYPOINT_TEMP;
            /* the objectness keypoint (the last) has no temperature in use */
            bool plain = m->arch.keypoint_objness && k == K - 1;
            CHECK((g[m->ktemp + k] != 0.0f) == !plain && m->params[m->ktemp + k] == t0);
        }
    }
    /* the target encoder is not trained by gradient: a change there moves the loss, but only the
       parameters get gradients (and the target has its own array) */
    CHECK(m->target != m->params && m->enc_count < n);
    /* the appearance head's own parameters (weights and biases): every one right, none zero */
    float* hp = NULL;
    const float* hg0 = NULL;
    int nh = jepa_trainer_appearance_head(c.tr, &hp, &hg0);
    CHECK((nh > 0) == (tiny_appearance > 0));
    if (nh > 0) CHECK(head_fd_zeros(&c, hp, hg0, nh) == 0);
    /* the decoder's own parameters likewise */
    const float* rg0 = NULL;
    CHECK((jepa_trainer_recon_decoder(c.tr, NULL, &rg0) > 0) == (tiny_recon > 0));
    if (nr > 0) CHECK(head_fd_zeros(&c, rp, rg0, nr) == 0);
    /* the event heads' own parameters likewise */
    const float* eg0 = NULL;
    CHECK((jepa_trainer_event_heads(c.tr, NULL, &eg0) > 0) == (tiny_events > 0));
    if (ne > 0) CHECK(head_fd_zeros(&c, ep, eg0, ne) < ne / 4);
    free(g);
    jepa_trainer_free(c.tr);
}

static void jepa_grad_check_kp(float motion, int step, int keypoints, bool sharp, float keypoint_weight) {
    jepa_grad_check_cv(motion, step, keypoints, sharp, keypoint_weight, false, 0);
}

static void jepa_grad_check(float motion, int step, int keypoints) {
    jepa_grad_check_kp(motion, step, keypoints, false, 1.0f);
}

static void test_jepa_grad(void) {
    jepa_grad_check(0.0f, 1, 0);
    /* the L1 weighted by where the frames change: the same gradient check */
    jepa_grad_check(20.0f, 1, 0);
    /* windows of frames 3 ticks apart */
    jepa_grad_check(20.0f, 3, 0);
    /* with cell soft-argmax channels: their branch from the first layer's map joins its gradient */
    jepa_grad_check(20.0f, 1, 2);
    /* and with their heat maps from the input frames */
    jepa_grad_check(20.0f, 1, -2);
    /* sharp keypoints (normalised heats, learned temperatures: parameters checked with the rest),
       from the first layer's map and from the frames, and their L1 weighted 5 times */
    jepa_grad_check_kp(20.0f, 1, 2, true, 1.0f);
    jepa_grad_check_kp(20.0f, 1, -2, true, 5.0f);
    jepa_grad_check_kp(0.0f, 1, -2, true, 5.0f);
    /* constant-velocity keypoints (each frame's heats through a 3x3 convolution, the velocity in the
       latent and added to the offsets by the predictor, through the rollout): plain and sharp, 2 and
       3 frames, frames 2 ticks apart */
    jepa_grad_check_cv(20.0f, 1, -2, false, 1.0f, true, 0);
    jepa_grad_check_cv(20.0f, 1, -2, true, 5.0f, true, 3);
    jepa_grad_check_cv(0.0f, 2, -2, true, 1.0f, true, 0);
    /* their heats from the frames' change (energy logits), over overlapping windows, and each alone */
    tiny_kp_window = 3;
    jepa_grad_check_cv(20.0f, 1, -2, true, 1.0f, true, 3);
    tiny_kp_window = 1;
    jepa_grad_check_cv(0.0f, 2, -2, true, 1.0f, true, 3);
    tiny_kp_window = 2;
    jepa_grad_check_cv(20.0f, 1, -2, true, 1.0f, true, 3);
    jepa_grad_check_kp(20.0f, 1, 2, true, 1.0f);
    /* appearance keypoints beside the motion ones: 1 of 3 (the frames' pixels, their own convolution
       and temperature), with and without the overlap */
    tiny_kp_appear = 1;
    tiny_kp_window = 3;
    jepa_grad_check_cv(20.0f, 1, -3, true, 1.0f, true, 3);
    tiny_kp_window = 1;
    jepa_grad_check_cv(0.0f, 2, -3, true, 1.0f, true, 3);
    /* an objectness keypoint after it (the pixels' bands, the plain softmax, its logistic loss in the
       whole loss; its temperature unused: no gradient) */
    tiny_kp_appear = 2;
    tiny_kp_objness = 1;
    tiny_kp_window = 3;
    jepa_grad_check_cv(20.0f, 1, -4, true, 1.0f, true, 3);
    /* the appearance heats blurred before their softmax (keypoint_blur): the blur's gradient is the
       blur of the softmax's, and the objectness loss still reads the unblurred heat; a sigma whose
       taps reach past the 16-pixel frame's edge (3 sigma = 9 px) too */
    tiny_kp_blur = 1.0f;
    jepa_grad_check_cv(20.0f, 1, -4, true, 1.0f, true, 3);
    tiny_kp_objness = 0;
    tiny_kp_appear = 1;
    tiny_kp_blur = 3.0f;
    jepa_grad_check_cv(0.0f, 2, -3, true, 1.0f, true, 3);
    tiny_kp_blur = 0.0f;
    tiny_kp_objness = 0;
    tiny_kp_appear = 0;
    tiny_kp_window = 0;
}

/* --var-space-weight: each convolution channel's std over a window's cells kept at gamma. A channel
   that is one constant per window (what the batch's variance accepts, if the constants differ
   between windows) pays gamma for it, one that varies enough over the cells nothing; its gradient
   against finite differences, alone and in the whole loss of a trainer */
static void test_jepa_var_space(void) {
    enum { B = 3, CELLS = 12, C = 5, CS = 3 };
    float z[B * CELLS * C], dz[B * CELLS * C];
    Rng r;
    rng_seed(&r, 11);
    for (int i = 0; i < B * CELLS * C; i++) z[i] = (float)(0.3 * rng_normal(&r));
    /* channel 0 a constant per window, channel 1 wide over the cells */
    for (int b = 0; b < B; b++)
        for (int i = 0; i < CELLS; i++) {
            z[(b * CELLS + i) * C + 0] = (float)(2 * b - 1);
            z[(b * CELLS + i) * C + 1] = (float)(3.0 * (i % 2 ? 1 : -1));
        }
    memset(dz, 0, sizeof dz);
    double w = 0.7, loss = jepa_reg_space(B, CELLS, C, CS, z, 1.0f, (float)w, dz);
    /* each part by hand: channel 0 pays about gamma, channel 1 nothing, channel 2 gamma - its sd */
    double want = 0;
    for (int b = 0; b < B; b++) {
        want += 1.0 - sqrt(1e-4);
        double m = 0, v = 0;
        for (int i = 0; i < CELLS; i++) m += z[(b * CELLS + i) * C + 2];
        m /= CELLS;
        for (int i = 0; i < CELLS; i++) v += pow(z[(b * CELLS + i) * C + 2] - m, 2);
        want += fmax(0, 1.0 - sqrt(v / (CELLS - 1) + 1e-4));
    }
    CHECK(fabs(loss - w * want / (B * CS)) < 1e-6);
    CHECK(jepa_reg_space(B, CELLS, C, CS, z, 1.0f, 0.0f, NULL) == 0.0);
    /* channels past Cs (the keypoints) get nothing */
    for (int i = 0; i < B * CELLS; i++)
        for (int c = CS; c < C; c++) CHECK(dz[i * C + c] == 0.0f);
    int bad = 0;
    for (int i = 0; i < B * CELLS * C; i++) {
        float keep = z[i], h = 1e-3f;
        z[i] = keep + h;
        double up = jepa_reg_space(B, CELLS, C, CS, z, 1.0f, (float)w, NULL);
        z[i] = keep - h;
        double down = jepa_reg_space(B, CELLS, C, CS, z, 1.0f, (float)w, NULL);
        z[i] = keep;
        double num = (up - down) / (2 * h);
        if (fabs(num - dz[i]) > 1e-4 + 1e-2 * fabs(num)) bad++;
    }
    CHECK(bad == 0);
    /* in a trainer's whole loss, through the encoder: the same check as every other term */
    tiny_var_space = 2.0f;
    jepa_grad_check(0.0f, 1, 0);
    tiny_var_space = 0;
}

static void jepa_grad_check_term(float* weight, float w);

/* --pool-weight: the pooled L1 by hand on a 3 x 5 grid in blocks of 2 x 2 cells (the edge blocks
   average the cells they hold), zero for a prediction right on average over each block however
   wrong in its cells, its gradient against finite differences, and in a trainer's whole loss */
static void test_jepa_pooled_l1(void) {
    enum { B = 2, LH = 3, LW = 5, C = 3, P = 2, N = B * LH * LW * C };
    float zh[N], zt[N], dz[N];
    Rng r;
    rng_seed(&r, 21);
    for (int i = 0; i < N; i++) zh[i] = (float)rng_normal(&r), zt[i] = (float)rng_normal(&r);
    memset(dz, 0, sizeof dz);
    float w = 0.8f;
    double loss = jepa_pooled_l1(B, LH, LW, C, P, zh, zt, w, dz);
    double want = 0;
    int blocks = 0;
    for (int b = 0; b < B; b++)
        for (int by = 0; by < LH; by += P)
            for (int bx = 0; bx < LW; bx += P, blocks++)
                for (int c = 0; c < C; c++) {
                    double d = 0;
                    int n = 0;
                    for (int y = by; y < by + P && y < LH; y++)
                        for (int x = bx; x < bx + P && x < LW; x++, n++) {
                            int i = ((b * LH + y) * LW + x) * C + c;
                            d += zh[i] - zt[i];
                        }
                    want += fabs(d / n);
                }
    CHECK(blocks == B * 2 * 3);
    CHECK(fabs(loss - w * want / (blocks * C)) < 1e-6);
    CHECK(jepa_pooled_l1(B, LH, LW, C, P, zh, zt, 0.0f, NULL) == 0.0);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        float keep = zh[i], h = 1e-3f;
        zh[i] = keep + h;
        double up = jepa_pooled_l1(B, LH, LW, C, P, zh, zt, w, NULL);
        zh[i] = keep - h;
        double down = jepa_pooled_l1(B, LH, LW, C, P, zh, zt, w, NULL);
        zh[i] = keep;
        double num = (up - down) / (2 * h);
        if (fabs(num - dz[i]) > 1e-4 + 1e-2 * fabs(num)) bad++;
    }
    CHECK(bad == 0);
    /* the cells' errors cancel within each block: no pooled loss */
    for (int i = 0; i < N; i++) zt[i] = zh[i];
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            zt[((b * LH + 0) * LW + 0) * C + c] += 0.5f;
            zt[((b * LH + 1) * LW + 1) * C + c] -= 0.5f;
        }
    CHECK(fabs(jepa_pooled_l1(B, LH, LW, C, P, zh, zt, w, NULL)) < 1e-7);
    /* in a trainer's whole loss, through the predictor and the encoder */
    jepa_grad_check_term(&tiny_pool, 3.0f);
}

/* --latent-noise: each rollout step starts from its latent plus the batch's noise, drawn by a gradient
   call and kept by the calls without one, so the whole loss's gradient holds against finite differences
   (the noise's scale is the target encoder's, which gets no gradient); the same windows without noise
   give another loss, and a trainer with a zero scale the plain one */
static void test_jepa_latent_noise(void) {
    int64_t seq[3] = {1, 3, 9};
    double loss[2];
    for (int k = 0; k < 2; k++) {
        tiny_latent_noise = k ? 0.5f : 0.0f;
        JepaTrainer* tr = tiny_jepa_of(5, 2, 8, 20.0f, false);
        loss[k] = jepa_trainer_loss_at(tr, seq, true, NULL);
        /* without a gradient, the same noise again: the same loss */
        CHECK(jepa_trainer_loss_at(tr, seq, false, NULL) == loss[k]);
        jepa_trainer_free(tr);
    }
    CHECK(isfinite(loss[0]) && isfinite(loss[1]) && loss[0] != loss[1]);
    jepa_grad_check_term(&tiny_latent_noise, 0.5f);
}

/* a trainer-only term's gradient with the term weighed w (*weight, 0 again after): the whole loss
   against finite differences with the recipe's keypoints, and with none */
static void jepa_grad_check_term(float* weight, float w) {
    *weight = w;
    tiny_kp_window = 3;
    jepa_grad_check_cv(20.0f, 1, -2, true, 1.0f, true, 3);
    tiny_kp_window = 0;
    jepa_grad_check(0.0f, 1, 0);
    *weight = 0;
}

/* --recon-weight: the decoder's weighted squared error against the context's last frame is added to
   the loss, W times (a zero decoder: W times the weighted mean of the pixels' squares over 255^2, each
   cell weighed 1 + motion_weight times its largest change from the frame before; on still frames the
   plain mean); the gradient, the decoder's parameters with the rest, against finite differences;
   without it there is no decoder and the loss is the same */
static void test_jepa_recon(void) {
    int64_t seq[3] = {2, 4, 10};  /* windows of frames t - 2 .. t + 2 in one episode */
    const float W = 1.5f, alpha = 20.0f;
    for (int still = 0; still < 2; still++) {
        tiny_kp_window = 3;
        tiny_recon = 0;
        JepaTrainer* a = tiny_jepa_kps(5, 2, 8, alpha, still, 1, -2, true, 1.0f, true, 3);
        CHECK(jepa_trainer_recon_decoder(a, NULL, NULL) == 0);
        tiny_recon = W;
        JepaTrainer* b = tiny_jepa_kps(5, 2, 8, alpha, still, 1, -2, true, 1.0f, true, 3);
        float* rp = NULL;
        int nr = jepa_trainer_recon_decoder(b, &rp, NULL);
        /* 16 x 16 frames, 8-pixel cells of one channel: 64 pixels from the 4 convolution channels */
        CHECK(nr == 64 * 4 + 64 && rp);
        for (int i = 0; i < nr; i++) CHECK(rp[i] == 0.0f);
        /* by hand, from the replay's frames: the window ending at seq[k] has its last context frame there */
        const JepaReplay* r = jepa_trainer_replay(b);
        double num = 0, den = 0;
        for (int k = 0; k < 3; k++) {
            const uint8_t* f1 = jepa_replay_frame(r, seq[k]);
            const uint8_t* f0 = jepa_replay_frame(r, seq[k] - 1);
            for (int cy = 0; cy < 2; cy++)
                for (int cx = 0; cx < 2; cx++) {
                    int big = 0;
                    double sq = 0;
                    for (int y = cy * 8; y < cy * 8 + 8; y++)
                        for (int x = cx * 8; x < cx * 8 + 8; x++) {
                            int d = abs((int)f1[y * 16 + x] - (int)f0[y * 16 + x]);
                            if (d > big) big = d;
                            sq += pow(f1[y * 16 + x] / 255.0, 2);
                        }
                    double w = 1.0 + alpha * big / 255.0;
                    if (still) CHECK(w == 1.0);
                    num += w * sq, den += w * 64;
                }
        }
        double plain = jepa_trainer_loss_at(a, seq, false, NULL), with = jepa_trainer_loss_at(b, seq, false, NULL);
        CHECK(fabs(with - plain - W * num / den) < 1e-5 * (1 + W * num / den));
        CHECK(num / den > 0.05);
        /* a step trains it: the term is reported and the decoder moved */
        JepaTrainerStats st;
        CHECK(jepa_trainer_step(b));
        jepa_trainer_stats(b, &st);
        CHECK(st.recon_loss > 0 && isfinite(st.recon_loss));
        int moved = 0;
        for (int i = 0; i < nr; i++) moved += rp[i] != 0.0f;
        CHECK(moved == nr);
        jepa_trainer_free(a);
        jepa_trainer_free(b);
    }
    jepa_grad_check_term(&tiny_recon, 10.0f);
}

/* --appearance-weight: the head's relative squared error is added to the loss, W times (a zero head
   on changing frames: exactly W; on still frames: nothing, and a bias b: W b^2 / 1e-4, the floor);
   the whole loss's gradient, the head's parameters with the rest, against finite differences with
   the term weighed heavily enough to rule it; without it there is no head and the loss is the same */
static void test_jepa_appearance(void) {
    int64_t seq[3] = {2, 4, 10};  /* windows of frames t - 2 .. t + 2 in one episode */
    double plain[2], with[2];
    for (int still = 0; still < 2; still++) {
        tiny_kp_window = 3;
        tiny_appearance = 0;
        JepaTrainer* a = tiny_jepa_kps(5, 2, 8, 20.0f, still, 1, -2, true, 1.0f, true, 3);
        CHECK(jepa_trainer_appearance_head(a, NULL, NULL) == 0);
        tiny_appearance = 2.5f;
        JepaTrainer* b = tiny_jepa_kps(5, 2, 8, 20.0f, still, 1, -2, true, 1.0f, true, 3);
        float* hp = NULL;
        int nh = jepa_trainer_appearance_head(b, &hp, NULL);
        CHECK(nh == JEPA_APPEAR_Q * 4 + JEPA_APPEAR_Q && hp);
        /* it starts at zero */
        for (int i = 0; i < nh; i++) CHECK(hp[i] == 0.0f);
        plain[still] = jepa_trainer_loss_at(a, seq, false, NULL);
        with[still] = jepa_trainer_loss_at(b, seq, false, NULL);
        /* a head with weights predicts something: the term is not zero */
        fill_appearance_head(b);
        CHECK(jepa_trainer_loss_at(b, seq, false, NULL) > plain[still] + 1e-3);
        memset(hp, 0, sizeof(float) * (size_t)nh);
        if (still) {
            CHECK(fabs(with[still] - plain[still]) < 1e-9);
            for (int q = 0; q < JEPA_APPEAR_Q; q++) hp[JEPA_APPEAR_Q * 4 + q] = 0.01f;
            CHECK(fabs(jepa_trainer_loss_at(b, seq, false, NULL) - plain[still] - 2.5) < 1e-4);
        } else {
            CHECK(fabs(with[still] - plain[still] - 2.5) < 1e-5);
        }
        JepaTrainerStats st;
        CHECK(jepa_trainer_step(b));
        jepa_trainer_stats(b, &st);
        CHECK(st.appearance_loss > 0 && isfinite(st.appearance_loss));
        jepa_trainer_free(a);
        jepa_trainer_free(b);
    }
    jepa_grad_check_term(&tiny_appearance, 10.0f);
}

/* a frame step of S is the model of every S-th frame with the pushes of S ticks together: a
   trainer with S = 2 has the same loss and gradient as one with S = 1 on every other frame, each
   with the pushes after it and after the frame it skips */
static void test_jepa_frame_step_batch(void) {
    enum { LEN = 20, HALF = LEN / 2 };
    static uint8_t frames[LEN][256];
    JepaPush push[LEN];
    int npush[LEN];
    Rng rng;
    rng_seed(&rng, 42);
    for (int t = 0; t < LEN; t++) {
        for (int i = 0; i < 256; i++) frames[t][i] = (uint8_t)rng_int(&rng, 0, 255);
        push[t] = (JepaPush){(float)rng_uniform(&rng, 0, 16), (float)rng_uniform(&rng, 0, 16), (float)rng_normal(&rng),
                             (float)rng_normal(&rng), 1.0f};
        npush[t] = t % 3 != 1;
    }
    JepaTrainer* tr[2];
    for (int k = 0; k < 2; k++) {
        JepaTrainerDef def = jepa_trainer_def_default(16, 16, 1);
        def.arch.width = 4, def.arch.latent = 4, def.arch.hidden = 4, def.arch.pred_layers = 1, def.arch.groups = 2;
        def.arch.frame_step = k ? 2 : 1;
        def.batch = 3, def.rollout = 2, def.capacity = 200, def.val_every = 0, def.seed = 3, def.motion_weight = 20;
        char err[256];
        tr[k] = jepa_trainer_create(&def, NULL, err, sizeof err);
        ENSURE(tr[k]);
        jepa_trainer_begin_episode(tr[k]);
    }
    for (int t = 0; t < LEN; t++) jepa_trainer_add_frame(tr[1], frames[t], &push[t], npush[t]);
    for (int q = 0; q < HALF; q++) {
        JepaPush two[2];
        int n = 0;
        for (int t = 2 * q; t < 2 * q + 2; t++)
            if (npush[t]) two[n++] = push[t];
        jepa_trainer_add_frame(tr[0], frames[2 * q], two, n);
    }
    int64_t seq1[3] = {1, 4, 5}, seq2[3] = {2, 8, 10};
    const float* g[2];
    double l1 = jepa_trainer_loss_at(tr[0], seq1, true, &g[0]);
    double l2 = jepa_trainer_loss_at(tr[1], seq2, true, &g[1]);
    int n = jepa_param_count(jepa_trainer_model(tr[0]));
    CHECK(isfinite(l1) && l1 == l2 && memcmp(g[0], g[1], sizeof(float) * (size_t)n) == 0);
    /* an odd window end is a different window */
    int64_t seq3[3] = {3, 8, 10};
    CHECK(jepa_trainer_loss_at(tr[1], seq3, false, NULL) != l2);
    /* a run reproduces; a window must fit: (context - 1) S frames back and rollout S ahead */
    CHECK(jepa_trainer_step(tr[1]));
    jepa_trainer_free(tr[0]);
    jepa_trainer_free(tr[1]);
}

/* the stream of frames (the surprise source's and the view's): with a frame step of 3, a window
   holds frames t - 3 and t, it is encoded once complete, and predicted from the window 3 ticks
   before with the pushes of the 3 ticks since; a frame not encoded leaves the window 3 ticks later
   unpredicted; a reset starts afresh */
static void test_jepa_stream(void) {
    JepaArch a = jepa_arch_default(16, 16, 1);
    a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2, a.frame_step = 3;
    JepaModel* m = jepa_create(&a, 9);
    ENSURE(m);
    CHECK(jepa_window_span(m) == 4);
    int L = jepa_latent_size(m);
    JepaStream* st = jepa_stream_create(m);
    JepaScratch* sc = jepa_scratch_create(m);
    enum { N = 14 };
    static uint8_t frames[N][256];
    JepaPush push[N];
    Rng rng;
    rng_seed(&rng, 8);
    for (int t = 0; t < N; t++) {
        for (int i = 0; i < 256; i++) frames[t][i] = (uint8_t)rng_int(&rng, 0, 255);
        push[t] = (JepaPush){(float)rng_uniform(&rng, 0, 16), (float)rng_uniform(&rng, 0, 16), (float)rng_normal(&rng),
                             (float)rng_normal(&rng), 0};
    }
    float* z = malloc(sizeof(float) * (size_t)L * N);
    float* want = malloc(sizeof(float) * (size_t)L);
    for (int t = 0; t < N; t++) {
        int np = t % 2;   /* a push before every odd frame */
        bool encode = t != 8;
        int got = jepa_stream_add(st, frames[t], &push[t], np, encode);
        int expect = t < 3 || !encode ? 0 : t < 6 || t == 11 ? 1 : 2;
        CHECK(got == expect);
        if (got == 0) continue;
        const uint8_t* win[2] = {frames[t - 3], frames[t]}, *sw[2];
        CHECK(jepa_stream_window(st, sw) && sw[0] != win[0] && memcmp(sw[0], win[0], 256) == 0 &&
              memcmp(sw[1], win[1], 256) == 0);
        jepa_encode(m, sc, 1, win, true, want);
        CHECK(memcmp(jepa_stream_obs(st), want, sizeof(float) * (size_t)L) == 0);
        jepa_encode(m, sc, 1, win, false, z + (size_t)t * L);
        CHECK(memcmp(jepa_stream_z(st), z + (size_t)t * L, sizeof(float) * (size_t)L) == 0);
        if (got == 2) {
            JepaPush since[3];
            int n = 0;
            for (int k = t - 2; k <= t; k++)
                if (k % 2) since[n++] = push[k];
            jepa_predict(m, sc, 1, z + (size_t)(t - 3) * L, since, &n, want);
            CHECK(memcmp(jepa_stream_pred(st), want, sizeof(float) * (size_t)L) == 0);
        }
    }
    jepa_stream_reset(st);
    for (int t = 0; t < 3; t++) CHECK(jepa_stream_add(st, frames[t], NULL, 0, true) == 0);
    CHECK(jepa_stream_add(st, frames[3], NULL, 0, true) == 1);
    free(z), free(want);
    jepa_scratch_free(sc);
    jepa_stream_free(st);
    jepa_free(m);
}

/* the frame step is saved with the model (a model of consecutive frames writes the file as before
   the field: no flag, read as 1), and a file with a step out of range is refused */
/* the flags word of a saved pixel checkpoint: after the header, the arch (11 words), steps, seed and
   the two counts */
static uint32_t jepa_file_flags(const char* path) {
    uint32_t flags = 0;
    FILE* f = fopen(path, "rb");
    ENSURE(f);
    CHECK(fseek(f, 8 + 3 * 4 + 11 * 4 + 8 + 8 + 4 + 4, SEEK_SET) == 0 && fread(&flags, 4, 1, f) == 1);
    fclose(f);
    return flags;
}

/* a loaded pixel model is the saved one: the same parameters and target encoder, and the same
   latents of a two-frame window (frame i's pixel b is mul * b + add * i), through the target
   encoder or the trained one, and with predict the same next latent */
static void jepa_check_same(const JepaModel* m, const JepaModel* back, int mul, int add, bool target, bool predict) {
    CHECK(memcmp(back->params, m->params, sizeof(float) * (size_t)m->nparams) == 0 &&
          memcmp(back->target, m->target, sizeof(float) * (size_t)m->enc_count) == 0);
    static uint8_t fr[2][256];
    for (int i = 0; i < 256; i++) fr[0][i] = (uint8_t)(i * mul), fr[1][i] = (uint8_t)(i * mul + add);
    const uint8_t* win[2] = {fr[0], fr[1]};
    int L = jepa_latent_size(m);
    float* za = malloc(sizeof(float) * L);
    float* zb = malloc(sizeof(float) * L);
    JepaScratch* sa = jepa_scratch_create(m);
    JepaScratch* sb = jepa_scratch_create(back);
    jepa_encode(m, sa, 1, win, target, za);
    jepa_encode(back, sb, 1, win, target, zb);
    CHECK(memcmp(za, zb, sizeof(float) * L) == 0);
    if (predict) {
        jepa_predict(m, sa, 1, za, NULL, NULL, za);
        jepa_predict(back, sb, 1, zb, NULL, NULL, zb);
        CHECK(memcmp(za, zb, sizeof(float) * L) == 0);
    }
    jepa_scratch_free(sa), jepa_scratch_free(sb);
    free(za), free(zb);
}

/* keypoints from the frames' change over overlapping windows: flag 128 and both values in the file
   (a constant-velocity model without them has neither: its bytes as before), the same parameters,
   latents and prediction of a 3-frame window back; motion with a 2-frame context in a file is one
   line */
static void test_jepa_keypoint_motion_file(void) {
    JepaArch a = jepa_arch_default(16, 16, 1);
    a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2, a.context = 3;
    a.keypoints = 2, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1;
    char path[] = "/tmp/nudge_jepa_motion_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[512];
    JepaModel* cv = jepa_create(&a, 4);
    ENSURE(cv && jepa_save(cv, path, err, sizeof err));
    CHECK((jepa_file_flags(path) & 64u) && !(jepa_file_flags(path) & 128u));
    for (int kind = 1; kind <= 3; kind++) {
        a.keypoint_motion = kind & 1, a.keypoint_overlap = kind >> 1;
        JepaModel* m = jepa_create(&a, 4);
        ENSURE(m);
        CHECK(jepa_param_count(m) == jepa_param_count(cv));
        CHECK(m->params[m->ktemp] == (a.keypoint_motion ? JEPA_KEYPOINT_TEMP_MOTION : JEPA_KEYPOINT_TEMP));
        m->params[m->ktemp + 1] = 1.75f;
        CHECK(jepa_save(m, path, err, sizeof err) && (jepa_file_flags(path) & 128u));
        JepaModel* back = jepa_load(path, err, sizeof err);
        ENSURE(back);
        CHECK(memcmp(jepa_arch(back), &a, sizeof a) == 0 &&
              memcmp(back->params, m->params, sizeof(float) * (size_t)m->nparams) == 0);
        static uint8_t fr[3][256];
        for (int i = 0; i < 256; i++)
            for (int f = 0; f < 3; f++) fr[f][i] = (uint8_t)(i * 5 + f * (i % 7));
        const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
        int L = jepa_latent_size(m);
        float* za = malloc(sizeof(float) * L);
        float* zb = malloc(sizeof(float) * L);
        JepaScratch* sa = jepa_scratch_create(m);
        JepaScratch* sb = jepa_scratch_create(back);
        jepa_encode(m, sa, 1, win, false, za);
        jepa_encode(back, sb, 1, win, false, zb);
        CHECK(memcmp(za, zb, sizeof(float) * L) == 0);
        jepa_predict(m, sa, 1, za, NULL, NULL, za);
        jepa_predict(back, sb, 1, zb, NULL, NULL, zb);
        CHECK(memcmp(za, zb, sizeof(float) * L) == 0);
        jepa_scratch_free(sa), jepa_scratch_free(sb);
        free(za), free(zb);
        jepa_free(back);
        if (kind == 1) {
            m->arch.context = 2;
            CHECK(jepa_save(m, path, err, sizeof err));
            CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "change") && !strchr(err, '\n'));
        }
        jepa_free(m);
    }
    jepa_free(cv);
    remove(path);
}

/* a small pixel model of 32 x 32 gray frames with one motion and one appearance keypoint */
static JepaArch appear_arch(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 2, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1, a.keypoint_motion = 1;
    a.keypoint_appear = 1;
    return a;
}

/* a shared encoder cache (the trainer's target encoder): windows that share frames encode to the same
   bits as through a cache of its own each, and each distinct image of the keypoint branch is
   computed once. Seven windows of 3 random 32 x 32 frames with a motion and an appearance keypoint:
   five consecutive windows of one sequence (their last frames and the frames before them: 6
   distinct images), one of another (2 more) and the first again (none): 8 distinct images of 14 */
static void test_jepa_enc_shared(void) {
    JepaArch a = appear_arch();
    JepaModel* m = jepa_create(&a, 11);
    ENSURE(m);
    enum { W = 7, F = 3, PX = 32 * 32 };
    static uint8_t seq[7][PX], other[3][PX];
    Rng rng;
    rng_seed(&rng, 5);
    for (int f = 0; f < 7; f++)
        for (int i = 0; i < PX; i++) seq[f][i] = (uint8_t)(rng_next(&rng) >> 56);
    for (int f = 0; f < 3; f++)
        for (int i = 0; i < PX; i++) other[f][i] = (uint8_t)(rng_next(&rng) >> 56);
    const uint8_t* frames[W * F];
    for (int w = 0; w < W; w++)
        for (int f = 0; f < F; f++)
            frames[w * F + f] = w < 5 ? seq[w + f] : w == 5 ? other[f] : seq[f];
    size_t xlen = (size_t)PX * F;
    float* x = malloc(sizeof(float) * xlen * W);
    jepa_frames_input(m, W, frames, x);
    size_t L = (size_t)jepa_latent_size(m);
    JepaEncCache own, shared;
    memset(&own, 0, sizeof own);
    memset(&shared, 0, sizeof shared);
    jepa_enc_cache_memo(&shared);
    jepa_enc_cache_reserve(m, &own, W);
    jepa_enc_cache_reserve(m, &shared, W);
    float* z = malloc(sizeof(float) * L * W);
    memcpy(z, jepa_enc_forward(m, m->target, &own, W, x), sizeof(float) * L * W);
    const float* zs = jepa_enc_forward(m, m->target, &shared, W, x);
    CHECK(memcmp(z, zs, sizeof(float) * L * W) == 0);
    int um = 0, ua = 0;
    for (int j = 0; j < 2 * W; j++) {
        um = shared.umap[j] + 1 > um ? shared.umap[j] + 1 : um;
        ua = shared.umapa[j] + 1 > ua ? shared.umapa[j] + 1 : ua;
    }
    fprintf(stderr, "    shared encoder cache: %d and %d distinct images of %d (motion, appearance)\n", um, ua, 2 * W);
    CHECK(um == 8 && ua == 8);
    /* the window repeated reads the first window's images; the next window's frame before its last
       is the first window's last */
    CHECK(shared.umap[6] == shared.umap[0] && shared.umap[W + 6] == shared.umap[W] && shared.umap[W + 1] == shared.umap[0]);
    CHECK(shared.computed[0] == 8 && shared.computed[1] == 8);
    /* the memo: the online encoder (other keypoint parameters) on the same windows computes every
       distinct image again (into the other slot), then the target encoder on windows a tick later
       reads the images it had (each window's frame before its last, and the repeats) and computes
       one new one a branch (window 5's last frame: seq[0] after other[2]; its change). Each call's
       latents are an own cache's */
    m->params[m->kp.w] += 0.5f;
    m->params[m->kpa.w] += 0.5f;
    memcpy(z, jepa_enc_forward(m, m->params, &own, W, x), sizeof(float) * L * W);
    CHECK(memcmp(z, jepa_enc_forward(m, m->params, &shared, W, x), sizeof(float) * L * W) == 0);
    CHECK(shared.computed[0] == 8 && shared.computed[1] == 8);
    const uint8_t* later[W * F];
    for (int w = 0; w < W; w++)
        for (int f = 0; f < F; f++)
            later[w * F + f] = w < 4 ? seq[w + 1 + f] : w == 4 ? seq[3 + f] : w == 5 ? (f < 2 ? other[f + 1] : seq[0])
                                                                                      : seq[1 + f];
    jepa_frames_input(m, W, later, x);
    memcpy(z, jepa_enc_forward(m, m->target, &own, W, x), sizeof(float) * L * W);
    CHECK(memcmp(z, jepa_enc_forward(m, m->target, &shared, W, x), sizeof(float) * L * W) == 0);
    fprintf(stderr, "    memo: a tick later %d and %d images computed (motion, appearance)\n", shared.computed[0],
            shared.computed[1]);
    CHECK(shared.computed[0] == 1 && shared.computed[1] == 1);
    /* other parameters of the branch make the memo stale: every distinct image is computed again */
    m->target[m->kp.w] += 0.25f;
    memcpy(z, jepa_enc_forward(m, m->target, &own, W, x), sizeof(float) * L * W);
    CHECK(memcmp(z, jepa_enc_forward(m, m->target, &shared, W, x), sizeof(float) * L * W) == 0);
    CHECK(shared.computed[0] == 7 && shared.computed[1] == 7);
    jepa_enc_cache_free(&own);
    jepa_enc_cache_free(&shared);
    free(x);
    free(z);
    jepa_free(m);
}

/* m saved to path has the file flag `flag`; loaded back it has m's architecture and parameters and
   encodes the window win to z (m's encoding), bit for bit */
static void jepa_file_roundtrip(const JepaModel* m, const char* path, uint32_t flag, const uint8_t* const* win,
                                const float* z) {
    char err[512];
    CHECK(jepa_save(m, path, err, sizeof err) && (jepa_file_flags(path) & flag));
    JepaModel* back = jepa_load(path, err, sizeof err);
    ENSURE(back);
    CHECK(memcmp(jepa_arch(back), jepa_arch(m), sizeof(JepaArch)) == 0 &&
          memcmp(back->params, m->params, sizeof(float) * (size_t)m->nparams) == 0);
    int L = jepa_latent_size(m);
    float* zb = malloc(sizeof(float) * (size_t)L);
    JepaScratch* sb = jepa_scratch_create(back);
    jepa_encode(back, sb, 1, win, false, zb);
    CHECK(memcmp(z, zb, sizeof(float) * (size_t)L) == 0);
    jepa_scratch_free(sb);
    free(zb);
    jepa_free(back);
}

/* m (an architecture the checker refuses) saved to path is refused by the load with one line that
   names `word` */
static void jepa_file_refused(const JepaModel* m, const char* path, const char* word) {
    char err[512];
    CHECK(jepa_save(m, path, err, sizeof err));
    CHECK(!jepa_load(path, err, sizeof err) && strstr(err, word) && !strchr(err, '\n'));
}

/* appearance keypoints (keypoint_appear): a 2 x 2 dot standing still in cell (2, 1) of 32 x 32
   frames (8-pixel cells), the heats set to the frame's change (motion keypoint) and to its pixels
   (appearance keypoint): the 3x3 kernels' centre 1. The motion keypoint gives the still dot no place
   (offset 0, strength 0: nothing changed); the appearance keypoint places it (dx 0, dy -1: the dot's
   centre from the cell's) with a strength, and no velocity. Moved 1 px a frame, the motion keypoint
   places its change (dx -0.5) and both give vx 1. The file keeps the count (flag 512), refuses a count that is not fewer than the
   keypoints, and a model without them writes no such flag */
static void test_jepa_keypoint_appear(void) {
    JepaArch a = appear_arch();
    JepaModel* m = jepa_create(&a, 7);
    ENSURE(m && m->kp.cout == 1 && m->kpa.cout == 1 && m->kpa.k == 3 && m->kpa.cin == 1);
    CHECK(m->params[m->ktemp] == JEPA_KEYPOINT_TEMP_MOTION && m->params[m->ktemp + 1] == JEPA_KEYPOINT_TEMP);
    keypoint_identity(m, m->kp.w, m->kp.b);
    keypoint_identity(m, m->kpa.w, m->kpa.b);
    memcpy(m->target, m->params, sizeof(float) * (size_t)m->enc_count);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 4 && lw == 4 && lc == a.latent + 10);
    int L = jepa_latent_size(m), cell = (2 * lw + 1) * lc + a.latent;   /* cell (2, 1): x 8..15, y 16..23 */
    static uint8_t fr[3][32 * 32];
    float* z = malloc(sizeof(float) * (size_t)L);
    JepaScratch* sc = jepa_scratch_create(m);
    const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
    for (int moving = 0; moving <= 1; moving++) {
        /* the last frame's dot at columns 11 and 12, rows 18 and 19 (centre (12, 19)); moving, the
           frames before it at 10-11 and 9-10, inside the cell */
        for (int f = 0; f < 3; f++) {
            memset(fr[f], 0, sizeof fr[f]);
            int xf = 11 - (moving ? 2 - f : 0);
            for (int y = 18; y <= 19; y++) fr[f][y * 32 + xf] = fr[f][y * 32 + xf + 1] = 255;
        }
        jepa_encode(m, sc, 1, win, false, z);
        const float* mo = z + cell;          /* motion keypoint: dx, dy, strength */
        const float* ap = z + cell + 3;      /* appearance keypoint */
        const float* v = z + cell + 6;       /* vx, vy of each */
        fprintf(stderr, "    appearance keypoints, %s dot: motion keypoint (%.3f, %.3f, %.3f), appearance (%.3f, %.3f, "
                "%.3f), velocities (%.3f, %.3f) (%.3f, %.3f)\n", moving ? "a moving" : "a still", mo[0], mo[1], mo[2],
                ap[0], ap[1], ap[2], v[0], v[1], v[2], v[3]);
        CHECK(fabsf(ap[0]) < 0.05f && fabsf(ap[1] + 1.0f) < 0.05f && ap[2] > 1.0f);
        if (!moving) {
            CHECK(fabsf(mo[0]) < 1e-4f && fabsf(mo[1]) < 1e-4f && fabsf(mo[2]) < 1e-4f);
            CHECK(fabsf(v[0]) < 1e-4f && fabsf(v[2]) < 0.05f && fabsf(v[3]) < 0.05f);
        } else {
            CHECK(fabsf(v[2] - 1.0f) < 0.05f && fabsf(v[3]) < 0.05f);
            CHECK(fabsf(v[0] - 1.0f) < 0.15f && fabsf(mo[0] + 0.5f) < 0.25f);
        }
    }
    /* the file: the count kept, the same encoding back */
    char path[] = "/tmp/nudge_jepa_appear_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[512];
    jepa_file_roundtrip(m, path, 512u, win, z);
    /* a count not fewer than the keypoints: refused with one line */
    m->arch.keypoint_appear = 2;
    jepa_file_refused(m, path, "appearance");
    m->arch.keypoint_appear = 1;
    /* without them: no flag, and the layout of before (kp with every keypoint; as many parameters) */
    a.keypoint_appear = 0;
    JepaModel* plain = jepa_create(&a, 7);
    ENSURE(plain && plain->kp.cout == 2 && jepa_param_count(plain) == jepa_param_count(m));
    CHECK(jepa_save(plain, path, err, sizeof err) && !(jepa_file_flags(path) & 512u));
    jepa_free(plain);
    jepa_scratch_free(sc);
    free(z);
    jepa_free(m);
    remove(path);
}

/* the objectness keypoint (keypoint_objness), no training: the appearance heat convolution reads the
   pixels and their JEPA_OBJ_BANDS bands (1 + 6 input channels), the objectness heat (the last
   appearance keypoint) takes the plain softmax. Its kernel set to 10 times the band "below 0.5" at the
   centre tap: a dark 2 x 2 dot (60) on a bright frame (240) in cell (2, 1) gives offset (0, -1) and
   strength 10 + log(4 / 64); a light dot (200, above the level) an even heat, offset 0 and strength
   0. The file keeps the flag and gives the same encoding; a file whose objectness keypoint has no
   appearance keypoint is refused with one line */
static void test_jepa_keypoint_objness(void) {
    JepaArch a = appear_arch();
    a.keypoints = 3, a.keypoint_appear = 2, a.keypoint_objness = 1;
    JepaModel* m = jepa_create(&a, 7);
    ENSURE(m && m->kpa.cout == 2 && m->kpa.k == 3 && m->kpa.cin == 1 + JEPA_OBJ_BANDS && m->kca == m->kpa.cin);
    int rows = 9 * m->kpa.cin;
    for (int r = 0; r < rows; r++) m->params[m->kpa.w + r * 2 + 1] = 0.0f;
    m->params[m->kpa.b + 1] = 0.0f;
    /* tap 4 (the centre), channel 1 + 2: the band below JEPA_OBJ_LEVELS[2] = 0.5 */
    m->params[m->kpa.w + (4 * m->kpa.cin + 1 + 2) * 2 + 1] = 10.0f;
    memcpy(m->target, m->params, sizeof(float) * (size_t)m->enc_count);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 4 && lw == 4 && lc == a.latent + 15);
    int L = jepa_latent_size(m), cell = (2 * lw + 1) * lc + a.latent;   /* cell (2, 1): x 8..15, y 16..23 */
    static uint8_t fr[3][32 * 32];
    float* z = malloc(sizeof(float) * (size_t)L);
    JepaScratch* sc = jepa_scratch_create(m);
    const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
    for (int dark = 1; dark >= 0; dark--) {
        for (int f = 0; f < 3; f++) {
            memset(fr[f], 240, sizeof fr[f]);
            for (int y = 18; y <= 19; y++) fr[f][y * 32 + 11] = fr[f][y * 32 + 12] = dark ? 60 : 200;
        }
        jepa_encode(m, sc, 1, win, false, z);
        const float* ob = z + cell + 6;      /* the third keypoint: dx, dy, strength */
        if (dark)
            CHECK(fabsf(ob[0]) < 1e-3f && fabsf(ob[1] + 1.0f) < 1e-3f &&
                  fabsf(ob[2] - (10.0f + logf(4.0f / 64.0f))) < 1e-3f);
        else
            CHECK(fabsf(ob[0]) < 1e-6f && fabsf(ob[1]) < 1e-6f && fabsf(ob[2]) < 1e-5f);
    }
    char path[] = "/tmp/nudge_jepa_objness_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[512];
    jepa_file_roundtrip(m, path, 2048u, win, z);
    m->arch.keypoint_appear = 0;
    jepa_file_refused(m, path, "objectness");
    m->arch.keypoint_appear = 2;
    /* without it: no flag */
    a.keypoint_objness = 0;
    JepaModel* plain = jepa_create(&a, 7);
    ENSURE(plain && plain->kpa.cin == 1);
    CHECK(jepa_save(plain, path, err, sizeof err) && !(jepa_file_flags(path) & 2048u));
    jepa_free(plain);
    jepa_scratch_free(sc);
    free(z);
    jepa_free(m);
    remove(path);
}

/* keypoint_blur: the checker refuses a blur without appearance keypoints, below 0, past JEPA_MAX_BLUR
   or not a number; the file keeps it (flag 8192, the same encoding read back) and refuses one without
   appearance keypoints, and a model without it writes no such flag. On the 2 x 2 dot of
   test_jepa_keypoint_appear (the heats the frame's pixels), the blur changes the appearance keypoint's
   channels only (the motion keypoint's and the convolutions' keep their bits), and the symmetric blur
   keeps the lone dot's place (dx 0, dy -1 from its cell's centre) */
static void test_jepa_keypoint_blur(void) {
    JepaArch a = appear_arch();
    char err[256];
    JepaArch bad = a;
    const float wrong[] = {-0.5f, JEPA_MAX_BLUR + 0.5f, NAN};
    for (int i = 0; i < 3; i++) {
        bad.keypoint_blur = wrong[i];
        CHECK(!jepa_arch_check(&bad, err, sizeof err) && strstr(err, "blur"));
    }
    bad.keypoint_blur = 1.0f, bad.keypoint_appear = 0;
    CHECK(!jepa_arch_check(&bad, err, sizeof err) && strstr(err, "blur"));
    JepaModel* plain = jepa_create(&a, 7);
    a.keypoint_blur = 1.0f;
    JepaModel* m = jepa_create(&a, 7);
    ENSURE(m && plain && m->nparams == plain->nparams);
    keypoint_identity(m, m->kp.w, m->kp.b);
    keypoint_identity(m, m->kpa.w, m->kpa.b);
    memcpy(m->target, m->params, sizeof(float) * (size_t)m->enc_count);
    ENSURE(jepa_copy(plain, m) == false);   /* the architectures differ */
    memcpy(plain->params, m->params, sizeof(float) * (size_t)m->nparams);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    int L = jepa_latent_size(m), cell = (2 * lw + 1) * lc + a.latent;   /* cell (2, 1) */
    static uint8_t fr[3][32 * 32];
    for (int f = 0; f < 3; f++)
        for (int y = 18; y <= 19; y++) fr[f][y * 32 + 11] = fr[f][y * 32 + 12] = 255;
    const uint8_t* win[3] = {fr[0], fr[1], fr[2]};
    float* z = malloc(sizeof(float) * (size_t)L);
    float* zp = malloc(sizeof(float) * (size_t)L);
    JepaScratch* sc = jepa_scratch_create(m);
    JepaScratch* sp = jepa_scratch_create(plain);
    jepa_encode(m, sc, 1, win, false, z);
    jepa_encode(plain, sp, 1, win, false, zp);
    const float* ap = z + cell + 3;
    CHECK(fabsf(ap[0]) < 0.05f && fabsf(ap[1] + 1.0f) < 0.05f && ap[2] > 1.0f);
    bool same_rest = true, differs = false;
    for (int c = 0; c < lh * lw; c++)
        for (int k = 0; k < lc; k++) {
            bool appear = k == a.latent + 3 || k == a.latent + 4 || k == a.latent + 5 || k == a.latent + 8 ||
                          k == a.latent + 9;
            float u = z[(size_t)c * lc + k], v = zp[(size_t)c * lc + k];
            if (appear) differs |= u != v;
            else same_rest &= memcmp(&u, &v, sizeof u) == 0;
        }
    CHECK(same_rest && differs);
    char path[] = "/tmp/nudge_jepa_blur_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    jepa_file_roundtrip(m, path, 8192u, win, z);
    m->arch.keypoint_appear = 0;
    jepa_file_refused(m, path, "blur");
    m->arch.keypoint_appear = 1;
    CHECK(jepa_save(plain, path, err, sizeof err) && !(jepa_file_flags(path) & 8192u));
    jepa_scratch_free(sc);
    jepa_scratch_free(sp);
    free(z);
    free(zp);
    jepa_free(m);
    jepa_free(plain);
    remove(path);
}

/* the objectness keypoint learns what moves, by watching: 32 x 32 frames of a bright background, a
   dark table (60) along rows 24-27 that never moves and a mid-gray 3 x 3 block (130) at rows 12-14
   that slides 1 px a tick in half the episodes and rests in the others. Trained by its logistic loss
   alone (no prediction: the L1's and the regularizer's weights are tiny), the objectness strength of
   a frame where the block rests is larger in the block's cell than in a table cell or an empty one,
   and the loss falls */
static void test_jepa_objness_learns(void) {
    JepaTrainerDef def = jepa_trainer_def_default(32, 32, 1);
    def.arch = appear_arch();
    def.arch.keypoints = 3, def.arch.keypoint_appear = 2, def.arch.keypoint_objness = 1, def.arch.keypoint_overlap = 1;
    def.batch = 4, def.rollout = 2, def.capacity = 2000, def.val_every = 0, def.seed = 3, def.warmup = 10;
    def.lr = 1e-2f, def.objness_weight = 1.0f;
    char err[256];
    JepaTrainer* tr = jepa_trainer_create(&def, NULL, err, sizeof err);
    ENSURE(tr);
    static uint8_t frame[32 * 32];
    for (int e = 0; e < 12; e++) {
        jepa_trainer_begin_episode(tr);
        int x0 = 2 + (e * 7) % 20;
        for (int t = 0; t < 24; t++) {
            memset(frame, 240, sizeof frame);
            memset(frame + 24 * 32, 60, 4 * 32);
            int x = e % 2 ? 2 + t : x0;
            for (int y = 12; y <= 14; y++)
                for (int i = 0; i < 3; i++) frame[y * 32 + x + i] = 130;
            JepaPush p = {0};
            jepa_trainer_add_frame(tr, frame, &p, 0);
        }
    }
    JepaTrainerStats st;
    float first = 0;
    for (int s = 0; s < 300; s++) {
        CHECK(jepa_trainer_step(tr));
        jepa_trainer_stats(tr, &st);
        if (s == 0) first = st.objness_loss;
    }
    CHECK(st.objness_changed > 0 && st.objness_changed < 0.2f && st.objness_loss < 0.7f * first);
    JepaModel* m = jepa_trainer_model(tr);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    static uint8_t fr[32 * 32];
    memset(fr, 240, sizeof fr);
    memset(fr + 24 * 32, 60, 4 * 32);
    for (int y = 12; y <= 14; y++)
        for (int i = 0; i < 3; i++) fr[y * 32 + 4 + i] = 130;   /* cell (1, 0) */
    const uint8_t* win[3] = {fr, fr, fr};
    float* z = malloc(sizeof(float) * (size_t)jepa_latent_size(m));
    JepaScratch* sc = jepa_scratch_create(m);
    jepa_encode(m, sc, 1, win, false, z);
    int at = m->arch.latent + 3 * 2 + 2;   /* the objectness keypoint's strength */
    float block = z[(1 * lw + 0) * lc + at], table = z[(3 * lw + 2) * lc + at], empty = z[(0 * lw + 3) * lc + at];
    fprintf(stderr, "    objectness: loss %.4f -> %.4f (%.2f%% of pixels changed), strength in the block's cell %.3f, "
            "a table cell %.3f, an empty cell %.3f\n", first, st.objness_loss, 100.0 * st.objness_changed, block, table,
            empty);
    CHECK(block > table + 0.5f && block > empty + 0.5f);
    jepa_scratch_free(sc);
    free(z);
    jepa_trainer_free(tr);
}

static void test_jepa_frame_step_file(void) {
    JepaArch a = jepa_arch_default(16, 16, 1);
    a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    char path[] = "/tmp/nudge_jepa_step_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[512];
    uint32_t flags[2];
    for (int step = 1; step <= 4; step += 3) {
        a.frame_step = step;
        JepaModel* m = jepa_create(&a, 2);
        ENSURE(m);
        CHECK(jepa_save(m, path, err, sizeof err));
        flags[step > 1] = jepa_file_flags(path);
        JepaModel* back = jepa_load(path, err, sizeof err);
        ENSURE(back);
        CHECK(jepa_arch(back)->frame_step == step && memcmp(jepa_arch(back), &a, sizeof a) == 0);
        jepa_free(back);
        jepa_free(m);
    }
    CHECK(!(flags[0] & 8u) && (flags[1] & 8u));
    /* keypoints: a count in the file (flag 16) only when there are some; the same latents back */
    CHECK(!(flags[0] & 16u) && !(flags[1] & 16u));
    a.frame_step = 2, a.keypoints = 3;
    {
        JepaModel* k = jepa_create(&a, 2);
        ENSURE(k);
        int kh, kw, kc;
        jepa_latent_shape(k, &kh, &kw, &kc);
        CHECK(kc == a.latent + 9 && jepa_param_count(k) > 0);
        CHECK(jepa_save(k, path, err, sizeof err));
        uint32_t kf = jepa_file_flags(path);
        CHECK((kf & 16u) && (kf & 8u));
        JepaModel* back = jepa_load(path, err, sizeof err);
        ENSURE(back);
        CHECK(memcmp(jepa_arch(back), &a, sizeof a) == 0);
        /* the heat maps from the input frames: another model, its kind read back */
        a.keypoint_frames = 1;
        JepaModel* kf1 = jepa_create(&a, 2);
        ENSURE(kf1);
        CHECK(jepa_param_count(kf1) != jepa_param_count(k) && jepa_save(kf1, path, err, sizeof err));
        JepaModel* back1 = jepa_load(path, err, sizeof err);
        ENSURE(back1);
        CHECK(jepa_arch(back1)->keypoint_frames == 1 && memcmp(jepa_arch(back1), &a, sizeof a) == 0);
        /* sharp keypoints: K temperatures more, flag 32 and the kind in the file (a plain one's file
           has neither), the same parameters and latents back */
        CHECK(!(kf & 32u));
        a.keypoint_sharp = 1;
        JepaModel* ks = jepa_create(&a, 2);
        ENSURE(ks);
        CHECK(jepa_param_count(ks) == jepa_param_count(kf1) + a.keypoints && ks->ktemp >= 0 &&
              ks->params[ks->ktemp] == JEPA_KEYPOINT_TEMP);
        ks->params[ks->ktemp + 1] = 3.25f;   /* a trained temperature */
        CHECK(jepa_save(ks, path, err, sizeof err));
        kf = jepa_file_flags(path);
        CHECK((kf & 32u) && (kf & 16u));
        JepaModel* backs = jepa_load(path, err, sizeof err);
        ENSURE(backs);
        CHECK(jepa_arch(backs)->keypoint_sharp == 1 && memcmp(jepa_arch(backs), &a, sizeof a) == 0);
        jepa_check_same(ks, backs, 5, 9, false, false);
        /* constant-velocity keypoints: 2K channels more, a 3x3 heat of one frame, flag 64 and the
           value in the file (the sharp one's has neither), the same parameters and latents back */
        CHECK(!(kf & 64u));
        a.keypoint_cv = 1;
        JepaModel* kv = jepa_create(&a, 2);
        ENSURE(kv);
        int vh, vw, vc;
        jepa_latent_shape(kv, &vh, &vw, &vc);
        CHECK(vc == a.latent + 5 * a.keypoints && kv->kp.k == 3 && kv->kp.cin == a.channels);
        /* the heat: 3x3 of one frame for 1x1 of the window; the predictor: 2K more inputs to its first
           3x3 layer, 2K more outputs of its last 1x1 */
        CHECK(jepa_param_count(kv) == jepa_param_count(ks) + (9 - a.context) * a.keypoints * a.channels +
                                          9 * 2 * a.keypoints * a.hidden + 2 * a.keypoints * (a.hidden + 1));
        CHECK(jepa_save(kv, path, err, sizeof err));
        kf = jepa_file_flags(path);
        CHECK((kf & 64u) && (kf & 32u) && (kf & 16u));
        JepaModel* backv = jepa_load(path, err, sizeof err);
        ENSURE(backv);
        CHECK(jepa_arch(backv)->keypoint_cv == 1 && memcmp(jepa_arch(backv), &a, sizeof a) == 0);
        jepa_check_same(kv, backv, 3, 11, true, true);
        /* the flag without keypoints from the frames is one line */
        kv->arch.keypoint_frames = 0;
        CHECK(jepa_save(kv, path, err, sizeof err));
        CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "keypoint") && !strchr(err, '\n'));
        jepa_free(backv), jepa_free(kv);
        a.keypoint_cv = 0;
        /* a heat kind out of range in a file is one line */
        ks->arch.keypoint_sharp = 2;
        CHECK(jepa_save(ks, path, err, sizeof err));
        CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "keypoint") && !strchr(err, '\n'));
        jepa_free(backs), jepa_free(ks);
        a.keypoint_sharp = 0;
        jepa_free(back1), jepa_free(kf1);
        a.keypoint_frames = 0;
        static uint8_t fr[2][256];
        for (int i = 0; i < 256; i++) fr[0][i] = (uint8_t)(i * 7), fr[1][i] = (uint8_t)(i * 7 + 3);
        const uint8_t* win[2] = {fr[0], fr[1]};
        int L = jepa_latent_size(k);
        float* z1 = malloc(sizeof(float) * L);
        float* z2 = malloc(sizeof(float) * L);
        JepaScratch* s1 = jepa_scratch_create(k);
        JepaScratch* s2 = jepa_scratch_create(back);
        jepa_encode(k, s1, 1, win, true, z1);
        jepa_encode(back, s2, 1, win, true, z2);
        CHECK(memcmp(z1, z2, sizeof(float) * L) == 0);
        /* the offsets stay within the cell: |dx|, |dy| <= 3 frame pixels of an 8-pixel cell */
        int out = 0;
        for (int i = 0; i < kh * kw; i++)
            for (int q = 0; q < 3; q++) out += fabsf(z1[i * kc + a.latent + 3 * q]) > 3.0f ||
                                               fabsf(z1[i * kc + a.latent + 3 * q + 1]) > 3.0f;
        CHECK(out == 0);
        jepa_scratch_free(s1), jepa_scratch_free(s2);
        free(z1), free(z2);
        jepa_free(back);
        /* a count out of range is one line */
        k->arch.keypoints = 17;
        CHECK(jepa_save(k, path, err, sizeof err));
        CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "keypoint") && !strchr(err, '\n'));
        jepa_free(k);
        a.keypoints = 0;
        /* frames without keypoints: refused; so are sharp heats */
        a.keypoint_frames = 1;
        CHECK(!jepa_create(&a, 2));
        a.keypoint_frames = 0;
        a.keypoint_sharp = 1;
        CHECK(!jepa_create(&a, 2));
        a.keypoint_sharp = 0;
    }
    a.frame_step = 4;
    JepaModel* m = jepa_create(&a, 2);
    ENSURE(m);
    m->arch.frame_step = JEPA_MAX_FRAME_STEP + 1;
    CHECK(jepa_save(m, path, err, sizeof err));
    CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "frame step") && !strchr(err, '\n'));
    jepa_free(m);
    unlink(path);
}

/* a model of 32 x 32 gray frames with one constant-velocity keypoint: a 4 x 4 grid of 9 channels */
static JepaModel* tiny_grid_model(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 1, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1;
    return jepa_create(&a, 7);
}

/* the surprise of the largest cells (voe --top-cells): two cells that err, by hand, give the means of
   the largest 1, 2 and 4 with the keypoint channels weighed 1 and 3; over a random grid, every cell
   is the weighted grid mean and the largest one its peak; top outside 1..cells is clamped; two worlds
   of a batch are scored apart */
static void test_jepa_surprise_top(void) {
    JepaModel* m = tiny_grid_model();
    ENSURE(m);
    int lh, lw, lc;
    jepa_latent_shape(m, &lh, &lw, &lc);
    ENSURE(lh == 4 && lw == 4 && lc == 9);
    enum { CELLS = 16, C = 9 };
    float p[2 * CELLS * C] = {0}, o[2 * CELLS * C] = {0};
    double work[CELLS];
    float v;
    /* cell 5 errs 0.9 on a convolution channel, cell 9 0.45 on a keypoint channel */
    p[5 * C + 1] = 0.9f;
    o[9 * C + 6] = 0.45f;
    jepa_surprise_top(m, 1, p, o, 1.0f, 1, work, &v);
    CHECK(fabsf(v - 0.1f) < 1e-7f);
    jepa_surprise_top(m, 1, p, o, 1.0f, 2, work, &v);
    CHECK(fabsf(v - 0.075f) < 1e-7f);
    jepa_surprise_top(m, 1, p, o, 1.0f, 4, work, &v);
    CHECK(fabsf(v - 0.0375f) < 1e-7f);
    /* keypoints weighed 3: the cells' sums 0.9 and 1.35 over 4 + 3 x 5 */
    jepa_surprise_top(m, 1, p, o, 3.0f, 1, work, &v);
    CHECK(fabsf(v - 1.35f / 19) < 1e-7f);
    jepa_surprise_top(m, 1, p, o, 3.0f, 2, work, &v);
    CHECK(fabsf(v - 2.25f / 38) < 1e-7f);
    /* a random grid in world 0, another in world 1 */
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < 2 * CELLS * C; i++) p[i] = (float)rng_uniform(&r, 0, 1), o[i] = (float)rng_uniform(&r, 0, 1);
    for (int k = 0; k < 2; k++) {
        float kw = k ? 5.0f : 1.0f, mean, peak, all, one, zero, many, two[2];
        jepa_surprise_weighted(m, 1, p, o, kw, &mean, &peak);
        jepa_surprise_top(m, 1, p, o, kw, CELLS, work, &all);
        jepa_surprise_top(m, 1, p, o, kw, 1, work, &one);
        jepa_surprise_top(m, 1, p, o, kw, 0, work, &zero);
        jepa_surprise_top(m, 1, p, o, kw, 1000, work, &many);
        CHECK(fabsf(all - mean) < 1e-6f * mean && fabsf(one - peak) < 1e-6f * peak);
        CHECK(zero == one && many == all && one > all);
        /* the second world alone and in a batch of two */
        float alone;
        jepa_surprise_top(m, 1, p + CELLS * C, o + CELLS * C, kw, 3, work, &alone);
        jepa_surprise_top(m, 2, p, o, kw, 3, work, two);
        float first;
        jepa_surprise_top(m, 1, p, o, kw, 3, work, &first);
        CHECK(two[0] == first && two[1] == alone && alone != first);
        /* the mean of the 3 largest lies between the largest and the grid's mean */
        CHECK(first <= one && first >= all);
    }
    jepa_free(m);
}

/* jepa_rollout_vs_copy: each cell's mean |pred - target| and |copy - target| over its channels, summed
   over every cell and over the cells where a pixel of the cell's block changed by more than thresh
   between the two frames (a change of exactly thresh is not one; a block's edge pixel is its own) */
static void test_jepa_rollout_vs_copy(void) {
    JepaModel* m = tiny_grid_model();
    ENSURE(m);
    enum { CELLS = 16, C = 9, PX = 32 * 32 };
    static float pred[2 * CELLS * C], copy[2 * CELLS * C], target[2 * CELLS * C];
    static uint8_t f0[2][PX], f1[2][PX];
    memset(f0, 100, sizeof f0);
    memset(f1, 100, sizeof f1);
    /* world 0: cell 5 (rows and columns 8-15) changes by 30 at its corner pixel (15, 15); cell 6 by 20;
       cell 10 by exactly 25; world 1 changes nowhere */
    f1[0][15 * 32 + 15] = 130;
    f1[0][8 * 32 + 16] = 80;
    f1[0][16 * 32 + 16] = 125;
    pred[5 * C + 1] = 0.9f;                 /* world 0, cell 5: the rollout errs 0.1 a value */
    copy[5 * C + 2] = -0.45f;               /* and the copy 0.05 */
    pred[(CELLS + 3) * C + 0] = 1.8f;       /* world 1, cell 3: the rollout 0.2 */
    copy[6 * C + 8] = 0.9f;                 /* world 0, cell 6 (unchanged): the copy 0.1 */
    const uint8_t* before[2] = {f0[0], f0[1]};
    const uint8_t* after[2] = {f1[0], f1[1]};
    double sum[4] = {0};
    int64_t count[2] = {0};
    jepa_rollout_vs_copy(m, 2, pred, copy, target, before, after, 25, sum, count);
    CHECK(count[0] == 2 * CELLS && count[1] == 1);
    CHECK(fabs(sum[0] - 0.3) < 1e-6 && fabs(sum[1] - 0.15) < 1e-6);
    CHECK(fabs(sum[2] - 0.1) < 1e-6 && fabs(sum[3] - 0.05) < 1e-6);
    /* a lower threshold: cells 6 and 10 changed too; the sums add up */
    jepa_rollout_vs_copy(m, 2, pred, copy, target, before, after, 19, sum, count);
    CHECK(count[0] == 4 * CELLS && count[1] == 4);
    CHECK(fabs(sum[2] - 0.2) < 1e-6 && fabs(sum[3] - 0.2) < 1e-6);
    jepa_free(m);
}

/* pred_gate: on a 4 x 4 grid, a cell is changed by the predictor when a cell within one of it holds a
   motion keypoint stronger than JEPA_GATE_STRENGTH, a keypoint faster than JEPA_GATE_SPEED (either
   axis, appearance keypoints too) or a push; a weaker or slower one, or a strong appearance keypoint,
   is no evidence. A kept cell's latent comes out bit for bit, a changed one's does not, and the same
   weights without the gate change every cell. The residual's backward against the forward, by hand */
static void test_jepa_pred_gate(void) {
    JepaArch a = jepa_arch_default(32, 32, 1);
    a.context = 3, a.width = 4, a.latent = 4, a.hidden = 4, a.pred_layers = 1, a.groups = 2;
    a.keypoints = 2, a.keypoint_frames = 1, a.keypoint_sharp = 1, a.keypoint_cv = 1;
    a.keypoint_motion = 1, a.keypoint_appear = 1;
    JepaArch bad = a;
    bad.keypoint_motion = 0, bad.keypoint_appear = 0, bad.pred_gate = 1;
    char err[256];
    CHECK(!jepa_arch_check(&bad, err, sizeof err) && strstr(err, "gated predictor") && !strchr(err, '\n'));
    JepaModel* plain = jepa_create(&a, 11);
    a.pred_gate = 1;
    JepaModel* m = jepa_create(&a, 11);
    ENSURE(m && plain);
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    ENSURE(lh == 4 && lw == 4 && C == 4 + 5 * 2);
    /* channels: 4 convolution ones, then (dx, dy, strength) of the motion keypoint (4-6) and of the
       appearance one (7-9), then their velocities (10-11, 12-13) */
    enum { CELLS = 16, CC = 14, W = CC + JEPA_PUSH_CHANNELS };
    float z[2 * CELLS * CC], pin[2 * CELLS * W];
    Rng r;
    rng_seed(&r, 5);
    for (int i = 0; i < 2 * CELLS * CC; i++) z[i] = 0.3f * (float)rng_normal(&r);
    for (int i = 0; i < 2 * CELLS; i++) {
        /* no evidence anywhere to start: strengths and velocities 0 */
        z[i * CC + 6] = 0, z[i * CC + 10] = z[i * CC + 11] = z[i * CC + 12] = z[i * CC + 13] = 0;
        /* a strong appearance keypoint everywhere is no motion */
        z[i * CC + 9] = 3.0f * JEPA_GATE_STRENGTH;
    }
    /* world 0: a motion keypoint in cell (0, 0); a slow appearance keypoint in (3, 3); a weak motion
       one in (0, 3). World 1: an appearance keypoint moving up in (3, 0), and its cell (2, 2) pushed */
    z[0 * CC + 6] = 1.25f * JEPA_GATE_STRENGTH;
    z[15 * CC + 12] = 0.95f * JEPA_GATE_SPEED;
    z[3 * CC + 6] = 0.95f * JEPA_GATE_STRENGTH;
    z[(CELLS + 12) * CC + 13] = -1.3f * JEPA_GATE_SPEED;
    JepaPush push = {20.0f, 20.0f, 0.5f, 0.0f, 1.0f};
    int npush[2] = {0, 1};
    JepaPush pushes[2 * JEPA_MAX_PUSHES];
    pushes[JEPA_MAX_PUSHES] = push;
    jepa_pred_input(m, 2, z, pushes, npush, pin);
    uint8_t act[2 * CELLS];
    size_t n = jepa_pred_active(m, 2, pin, act);
    /* world 0: (0, 0) and its three neighbours; world 1: (3, 0)'s four and the push's cells
       (bilinear around (2.5 - 0.5) = cell 2: (2, 2) alone) with their neighbours, (1..3, 1..3) */
    const char* want0 = "1100" "1100" "0000" "0000";
    const char* want1 = "0000" "0111" "1111" "1111";
    int miss = 0;
    for (int i = 0; i < CELLS; i++) miss += act[i] != (want0[i] == '1') || act[CELLS + i] != (want1[i] == '1');
    CHECK(miss == 0);
    CHECK(n == 4 + 11);
    /* without the gate, every cell */
    uint8_t all[2 * CELLS];
    CHECK(jepa_pred_active(plain, 2, pin, all) == 2 * CELLS);
    /* a prediction: the kept cells bit for bit, the others changed (a last layer of random weights) */
    for (int i = m->enc_count; i < m->nparams; i++) m->params[i] = plain->params[i] = 0.2f * (float)rng_normal(&r);
    JepaScratch* s = jepa_scratch_create(m);
    JepaScratch* sp = jepa_scratch_create(plain);
    float next[2 * CELLS * CC], free_next[2 * CELLS * CC];
    jepa_predict(m, s, 2, z, pushes, npush, next);
    jepa_predict(plain, sp, 2, z, pushes, npush, free_next);
    int kept_same = 0, moved = 0, free_moved = 0;
    for (int i = 0; i < 2 * CELLS; i++) {
        bool same = !memcmp(next + i * CC, z + i * CC, sizeof(float) * CC);
        if (act[i]) moved += !same;
        else kept_same += same;
        free_moved += memcmp(free_next + i * CC, z + i * CC, sizeof(float) * CC) != 0;
        /* a changed cell is what the ungated predictor makes of it */
        if (act[i]) CHECK(!memcmp(next + i * CC, free_next + i * CC, sizeof(float) * CC));
    }
    CHECK(kept_same == 2 * CELLS - 15 && moved == 15 && free_moved == 2 * CELLS);
    /* the residual's backward: prev += g + dp everywhere, the keypoints' offsets' gradient to their
       velocities only where the cell changes; the predictor's own gradient 0 where it is kept */
    float g[2 * CELLS * CC], dp[2 * CELLS * W], prev[2 * CELLS * CC], dy[2 * CELLS * CC];
    for (int i = 0; i < 2 * CELLS * CC; i++) g[i] = (float)rng_normal(&r);
    for (int i = 0; i < 2 * CELLS * W; i++) dp[i] = (float)rng_normal(&r);
    memset(prev, 0, sizeof prev);
    jepa_pred_residual_backward(m, 2 * CELLS, g, dp, W, act, prev);
    memcpy(dy, g, sizeof dy);
    jepa_pred_gate_grad(m, 2 * CELLS, act, dy);
    int wrong = 0;
    for (int i = 0; i < 2 * CELLS; i++)
        for (int c = 0; c < CC; c++) {
            /* next's velocity channels 10 + 2k + a feed offset channel 4 + 3k + a when the cell changes */
            double want = g[i * CC + c] + dp[i * W + c];
            if (act[i] && c >= 10) want += g[i * CC + 4 + 3 * ((c - 10) / 2) + (c - 10) % 2];
            wrong += fabs(prev[i * CC + c] - want) > 1e-6;
            wrong += dy[i * CC + c] != (act[i] ? g[i * CC + c] : 0.0f);
        }
    CHECK(wrong == 0);
    /* the forward's velocities by hand: a changed cell's offsets move by its velocities (plus the
       predictor), a kept one's do not even when slow ones are there (world 0, cell 15) */
    CHECK(!act[15] && next[15 * CC + 7] == z[15 * CC + 7]);
    jepa_scratch_free(s);
    jepa_scratch_free(sp);
    /* the checkpoint keeps the gate; a model without it writes the bytes it did */
    char path[] = "/tmp/nudge_test_gate_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    CHECK(jepa_save(m, path, err, sizeof err));
    JepaModel* back = jepa_load(path, err, sizeof err);
    CHECK(back && jepa_arch(back)->pred_gate == 1);
    jepa_free(back);
    CHECK(jepa_save(plain, path, err, sizeof err));
    back = jepa_load(path, err, sizeof err);
    CHECK(back && jepa_arch(back)->pred_gate == 0);
    jepa_free(back);
    unlink(path);
    jepa_free(m);
    jepa_free(plain);
}

/* pred_gate in a trainer: on still frames without pushes no cell has motion, so the predictor's output is never
   used (its parameters get no gradient, and moving one leaves the loss), and the loss is the copy's;
   on moving frames the whole loss's gradient holds against finite differences */
static void test_jepa_pred_gate_trainer(void) {
    int64_t seq[3] = {2, 4, 10};
    tiny_kp_window = 3;
    tiny_pred_gate = 1;
    tiny_no_push = true;
    JepaTrainer* tr = tiny_jepa_kps(5, 2, 8, 20.0f, true, 1, -2, true, 1.0f, true, 3);
    tiny_no_push = false;
    ENSURE(tr);
    JepaModel* m = jepa_trainer_model(tr);
    CHECK(m->arch.pred_gate == 1);
    const float* g = NULL;
    double loss = jepa_trainer_loss_at(tr, seq, true, &g);
    CHECK(isfinite(loss));
    int nonzero = 0;
    for (int i = m->enc_count; i < m->nparams; i++) nonzero += g[i] != 0.0f;
    CHECK(nonzero == 0);
    m->params[m->nparams - 1] += 0.5f;
    CHECK(jepa_trainer_loss_at(tr, seq, false, NULL) == loss);
    jepa_trainer_free(tr);
    /* moving frames: every check of the keypoint models' whole loss */
    jepa_grad_check_cv(20.0f, 1, -2, true, 1.0f, true, 3);
    tiny_pred_gate = 0;
    tiny_kp_window = 0;
}

/* the pixel surprise's evidence: nothing for a steady error, a sustained rise adds up over the ticks,
   a one-tick spike counts once and fades, NaN is skipped */
static void test_jepa_evidence(void) {
    JepaEvidence e;
    jepa_evidence_reset(&e);
    for (int t = 0; t < 50; t++) CHECK(jepa_evidence_add(&e, 0.02) == 0.0);
    /* 0.1 above for 20 ticks: more than 10 ticks' worth of the excess */
    double prev = 0;
    for (int t = 0; t < 20; t++) {
        double v = jepa_evidence_add(&e, 0.12);
        CHECK(v > prev);
        prev = v;
    }
    CHECK(prev > 1.0 && prev < 2.0);
    CHECK(jepa_evidence_add(&e, NAN) == prev);
    /* a spike: counts once, then falls back */
    jepa_evidence_reset(&e);
    for (int t = 0; t < 50; t++) jepa_evidence_add(&e, 0.02);
    double spike = jepa_evidence_add(&e, 1.02);
    CHECK(fabs(spike - 1.0) < 1e-9);
    double v = spike;
    for (int t = 0; t < 30; t++) {
        double w = jepa_evidence_add(&e, 0.02);
        CHECK(w < v);
        v = w;
    }
    for (int t = 0; t < 90; t++) v = jepa_evidence_add(&e, 0.02);
    CHECK(v == 0.0);
    /* a signal that wavers about its mean (0.01, 0.03, ...): without slack its excess wanders up as a
       random walk's, with a slack of 1 it never adds up; a sustained rise to 3 times the mean still does */
    JepaEvidence a, b;
    jepa_evidence_reset(&a);
    jepa_evidence_reset(&b);
    Rng rng;
    rng_seed(&rng, 3);
    double va = 0, vb = 0, most_a = 0;
    for (int t = 0; t < 200; t++) {
        double x = rng_unit(&rng) < 0.5 ? 0.01 : 0.03;
        va = jepa_evidence_add(&a, x), vb = jepa_evidence_add_slack(&b, x, 1.0);
        most_a = fmax(most_a, va);
        CHECK(vb <= 0.03 + 1e-12);   /* at most one tick's worth after the first ticks' mean settles */
    }
    if (!(most_a > 0.05)) fprintf(stderr, "evidence: a wavering signal's largest excess %g\n", most_a);
    CHECK(most_a > 0.05);   /* 5 ticks' worth of the 0.01 excess and more */
    for (int t = 0; t < 20; t++) vb = jepa_evidence_add_slack(&b, 0.06, 1.0);
    CHECK(vb > 0.2);
    /* k = 0 is jepa_evidence_add, bit for bit */
    jepa_evidence_reset(&a);
    jepa_evidence_reset(&b);
    for (int t = 0; t < 60; t++) {
        double x = 0.01 * (t % 7);
        CHECK(jepa_evidence_add(&a, x) == jepa_evidence_add_slack(&b, x, 0.0));
    }
}

/* the motion-weighted L1 is the plain one where nothing moves (every weight 1), and differs where
   the frames change */
static void test_jepa_motion_weight(void) {
    int64_t seq[3] = {1, 3, 9};
    double loss[2][2];
    for (int still = 0; still < 2; still++)
        for (int w = 0; w < 2; w++) {
            JepaTrainer* tr = tiny_jepa_of(5, 2, 8, w ? 20.0f : 0.0f, still);
            loss[still][w] = jepa_trainer_loss_at(tr, seq, false, NULL);
            jepa_trainer_free(tr);
        }
    CHECK(loss[1][0] == loss[1][1]);
    CHECK(loss[0][0] != loss[0][1]);
}

/* steps move the target encoder toward the encoder (EMA), the same seed gives the same bytes, and
   the checkpoint round-trips exactly with every bad file refused */
static void test_jepa_train_checkpoint(void) {
    JepaTrainer* a = tiny_jepa(7, 4, 10);
    JepaTrainer* b = tiny_jepa(7, 4, 10);
    JepaModel* ma = jepa_trainer_model(a);
    float* before = malloc(sizeof(float) * ma->enc_count);
    memcpy(before, ma->target, sizeof(float) * ma->enc_count);
    for (int i = 0; i < 5; i++) CHECK(jepa_trainer_step(a) && jepa_trainer_step(b));
    JepaModel* mb = jepa_trainer_model(b);
    CHECK(memcmp(ma->params, mb->params, sizeof(float) * ma->nparams) == 0);
    CHECK(memcmp(ma->target, mb->target, sizeof(float) * ma->enc_count) == 0);
    CHECK(memcmp(before, ma->target, sizeof(float) * ma->enc_count) != 0);
    /* target = 0.99 target + 0.01 encoder each step: it trails the encoder */
    double dt = 0, de = 0;
    for (int i = 0; i < ma->enc_count; i++) dt += fabs(ma->target[i] - before[i]), de += fabs(ma->params[i] - before[i]);
    CHECK(dt > 0 && dt < de);
    JepaTrainerStats st;
    jepa_trainer_stats(a, &st);
    CHECK(st.steps == 5 && isfinite(st.pred_loss) && st.latent.erank >= 1 && st.latent.erank <= 4.0001);
    char path[] = "/tmp/nudge_jepa_XXXXXX";
    int fd = mkstemp(path);
    ENSURE(fd >= 0);
    close(fd);
    char err[512];
    CHECK(jepa_trainer_save(a, NULL, path, err, sizeof err));
    char kerr[256];
    CHECK(model_file_kind(path, kerr, sizeof kerr) == MODEL_KIND_JEPA);
    JepaModel* back = jepa_load(path, err, sizeof err);
    ENSURE(back);
    CHECK(jepa_train_steps(back) == 5 && memcmp(back->params, ma->params, sizeof(float) * ma->nparams) == 0 &&
          memcmp(back->target, ma->target, sizeof(float) * ma->enc_count) == 0);
    /* the camera its frames came from goes with it: a new model frames as gen does, a file keeps it */
    CHECK(jepa_framing(ma) == JEPA_FRAMING_EVENTS && jepa_framing(back) == JEPA_FRAMING_EVENTS);
    jepa_set_framing(back, JEPA_FRAMING_SCENE);
    CHECK(jepa_save(back, path, err, sizeof err));
    jepa_free(back);
    back = jepa_load(path, err, sizeof err);
    ENSURE(back);
    CHECK(jepa_framing(back) == JEPA_FRAMING_SCENE);
    /* and how its frames were drawn: a new model's and a file's without the flag (256, bit 8 of
       the flags word at byte 88) are aliased; an antialiased model's file says so, and a clone */
    CHECK(!jepa_frames_aa(ma) && !jepa_frames_aa(back) && !jepa_frames_aa(NULL));
    {
        FILE* g = fopen(path, "rb");
        unsigned char head[96];
        ENSURE(g && fread(head, 1, sizeof head, g) == sizeof head);
        fclose(g);
        CHECK((head[89] & 1) == 0);
        jepa_set_frames_aa(back, true);
        CHECK(jepa_save(back, path, err, sizeof err));
        g = fopen(path, "rb");
        ENSURE(g && fread(head, 1, sizeof head, g) == sizeof head);
        fclose(g);
        CHECK((head[89] & 1) == 1);
        jepa_free(back);
        back = jepa_load(path, err, sizeof err);
        ENSURE(back);
        CHECK(jepa_frames_aa(back) && jepa_framing(back) == JEPA_FRAMING_SCENE);
        JepaModel* c = jepa_clone(back);
        CHECK(c && jepa_frames_aa(c));
        jepa_free(c);
    }
    jepa_free(back);
    CHECK(jepa_trainer_save(a, NULL, path, err, sizeof err));
    /* damaged files: one line each, never a model */
    FILE* f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char* bytes = malloc((size_t)len);
    CHECK(fread(bytes, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    struct { long cut; long flip; const char* want; } cases[] = {
        {10, -1, "truncated"}, {len - 1, -1, "CRC"}, {len, 40, "CRC"}, {len, 2, "not a nudge model"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char* copy = malloc((size_t)len);
        memcpy(copy, bytes, (size_t)len);
        if (cases[i].flip >= 0) copy[cases[i].flip] ^= 0x10;
        f = fopen(path, "wb");
        fwrite(copy, 1, (size_t)cases[i].cut, f);
        fclose(f);
        err[0] = 0;
        JepaModel* bad = jepa_load(path, err, sizeof err);
        CHECK(!bad && strstr(err, cases[i].want) && !strchr(err, '\n'));
        if (!strstr(err, cases[i].want)) fprintf(stderr, "    case %zu: %s\n", i, err);
        free(copy);
    }
    free(bytes);
    /* a NaN weight behind a valid CRC is refused; so is a state model's file, by kind */
    ma->params[3] = NAN;
    CHECK(jepa_save(ma, path, err, sizeof err));
    CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "non-finite"));
    f = fopen(path, "wb");
    uint32_t head[6] = {0, 0, 1u, 0, 0, 0};
    memcpy(head, MODEL_FILE_MAGIC, 8);
    fwrite(head, 1, sizeof head, f);
    fclose(f);
    CHECK(model_file_kind(path, kerr, sizeof kerr) == MODEL_KIND_STATE);
    CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "a state model"));
    free(before);
    unlink(path);
    jepa_trainer_free(a);
    jepa_trainer_free(b);
}

/* a square that moves at constant velocity on a plain background: the pixel model learns to
   predict it (the prediction loss falls well below where it started) without collapsing, and a
   linear probe from its frozen latents finds the square on held-out episodes */
static void draw_square(uint8_t* f, int W, int H, float x, float y) {
    memset(f, 220, (size_t)W * H);
    for (int v = 0; v < H; v++)
        for (int u = 0; u < W; u++)
            if (u + 0.5f >= x - 3 && u + 0.5f < x + 3 && v + 0.5f >= y - 3 && v + 0.5f < y + 3) f[v * W + u] = 40;
}

static void test_jepa_learns(void) {
    const int W = 32, H = W, T = 16, E = 60;
    JepaTrainerDef def = jepa_trainer_def_default(W, H, 1);
    def.arch.width = 8;
    def.arch.latent = 8;
    def.arch.hidden = 16;
    def.arch.pred_layers = 2;
    def.arch.levels = 2;   /* an 8 x 8 grid of 4-pixel cells */
    def.batch = 16;
    def.rollout = 2;
    def.warmup = 20;
    def.capacity = E * T;
    def.val_every = 0;
    char err[256];
    JepaTrainer* tr = jepa_trainer_create(&def, NULL, err, sizeof err);
    ENSURE(tr);
    Rng rng;
    rng_seed(&rng, 3);
    uint8_t* frames = malloc((size_t)E * T * W * H);
    float* pos = malloc(sizeof(float) * E * T * 2);
    for (int e = 0; e < E; e++) {
        /* whole pixels per frame: a sub-pixel speed would make the square jump a pixel on some
           frames and not on others, by a phase that two frames do not show */
        float x = (float)rng_int(&rng, 6, W - 6), y = (float)rng_int(&rng, 6, H - 6);
        float vx = (float)rng_int(&rng, -2, 2), vy = (float)rng_int(&rng, -2, 2);
        if (vx == 0 && vy == 0) vx = 1;
        for (int t = 0; t < T; t++) {
            if (x < 4 || x > W - 4) vx = -vx;
            if (y < 4 || y > H - 4) vy = -vy;
            x += vx, y += vy;
            draw_square(frames + ((size_t)e * T + t) * W * H, W, H, x, y);
            pos[(e * T + t) * 2] = x, pos[(e * T + t) * 2 + 1] = y;
        }
    }
    int Etrain = E * 3 / 4;
    for (int e = 0; e < Etrain; e++) {
        jepa_trainer_begin_episode(tr);
        for (int t = 0; t < T; t++) jepa_trainer_add_frame(tr, frames + ((size_t)e * T + t) * W * H, NULL, 0);
    }
    for (int i = 0; i < 1500; i++) ENSURE(jepa_trainer_step(tr));
    JepaTrainerStats st;
    jepa_trainer_stats(tr, &st);
    CHECK(st.latent.erank > 2.0);
    /* target latents of every window */
    JepaModel* m = jepa_trainer_model(tr);
    JepaScratch* s = jepa_scratch_create(m);
    int L = jepa_latent_size(m), N = E * (T - 1);
    float* z = malloc(sizeof(float) * (size_t)N * L);
    float* y = malloc(sizeof(float) * (size_t)N * 2);
    uint8_t* mask = malloc((size_t)N);
    for (int e = 0, n = 0; e < E; e++)
        for (int t = 1; t < T; t++, n++) {
            const uint8_t* win[2] = {frames + ((size_t)e * T + t - 1) * W * H, frames + ((size_t)e * T + t) * W * H};
            jepa_encode(m, s, 1, win, true, z + (size_t)n * L);
            y[n * 2] = pos[(e * T + t) * 2], y[n * 2 + 1] = pos[(e * T + t) * 2 + 1];
            mask[n] = 1;
        }
    /* on held-out episodes the predicted next latent is much closer to the next encoding than the
       current encoding is (the model knows where the square goes) */
    double pred_err = 0, still_err = 0;
    int npred = 0;
    float* next = malloc(sizeof(float) * L);
    for (int e = Etrain; e < E; e++)
        for (int t = 1; t + 1 < T; t++) {
            const float* zt = z + ((size_t)e * (T - 1) + t - 1) * L;
            const float* z1 = zt + L;
            jepa_predict(m, s, 1, zt, NULL, NULL, next);
            for (int i = 0; i < L; i++) pred_err += fabsf(next[i] - z1[i]), still_err += fabsf(zt[i] - z1[i]);
            npred++;
        }
    fprintf(stderr, "    held-out: predicted next latent %.4f from the truth, the current one %.4f; latent std %.3f, "
            "effective rank %.2f of 8\n", pred_err / ((double)npred * L), still_err / ((double)npred * L),
            st.latent.std_mean, st.latent.erank);
    CHECK(pred_err < 0.7 * still_err);
    free(next);
    int Ntrain = Etrain * (T - 1);
    Probe p;
    CHECK(probe_fit(&p, Ntrain, L, 1, 2, z, y, mask, 1e-3, 10));
    float* out = malloc(sizeof(float) * (size_t)(N - Ntrain) * 2);
    probe_apply(&p, N - Ntrain, z + (size_t)Ntrain * L, out);
    double err_px = 0;
    for (int n = 0; n < N - Ntrain; n++)
        err_px += hypot(out[n * 2] - y[(Ntrain + n) * 2], out[n * 2 + 1] - y[(Ntrain + n) * 2 + 1]);
    err_px /= N - Ntrain;
    fprintf(stderr, "    held-out probe error %.2f px (square of 6 px in 32x32 frames)\n", err_px);
    CHECK(err_px < 2.5);
    probe_free(&p);
    free(out), free(z), free(y), free(mask), free(frames), free(pos);
    jepa_scratch_free(s);
    jepa_trainer_free(tr);
}

/* the growing float list (eval's per-body errors) and its quantiles: every value kept in order past the
   first capacity, the quantile interpolated between order statistics as numpy's default, NaN when empty */
static void test_floats_quantile(void) {
    WmFloats a = {0};
    CHECK(isnan(wm_quantile(a.v, a.n, 0.5)));
    for (int i = 0; i < 1000; i++) wm_floats_push(&a, (float)((i * 337) % 1000));   /* a permutation of 0..999 */
    CHECK(a.n == 1000 && a.cap >= 1000);
    bool kept = true;
    for (int i = 0; i < 1000; i++) kept = kept && a.v[i] == (float)((i * 337) % 1000);
    CHECK(kept);
    CHECK(fabs(wm_quantile(a.v, a.n, 0.5) - 499.5) < 1e-9);
    CHECK(fabs(wm_quantile(a.v, a.n, 0.9) - 899.1) < 1e-3);
    CHECK(wm_quantile(a.v, a.n, 0.0) == 0.0 && wm_quantile(a.v, a.n, 1.0) == 999.0);
    wm_floats_free(&a);
    CHECK(a.v == NULL && a.n == 0 && a.cap == 0);
    wm_floats_push(&a, 3.0f);
    CHECK(a.n == 1 && wm_quantile(a.v, a.n, 0.9) == 3.0);
    wm_floats_free(&a);
}

/* the slot-free cell probe's decoding: a hand-made probe that reads presence from a cell's own
   channel 0 and its offset from channels 1 and 2 keeps proposals best first, each at its cell's
   centre plus its offset, and drops one within the radius of a better one; two bodies in
   neighbouring cells are both found (a 3 x 3 local maximum of presence would keep one) */
static void test_jepa_cellprobe_decode(void) {
    enum { LH = 4, LW = 5, C = 3 };
    JepaCellProbe cp;
    memset(&cp, 0, sizeof cp);
    cp.lh = LH, cp.lw = LW, cp.C = C, cp.F = 9 * C, cp.radius = 4;
    Probe* p = &cp.p;
    p->F = cp.F, p->K = 2, p->O = 2;
    p->mean = calloc((size_t)cp.F, sizeof(float));
    p->w = calloc((size_t)2 * 2 * cp.F, sizeof(float));
    p->b = calloc(4, sizeof(float));
    p->fitted = calloc(2, 1);
    p->rows = calloc(2, sizeof(int64_t));
    p->fitted[0] = p->fitted[1] = 1;
    int centre = 4 * C;               /* the cell itself: the middle of its 3 x 3 neighbourhood */
    p->w[0 * cp.F + centre] = 1;      /* slot 0, output 0: presence = channel 0 */
    p->w[2 * cp.F + centre + 1] = 1;  /* slot 1, output 0: du = channel 1 */
    p->w[3 * cp.F + centre + 2] = 1;  /* slot 1, output 1: dv = channel 2 */
    float z[LH * LW * C];
    for (int i = 0; i < LH * LW * C; i++) z[i] = 0;
    /* cell (1, 1) at frame (14, 11); its right neighbour points at the same body (13.5, 11.5): one
       body seen twice, within the radius */
    z[(1 * LW + 1) * C] = 0.9f, z[(1 * LW + 1) * C + 1] = 0.25f, z[(1 * LW + 1) * C + 2] = -0.125f;
    z[(1 * LW + 2) * C] = 0.5f, z[(1 * LW + 2) * C + 1] = -0.875f, z[(1 * LW + 2) * C + 2] = 0;
    z[(3 * LW + 4) * C] = 0.7f;       /* a second body, in the corner */
    JepaCellHit hits[6];
    /* frames of 40 x 32 pixels: cells of 8 x 8 */
    int n = jepa_cellprobe_decode(&cp, z, 40, 32, 2, hits);
    CHECK(n == 2);
    CHECK(fabsf(hits[0].u - (1.5f + 0.25f) * 8) < 1e-5f && fabsf(hits[0].v - (1.5f - 0.125f) * 8) < 1e-5f);
    CHECK(fabsf(hits[0].score - 0.9f) < 1e-6f);
    CHECK(fabsf(hits[1].u - 4.5f * 8) < 1e-5f && fabsf(hits[1].v - 3.5f * 8) < 1e-5f && hits[1].score < hits[0].score);
    /* asked for one: the best */
    CHECK(jepa_cellprobe_decode(&cp, z, 40, 32, 1, hits) == 1 && fabsf(hits[0].score - 0.9f) < 1e-6f);
    /* the zero background's cells come after, in the cells' order, each at its centre: (0, 0) then (0, 1) */
    n = jepa_cellprobe_decode(&cp, z, 40, 32, 4, hits);
    CHECK(n == 4 && hits[2].score == 0 && hits[3].score == 0);
    CHECK(fabsf(hits[2].u - 4) < 1e-5f && fabsf(hits[2].v - 4) < 1e-5f && fabsf(hits[3].u - 12) < 1e-5f);
    /* two bodies in neighbouring cells, 8 px apart: both found, where a local maximum keeps one */
    z[(1 * LW + 2) * C + 1] = 0.25f, z[(1 * LW + 2) * C + 2] = -0.125f;   /* (22, 11) */
    n = jepa_cellprobe_decode(&cp, z, 40, 32, 3, hits);
    CHECK(n == 3 && fabsf(hits[1].score - 0.7f) < 1e-6f && fabsf(hits[2].score - 0.5f) < 1e-6f);
    CHECK(fabsf(hits[2].u - 22) < 1e-5f && fabsf(hits[2].v - 11) < 1e-5f);
    /* a radius past their distance drops the second one */
    cp.radius = 9;
    n = jepa_cellprobe_decode(&cp, z, 40, 32, 3, hits);
    CHECK(n == 3 && fabsf(hits[1].score - 0.7f) < 1e-6f && hits[2].score == 0);
    jepa_cellprobe_free(&cp);
}

/* the cell probe's reference grid: each cell holds the frame's pixels under it, row by row, each
   pixel's channels together, over 255 (gray at levels 3 and RGB at levels 2) */
static void test_jepa_cellprobe_pixel_grid(void) {
    for (int rgb = 0; rgb < 2; rgb++) {
        JepaArch a = jepa_arch_default(64, 48, rgb ? 3 : 1);
        if (rgb) a.levels = 2;
        JepaModel* m = jepa_create(&a, 1);
        ENSURE(m);
        int lh, lw, c, side = 1 << a.levels, ch = a.channels;
        jepa_latent_shape(m, &lh, &lw, &c);
        int n = jepa_cellprobe_pixel_size(m);
        CHECK(n == 64 * 48 * ch && lh * side == 48 && lw * side == 64);
        uint8_t* frame = malloc((size_t)64 * 48 * ch);
        for (int i = 0; i < 64 * 48 * ch; i++) frame[i] = (uint8_t)((i * 7) % 251);
        float* g = malloc(sizeof(float) * (size_t)n);
        jepa_cellprobe_pixel_grid(m, frame, g);
        int cell = side * side * ch, bad = 0;
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
                for (int k = 0; k < ch; k++) {
                    float want = (float)frame[(y * 64 + x) * ch + k] / 255.0f;
                    float got = g[((y / side) * lw + x / side) * cell + ((y % side) * side + x % side) * ch + k];
                    bad += got != want;
                }
        CHECK(bad == 0);
        /* a bright pixel lands in its cell's block only */
        memset(frame, 0, (size_t)64 * 48 * ch);
        frame[(size_t)(19 * 64 + 37) * ch] = 255;
        jepa_cellprobe_pixel_grid(m, frame, g);
        int lit = -1, count = 0;
        for (int i = 0; i < n; i++)
            if (g[i] != 0) lit = i, count++;
        CHECK(count == 1 && lit / cell == (19 / side) * lw + 37 / side && g[lit] == 1.0f);
        free(frame), free(g);
        jepa_free(m);
    }
}

/* the cell probe's floor: the exact heat's grid. A body marks the cell that holds its centre most
   (the largest log-sum-exp), that cell's offset points at it to a fraction of a pixel, and a
   cell far from every body reads the flat window (offset 0, log-sum-exp 0: the layer subtracts the
   log of a window's pixels); a masked
   body, or one outside the frame, marks nothing */
static void test_jepa_cellprobe_oracle_grid(void) {
    JepaArch a = jepa_arch_default(64, 48, 1);
    JepaModel* m = jepa_create(&a, 1);
    ENSURE(m);
    int lh, lw, c;
    jepa_latent_shape(m, &lh, &lw, &c);
    int n = jepa_cellprobe_oracle_size(m), s = 64 / lw;
    CHECK(n == lh * lw * 3 && s * lh == 48);
    float* g = malloc(sizeof(float) * (size_t)n);
    enum { K = 3 };
    float y[K * JEPA_PROBE_OUTPUTS] = {0};
    uint8_t mask[K] = {1, 0, 1};
    y[0] = 21.3f, y[1] = 13.6f;                                /* in cell (2, 1) of 8 px: its centre (20, 12) */
    y[JEPA_PROBE_OUTPUTS] = 50.0f, y[JEPA_PROBE_OUTPUTS + 1] = 40.0f;   /* masked */
    y[2 * JEPA_PROBE_OUTPUTS] = -30.0f, y[2 * JEPA_PROBE_OUTPUTS + 1] = 20.0f;   /* outside the frame */
    jepa_cellprobe_oracle_grid(m, y, mask, K, g);
    int best = 0;
    for (int i = 1; i < lh * lw; i++)
        if (g[i * 3 + 2] > g[best * 3 + 2]) best = i;
    CHECK(best == 1 * lw + 2);
    /* to a quarter of a pixel: the bump's peak logit pulls the softmax toward the nearest pixel centre
       (21.5, 13.5), which places a body less finely but marks its cell more sharply (the floor's sweep) */
    CHECK(fabsf(g[best * 3] - 1.3f) < 0.25f && fabsf(g[best * 3 + 1] - 1.6f) < 0.25f);
    int far = 4 * lw + 6;                                       /* cell (6, 4): 20+ px from the body, the masked one's cell */
    CHECK(fabsf(g[far * 3]) < 1e-5f && fabsf(g[far * 3 + 1]) < 1e-5f);
    CHECK(fabsf(g[far * 3 + 2]) < 1e-4f);
    /* the body's neighbour to the right sees its bump through the margin, pointing back at it */
    CHECK(g[(1 * lw + 3) * 3] < -4.0f && g[(1 * lw + 3) * 3 + 2] > 0.5f);
    /* mask it too: nothing left, every cell flat */
    mask[0] = 0;
    jepa_cellprobe_oracle_grid(m, y, mask, K, g);
    int flat = 0;
    for (int i = 0; i < lh * lw; i++)
        flat += fabsf(g[i * 3]) < 1e-5f && fabsf(g[i * 3 + 1]) < 1e-5f && fabsf(g[i * 3 + 2]) < 1e-4f;
    CHECK(flat == lh * lw);
    free(g);
    jepa_free(m);
}

/* the push map carries the velocity change: the impulse over the pushed body's observed mass (an
   unknown mass, 0, takes the impulse as it is) */
static void test_jepa_push_map_mass(void) {
    JepaArch a = jepa_arch_default(64, 48, 1);
    JepaModel* m = jepa_create(&a, 1);
    ENSURE(m);
    int h, w, c;
    jepa_latent_shape(m, &h, &w, &c);
    float* m1 = malloc(sizeof(float) * (size_t)h * w * JEPA_PUSH_CHANNELS);
    float* m2 = malloc(sizeof(float) * (size_t)h * w * JEPA_PUSH_CHANNELS);
    JepaPush heavy = {20, 12, 8.0f, -4.0f, 4.0f}, light = {20, 12, 2.0f, -1.0f, 1.0f}, raw = {20, 12, 2.0f, -1.0f, 0};
    jepa_push_map(m, &heavy, 1, m1);
    jepa_push_map(m, &light, 1, m2);
    CHECK(memcmp(m1, m2, sizeof(float) * (size_t)h * w * JEPA_PUSH_CHANNELS) == 0);
    jepa_push_map(m, &raw, 1, m1);
    CHECK(memcmp(m1, m2, sizeof(float) * (size_t)h * w * JEPA_PUSH_CHANNELS) == 0);
    double sx = 0;
    for (int i = 0; i < h * w; i++) sx += m1[i * JEPA_PUSH_CHANNELS];
    CHECK(fabs(sx - 2.0) < 1e-5);
    free(m1), free(m2);
    jepa_free(m);
}

/* a text file of numbers (the fate probe's, the scale's) made bad: a head alone, or the good file's
   text (all of it, or all but its last line), then a tail; load must refuse each in one line and
   leave its output empty */
enum { KEEP_ALL = 1, KEEP_BUT_LAST_LINE = 2 };
typedef struct BadText { const char* what; const char* head; int keep; const char* tail; } BadText;
typedef bool (*TextLoad)(void* out, const char* path, char* err, size_t err_size);   /* true: read */

static void check_bad_text_files(const char* good, const char* bad, const BadText* cases, size_t n, TextLoad load,
                                 void* out) {
    FILE* in = fopen(good, "r");
    static char text[1 << 20];
    size_t len = in ? fread(text, 1, sizeof text - 1, in) : 0;
    if (in) fclose(in);
    text[len] = 0;
    CHECK(len > 20 && len < sizeof text - 1);
    size_t cut = len - 1;   /* the start of the last line */
    while (cut > 0 && text[cut - 1] != '\n') cut--;
    for (size_t c = 0; c < n; c++) {
        FILE* o = fopen(bad, "w");
        if (cases[c].head) fputs(cases[c].head, o);
        else fwrite(text, 1, cases[c].keep == KEEP_ALL ? len : cut, o);
        fputs(cases[c].tail, o);
        fclose(o);
        char err[512] = "";
        bool ok = load(out, bad, err, sizeof err);
        CHECK(!ok && strchr(err, '\n') == NULL && strlen(err) > 10);
        if (ok) fprintf(stderr, "a bad file (%s) was read\n", cases[c].what);
    }
}

static bool load_fate(void* out, const char* path, char* err, size_t err_size) {
    JepaFate* f = out;
    bool ok = jepa_fate_load(f, path, err, err_size);
    if (!ok) CHECK(f->F == 0 && f->mu == NULL);
    if (ok) jepa_fate_free(f);
    return ok;
}

static bool load_scale(void* out, const char* path, char* err, size_t err_size) {
    JepaScale* s = out;
    bool ok = jepa_scale_load(s, path, err, err_size);
    if (!ok) CHECK(s->F == 0 && s->w == NULL);
    if (ok) jepa_scale_free(s);
    return ok;
}

/* the fate probe (jepa_fate.h): its logistic fit is the objective's minimum (a finite-difference
   gradient of mean log loss + ridge / 2 |w|^2 is 0 there), a separable toy is learned to ~100%, a
   file reads back to the same outputs, bad files are refused, the NLL and the AUROC in closed form */
static double fate_objective(int n, int F, const float* x, const uint8_t* y, double ridge, const double* w) {
    double l = 0, r = 0;
    for (int i = 0; i < n; i++) {
        double z = w[F];
        for (int k = 0; k < F; k++) z += w[k] * x[(size_t)i * F + k];
        double p = 1 / (1 + exp(-z));
        l -= y[i] ? log(p) : log(1 - p);
    }
    for (int k = 0; k < F; k++) r += w[k] * w[k];
    return l / n + 0.5 * ridge * r;
}

/* rows of a one-cell grid of C channels whose labels are planes in the latent (the cell's too) */
static void fate_toy_rows(JepaFateRows* r, int N, int C, uint64_t seed) {
    Rng g;
    rng_seed(&g, seed);
    memset(r, 0, sizeof *r);
    r->N = N, r->L = C, r->lh = 1, r->lw = 1, r->C = C;
    r->z = malloc(sizeof(float) * (size_t)N * C);
    r->y = malloc((size_t)N * 2);
    r->ok = malloc((size_t)N * 2);
    r->cy = malloc((size_t)N * 2);
    r->ep = malloc(sizeof(int) * (size_t)N);
    for (int i = 0; i < N; i++) {
        float* z = r->z + (size_t)i * C;
        for (int k = 0; k < C; k++) z[k] = (float)rng_uniform(&g, -1, 1) * (float)(k + 1);
        r->y[i * 2] = r->cy[i * 2] = z[0] + 0.5f * z[1] > 0.3f;   /* ahead: a plane in the latent */
        r->y[i * 2 + 1] = r->cy[i * 2 + 1] = z[C - 1] < -0.2f * C;  /* seen: another */
        r->ok[i * 2] = r->ok[i * 2 + 1] = 1;
        r->ep[i] = i / 20;
    }
}

static void test_jepa_fate(void) {
    /* the Newton fit's optimum: a noisy (non-separable) toy */
    enum { N = 300, F = 4 };
    Rng g;
    rng_seed(&g, 3);
    float x[N * F];
    uint8_t y[N];
    for (int i = 0; i < N; i++) {
        double z = 0.2;
        for (int k = 0; k < F; k++) x[i * F + k] = (float)rng_normal(&g), z += (k - 1.5) * x[i * F + k];
        y[i] = rng_uniform(&g, 0, 1) < 1 / (1 + exp(-z));
    }
    double w[F + 1];
    for (int q = 0; q < 2; q++) {
        double ridge = q ? 0.05 : 1e-3;
        double loss = jepa_fate_logistic(N, F, x, y, NULL, 1, ridge, w);
        CHECK(isfinite(loss) && loss > 0.2 && loss < 0.69);
        for (int k = 0; k <= F; k++) {
            double h = 1e-5, keep = w[k];
            w[k] = keep + h;
            double up = fate_objective(N, F, x, y, ridge, w);
            w[k] = keep - h;
            double down = fate_objective(N, F, x, y, ridge, w);
            w[k] = keep;
            double grad = (up - down) / (2 * h);
            CHECK(fabs(grad) < 1e-6);
            if (!(fabs(grad) < 1e-6)) fprintf(stderr, "fate: ridge %g, d objective / d w%d = %g at the fit\n", ridge, k, grad);
        }
        /* the larger ridge shrinks the weights */
        if (q == 0) CHECK(fabs(w[3]) > 1.0);
    }
    /* the rows skipped (use = 0) do not count: the fit on the first half alone, and with the second
       half masked off, are the same */
    uint8_t use[N];
    for (int i = 0; i < N; i++) use[i] = i < N / 2;
    double a[F + 1], b[F + 1];
    jepa_fate_logistic(N / 2, F, x, y, NULL, 1, 0.01, a);
    jepa_fate_logistic(N, F, x, y, use, 1, 0.01, b);
    for (int k = 0; k <= F; k++) CHECK(fabs(a[k] - b[k]) < 1e-9);

    /* a separable toy through the whole fit, of both kinds: ~100% on fresh rows, both heads */
    enum { C = 2 };
    JepaFateRows r, t;
    fate_toy_rows(&r, 4000, C, 5);
    fate_toy_rows(&t, 1000, C, 6);
    JepaFate f;
    char err[512];
    double* sc = malloc(sizeof(double) * 2 * (size_t)t.N);
    float work[16];
    for (int kind = 1; kind >= 0; kind--) {
        CHECK(jepa_fate_fit(&f, kind, &r, err, sizeof err));
        CHECK(f.F == (kind ? 2 : 3) * C && jepa_fate_work(&f, 1, 1) <= 16);
        int right[2] = {0, 0};
        for (int i = 0; i < t.N; i++) {
            double p[2];
            jepa_fate_read(&f, 1, 1, t.z + (size_t)i * C, work, p);
            for (int h = 0; h < 2; h++) right[h] += (p[h] > 0.5) == (t.y[i * 2 + h] != 0), sc[(size_t)h * t.N + i] = p[h];
        }
        /* per cell, the bias is lowered by log JEPA_FATE_CELL_SAMPLE (the negatives were sampled, and
           here there is no grid of negatives for it to stand for): its ranking is what counts */
        CHECK(kind || (right[0] >= 985 && right[1] >= 985));
        if (!kind && !(right[0] >= 985 && right[1] >= 985)) fprintf(stderr, "fate toy (kind %d): %d, %d of 1000 right\n", kind, right[0], right[1]);
        CHECK(wm_auroc_select(sc, t.y, t.ok, 2, t.N) > 0.999 && wm_auroc_select(sc + t.N, t.y + 1, t.ok + 1, 2, t.N) > 0.999);
        if (kind) jepa_fate_free(&f);
    }
    /* the file: the same outputs read back; bad files refused with one line */
    char dir[] = "/tmp/nudge-test-fate-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/f.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    CHECK(jepa_fate_save(&f, path, err, sizeof err));
    JepaFate back;
    CHECK(jepa_fate_load(&back, path, err, sizeof err));
    CHECK(back.kind == f.kind && back.C == C && back.F == 3 * C && back.ridge[0] == f.ridge[0] && back.ridge[1] == f.ridge[1]);
    for (int i = 0; i < 50; i++) {
        double p[2], q[2];
        jepa_fate_read(&f, 1, 1, t.z + (size_t)i * C, work, p);
        jepa_fate_read(&back, 1, 1, t.z + (size_t)i * C, work, q);
        CHECK(p[0] == q[0] && p[1] == q[1]);
    }
    jepa_fate_free(&back);
    static const BadText fate_cases[] = {
        {"truncated", NULL, KEEP_BUT_LAST_LINE, ""},
        {"a word", NULL, KEEP_BUT_LAST_LINE, "x1\n"},
        {"an extra number", NULL, KEEP_ALL, "1\n"},
        {"another file", "nudge-jepa-fate 2\n", 0, ""},
        {"F neither 3C nor 2C", "nudge-jepa-fate 1\n2 7\n0.1 0.1\n", 0, ""},
        {"a zero deviation", "nudge-jepa-fate 1\n1 3\n0.1 0.1\n0 0\n", 0, ""},
    };
    check_bad_text_files(path, bad, fate_cases, sizeof fate_cases / sizeof fate_cases[0], load_fate, &back);
    CHECK(!jepa_fate_load(&back, "/nonexistent/fate.txt", err, sizeof err));
    remove(path);
    remove(bad);
    rmdir(dir);
    /* one class only: refused */
    for (int i = 0; i < r.N; i++) r.y[i * 2 + 1] = r.cy[i * 2 + 1] = 0;
    JepaFate none;
    CHECK(!jepa_fate_fit(&none, JEPA_FATE_POOLED, &r, err, sizeof err) && strstr(err, "seen") != NULL);
    CHECK(!jepa_fate_fit(&none, JEPA_FATE_CELLS, &r, err, sizeof err) && strstr(err, "seen") != NULL);
    jepa_fate_free(&f);
    jepa_fate_rows_free(&r);
    jepa_fate_rows_free(&t);
    free(sc);
    /* the NLL: -log(1 - p) for a break expected and not seen, -log p for one seen, mixed by q */
    CHECK(fabs(jepa_fate_nll(0.9, 0) + log(0.1)) < 1e-12 && fabs(jepa_fate_nll(0.9, 1) + log(0.9)) < 1e-12);
    CHECK(fabs(jepa_fate_nll(0.8, 0.25) + 0.25 * log(0.8) + 0.75 * log(0.2)) < 1e-12);
    CHECK(fabs(jepa_fate_nll(1.0, 0) + log(JEPA_FATE_EPS)) < 1e-9);
    /* the AUROC: 3 of the 4 (positive, negative) pairs ordered, a tie counts a half */
    double s4[4] = {0.1, 0.4, 0.35, 0.8};
    uint8_t y4[4] = {0, 0, 1, 1};
    CHECK(fabs(wm_auroc_select(s4, y4, NULL, 1, 4) - 0.75) < 1e-12);
    s4[2] = 0.4;
    CHECK(fabs(wm_auroc_select(s4, y4, NULL, 1, 4) - 0.875) < 1e-12);
    CHECK(isnan(wm_auroc_select(s4, y4, NULL, 1, 2)));
}

/* the event heads' loss (jepa_events.h): zero heads cost ln 2 a head whatever the labels (times the
   scale); a label not known costs nothing; the gradient through the pooling (mean, largest,
   smallest) into the latent and into the heads against finite differences; the labels of a window
   from a replay's marks, at the horizon's edges and the episode's */
typedef struct EventFd {
    int B, cells, C;
    float *z, *w, *x;
    uint8_t *y, *ok;
    double pw[2];
} EventFd;

static double event_fd_loss(void* ctx) {
    EventFd* c = ctx;
    return jepa_event_loss(c->B, c->cells, c->C, c->z, c->w, c->y, c->ok, c->pw, 0.7f, c->x, NULL, NULL, NULL);
}

static void test_jepa_event_loss(void) {
    enum { B = 5, CELLS = 6, C = 3, F = 3 * C, NW = 2 * (F + 1) };
    EventFd c = {B, CELLS, C, NULL, NULL, NULL, NULL, NULL, {7.0, 2.5}};
    c.z = malloc(sizeof(float) * B * CELLS * C);
    c.w = calloc(NW, sizeof(float));
    c.x = malloc(sizeof(float) * B * F);
    c.y = calloc(B * 2, 1);
    c.ok = calloc(B * 2, 1);
    Rng rng;
    rng_seed(&rng, 17);
    for (int i = 0; i < B * CELLS * C; i++) c.z[i] = (float)rng_normal(&rng);
    for (int b = 0; b < B; b++) {
        c.y[b * 2] = b == 1, c.y[b * 2 + 1] = b >= 3;
        c.ok[b * 2] = b != 4, c.ok[b * 2 + 1] = 1;
    }
    double p[B * 2];
    CHECK(fabs(event_fd_loss(&c) - 0.7 * log(2.0)) < 1e-6);
    jepa_event_loss(B, CELLS, C, c.z, c.w, c.y, c.ok, c.pw, 1.0f, c.x, NULL, NULL, p);
    for (int i = 0; i < B * 2; i++) CHECK(fabs(p[i] - 0.5) < 1e-12);
    /* the pooled features are jepa_fate_features' */
    float xf[F];
    jepa_fate_features(CELLS, C, c.z + CELLS * C, xf);
    CHECK(memcmp(xf, c.x + F, sizeof xf) == 0);
    for (int i = 0; i < NW; i++) c.w[i] = 0.6f * sinf(0.3f + 1.3f * (float)i);
    /* a label not known: its window's row changes nothing */
    double base = event_fd_loss(&c);
    c.y[4 * 2] = 1;
    CHECK(event_fd_loss(&c) == base);
    c.y[4 * 2] = 0;
    /* the weighted mean: each head's loss is sum cw BCE / sum cw, checked against its definition */
    double want = 0;
    jepa_event_loss(B, CELLS, C, c.z, c.w, c.y, c.ok, c.pw, 1.0f, c.x, NULL, NULL, p);
    for (int h = 0; h < 2; h++) {
        double num = 0, den = 0;
        for (int b = 0; b < B; b++) {
            if (!c.ok[b * 2 + h]) continue;
            double cw = c.y[b * 2 + h] ? c.pw[h] : 1.0, q = p[b * 2 + h];
            num += cw * -(c.y[b * 2 + h] ? log(q) : log(1 - q));
            den += cw;
        }
        want += num / den / 2;
    }
    CHECK(fabs(base - (double)0.7f * want) < 1e-9);
    /* the gradient */
    float* dz = calloc(B * CELLS * C, sizeof(float));
    float* dw = calloc(NW, sizeof(float));
    double l = jepa_event_loss(B, CELLS, C, c.z, c.w, c.y, c.ok, c.pw, 0.7f, c.x, dz, dw, NULL);
    CHECK(fabs(l - base) < 1e-12);
    CHECK(fd_misses(event_fd_loss, &c, c.z, dz, B * CELLS * C, 1e-3f) == 0);
    CHECK(fd_misses(event_fd_loss, &c, c.w, dw, NW, 1e-3f) == 0);
    int nz = 0;
    for (int i = 0; i < B * CELLS * C; i++) nz += dz[i] != 0.0f;
    CHECK(nz == B * CELLS * C);
    /* jepa_event_apply: the same probabilities */
    double pa[2];
    jepa_event_apply(CELLS, C, c.w, c.z + 2 * CELLS * C, c.x, pa);
    CHECK(fabs(pa[0] - p[4]) < 1e-12 && fabs(pa[1] - p[5]) < 1e-12);
    free(dz), free(dw), free(c.z), free(c.w), free(c.x), free(c.y), free(c.ok);

    /* the labels: an episode of 80 records (0..79) with a break marked at record 40, then one of 10 */
    JepaReplay* r = jepa_replay_create(4, 200);
    ENSURE(r);
    uint8_t fr[4] = {0};
    jepa_replay_begin_episode(r);
    for (int t = 0; t < 80; t++) {
        jepa_replay_add(r, fr, NULL, 0);
        if (t == 40) jepa_replay_mark(r, WM_BIT_BREAK);
        if (t == 60) jepa_replay_mark(r, WM_BIT_FALL);   /* not a break */
    }
    jepa_replay_begin_episode(r);
    for (int t = 0; t < 10; t++) jepa_replay_add(r, fr, NULL, 0);
    uint8_t y[2], ok[2];
    int H = JEPA_EVENT_HORIZON;
    jepa_event_labels(r, 40 - H - 1, y, ok);   /* 40 is one past its horizon */
    CHECK(y[0] == 0 && ok[0] == 1 && y[1] == 0 && ok[1] == 1);
    jepa_event_labels(r, 40 - H, y, ok);       /* its last record ahead */
    CHECK(y[0] == 1 && ok[0] == 1 && y[1] == 0);
    jepa_event_labels(r, 39, y, ok);
    CHECK(y[0] == 1 && y[1] == 0);
    jepa_event_labels(r, 40, y, ok);           /* seen now, not ahead */
    CHECK(y[0] == 0 && ok[0] == 1 && y[1] == 1);
    jepa_event_labels(r, 40 + H - 1, y, ok);   /* the last window that saw it */
    CHECK(y[1] == 1);
    jepa_event_labels(r, 40 + H, y, ok);
    CHECK(y[1] == 0);
    jepa_event_labels(r, 79 - H, y, ok);       /* the horizon ends at the episode's last record */
    CHECK(y[0] == 0 && ok[0] == 1);
    jepa_event_labels(r, 80 - H, y, ok);       /* it runs past it: not known */
    CHECK(y[0] == 0 && ok[0] == 0 && ok[1] == 1 && y[1] == 1);
    jepa_event_labels(r, 80, y, ok);           /* the next episode: the break is not its */
    CHECK(y[0] == 0 && ok[0] == 0 && y[1] == 0);
    jepa_replay_free(r);
}

/* --event-weight in a trainer: the term is W ln 2 with zero heads (no gradient to the latent yet), a
   step trains the heads, the heads go into the model at its base rate and round-trip through the
   file (flag 1024); a model without them writes the same bytes as before, and a file whose heads do
   not fit the model is one line */
static void test_jepa_event_heads(void) {
    int64_t seq[3] = {2, 4, 10};
    tiny_kp_window = 3;
    tiny_events = 0;
    JepaTrainer* a = tiny_jepa_kps(5, 2, 40, 20.0f, false, 1, -2, true, 1.0f, true, 3);
    CHECK(jepa_trainer_event_heads(a, NULL, NULL) == 0);
    tiny_events = 0.25f;
    JepaTrainer* b = tiny_jepa_kps(5, 2, 40, 20.0f, false, 1, -2, true, 1.0f, true, 3);
    float* ep = NULL;
    int ne = jepa_trainer_event_heads(b, &ep, NULL);
    JepaModel* mb = jepa_trainer_model(b);
    CHECK(ne == 2 * (3 * mb->lc + 1));
    for (int i = 0; i < ne; i++) CHECK(ep[i] == 0.0f);
    double la = jepa_trainer_loss_at(a, seq, false, NULL), lb = jepa_trainer_loss_at(b, seq, false, NULL);
    CHECK(fabs(lb - la - 0.25 * log(2.0)) < 1e-5);
    JepaTrainerStats st;
    jepa_trainer_stats(b, &st);
    /* windows of records 2..37 of 40 (2 back, 2 ahead), a break marked at 5: ahead, 3 with one (2..4)
       and 5 known without (5..9: 30 records ahead held), weight 5/3; seen, 30 with one (5..34) and 6
       without: 6/30, raised to 1 (a break never weighs less than a window without one) */
    CHECK(fabs(st.event_pos_weight[0] - 5.0 / 3.0) < 1e-12 && st.event_pos_weight[1] == 1.0);
    CHECK(jepa_trainer_step(b));
    jepa_trainer_stats(b, &st);
    CHECK(st.event_loss > 0 && isfinite(st.event_loss));
    int moved = 0;
    for (int i = 0; i < ne; i++) moved += ep[i] != 0.0f;
    /* (the ahead head's labels are known only in windows that end by record 9: a batch may have none) */
    CHECK(moved >= ne / 2);
    /* into the model at save: the bias lowered by log of the positive weight */
    char path[] = "/tmp/nudge_jepa_events_XXXXXX", path2[] = "/tmp/nudge_jepa_events2_XXXXXX";
    int fd = mkstemp(path), fd2 = mkstemp(path2);
    ENSURE(fd >= 0 && fd2 >= 0);
    close(fd), close(fd2);
    char err[512];
    CHECK(jepa_trainer_save(b, NULL, path, err, sizeof err));
    CHECK(jepa_file_flags(path) & 1024u);
    const float* mw = NULL;
    int F = jepa_event_heads(mb, &mw);
    CHECK(F == 3 * mb->lc && mw);
    for (int h = 0; h < 2; h++) {
        CHECK(memcmp(mw + h * (F + 1), ep + h * (F + 1), sizeof(float) * F) == 0);
        CHECK(fabsf(mw[h * (F + 1) + F] - (ep[h * (F + 1) + F] - (float)log(st.event_pos_weight[h]))) < 1e-6f);
    }
    JepaModel* back = jepa_load(path, err, sizeof err);
    ENSURE(back);
    const float* bw = NULL;
    CHECK(jepa_event_heads(back, &bw) == F && memcmp(bw, mw, sizeof(float) * 2 * (F + 1)) == 0);
    /* a copy keeps them; a resumed trainer starts from them at the weighted fit's bias */
    JepaModel* cl = jepa_clone(back);
    const float* cw = NULL;
    CHECK(jepa_event_heads(cl, &cw) == F && memcmp(cw, mw, sizeof(float) * 2 * (F + 1)) == 0);
    jepa_free(cl);
    /* without them: no flag, and the bytes of the model saved without the option */
    JepaModel* plain = jepa_clone(back);
    jepa_set_event_heads(plain, 0, NULL);
    CHECK(jepa_event_heads(plain, &cw) == 0 && cw == NULL);
    CHECK(jepa_save(plain, path, err, sizeof err) && !(jepa_file_flags(path) & 1024u));
    JepaModel* before = jepa_alloc(jepa_arch(plain));
    ENSURE(before);
    CHECK(jepa_copy(before, plain) && jepa_save(before, path2, err, sizeof err));
    CHECK(file_bytes_equal(path, path2));
    JepaModel* reread = jepa_load(path, err, sizeof err);
    CHECK(reread && jepa_event_heads(reread, NULL) == 0);
    jepa_free(reread);
    /* heads of another width in the file: one line */
    CHECK(jepa_save(back, path, err, sizeof err));
    size_t n = 0;
    char* bytes = slurp(path, &n);
    ENSURE(bytes);
    /* F sits right after the probe-less model: 4 + 4 * 2 (F + 1) + 4 bytes before the end */
    size_t at = n - 4 - 4 * (size_t)(2 * (F + 1)) - 4;
    int32_t F0;
    memcpy(&F0, bytes + at, 4);
    CHECK(F0 == F);
    int32_t F1 = F + 3;
    memcpy(bytes + at, &F1, 4);
    uint32_t crc = crc32_update(0, (const unsigned char*)bytes, n - 4);
    memcpy(bytes + n - 4, &crc, 4);
    FILE* fp = fopen(path, "wb");
    ENSURE(fp);
    fwrite(bytes, 1, n, fp);
    fclose(fp);
    free(bytes);
    CHECK(!jepa_load(path, err, sizeof err) && strstr(err, "event heads") && !strchr(err, '\n'));
    jepa_free(plain), jepa_free(before), jepa_free(back);
    remove(path), remove(path2);
    /* the gradient of the whole loss with the term weighed 5 times: heads set away from zero (a model
       without keypoints: the largest and smallest cell of the recipe's noise-frame keypoint model change
       places under the finite step; the pooling's own gradient is checked exactly above) */
    tiny_events = 5.0f;
    tiny_kp_window = 0;
    jepa_grad_check(20.0f, 1, 0);
    tiny_events = 0;
    tiny_kp_window = 0;
    jepa_trainer_free(a);
    jepa_trainer_free(b);
}

/* the scale (jepa_scale.h): each cell's features by hand, the ridge solve recovers a linear map, the
   NLL by hand, b floored, the file read back bit for bit and every bad file refused in one line */
static void test_jepa_scale(void) {
    /* features of a 2 x 2 grid of C = 1: z 0, p = 1, 2, 3, 4 (so |p - z| = p) */
    enum { C1 = 1, F1 = 1 + 4 * C1 };
    float z[4] = {0, 0, 0, 0}, p[4] = {1, 2, 3, 4}, x[4 * F1];
    jepa_scale_features(2, 2, C1, z, p, x);
    for (int i = 0; i < 4; i++) {
        const float* r = x + i * F1;
        /* every cell sees all four in its 3 x 3 neighbourhood: mean 10 / 9, largest 4 */
        CHECK(r[0] == 1 && r[1] == p[i] && fabsf(r[2] - 10.0f / 9) < 1e-6f && r[3] == p[i] && r[4] == 4);
    }
    /* a 1 x 3 row: the middle cell's neighbourhood holds all three, the ends two */
    float z3[3] = {1, 1, 1}, p3[3] = {0, 3, 1}, x3[3 * F1];
    jepa_scale_features(1, 3, C1, z3, p3, x3);
    CHECK(x3[1] == 1 && fabsf(x3[2] - 3.0f / 9) < 1e-6f && x3[3] == 0 && x3[4] == 2);
    CHECK(x3[F1 + 1] == 2 && fabsf(x3[F1 + 2] - 3.0f / 9) < 1e-6f && x3[F1 + 4] == 2);
    CHECK(x3[2 * F1 + 1] == 0 && fabsf(x3[2 * F1 + 2] - 2.0f / 9) < 1e-6f && x3[2 * F1 + 4] == 2);

    /* the solve: rows of random features with errors an exact linear map of them, C = 2 */
    enum { C = 2, F = 1 + 4 * C, N = 3000 };
    Rng rng;
    rng_seed(&rng, 11);
    double wt[F * C];
    for (int k = 0; k < F * C; k++) wt[k] = rng_uniform(&rng, 0.1, 1.0);
    float* xs = malloc(sizeof *xs * N * F);
    double* rs = malloc(sizeof *rs * N * C);
    for (int i = 0; i < N; i++) {
        xs[i * F] = 1;
        for (int f = 1; f < F; f++) xs[i * F + f] = (float)rng_uniform(&rng, 0, 1);
        for (int c = 0; c < C; c++) {
            double v = 0;
            for (int f = 0; f < F; f++) v += xs[i * F + f] * wt[f * C + c];
            rs[i * C + c] = v;
        }
    }
    JepaScaleSums u;
    jepa_scale_sums_init(&u, C);
    jepa_scale_sums_add(&u, N / 3, xs, rs);   /* in two batches: the sums add */
    jepa_scale_sums_add(&u, N - N / 3, xs + (size_t)(N / 3) * F, rs + (size_t)(N / 3) * C);
    JepaScale sc;
    char err[256];
    CHECK(jepa_scale_solve(&sc, &u, err, sizeof err));
    CHECK(sc.C == C && sc.F == F && sc.rows == N);
    double worst = 0, mean0 = 0;
    for (int k = 0; k < F * C; k++) worst = fmax(worst, fabs(sc.w[k] - wt[k]));
    for (int i = 0; i < N; i++) mean0 += rs[i * C] / N;
    if (!(worst < 0.05)) fprintf(stderr, "scale solve: largest weight error %g\n", worst);
    CHECK(worst < 0.05);   /* the ridge pulls a little */
    CHECK(fabs(sc.mean[0] - mean0) < 1e-9 && fabs(sc.floor[0] - JEPA_SCALE_FLOOR * mean0) < 1e-9);
    jepa_scale_sums_free(&u);
    JepaScaleSums none;
    jepa_scale_sums_init(&none, C);
    JepaScale empty;
    err[0] = 0;
    CHECK(!jepa_scale_solve(&empty, &none, err, sizeof err) && strlen(err) > 5 && empty.w == NULL);
    jepa_scale_sums_free(&none);

    /* apply on a 1 x 1 grid: b = x . w, floored */
    float zc[C] = {0, 0}, pc[C] = {0.5f, 1.0f}, work[F], b[C];
    jepa_scale_apply(&sc, 1, 1, zc, pc, work, b);
    for (int c = 0; c < C; c++) {
        double v = 0;
        for (int f = 0; f < F; f++) v += work[f] * sc.w[f * C + c];
        CHECK(fabsf(b[c] - (float)fmax(v, sc.floor[c])) < 1e-5f);
    }
    double keep[C] = {sc.w[0], sc.w[1]};
    sc.w[0] = sc.w[1] = -1e6;   /* both biases far below zero: both at their floors */
    jepa_scale_apply(&sc, 1, 1, zc, pc, work, b);
    CHECK(b[0] == (float)sc.floor[0] && b[1] == (float)sc.floor[1]);
    sc.w[0] = keep[0], sc.w[1] = keep[1];
    /* the NLL by hand: (|1 - 0| / 2 + log 2 + |0 - 3| / 0.5 + log 0.5) / 2 */
    float pp[2] = {0, 3}, oo[2] = {1, 0}, bb[2] = {2, 0.5f};
    CHECK(fabs(jepa_scale_surprise(2, pp, oo, bb) - (0.5 + log(2.0) + 6 + log(0.5)) / 2) < 1e-9);

    /* the file */
    char dir[] = "/tmp/nudge-test-scale-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], bad[256];
    snprintf(path, sizeof path, "%s/s.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    CHECK(jepa_scale_save(&sc, path, err, sizeof err));
    JepaScale back;
    CHECK(jepa_scale_load(&back, path, err, sizeof err));
    CHECK(back.C == C && back.F == F && back.rows == N && !memcmp(back.w, sc.w, sizeof *sc.w * F * C) &&
          !memcmp(back.floor, sc.floor, sizeof *sc.floor * C) && !memcmp(back.mean, sc.mean, sizeof *sc.mean * C));
    jepa_scale_free(&back);
    static const BadText scale_cases[] = {
        {"truncated", NULL, KEEP_BUT_LAST_LINE, ""},
        {"a word", NULL, KEEP_BUT_LAST_LINE, "x1 1\n"},
        {"an extra number", NULL, KEEP_ALL, "1\n"},
        {"another file", "nudge-jepa-scale 2\n", 0, ""},
        {"F not 1 + 4C", "nudge-jepa-scale 1\n2 8 10\n", 0, ""},
        {"no rows", "nudge-jepa-scale 1\n1 5 0\n1\n1\n1\n1\n1\n0.1 1\n", 0, ""},
        {"a zero floor", "nudge-jepa-scale 1\n1 5 10\n1\n1\n1\n1\n1\n0 1\n", 0, ""},
    };
    check_bad_text_files(path, bad, scale_cases, sizeof scale_cases / sizeof scale_cases[0], load_scale, &back);
    /* the hand-written good file is read */
    FILE* o = fopen(bad, "w");
    fputs("nudge-jepa-scale 1\n1 5 10\n1\n0\n0\n0\n0\n0.1 1\n", o);
    fclose(o);
    CHECK(jepa_scale_load(&back, bad, err, sizeof err) && back.C == 1 && back.w[0] == 1 && back.floor[0] == 0.1);
    jepa_scale_free(&back);
    CHECK(!jepa_scale_load(&back, "/nonexistent/scale.txt", err, sizeof err));
    remove(path);
    remove(bad);
    rmdir(dir);
    jepa_scale_free(&sc);
    free(xs);
    free(rs);
}

static bool load_energy(void* out, const char* path, char* err, size_t err_size) {
    JepaEnergy* e = out;
    bool ok = jepa_energy_load(e, path, err, err_size);
    if (!ok) CHECK(e->C == 0 && e->params == NULL);
    if (ok) jepa_energy_free(e);
    return ok;
}

/* the energy head (jepa_energy.h): a cell's change and the 3 x 3 pool by hand, the prediction is the
   net's output times the norm (and moves with the push map), the file reads back bit for bit and
   every bad file is refused in one line */
static void test_jepa_energy(void) {
    /* change of a 1 x 2 grid of C = 2: mean over channels of |a - b| */
    float a[4] = {1, 2, 3, 4}, b[4] = {0, 4, 3, 0}, ch[2];
    jepa_energy_change(1, 2, 2, a, b, ch);
    CHECK(ch[0] == 1.5f && ch[1] == 2.0f);
    /* the pool of a 2 x 3 grid: zeros past the edge count, /9 */
    float sgrid[6] = {9, 0, 0, 0, 0, 18}, pool[6];
    jepa_energy_pool(2, 3, sgrid, pool);
    CHECK(pool[0] == 1 && pool[1] == 3 && pool[2] == 2 && pool[3] == 1 && pool[4] == 3 && pool[5] == 2);

    /* a head on a tiny model's grid: the prediction is the net times the norm */
    JepaArch arch = jepa_arch_default(32, 24, 1);
    JepaModel* m = jepa_create(&arch, 3);
    CHECK(m != NULL);
    int lh, lw, C;
    jepa_latent_shape(m, &lh, &lw, &C);
    char dir[] = "/tmp/nudge-test-energy-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256], bad[256], err[512];
    snprintf(path, sizeof path, "%s/e.txt", dir);
    snprintf(bad, sizeof bad, "%s/bad.txt", dir);
    /* a head file written by hand: the right parameter count, every parameter 0 but the last bias */
    JepaEnergy en;
    {
        FILE* o = fopen(path, "w");
        /* the count: 3 layers of 3x3 to 32 with norms and a 1x1 to 1 */
        int cin = C + JEPA_PUSH_CHANNELS, n = 0;
        for (int i = 0; i < 3; i++, cin = 32) n += 9 * cin * 32 + 32 + 2 * 32;
        n += 32 + 1;
        fprintf(o, "nudge-jepa-energy 1\n%d %d %d 12 32 3 100 0.25 %d\n", lh, lw, C, n);
        for (int k = 0; k < n; k++) fprintf(o, "%s\n", k == n - 1 ? "2" : "0");
        fclose(o);
    }
    CHECK(jepa_energy_load(&en, path, err, sizeof err));
    if (en.C == 0) fprintf(stderr, "energy: %s\n", err);
    CHECK(en.lh == lh && en.lw == lw && en.C == C && en.H == 12 && en.norm == 0.25 && en.windows == 100);
    float* z = calloc((size_t)lh * lw * C, sizeof *z);
    float* in = calloc((size_t)lh * lw * (C + JEPA_PUSH_CHANNELS), sizeof *in);
    float* out = calloc((size_t)lh * lw, sizeof *out);
    NnConvCache cache = {0};
    jepa_energy_predict(&en, m, &cache, in, z, NULL, 0, out);
    for (int i = 0; i < lh * lw; i++) CHECK(out[i] == 0.5f);   /* bias 2 times the norm 0.25 */
    /* random weights: the push moves the prediction, most near its cell (the group norms spread a
       little of it over the grid), and the file reads back bit for bit */
    Rng rng;
    rng_seed(&rng, 5);
    nn_convnet_init(&en.net, en.params, &rng, 1.0f);
    en.params[en.net.layer[en.net.nlayers - 1].conv.b] = 20.0f;   /* every output above the floor at 0 */
    float* o0 = calloc((size_t)lh * lw, sizeof *o0);
    jepa_energy_predict(&en, m, &cache, in, z, NULL, 0, o0);
    JepaPush push = {.u = 4, .v = 4, .jx = 1, .jy = 0, .mass = 1};
    jepa_energy_predict(&en, m, &cache, in, z, &push, 1, out);
    CHECK(o0[0] > 0 && fabsf(out[0] - o0[0]) > 2 * fabsf(out[lh * lw - 1] - o0[lh * lw - 1]));
    /* the floor: a bias far below zero predicts no change anywhere */
    en.params[en.net.layer[en.net.nlayers - 1].conv.b] = -1e6f;
    jepa_energy_predict(&en, m, &cache, in, z, NULL, 0, out);
    for (int i = 0; i < lh * lw; i++) CHECK(out[i] == 0.0f);
    en.params[en.net.layer[en.net.nlayers - 1].conv.b] = 20.0f;
    CHECK(jepa_energy_save(&en, path, err, sizeof err));
    JepaEnergy back;
    CHECK(jepa_energy_load(&back, path, err, sizeof err));
    CHECK(back.layout.count == en.layout.count && !memcmp(back.params, en.params, sizeof(float) * (size_t)en.layout.count));
    jepa_energy_free(&back);
    static const BadText energy_cases[] = {
        {"truncated", NULL, KEEP_BUT_LAST_LINE, ""},
        {"a word", NULL, KEEP_BUT_LAST_LINE, "x1\n"},
        {"an extra number", NULL, KEEP_ALL, "1\n"},
        {"another file", "nudge-jepa-energy 2\n", 0, ""},
        {"a scale", "nudge-jepa-scale 1\n1 5 10\n", 0, ""},
        {"a horizon of 0", "nudge-jepa-energy 1\n3 4 14 0 32 3 100 0.25 10\n", 0, ""},
        {"a zero norm", "nudge-jepa-energy 1\n3 4 14 12 32 3 100 0 10\n", 0, ""},
        {"the wrong count", "nudge-jepa-energy 1\n3 4 14 12 32 3 100 0.25 10\n", 0, ""},
    };
    check_bad_text_files(path, bad, energy_cases, sizeof energy_cases / sizeof energy_cases[0], load_energy, &back);
    CHECK(!jepa_energy_load(&back, "/nonexistent/energy.txt", err, sizeof err));
    nn_convnet_cache_free(&cache);
    jepa_energy_free(&en);
    free(z), free(in), free(out), free(o0);
    remove(path);
    remove(bad);
    rmdir(dir);
    jepa_free(m);
}

int main(void) {
    nn_set_threads(1);
    test_jepa_energy();
    test_jepa_scale();
    test_jepa_fate();
    test_floats_quantile();
    test_jepa_cellprobe_decode();
    test_jepa_cellprobe_pixel_grid();
    test_jepa_cellprobe_oracle_grid();
    test_jepa_push_map_mass();
    test_gemm_shapes();
    test_linear_grad();
    test_activation_grad(NN_ACT_RELU);
    test_activation_grad(NN_ACT_SILU);
    test_layernorm_grad();
    test_mlp_grad(NN_ACT_RELU);
    test_mlp_grad(NN_ACT_SILU);
    test_loss_grad(nn_loss_mse, false);
    test_loss_grad(huber_1, false);
    test_loss_grad(nn_loss_bce_logits, true);
    test_adamw();
    test_wm_grad(1, 0);
    test_wm_grad(2, 0);
    test_wm_grad(3, 0);
    test_wm_grad(1, WM_INPUT_IMPULSE);
    test_wm_grad(2, WM_INPUT_IMPULSE);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PAIR);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_GATE);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION);
    test_wm_grad(2, WM_INPUT_PRIOR | WM_INPUT_PRIOR_OUT | WM_INPUT_PRIOR_STATIC | WM_INPUT_PRIOR_SUPPORT | WM_INPUT_PRIOR_FRICTION |
                        WM_INPUT_PRIOR_SUBSTEP);
    test_wm_impulse();
    test_wm_nll_grad();
    test_wm_break_weight();
    test_wm_onset_weight();
    test_wm_still_weight();
    test_imagined_break();
    test_wm_foresee();
    test_incremental();
    test_sleep();
    test_replay();
    test_replay_rolled();
    test_jepa_replay_break_sample();
    test_checkpoint();
    test_wm_options();
    test_wm_release_impact();
    test_wm_impact_weight();
    test_wm_collision_inputs();
    test_wm_collision_gate();
    test_wm_collision_supports();
    test_wm_collision_friction();
    test_wm_friction_substeps();
    test_wm_contact_axis();
    test_wm_contact_anchor();
    test_wm_prior_batch_independent();
    test_wm_prior_settle();
    test_wm_prior_islands();
    test_incremental_prior();
    test_wm_contact_lift();
    test_wm_impact_sweep();
    test_wm_collision_impulse();
    test_wm_break_gate();
    test_wm_contact_recheck();
    test_wm_edge_time();
    test_wm_gate_grad();
    test_lr_schedule();
    test_dataset();
    test_eval_subsets();
    test_training();
    test_ema_arithmetic();
    test_training_ema();
    test_conv2d_grad();
    test_groupnorm_grad();
    test_keypoint();
    test_keypoint_sharp_grad();
    test_keypoint_sharp_tracks();
    test_nn_blur();
    test_jepa_sharp_keypoint_tracks();
    test_jepa_keypoint_cv_carries();
    test_jepa_keypoint_motion_tracks();
    test_jepa_keypoint_motion_file();
    test_jepa_keypoint_appear();
    test_jepa_keypoint_objness();
    test_jepa_keypoint_blur();
    test_jepa_objness_learns();
    test_jepa_enc_shared();
    test_keypoint_batch_pure();
    test_keypoint_window_grad();
    test_keypoint_mixed();
    test_silu_fast();
    test_convnet_grad();
    test_lapack();
    test_probe();
    test_probe_select();
    test_probe_select_jobs();
    test_jepa_grad();
    test_jepa_frame_step_batch();
    test_jepa_stream();
    test_jepa_frame_step_file();
    test_jepa_motion_weight();
    test_jepa_appearance();
    test_jepa_var_space();
    test_jepa_pooled_l1();
    test_jepa_recon();
    test_jepa_event_loss();
    test_jepa_event_heads();
    test_jepa_evidence();
    test_jepa_surprise_top();
    test_jepa_rollout_vs_copy();
    test_jepa_pred_gate();
    test_jepa_pred_gate_trainer();
    test_jepa_latent_noise();
    test_jepa_train_checkpoint();
    test_jepa_learns();
    return ensure_finish("test_model");
}
