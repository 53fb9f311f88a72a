/* wm_net: the network over a packed graph -- encoder, rounds of message passing, decoder -- and
 * its backward pass.
 *
 *   Z[0] = enc(xn)                                              (rows = dynamic bodies)
 *   round r: P = Z[r] We_node[r]      (receiver part | sender part)
 *            h_e = relu(xe_e We_geom[r] + b[r] + P[recv_e, :E] + P[send_e, E:])  (a static sender
 *                  adds no sender part: its edge features say it is static)
 *            M[r] = sum of h_e over each receiver's edges
 *            Z[r+1] = Z[r] + relu([Z[r] | M[r]] Wu[r] + bu[r])   (all but the last round)
 *   out = dec([Z[R-1] | M[R-1] | xn])
 *   WM_INPUT_IMPULSE: for an edge e between two dynamic bodies, J_e = h_e Wj + bj (the last round's
 *            h_e, N*s in world axes): out's velocity change gains J_e / m, (r x J_e) / I (normalized
 *            by the targets' scales) for the receiver and the same of -J_e for the sender, r the
 *            edge's closest point q from each one's centre
 *   WM_INPUT_PRIOR_OUT: out's velocity change gains each edge's collision change (its prior features);
 *            with WM_INPUT_PRIOR_GATE scaled by 2 sigmoid(z_p), z_p = h_p Wg + bg (two logits: the
 *            linear and the angular part), p the pair's edge of the larger gap (a static sender's: e)  */
#include <string.h>

#include "model/wm_impl.h"

/* one edge's activation h = relu(h + receiver part + sender part (none from a static sender)),
 * h holding the edge layer's bias and geometry part, added to the receiver's messages m (the arrays
 * never overlap: vectorized) */
NN_INLINE void edge_message(int E, float* restrict h, const float* restrict pr, const float* restrict ps,
                            float* restrict m) {
    if (ps) {
        for (int c = 0; c < E; c++) {
            float v = nn_relu(h[c] + pr[c] + ps[c]);
            h[c] = v;
            m[c] += v;
        }
    } else {
        for (int c = 0; c < E; c++) {
            float v = nn_relu(h[c] + pr[c]);
            h[c] = v;
            m[c] += v;
        }
    }
}

/* every edge's message, summed into its receiver's row of M (stride mw) */
NN_INLINE void edge_messages_body(const WmScratch* s, int E, const float* P, float* H, float* M, int mw) {
    for (int e = 0; e < s->ne; e++) {
        const float* pr = P + (size_t)s->recv[e] * 2 * E;
        int sr = s->send_row[e];
        edge_message(E, H + (size_t)e * E, pr, sr >= 0 ? P + (size_t)sr * 2 * E + E : NULL,
                     M + (size_t)s->recv[e] * mw);
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* the same sums in AVX2's wider registers where the CPU has them (additions and a ReLU per element:
 * the same bits as in SSE) */
__attribute__((target("avx2"))) NN_HOT static void edge_messages_avx2(const WmScratch* s, int E, const float* P,
                                                                    float* H, float* M, int mw) {
    edge_messages_body(s, E, P, H, M, mw);
}
#endif

NN_HOT static void edge_messages(const WmScratch* s, int E, const float* P, float* H, float* M, int mw) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (__builtin_cpu_supports("avx2")) {
        edge_messages_avx2(s, E, P, H, M, mw);
        return;
    }
#endif
    edge_messages_body(s, E, P, H, M, mw);
}

/* one round's edges: U[r]'s message half receives the summed activations (the last round's U is
 * the decoder's input, rows of [Z | M | xn], whose xn part the caller fills) */
