/* wm_loss: the model's targets and loss -- velocity change and position residual (MSE), their
 * expected errors (Gaussian NLL, the variance head), events, rest and break-now (BCE) */
#include <math.h>
#include <string.h>

#include "model/wm_impl.h"
#include "sim/observation.h"

#define D SIM_OBS_DIM

WmLossWeights wm_loss_weights_default(void) {
    WmLossWeights w;
    w.eps = 0.5f;
    w.nll = 0.05f;
    w.events = 0.5f;
    w.brk = 1.0f;
    w.onset = 1.0f;
    w.onset_speed = 0.0f;
    w.onset_motion = 1.0f;
    w.impact = 1.0f;
    w.impact_speed = 0.5f;
    w.still = 1.0f;
    return w;
}

static float wrap_angle(float a) {
    while (a > (float)M_PI) a -= 2.0f * (float)M_PI;
    while (a < -(float)M_PI) a += 2.0f * (float)M_PI;
    return a;
}

void wm_target_row(const float* st, const float* pd, const float* s1, float dt, float* raw) {
    wm_target_row_turns(st, pd, s1, dt, atan2f(st[SIM_OBS_sin], st[SIM_OBS_cos]),
                        atan2f(s1[SIM_OBS_sin], s1[SIM_OBS_cos]), raw);
}

void wm_target_row_turns(const float* st, const float* pd, const float* s1, float dt, float a0, float a1,
                         float* raw) {
    float va[3], vn[3];
    for (int c = 0; c < 3; c++) {
        va[c] = st[SIM_OBS_vx + c] + pd[c];
        vn[c] = s1[SIM_OBS_vx + c];
        raw[WM_DV + c] = vn[c] - va[c];
    }
    /* what integrating with the velocities misses: Chipmunk's contact corrections */
    float A = WM_INT_A;
    raw[WM_EPS + 0] = s1[SIM_OBS_x] - (st[SIM_OBS_x] + dt * (A * va[0] + (1 - A) * vn[0]));
    raw[WM_EPS + 1] = s1[SIM_OBS_y] - (st[SIM_OBS_y] + dt * (A * va[1] + (1 - A) * vn[1]));
    float turn = wrap_angle(a1 - a0);
    raw[WM_EPS + 2] = turn - dt * (A * va[2] + (1 - A) * vn[2]);
}

int wm_targets(const WmModel* m, WmScratch* s, const WmTransitions* t, float* raw_targets) {
    int K = m->arch.slots, rows = 0;
    float dt = m->arch.dt;
    for (int r = 0; r < s->nd; r++) {
        int i = s->row_node[r];
        size_t idx = (size_t)s->node_world[i] * K + s->node_slot[i];
        float* tg = s->target + (size_t)r * WM_OUTPUTS;
        float* w = s->weight + (size_t)r * WM_OUTPUTS;
        memset(tg, 0, sizeof(float) * WM_OUTPUTS);
        memset(w, 0, sizeof(float) * WM_OUTPUTS);
        const float* lab = t->labels + idx * WM_EVENTS;
        /* dynamics, for bodies alive at both ticks */
        if (t->m1[idx]) {
            const float* s1 = t->s1 + idx * D;
            float* raw = raw_targets + (size_t)rows * WM_TARGETS;
            wm_target_row(s->state + (size_t)i * D, s->pdv + (size_t)r * 3, s1, dt, raw);
            for (int c = 0; c < WM_TARGETS; c++) {
                tg[c] = raw[c];   /* normalized by wm_loss, with the statistics of that moment */
                w[c] = 1.0f;
            }
            rows++;
            tg[WM_REST] = hypotf(s1[SIM_OBS_vx], s1[SIM_OBS_vy]) < WM_REST_SPEED &&
                          fabsf(s1[SIM_OBS_omega]) < WM_REST_OMEGA;
            w[WM_REST] = 1.0f;
        }
        for (int e = 0; e < WM_EVENTS; e++) {
            tg[WM_OUT_EVENTS + e] = lab[e];
            w[WM_OUT_EVENTS + e] = 1.0f;
        }
        /* a body that is gone after the tick and breaks within the horizon broke in it */
        tg[WM_BREAK_NOW] = !t->m1[idx] && lab[WM_EVENT_BREAK] > 0.5f;
        w[WM_BREAK_NOW] = 1.0f;
    }
    return rows;
}

