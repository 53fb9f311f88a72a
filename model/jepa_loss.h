/* jepa_loss: the safeguard against collapse of the pixel model's latent, and the latent's
 * statistics.
 *
 * The regularizer (VICReg's variance and covariance terms) works on a batch of latent grids
 * z[B, cells, C]. Each cell's latent is centred over the batch (what differs between worlds at that
 * place: the bodies, not the still background, which is the same in every world at that place),
 * and the centred rows of every cell are pooled into one C x C covariance S (over cells * (B - 1)
 * degrees of freedom). Then
 *   variance   = (1 / C) sum_c max(0, gamma - sqrt(S_cc + 1e-4))      (each channel keeps varying)
 *   covariance = (1 / C) sum_{c != d} S_cd^2                          (channels carry different things)
 * Their gradients are added into dz. The same S gives the statistics the trainer logs: each
 * channel's standard deviation and the effective rank exp(-sum p_i log p_i), p = S's eigenvalues
 * over their sum (Roy and Vetterli 2007): C when every channel carries as much as the others, 1 when
 * the latent has collapsed to one direction. */
#ifndef NUDGE_MODEL_JEPA_LOSS_H
#define NUDGE_MODEL_JEPA_LOSS_H
#include <stddef.h>

typedef struct JepaLatentStats {
    double var_loss, cov_loss;   /* the terms above, unweighted */
    double std_mean, std_min;    /* over channels, of sqrt(S_cc) */
    double erank;                /* effective rank of S, 1 .. C */
} JepaLatentStats;

/// scratch of the regularizer for B * cells rows of C channels
typedef struct JepaRegScratch {
    size_t cap;
    float* zc;      /* [rows, C] centred latents */
    float* cov;     /* [C, C] */
    double* eig;    /* [C * C + C] */
} JepaRegScratch;

void jepa_reg_free(JepaRegScratch* s);

/// the spatial variance term: for each window b and each of the first Cs channels, the channel's
/// standard deviation over the window's cells (not over the batch) kept at gamma, w times the mean of
/// max(0, gamma - sd) over the B x Cs pairs. A channel that is the same in every cell of a window (a
/// scene-wide constant, which the batch's variance accepts) pays for it, so the channels must differ
/// where the frame does: they mark where things are. Adds w times its gradient to dz (if not NULL)
double jepa_reg_space(int B, int cells, int C, int Cs, const float* z, float gamma, float w, float* dz);
/// computes the statistics of z[B, cells, C] (B >= 2) into st, and when dz is given adds
/// w_var * d(variance)/dz + w_cov * d(covariance)/dz to dz[B, cells, C]; returns
/// w_var * variance + w_cov * covariance
double jepa_reg(JepaRegScratch* s, int B, int cells, int C, const float* z, float gamma,
                float w_var, float w_cov, float* dz, JepaLatentStats* st);
/// the effective rank of a C x C covariance (double, destroyed): exp of the eigenvalues' entropy
double jepa_effective_rank(int C, double* cov, double* eig);

#endif