NN_HOT static void edges_forward(const WmModel* m, WmScratch* s, int r) {
    int L = m->arch.latent, E = m->arch.edge;
    bool last = r + 1 == m->arch.rounds;
    int UW = L + E + (last ? WM_NODE_FEATS : 0);
    const float* p = m->params;
    const WmRound* rd = &m->round[r];
    float* P = s->P[r];
    float* H = s->H[r];
    float* U = last ? s->dec : s->U[r];
    nn_gemm(false, false, s->nd, 2 * E, L, 1.0f, s->Z[r], p + rd->e_node.w, 0.0f, P);
    /* H = bias + xe We_geom (the bias first: the same sums as adding it after, without BLAS
     * clearing H) */
    const float* bias = p + rd->e_geom.b;
    for (int e = 0; e < s->ne; e++) memcpy(H + (size_t)e * E, bias, sizeof(float) * E);
    nn_gemm(false, false, s->ne, E, wm_edge_feats(&m->arch), 1.0f, s->xe, p + rd->e_geom.w, 1.0f, H);
    if (s->inc_step) {
        /* incremental: senders not recomputed stand in through their recorded sender half, and
         * the computed rows' halves are recorded */
        size_t per = (size_t)m->arch.rounds * E;
        int K = m->arch.slots;
        for (int g = 0; g < s->ng; g++) {
            int j = s->ghost_node[g];
            size_t idx = (size_t)s->node_world[j] * K + s->node_slot[j];
            memcpy(P + (size_t)(s->nd + g) * 2 * E + E, s->inc_psend + idx * per + (size_t)r * E, sizeof(float) * E);
        }
        for (int i = 0; i < s->nd; i++) {
            int j = s->row_node[i];
            size_t idx = (size_t)s->node_world[j] * K + s->node_slot[j];
            memcpy(s->inc_psend + idx * per + (size_t)r * E, P + (size_t)i * 2 * E + E, sizeof(float) * E);
        }
    }
    for (int i = 0; i < s->nd; i++) {
        float* u = U + (size_t)i * UW;
        memcpy(u, s->Z[r] + (size_t)i * L, sizeof(float) * L);
        memset(u + L, 0, sizeof(float) * E);
    }
    edge_messages(s, E, P, H, U + L, UW);
}

/* WM_INPUT_IMPULSE: the geometry of edge e's impulse on its two rows: out_i[WM_DV + c] += J . a[c],
 * out_j[WM_DV + c] += J . b[c] (a, b: 3 rows of 2; the normalized velocity change per N*s); false
 * for an edge without a dynamic sender that is a row */
static bool impulse_geometry(const WmModel* m, const WmScratch* s, int e, float a[3][2], float b[3][2]) {
    int i = s->recv[e], j = s->send_row[e];
    if (j < 0 || j >= s->nd) return false;
    size_t G = (size_t)wm_edge_feats(&m->arch);
    const float* f = s->eraw + (size_t)e * G;
    const float* si = s->state + (size_t)s->row_node[i] * SIM_OBS_DIM;
    const float* sj = s->state + (size_t)s->row_node[j] * SIM_OBS_DIM;
    const float* ts = m->tgt.fstd;
    float mi = si[SIM_OBS_mass], mj = sj[SIM_OBS_mass];
    float ii = mi * wm_inertia_per_mass(si), ij = mj * wm_inertia_per_mass(sj);
    /* the contact point: q from i's centre; from j's, q - (c_j - c_i) */
    float rix = f[0], riy = f[1], rjx = f[0] - f[15], rjy = f[1] - f[16];
    float k = WM_IMPULSE_SCALE;
    a[0][0] = k / (mi * ts[WM_DV + 0]), a[0][1] = 0.0f;
    a[1][0] = 0.0f, a[1][1] = k / (mi * ts[WM_DV + 1]);
    a[2][0] = -k * riy / (ii * ts[WM_DV + 2]), a[2][1] = k * rix / (ii * ts[WM_DV + 2]);
    b[0][0] = -k / (mj * ts[WM_DV + 0]), b[0][1] = 0.0f;
    b[1][0] = 0.0f, b[1][1] = -k / (mj * ts[WM_DV + 1]);
    b[2][0] = k * rjy / (ij * ts[WM_DV + 2]), b[2][1] = -k * rjx / (ij * ts[WM_DV + 2]);
    return true;
}

