/* jepa_events: the event heads trained with the pixel model (jepa_events.h) */
#include "model/jepa_events.h"

#include <math.h>
#include <string.h>

#include "model/jepa_fate.h"
#include "model/replay.h"

void jepa_event_labels(const JepaReplay* r, int64_t seq, uint8_t* y, uint8_t* ok) {
    int H = JEPA_EVENT_HORIZON;
    /* ahead: records seq + 1 .. seq + H of the same episode */
    int k = 1;
    y[JEPA_EVENT_AHEAD] = 0;
    for (; k <= H && jepa_replay_window_ok(r, seq, 0, k); k++)
        if (jepa_replay_marks(r, seq + k) & WM_BIT_BREAK) {
            y[JEPA_EVENT_AHEAD] = 1;
            break;
        }
    ok[JEPA_EVENT_AHEAD] = y[JEPA_EVENT_AHEAD] || k > H;
    /* seen: records seq - H + 1 .. seq, those of its episode */
    y[JEPA_EVENT_SEEN] = 0;
    for (k = 0; k < H && jepa_replay_window_ok(r, seq, k, 0); k++)
        if (jepa_replay_marks(r, seq - k) & WM_BIT_BREAK) {
            y[JEPA_EVENT_SEEN] = 1;
            break;
        }
    ok[JEPA_EVENT_SEEN] = 1;
}

static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* -log sigmoid(z) without overflow */
static double nll_pos(double z) { return z > 0 ? log1p(exp(-z)) : -z + log1p(exp(z)); }

static double logit(int F, const float* w, const float* x) {
    double s = w[F];
    for (int i = 0; i < F; i++) s += (double)w[i] * x[i];
    return s;
}

double jepa_event_loss(int B, int cells, int C, const float* z, const float* w, const uint8_t* y,
                       const uint8_t* ok, const double* pos_weight, float scale, float* x, float* dz, float* dw,
                       double* p) {
    int F = 3 * C;
    for (int b = 0; b < B; b++) jepa_fate_features(cells, C, z + (size_t)b * cells * C, x + (size_t)b * F);
    double total = 0;
    for (int h = 0; h < JEPA_EVENT_HEADS; h++) {
        const float* wh = w + (size_t)h * (F + 1);
        double wsum = 0;
        for (int b = 0; b < B; b++)
            if (ok[b * 2 + h]) wsum += y[b * 2 + h] ? pos_weight[h] : 1.0;
        for (int b = 0; b < B; b++) {
            const float* xb = x + (size_t)b * F;
            double s = logit(F, wh, xb), q = sigmoid(s);
            if (p) p[b * 2 + h] = q;
            if (!ok[b * 2 + h] || wsum <= 0) continue;
            bool pos = y[b * 2 + h] != 0;
            double cw = (pos ? pos_weight[h] : 1.0) / wsum;
            total += cw * (pos ? nll_pos(s) : nll_pos(-s));
            /* d/ds of the weighted cross entropy, times the term's scale and the heads' mean */
            float g = (float)(cw * (q - (pos ? 1.0 : 0.0)) * scale / JEPA_EVENT_HEADS);
            if (dw) {
                float* dwh = dw + (size_t)h * (F + 1);
                for (int i = 0; i < F; i++) dwh[i] += g * xb[i];
                dwh[F] += g;
            }
            if (!dz) continue;
            /* through the pooling: the mean to every cell, the largest and smallest to their cells */
            const float* zb = z + (size_t)b * cells * C;
            float* db = dz + (size_t)b * cells * C;
            for (int c = 0; c < C; c++) {
                float gm = g * wh[c] / (float)cells;
                int hi = 0, lo = 0;
                for (int i = 0; i < cells; i++) {
                    float v = zb[(size_t)i * C + c];
                    db[(size_t)i * C + c] += gm;
                    if (v > zb[(size_t)hi * C + c]) hi = i;
                    if (v < zb[(size_t)lo * C + c]) lo = i;
                }
                db[(size_t)hi * C + c] += g * wh[C + c];
                db[(size_t)lo * C + c] += g * wh[2 * C + c];
            }
        }
    }
    return total * scale / JEPA_EVENT_HEADS;
}

void jepa_event_apply(int cells, int C, const float* w, const float* z, float* x, double* p) {
    int F = 3 * C;
    jepa_fate_features(cells, C, z, x);
    for (int h = 0; h < JEPA_EVENT_HEADS; h++) p[h] = sigmoid(logit(F, w + (size_t)h * (F + 1), x));
}
