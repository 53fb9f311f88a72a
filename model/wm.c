/* wm: the relational dynamics model -- creation, packing a batch into a graph, forward, backward,
 * targets and loss */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

WmArch wm_arch_default(int slots) {
    WmArch a;
    a.slots = slots;
    a.dim = SIM_OBS_DIM;
    a.latent = 64;
    a.edge = 96;
    a.hidden = 96;
    a.radius = 0.3f;
    a.dt = 1.0f / 60.0f;
    return a;
}

bool wm_arch_check(const WmArch* a, char* err, size_t err_size) {
    const struct {
        const char* what;
        int         v, lo, hi;
    } widths[] = {{"slots", a->slots, 1, 4096},        {"latent width", a->latent, 1, 4096},
                  {"edge width", a->edge, 1, 4096},    {"hidden width", a->hidden, 1, 4096},
                  {"columns per slot", a->dim, SIM_OBS_DIM, SIM_OBS_DIM}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (widths[i].v < widths[i].lo || widths[i].v > widths[i].hi) {
            report_set(err, err_size, "model architecture: %s %d is outside [%d, %d]", widths[i].what, widths[i].v,
                       widths[i].lo, widths[i].hi);
            return false;
        }
    if (!isfinite(a->radius)) {
        report_set(err, err_size, "model architecture: edge radius %g m is not a finite number", (double)a->radius);
        return false;
    }
    if (!(a->dt > 0 && a->dt < 10)) {
        report_set(err, err_size, "model architecture: control tick %g s is outside (0, 10)", (double)a->dt);
        return false;
    }
    return true;
}

bool wm_arch_valid(const WmArch* a) { return wm_arch_check(a, NULL, 0); }

uint32_t wm_schema_hash(void) {
    /* straight from the column table macro, so this needs no object file from sim/ */
#define WM_COL_TEXT(name, unit, doc) #name ":" unit ";"
    static const char text[] = SIM_OBS_COLUMNS(WM_COL_TEXT);
#undef WM_COL_TEXT
    uint32_t h = 2166136261u;
    for (const char* p = text; *p; p++) h = (h ^ (uint8_t)*p) * 16777619u;
    return h;
}

WmModel* wm_alloc(const WmArch* arch) {
    if (!wm_arch_valid(arch)) return NULL;
    WmModel* m = alloc_zeroed(1, sizeof *m);
    m->arch = *arch;
    int L = arch->latent, E = arch->edge, H = arch->hidden, F = WM_NODE_FEATS;
    int enc[] = {F, L, L};
    nn_mlp_layout(&m->enc, &m->layout, enc, 3, NN_ACT_RELU, true);
    nn_linear_layout(&m->e_node, &m->layout, L, 2 * E);
    nn_linear_layout(&m->e_geom, &m->layout, WM_EDGE_FEATS, E);
    int node[] = {L + E + F, H, H, WM_OUTPUTS};
    nn_mlp_layout(&m->node, &m->layout, node, 4, NN_ACT_RELU, false);
    m->nparams = m->layout.count;
    m->params = alloc_zeroed((size_t)m->nparams, sizeof(float));
    wm_norm_init(&m->nin, WM_NODE_NORM);
    wm_norm_init(&m->ein, WM_EDGE_FEATS);
    wm_norm_init(&m->tgt, WM_TARGETS);
    return m;
}

WmModel* wm_create(const WmArch* arch, uint64_t seed) {
    WmModel* m = wm_alloc(arch);
    if (!m) return NULL;
    m->seed = seed;
    Rng rng;
    rng_seed(&rng, rng_derive(seed, 0x776d696e6974ULL));
    nn_mlp_init(&m->enc, m->params, &rng, 1.0f);
    /* the edge pre-activation sums three parts: keep each smaller */
    nn_linear_init(&m->e_node, m->params, &rng, 0.6f);
    nn_linear_init(&m->e_geom, m->params, &rng, 0.6f);
    nn_mlp_init(&m->node, m->params, &rng, 0.1f);
    return m;
}

void wm_free(WmModel* m) {
    if (!m) return;
    free(m->params);
    nn_layout_free(&m->layout);
    wm_norm_free(&m->nin);
    wm_norm_free(&m->ein);
    wm_norm_free(&m->tgt);
    free(m);
}

bool wm_copy(WmModel* dst, const WmModel* src) {
    if (memcmp(&dst->arch, &src->arch, sizeof dst->arch) != 0) return false;
    memcpy(dst->params, src->params, sizeof(float) * (size_t)src->nparams);
    wm_norm_copy(&dst->nin, &src->nin);
    wm_norm_copy(&dst->ein, &src->ein);
    wm_norm_copy(&dst->tgt, &src->tgt);
    dst->steps = src->steps;
    dst->seed = src->seed;
    return true;
}

WmModel* wm_clone(const WmModel* m) {
    WmModel* c = wm_alloc(&m->arch);
    if (c) wm_copy(c, m);
    return c;
}

const WmArch* wm_arch(const WmModel* m) {
    return &m->arch;
}

int wm_param_count(const WmModel* m) {
    return m->nparams;
}

int64_t wm_train_steps(const WmModel* m) {
    return m->steps;
}

void wm_push_row(float* row, const SimPush* p) {
    row[0] = (float)p->jx;
    row[1] = (float)p->jy;
    row[2] = (float)p->px;
    row[3] = (float)p->py;
}

/* ---- scratch ---- */

WmScratch* wm_scratch_create(const WmModel* m) {
    (void)m;
    return alloc_zeroed(1, sizeof(WmScratch));
}

void wm_scratch_free(WmScratch* s) {
    if (!s) return;
    free(s->node_world);
    free(s->node_slot);
    free(s->node_dyn);
    free(s->node_row);
    free(s->row_node);
    free(s->state);
    free(s->pdv);
    free(s->xraw);
    free(s->xn);
    free(s->recv);
    free(s->send);
    free(s->eraw);
    free(s->xe);
    free(s->h);
    nn_mlp_cache_free(&s->enc_c);
    nn_mlp_cache_free(&s->node_c);
    free(s->P);
    free(s->U);
    free(s->dout);
    free(s->dU);
    free(s->dP);
    free(s->dz);
    free(s->target);
    free(s->weight);
    free(s->cur);
    free(s);
}

static void* grow(void* p, size_t bytes) { return alloc_resize(p, bytes, 1); }

static void reserve_nodes(const WmModel* m, WmScratch* s, int n) {
    if (n <= s->node_cap) return;
    int cap = s->node_cap ? s->node_cap : 64;
    while (cap < n) cap *= 2;
    size_t c = (size_t)cap;
    int L = m->arch.latent, E = m->arch.edge, U = L + E + WM_NODE_FEATS;
    s->node_world = grow(s->node_world, c * sizeof(int));
    s->node_slot = grow(s->node_slot, c * sizeof(int));
    s->node_dyn = grow(s->node_dyn, c);
    s->node_row = grow(s->node_row, c * sizeof(int));
    s->row_node = grow(s->row_node, c * sizeof(int));
    s->state = grow(s->state, c * D * sizeof(float));
    s->pdv = grow(s->pdv, c * 3 * sizeof(float));
    s->xraw = grow(s->xraw, c * WM_NODE_NORM * sizeof(float));
    s->xn = grow(s->xn, c * WM_NODE_FEATS * sizeof(float));
    s->P = grow(s->P, c * 2 * E * sizeof(float));
    s->dP = grow(s->dP, c * 2 * E * sizeof(float));
    s->U = grow(s->U, c * U * sizeof(float));
    s->dU = grow(s->dU, c * U * sizeof(float));
    s->dz = grow(s->dz, c * L * sizeof(float));
    s->dout = grow(s->dout, c * WM_OUTPUTS * sizeof(float));
    s->target = grow(s->target, c * WM_OUTPUTS * sizeof(float));
    s->weight = grow(s->weight, c * WM_OUTPUTS * sizeof(float));
    nn_mlp_cache_reserve(&s->enc_c, &m->enc, cap);
    nn_mlp_cache_reserve(&s->node_c, &m->node, cap);
    s->node_cap = cap;
}

static void reserve_edges(const WmModel* m, WmScratch* s, int ne) {
    if (ne <= s->edge_cap) return;
    int cap = s->edge_cap ? s->edge_cap : 256;
    while (cap < ne) cap *= 2;
    size_t c = (size_t)cap;
    s->recv = grow(s->recv, c * sizeof(int));
    s->send = grow(s->send, c * sizeof(int));
    s->eraw = grow(s->eraw, c * WM_EDGE_FEATS * sizeof(float));
    s->xe = grow(s->xe, c * WM_EDGE_FEATS * sizeof(float));
    s->h = grow(s->h, c * (size_t)m->arch.edge * sizeof(float));
    s->edge_cap = cap;
}

/* ---- packing ---- */

/* half extents of a body's axis-aligned bounding box (approximate for cups and ramps) */
static void half_extents(const float* st, float* hx, float* hy) {
    float w = st[SIM_OBS_size_w], h = st[SIM_OBS_size_h];
    if (st[SIM_OBS_kind_ball] > 0.5f) {
        *hx = *hy = 0.5f * w;
        return;
    }
    float c = fabsf(st[SIM_OBS_cos]), sn = fabsf(st[SIM_OBS_sin]);
    *hx = 0.5f * (w * c + h * sn);
    *hy = 0.5f * (w * sn + h * c);
}

/* moment of inertia per unit mass, approximated from the bounding box (ball: solid disc) */
static float inertia_per_mass(const float* st) {
    float w = st[SIM_OBS_size_w], h = st[SIM_OBS_size_h];
    if (st[SIM_OBS_kind_ball] > 0.5f) return w * w / 8.0f;
    return (w * w + h * h) / 12.0f;
}

static float edge_features(const float* si, const float* sj, float* f) {
    float hxi, hyi, hxj, hyj;
    half_extents(si, &hxi, &hyi);
    half_extents(sj, &hxj, &hyj);
    float dx = sj[SIM_OBS_x] - si[SIM_OBS_x], dy = sj[SIM_OBS_y] - si[SIM_OBS_y];
    float dist = sqrtf(dx * dx + dy * dy);
    float gx = fabsf(dx) - (hxi + hxj), gy = fabsf(dy) - (hyi + hyj);
    float surf = (gx > 0 && gy > 0) ? sqrtf(gx * gx + gy * gy) : (gx > gy ? gx : gy);
    f[0] = dx;
    f[1] = dy;
    f[2] = dist;
    f[3] = gx;
    f[4] = gy;
    f[5] = surf;
    f[6] = sj[SIM_OBS_vx] - si[SIM_OBS_vx];
    f[7] = sj[SIM_OBS_vy] - si[SIM_OBS_vy];
    f[8] = sj[SIM_OBS_omega] - si[SIM_OBS_omega];
    /* contact scale: the normalizer's scale (tenths of a metre) would blur millimetres */
    f[9] = expf(-(surf > 0 ? surf : 0) / 0.005f);
    f[10] = fminf(fmaxf(gx / 0.01f, -1.0f), 1.0f);
    f[11] = fminf(fmaxf(gy / 0.01f, -1.0f), 1.0f);
    return surf;
}

bool wm_pack(const WmModel* m, WmScratch* s, int B, const float* states, const uint8_t* mask,
             const float* pushes, Rng* rng, float noise_pos, float noise_vel) {
    int K = m->arch.slots;
    int live = 0;
    for (int i = 0; i < B * K; i++) live += mask[i] != 0;
    reserve_nodes(m, s, live > 0 ? live : 1);
    s->B = B;
    /* nodes: the live slots, world by world */
    int n = 0;
    for (int b = 0; b < B; b++) {
        for (int k = 0; k < K; k++) {
            size_t idx = (size_t)b * K + k;
            if (!mask[idx]) continue;
            float* st = s->state + (size_t)n * D;
            memcpy(st, states + idx * D, sizeof(float) * D);
            bool dyn = st[SIM_OBS_is_static] < 0.5f && st[SIM_OBS_mass] > 0.0f;
            s->node_world[n] = b;
            s->node_slot[n] = k;
            s->node_dyn[n] = dyn;
            float* pd = s->pdv + (size_t)n * 3;
            pd[0] = pd[1] = pd[2] = 0.0f;
            if (dyn && pushes) {
                const float* p = pushes + idx * WM_PUSH_DIM;
                float mass = st[SIM_OBS_mass];
                pd[0] = p[0] / mass;
                pd[1] = p[1] / mass;
                pd[2] = (p[2] * p[1] - p[3] * p[0]) / (mass * inertia_per_mass(st));
            }
            if (dyn && rng) {
                /* GNS-style noise on the dynamic state */
                st[SIM_OBS_x] += noise_pos * (float)rng_normal(rng);
                st[SIM_OBS_y] += noise_pos * (float)rng_normal(rng);
                st[SIM_OBS_vx] += noise_vel * (float)rng_normal(rng);
                st[SIM_OBS_vy] += noise_vel * (float)rng_normal(rng);
                st[SIM_OBS_omega] += 4.0f * noise_vel * (float)rng_normal(rng);
            }
            n++;
        }
    }
    s->n = n;
    /* the node MLP's rows: dynamic nodes only (static ones are never predicted) */
    int nd = 0;
    for (int i = 0; i < n; i++) {
        s->node_row[i] = s->node_dyn[i] ? nd : -1;
        if (s->node_dyn[i]) s->row_node[nd++] = i;
    }
    s->nd = nd;
    /* edges: dynamic receivers, any sender of the same world within the radius */
    int ne = 0;
    float radius = m->arch.radius;
    for (int a = 0; a < n;) {
        int z = a;
        while (z < n && s->node_world[z] == s->node_world[a]) z++;
        reserve_edges(m, s, ne + (z - a) * (z - a));
        for (int i = a; i < z; i++) {
            if (!s->node_dyn[i]) continue;
            const float* si = s->state + (size_t)i * D;
            for (int j = a; j < z; j++) {
                if (j == i) continue;
                float* f = s->eraw + (size_t)ne * WM_EDGE_FEATS;
                float surf = edge_features(si, s->state + (size_t)j * D, f);
                if (radius > 0 && !(surf <= radius)) continue;
                s->recv[ne] = i;
                s->send[ne] = j;
                ne++;
            }
        }
        a = z;
    }
    if (ne == 0) reserve_edges(m, s, 1);
    s->ne = ne;
    wm_features_raw(m, s);
    return n > 0;
}

void wm_features_raw(const WmModel* m, WmScratch* s) {
    (void)m;
    for (int i = 0; i < s->n; i++) {
        const float* st = s->state + (size_t)i * D;
        float* x = s->xraw + (size_t)i * WM_NODE_NORM;
        /* cos, sin, vx, vy, omega, then the static columns */
        for (int c = 0; c < 5; c++) x[c] = st[SIM_OBS_cos + c];
        for (int c = SIM_OBS_DYNAMIC; c < D; c++) x[5 + c - SIM_OBS_DYNAMIC] = st[c];
    }
}

void wm_features_normalize(const WmModel* m, WmScratch* s) {
    const float* nm = m->nin.fmean;
    const float* ns = m->nin.fstd;
    for (int i = 0; i < s->n; i++) {
        const float* x = s->xraw + (size_t)i * WM_NODE_NORM;
        float* y = s->xn + (size_t)i * WM_NODE_FEATS;
        for (int c = 0; c < WM_NODE_NORM; c++) y[c] = (x[c] - nm[c]) / ns[c];
        const float* pd = s->pdv + (size_t)i * 3;
        y[WM_NODE_NORM + 0] = pd[0];
        y[WM_NODE_NORM + 1] = pd[1];
        y[WM_NODE_NORM + 2] = 0.1f * pd[2];
        y[WM_NODE_NORM + 3] = (pd[0] != 0.0f || pd[1] != 0.0f || pd[2] != 0.0f) ? 1.0f : 0.0f;
    }
    const float* em = m->ein.fmean;
    const float* es = m->ein.fstd;
    for (int e = 0; e < s->ne; e++) {
        const float* x = s->eraw + (size_t)e * WM_EDGE_FEATS;
        float* y = s->xe + (size_t)e * WM_EDGE_FEATS;
        for (int c = 0; c < WM_EDGE_FEATS; c++) y[c] = (x[c] - em[c]) / es[c];
    }
}

/* ---- forward / backward ---- */

NN_HOT void wm_forward(const WmModel* m, WmScratch* s) {
    int n = s->n, ne = s->ne, L = m->arch.latent, E = m->arch.edge, F = WM_NODE_FEATS;
    int UW = L + E + F;
    const float* p = m->params;
    /* encode every node */
    const float* z = nn_mlp_forward(&m->enc, p, &s->enc_c, n, s->xn);
    /* the node MLP's input rows [latent | messages (summed below) | features], dynamic nodes */
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        float* u = s->U + (size_t)r * UW;
        memcpy(u, z + (size_t)i * L, sizeof(float) * L);
        memset(u + L, 0, sizeof(float) * E);
        memcpy(u + L + E, s->xn + (size_t)i * F, sizeof(float) * F);
    }
    /* edge layer: receiver and sender parts per node (e_node's bias is unused: e_geom's bias is
     * the edge bias), geometry per edge */
    nn_gemm(false, false, n, 2 * E, L, 1.0f, z, p + m->e_node.w, 0.0f, s->P);
    nn_gemm(false, false, ne, E, WM_EDGE_FEATS, 1.0f, s->xe, p + m->e_geom.w, 0.0f, s->h);
    const float* bias = p + m->e_geom.b;
    /* per edge: ReLU of the sum, added straight into the receiver's message */
    for (int e = 0; e < ne; e++) {
        float* h = s->h + (size_t)e * E;
        const float* pr = s->P + (size_t)s->recv[e] * 2 * E;
        const float* ps = s->P + (size_t)s->send[e] * 2 * E + E;
        float* mr = s->U + (size_t)s->node_row[s->recv[e]] * UW + L;
        for (int c = 0; c < E; c++) {
            float v = nn_relu(h[c] + bias[c] + pr[c] + ps[c]);
            h[c] = v;
            mr[c] += v;
        }
    }
    s->out = nn_mlp_forward(&m->node, p, &s->node_c, s->nd, s->U);
}