/* a linear head of two outputs on one edge's last-round activation h[E]: y = bias + h w, w [E, 2]
   (the impulse head and the collision gate's) */
static void edge_head2(const float* h, int E, const float* w, const float* bias, float y[2]) {
    float y0 = bias[0], y1 = bias[1];
    for (int c = 0; c < E; c++) {
        y0 += h[c] * w[2 * c];
        y1 += h[c] * w[2 * c + 1];
    }
    y[0] = y0, y[1] = y1;
}

/* the impulse head's output for edge e (units of WM_IMPULSE_SCALE) */
static void impulse_head(const WmModel* m, const WmScratch* s, int e, float J[2]) {
    int E = m->arch.edge;
    edge_head2(s->H[m->arch.rounds - 1] + (size_t)e * E, E, m->params + m->impulse.w, m->params + m->impulse.b, J);
}

static void impulse_forward(const WmModel* m, WmScratch* s) {
    float* out = s->out;
    for (int e = 0; e < s->ne; e++) {
        float a[3][2], b[3][2], J[2];
        if (!impulse_geometry(m, s, e, a, b)) continue;
        impulse_head(m, s, e, J);
        float* oi = out + (size_t)s->recv[e] * WM_OUTPUTS + WM_DV;
        float* oj = out + (size_t)s->send_row[e] * WM_OUTPUTS + WM_DV;
        for (int c = 0; c < 3; c++) {
            oi[c] += a[c][0] * J[0] + a[c][1] * J[1];
            oj[c] += b[c][0] * J[0] + b[c][1] * J[1];
        }
    }
}

/* the impulse path backwards from dout: the head's gradients, and each edge's activation gradient
 * through it added to s->dHj (cleared by the caller) */
static void impulse_backward(const WmModel* m, WmScratch* s, float* grads) {
    int E = m->arch.edge;
    const float* h0 = s->H[m->arch.rounds - 1];
    const float* w = m->params + m->impulse.w;
    float* gw = grads + m->impulse.w;
    float* gb = grads + m->impulse.b;
    for (int e = 0; e < s->ne; e++) {
        float* dh = s->dHj + (size_t)e * E;
        float a[3][2], b[3][2];
        if (!impulse_geometry(m, s, e, a, b)) continue;
        const float* di = s->dout + (size_t)s->recv[e] * WM_OUTPUTS + WM_DV;
        const float* dj = s->dout + (size_t)s->send_row[e] * WM_OUTPUTS + WM_DV;
        float dJ[2] = {0.0f, 0.0f};
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 2; k++) dJ[k] += di[c] * a[c][k] + dj[c] * b[c][k];
        const float* h = h0 + (size_t)e * E;
        gb[0] += dJ[0], gb[1] += dJ[1];
        for (int c = 0; c < E; c++) {
            gw[2 * c] += h[c] * dJ[0];
            gw[2 * c + 1] += h[c] * dJ[1];
            dh[c] += w[2 * c] * dJ[0] + w[2 * c + 1] * dJ[1];
        }
    }
}

/* WM_INPUT_PRIOR_OUT: each edge's collision velocity change (raw, in the edge's prior features) added
 * to its receiver's output, in the targets' normalized units (a constant of the inputs: the weights'
 * gradients are what they are without it) */
static const float* prior_change(const WmModel* m, const WmScratch* s, int e) {
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    const float* f = s->eraw + (size_t)e * G + at;
    return f[1] == 0.0f && f[2] == 0.0f && f[3] == 0.0f ? NULL : f + 1;
}

/* WM_INPUT_PRIOR_GATE: the gate head's logits z[2] for edge e's collision (from its pair's edge p,
 * whose last-round activation is intact: before the edges' backward pass overwrites it) */