double wm_loss(const WmModel* m, WmScratch* s, const WmLossWeights* lw, bool grad, double* nll_loss) {
    const float* tm = m->tgt.fmean;
    const float* ts = m->tgt.fstd;
    int dyn_rows = 0, ev_rows = 0;
    for (int i = 0; i < s->nd; i++) {
        dyn_rows += s->weight[(size_t)i * WM_OUTPUTS + WM_DV] > 0;
        ev_rows += s->weight[(size_t)i * WM_OUTPUTS + WM_OUT_EVENTS] > 0;
    }
    float sd = dyn_rows ? 1.0f / (float)(3 * dyn_rows) : 0.0f;
    /* the rows a dynamic body is hitting (of impact_speed), for their weight */
    bool impacts = lw->impact != 1.0f;
    if (impacts) {
        memset(s->hit, 0, (size_t)s->nd);
        wm_mark_impacts(m, s, lw->impact_speed, s->hit);
    }
    float se = ev_rows ? lw->events / (float)(WM_LOGITS * ev_rows) : 0.0f;
    double ld = 0, le = 0, ln = 0;
    for (int i = 0; i < s->nd; i++) {
        const float* o = s->out + (size_t)i * WM_OUTPUTS;
        const float* w = s->weight + (size_t)i * WM_OUTPUTS;
        const float* tg = s->target + (size_t)i * WM_OUTPUTS;
        float* d = grad ? s->dout + (size_t)i * WM_OUTPUTS : NULL;
        float tn[WM_TARGETS];
        for (int c = 0; c < WM_TARGETS; c++) tn[c] = (tg[c] - tm[c]) / ts[c];
        if (d) memset(d, 0, sizeof(float) * WM_OUTPUTS);
        /* an onset row: a body at rest now, unpushed, that moves next tick (of onset_speed) */
        bool onset = false;
        if ((lw->onset != 1.0f || lw->onset_motion != 1.0f) && w[WM_REST] > 0 && tg[WM_REST] < 0.5f) {
            const float* st = s->state + (size_t)s->row_node[i] * D;
            const float* pd = s->pdv + (size_t)i * 3;
            /* its velocities next tick: now's plus the change (unpushed) */
            float vx = st[SIM_OBS_vx] + tg[WM_DV], vy = st[SIM_OBS_vy] + tg[WM_DV + 1];
            float om = st[SIM_OBS_omega] + tg[WM_DV + 2];
            bool fast = lw->onset_speed <= 0 || hypotf(vx, vy) > lw->onset_speed ||
                        fabsf(om) > 5.0f * lw->onset_speed;
            onset = pd[0] == 0.0f && pd[1] == 0.0f && pd[2] == 0.0f && wm_at_rest(st) && fast;
        }
        /* the means (an onset's weigh onset_motion times) */
        float sm = onset ? sd * lw->onset_motion : sd;
        /* (and a hit row's impact times) */
        if (impacts && s->hit[i]) sm *= lw->impact;
        ld += nn_loss_mse(3, o + WM_DV, tn + WM_DV, w + WM_DV, sm, d ? d + WM_DV : NULL);
        ld += nn_loss_mse(3, o + WM_EPS, tn + WM_EPS, w + WM_EPS, sm * lw->eps, d ? d + WM_EPS : NULL);
        /* the variance head: Gaussian NLL of the error, the mean held fixed */
        for (int c = 0; c < WM_TARGETS; c++) {
            if (w[c] <= 0) continue;
            float ls = o[WM_LOGSIG + c];
            bool clamped = ls < WM_LOGSIG_MIN || ls > WM_LOGSIG_MAX;
            ls = fminf(fmaxf(ls, WM_LOGSIG_MIN), WM_LOGSIG_MAX);
            float r = tn[c] - o[c], iv = expf(-2.0f * ls);
            ln += (double)sd * lw->nll * (0.5 * r * r * iv + ls);
            if (d) d[WM_LOGSIG + c] = clamped ? 0.0f : sd * lw->nll * (1.0f - r * r * iv);
        }
        /* the break heads weigh brk times the others */
        float we[WM_LOGITS];
        memcpy(we, w + WM_OUT_EVENTS, sizeof we);
        we[WM_EVENT_BREAK] *= lw->brk;
        we[WM_BREAK_NOW - WM_OUT_EVENTS] *= lw->brk;
        /* the rest head on an onset row weighs onset times the others */
        if (onset) we[WM_REST - WM_OUT_EVENTS] *= lw->onset;
        /* the event heads on a body at rest now weigh still times the others */
        if (lw->still != 1.0f && wm_at_rest(s->state + (size_t)s->row_node[i] * D))
            for (int e = 0; e < WM_EVENTS; e++) we[e] *= lw->still;
        le += nn_loss_bce_logits(WM_LOGITS, o + WM_OUT_EVENTS, tg + WM_OUT_EVENTS, we, se, d ? d + WM_OUT_EVENTS : NULL);
    }
    if (nll_loss) *nll_loss = ln;
    return ld + le + ln;
}