NN_HOT void wm_backward(const WmModel* m, WmScratch* s, float* grads) {
    int n = s->n, ne = s->ne, L = m->arch.latent, E = m->arch.edge, F = WM_NODE_FEATS;
    int UW = L + E + F;
    const float* p = m->params;
    const float* z = s->enc_c.post[m->enc.nlayers - 1];
    nn_mlp_backward(&m->node, p, grads, &s->node_c, s->nd, s->U, s->dout, s->dU);
    /* through the message sum and the edge ReLU (h is overwritten by its gradient) */
    memset(s->dP, 0, sizeof(float) * (size_t)n * 2 * E);
    float* db = grads + m->e_geom.b;
    for (int e = 0; e < ne; e++) {
        float* h = s->h + (size_t)e * E;
        const float* dm = s->dU + (size_t)s->node_row[s->recv[e]] * UW + L;
        float* dr = s->dP + (size_t)s->recv[e] * 2 * E;
        float* ds = s->dP + (size_t)s->send[e] * 2 * E + E;
        for (int c = 0; c < E; c++) {
            float g = nn_relu_grad(h[c], dm[c]);
            h[c] = g;
            dr[c] += g;
            ds[c] += g;
            db[c] += g;
        }
    }
    nn_gemm(true, false, WM_EDGE_FEATS, E, ne, 1.0f, s->xe, s->h, 1.0f, grads + m->e_geom.w);
    nn_gemm(true, false, L, 2 * E, n, 1.0f, z, s->dP, 1.0f, grads + m->e_node.w);
    nn_gemm(false, true, n, L, 2 * E, 1.0f, s->dP, p + m->e_node.w, 0.0f, s->dz);
    /* the latent's gradient: through the edge layer and straight from the node MLP */
    for (int r = 0; r < s->nd; r++) {
        float* d = s->dz + (size_t)s->row_node[r] * L;
        const float* du = s->dU + (size_t)r * UW;
        for (int c = 0; c < L; c++) d[c] += du[c];
    }
    nn_mlp_backward(&m->enc, p, grads, &s->enc_c, n, s->xn, s->dz, NULL);
}