static int gate_logits(const WmModel* m, const WmScratch* s, int e, float z[2]) {
    int E = m->arch.edge;
    int p = s->pair_edge[e] >= 0 ? s->pair_edge[e] : e;
    edge_head2(s->H[m->arch.rounds - 1] + (size_t)p * E, E, m->params + m->gate.w, m->params + m->gate.b, z);
    return p;
}

static void prior_forward(const WmModel* m, WmScratch* s) {
    const float* ts = m->tgt.fstd;
    bool gated = (m->arch.inputs & WM_INPUT_PRIOR_GATE) != 0;
    for (int e = 0; e < s->ne; e++) {
        const float* f = prior_change(m, s, e);
        if (!f) continue;
        float* o = s->out + (size_t)s->recv[e] * WM_OUTPUTS + WM_DV;
        if (!gated) {
            for (int c = 0; c < 3; c++) o[c] += f[c] / ts[WM_DV + c];
            continue;
        }
        float z[2];
        gate_logits(m, s, e, z);
        float gl = 2.0f * nn_sigmoid(z[0]), ga = 2.0f * nn_sigmoid(z[1]);
        o[0] += gl * f[0] / ts[WM_DV + 0];
        o[1] += gl * f[1] / ts[WM_DV + 1];
        o[2] += ga * f[2] / ts[WM_DV + 2];
    }
}

/* the gate head backwards from dout: its gradients, and the activation gradient of every pair's edge
 * through it added to s->dHj */
static void prior_gate_backward(const WmModel* m, WmScratch* s, float* grads) {
    int E = m->arch.edge;
    const float* ts = m->tgt.fstd;
    float* dz = s->dzg;
    memset(dz, 0, sizeof(float) * 2 * (size_t)s->ne);
    /* each edge's logits' gradient, gathered on the pair's edge that carries them */
    for (int e = 0; e < s->ne; e++) {
        const float* f = prior_change(m, s, e);
        if (!f) continue;
        float z[2];
        int p = gate_logits(m, s, e, z);
        const float* d = s->dout + (size_t)s->recv[e] * WM_OUTPUTS + WM_DV;
        float sl = nn_sigmoid(z[0]), sa = nn_sigmoid(z[1]);
        dz[2 * p] += 2.0f * sl * (1.0f - sl) * (d[0] * f[0] / ts[WM_DV + 0] + d[1] * f[1] / ts[WM_DV + 1]);
        dz[2 * p + 1] += 2.0f * sa * (1.0f - sa) * d[2] * f[2] / ts[WM_DV + 2];
    }
    const float* h0 = s->H[m->arch.rounds - 1];
    const float* w = m->params + m->gate.w;
    float* gw = grads + m->gate.w;
    float* gb = grads + m->gate.b;
    for (int p = 0; p < s->ne; p++) {
        float d0 = dz[2 * p], d1 = dz[2 * p + 1];
        if (d0 == 0.0f && d1 == 0.0f) continue;
        const float* h = h0 + (size_t)p * E;
        float* dh = s->dHj + (size_t)p * E;
        gb[0] += d0, gb[1] += d1;
        for (int c = 0; c < E; c++) {
            gw[2 * c] += h[c] * d0;
            gw[2 * c + 1] += h[c] * d1;
            dh[c] += w[2 * c] * d0 + w[2 * c + 1] * d1;
        }
    }
}

/* WM_INPUT_BREAK_GATE: each row's z (wm.h) into s->brkz, and a z + c added to its break-now logit */
static void break_gate_forward(const WmModel* m, WmScratch* s) {
    size_t G = (size_t)wm_edge_feats(&m->arch), at = (size_t)wm_edge_prior_at(&m->arch);
    float* z = s->brkz;
    memset(z, 0, sizeof(float) * (size_t)s->nd);
    for (int e = 0; e < s->ne; e++) z[s->recv[e]] += wm_prior_dv_size(s->eraw + (size_t)e * G + at);
    const float a = m->params[m->brk.w], c = m->params[m->brk.b];
    for (int r = 0; r < s->nd; r++) {
        const float* st = s->state + (size_t)s->row_node[r] * SIM_OBS_DIM;
        if (!(st[SIM_OBS_breakable] > 0.5f)) {
            z[r] = 0.0f;
            continue;
        }
        z[r] = log1pf(st[SIM_OBS_mass] * z[r]);
        s->out[(size_t)r * WM_OUTPUTS + WM_BREAK_NOW] += a * z[r] + c;
    }
}

