/* jepa_events: the pixel model's event heads, trained with it (nudge train --event-weight W).
 *
 * pix26's fate probe (model/jepa_fate.h) reads a frozen latent that nothing asked to know whether a
 * glass is about to break; here the same two heads are trained jointly and their gradient reaches
 * the encoder. On the trained encoder's latent z_0 of a window [cells, C], pooled over the cells (per
 * channel the mean, largest and smallest value: x, F = 3C features, jepa_fate_features):
 *   ahead: p = sigmoid(w_a . x + b_a), a break (WM_BIT_BREAK of any body) in records t+1 .. t+H;
 *   seen:  q = sigmoid(w_s . x + b_s), a break in records t-H+1 .. t;   H = JEPA_EVENT_HORIZON.
 * The loss of a batch, per head, is the class-weighted mean of the binary cross entropy over the
 * windows whose label is known: a window with a break weighs pos_weight (the training windows'
 * ratio of those without to those with one, JEPA_EVENT_MAX_POS_WEIGHT at most), one without 1, and
 * the sum is divided by the sum of the weights; the whole term is W times the two heads' mean. Its
 * gradient goes to the heads and through the pooling into z_0 (the largest and smallest value's to
 * the cell that holds it). A weighted fit's logit is the base rate's plus log pos_weight, so the
 * model keeps b - log pos_weight (jepa_event_heads: probabilities at the data's base rate). */
#ifndef NUDGE_MODEL_JEPA_EVENTS_H
#define NUDGE_MODEL_JEPA_EVENTS_H
#include <stdbool.h>
#include <stdint.h>

#include "model/jepa.h"
#include "model/jepa_replay.h"

/// records the heads look ahead and back (JEPA_FATE_HORIZON, WM_EVENT_HORIZON: 0.5 s at 60 Hz)
#define JEPA_EVENT_HORIZON 30
#define JEPA_EVENT_MAX_POS_WEIGHT 1000.0

/// the labels of the window ending at record seq of replay r: y[2] (ahead, seen) and whether each is
/// known, ok[2] (ahead: a break came, or the episode holds the H records after seq; seen: always)
void   jepa_event_labels(const JepaReplay* r, int64_t seq, uint8_t* y, uint8_t* ok);
/// the loss above of B latents z[B, cells, C] under heads w[2 (3C + 1)] (weights, then the bias;
/// ahead's then seen's), labels y[B, 2], known ok[B, 2], pos_weight[2]; times scale (W). x: scratch
/// [B * 3C]. With dz (may be NULL) its gradient is added to dz[B, cells, C], with dw (may be NULL) to
/// dw[2 (3C + 1)]. p (may be NULL): each window's probabilities [B, 2]
double jepa_event_loss(int B, int cells, int C, const float* z, const float* w, const uint8_t* y,
                       const uint8_t* ok, const double* pos_weight, float scale, float* x, float* dz, float* dw,
                       double* p);
/// the probabilities [2] (ahead, seen) of heads w[2 (3C + 1)] on one latent grid z[cells, C]; x:
/// scratch [3C]
void   jepa_event_apply(int cells, int C, const float* w, const float* z, float* x, double* p);

#endif