/* ---- targets and loss ---- */

int wm_targets(const WmModel* m, WmScratch* s, const WmTransitions* t, float* raw_targets) {
    int K = m->arch.slots, rows = 0;
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        float* tg = s->target + (size_t)r * WM_OUTPUTS;
        float* w = s->weight + (size_t)r * WM_OUTPUTS;
        memset(tg, 0, sizeof(float) * WM_OUTPUTS);
        memset(w, 0, sizeof(float) * WM_OUTPUTS);
        /* dynamics: v(t+1) - v(t, noisy) - push, for bodies alive at both ticks */
        if (t->m1[idx]) {
            const float* st = s->state + (size_t)i * D;
            const float* s1 = t->s1 + idx * D;
            const float* pd = s->pdv + (size_t)i * 3;
            float* r = raw_targets + (size_t)rows * WM_TARGETS;
            for (int c = 0; c < WM_TARGETS; c++) {
                r[c] = s1[SIM_OBS_vx + c] - st[SIM_OBS_vx + c] - pd[c];
                tg[c] = r[c];
                w[c] = 1.0f;
            }
            rows++;
            tg[WM_REST] = hypotf(s1[SIM_OBS_vx], s1[SIM_OBS_vy]) < WM_REST_SPEED &&
                          fabsf(s1[SIM_OBS_omega]) < WM_REST_OMEGA;
            w[WM_REST] = 1.0f;
        }
        for (int e = 0; e < WM_EVENTS; e++) {
            tg[WM_TARGETS + e] = t->labels[idx * WM_EVENTS + e];
            w[WM_TARGETS + e] = 1.0f;
        }
    }
    return rows;
}