/* its two weights' gradients from dout */
static void break_gate_backward(const WmModel* m, const WmScratch* s, float* grads) {
    for (int r = 0; r < s->nd; r++) {
        const float* st = s->state + (size_t)s->row_node[r] * SIM_OBS_DIM;
        if (!(st[SIM_OBS_breakable] > 0.5f)) continue;
        float d = s->dout[(size_t)r * WM_OUTPUTS + WM_BREAK_NOW];
        grads[m->brk.w] += d * s->brkz[r];
        grads[m->brk.b] += d;
    }
}

NN_HOT void wm_forward(const WmModel* m, WmScratch* s) {
    int nd = s->nd, L = m->arch.latent, E = m->arch.edge, F = WM_NODE_FEATS, R = m->arch.rounds;
    const float* p = m->params;
    const float* z = nn_mlp_forward(&m->enc, p, &s->enc_c, nd, s->xn);
    memcpy(s->Z[0], z, sizeof(float) * (size_t)nd * L);
    for (int r = 0; r < R; r++) {
        edges_forward(m, s, r);
        if (r + 1 == R) break;
        /* the residual update: Z[r+1] = Z[r] + relu(A), A = U[r] Wu + bu */
        const NnLinear* up = &m->round[r].update;
        nn_linear_forward(up, p, nd, s->U[r], s->A[r]);
        for (size_t i = 0; i < (size_t)nd * L; i++) s->Z[r + 1][i] = s->Z[r][i] + nn_relu(s->A[r][i]);
    }
    /* the decoder's input [Z | M | xn] (the last round wrote Z | M there) */
    for (int i = 0; i < nd; i++) memcpy(s->dec + (size_t)i * (L + E + F) + L + E, s->xn + (size_t)i * F, sizeof(float) * F);
    s->out = nn_mlp_forward(&m->node, p, &s->node_c, nd, s->dec);
    if (m->arch.inputs & WM_INPUT_IMPULSE) impulse_forward(m, s);
    if (m->arch.inputs & WM_INPUT_PRIOR_OUT) prior_forward(m, s);
    if (m->arch.inputs & WM_INPUT_BREAK_GATE) break_gate_forward(m, s);
}

/* one round's edges backwards, from dM (the gradient of the summed messages): accumulates the
 * edge weights' gradients and adds the latent's gradient through P into dZ */