double wm_loss(const WmModel* m, WmScratch* s, float event_weight, bool grad, double* dyn_loss,
               double* event_loss) {
    int dyn_rows = 0, ev_rows = 0;
    for (int i = 0; i < s->nd; i++) {
        dyn_rows += s->weight[(size_t)i * WM_OUTPUTS] > 0;
        ev_rows += s->weight[(size_t)i * WM_OUTPUTS + WM_TARGETS] > 0;
    }
    float sd = dyn_rows ? 1.0f / (float)(WM_TARGETS * dyn_rows) : 0.0f;
    float se = ev_rows ? event_weight / (float)((WM_OUTPUTS - WM_TARGETS) * ev_rows) : 0.0f;
    double ld = 0, le = 0;
    const float* tm = m->tgt.fmean;
    const float* ts = m->tgt.fstd;
    for (int i = 0; i < s->nd; i++) {
        const float* o = s->out + (size_t)i * WM_OUTPUTS;
        const float* w = s->weight + (size_t)i * WM_OUTPUTS;
        float* d = grad ? s->dout + (size_t)i * WM_OUTPUTS : NULL;
        float tn[WM_TARGETS];
        for (int c = 0; c < WM_TARGETS; c++)
            tn[c] = (s->target[(size_t)i * WM_OUTPUTS + c] - tm[c]) / ts[c];
        ld += nn_loss_mse(WM_TARGETS, o, tn, w, sd, d);
        le += nn_loss_bce_logits(WM_OUTPUTS - WM_TARGETS, o + WM_TARGETS, s->target + (size_t)i * WM_OUTPUTS + WM_TARGETS,
                                 w + WM_TARGETS, se, d ? d + WM_TARGETS : NULL);
    }
    if (dyn_loss) *dyn_loss = ld;
    if (event_loss) *event_loss = event_weight > 0 ? le / event_weight : le;
    return ld + le;
}