NN_HOT static void edges_backward(const WmModel* m, WmScratch* s, int r, float* grads) {
    int nd = s->nd, ne = s->ne, L = m->arch.latent, E = m->arch.edge;
    const float* p = m->params;
    const WmRound* rd = &m->round[r];
    float* H = s->H[r];
    memset(s->dP, 0, sizeof(float) * (size_t)nd * 2 * E);
    float* db = grads + rd->e_geom.b;
    /* the last round's activations also feed the impulse and gate heads (WM_INPUT_IMPULSE,
     * WM_INPUT_PRIOR_GATE) */
    const float* dhj =
        r + 1 == m->arch.rounds && (m->arch.inputs & (WM_INPUT_IMPULSE | WM_INPUT_PRIOR_GATE)) ? s->dHj : NULL;
    /* through the ReLU (H is overwritten by its gradient) into both halves of P and the bias */
    for (int e = 0; e < ne; e++) {
        float* h = H + (size_t)e * E;
        const float* dm = s->dM + (size_t)s->recv[e] * E;
        float* dr = s->dP + (size_t)s->recv[e] * 2 * E;
        int sr = s->send_row[e];
        if (dhj) {
            /* the receiver's messages' gradient plus the head's */
            const float* dx = dhj + (size_t)e * E;
            float* ds = sr >= 0 ? s->dP + (size_t)sr * 2 * E + E : NULL;
            for (int c = 0; c < E; c++) {
                float g = nn_relu_grad(h[c], dm[c] + dx[c]);
                h[c] = g;
                dr[c] += g;
                if (ds) ds[c] += g;
                db[c] += g;
            }
            continue;
        }
        if (sr >= 0) {
            float* ds = s->dP + (size_t)sr * 2 * E + E;
            for (int c = 0; c < E; c++) {
                float g = nn_relu_grad(h[c], dm[c]);
                h[c] = g;
                dr[c] += g;
                ds[c] += g;
                db[c] += g;
            }
        } else {
            for (int c = 0; c < E; c++) {
                float g = nn_relu_grad(h[c], dm[c]);
                h[c] = g;
                dr[c] += g;
                db[c] += g;
            }
        }
    }
    nn_gemm(true, false, wm_edge_feats(&m->arch), E, ne, 1.0f, s->xe, H, 1.0f, grads + rd->e_geom.w);
    nn_gemm(true, false, L, 2 * E, nd, 1.0f, s->Z[r], s->dP, 1.0f, grads + rd->e_node.w);
    nn_gemm(false, true, nd, L, 2 * E, 1.0f, s->dP, p + rd->e_node.w, 1.0f, s->dZ);
}

NN_HOT void wm_backward(const WmModel* m, WmScratch* s, float* grads) {
    int nd = s->nd, L = m->arch.latent, E = m->arch.edge, F = WM_NODE_FEATS, R = m->arch.rounds;
    const float* p = m->params;
    /* (first: the decoder's backward pass may change dout) */
    if (m->arch.inputs & (WM_INPUT_IMPULSE | WM_INPUT_PRIOR_GATE))
        memset(s->dHj, 0, sizeof(float) * (size_t)s->ne * E);
    if (m->arch.inputs & WM_INPUT_IMPULSE) impulse_backward(m, s, grads);
    if (m->arch.inputs & WM_INPUT_PRIOR_GATE) prior_gate_backward(m, s, grads);
    if (m->arch.inputs & WM_INPUT_BREAK_GATE) break_gate_backward(m, s, grads);
    nn_mlp_backward(&m->node, p, grads, &s->node_c, nd, s->dec, s->dout, s->ddec);
    /* split the decoder input's gradient into dZ and dM of the last round */
    for (int i = 0; i < nd; i++) {
        const float* d = s->ddec + (size_t)i * (L + E + F);
        memcpy(s->dZ + (size_t)i * L, d, sizeof(float) * L);
        memcpy(s->dM + (size_t)i * E, d + L, sizeof(float) * E);
    }
    for (int r = R - 1; r >= 0; r--) {
        edges_backward(m, s, r, grads);
        if (r == 0) break;
        /* Z[r] = Z[r-1] + relu(A[r-1]): dZ passes straight down and through the update */
        const NnLinear* up = &m->round[r - 1].update;
        float* dA = s->A[r - 1];   /* A is not needed after this: overwrite it by its gradient */
        for (size_t i = 0; i < (size_t)nd * L; i++) dA[i] = nn_relu_grad(dA[i], s->dZ[i]);
        nn_linear_backward(up, p, grads, nd, s->U[r - 1], dA, s->dU);
        for (int i = 0; i < nd; i++) {
            const float* du = s->dU + (size_t)i * (L + E);
            float* dz = s->dZ + (size_t)i * L;
            for (int c = 0; c < L; c++) dz[c] += du[c];
            memcpy(s->dM + (size_t)i * E, du + L, sizeof(float) * E);
        }
    }
    nn_mlp_backward(&m->enc, p, grads, &s->enc_c, nd, s->xn, s->dZ, NULL);
}
