/* nn: a small float32 neural-network core. Matrices are row-major and packed (leading dimension =
 * row length). Every BLAS call goes through nn_blas.c. Parameters live in one flat array described
 * by an NnLayout (offsets), gradients in a second array of the same size, so the optimizer is one
 * call. A layer is plain data (offsets and sizes); activations live in caller-owned caches. */
#ifndef NUDGE_MODEL_NN_H
#define NUDGE_MODEL_NN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rng.h"

/// hot elementwise loops: vectorized (GCC ignores -O2's cheap-only vectorizer here and drops
/// errno for sqrtf); elementwise only, so results stay bit-identical to the scalar code
#if defined(__GNUC__) && !defined(__clang__)
#define NN_HOT __attribute__((optimize("O3", "no-math-errno")))
#define NN_INLINE static inline __attribute__((always_inline))
#else
#define NN_HOT
#define NN_INLINE static inline
#endif

/* ---- BLAS (nn_blas.c) ---- */

/// BLAS threads (OpenBLAS pools are global); 1 = deterministic
void nn_set_threads(int n);
/// C[m,n] = alpha * op(A) * op(B) + beta * C; op(A) is [m,k] (A stored [k,m] when ta), op(B) [k,n]
void nn_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c);
/// y[m or n] = alpha * op(A) x + beta y, A stored [m,n]; op(A) = A^T when ta
void nn_gemv(bool ta, int m, int n, float alpha, const float* a, const float* x, float beta,
             float* y);

/* ---- parameter layout ---- */

typedef struct NnLayout {
    int      count;      /* floats so far */
    int      cap;
    uint8_t* decay;      /* [count]: 1 = weight decay applies (weights), 0 = not (biases, norms) */
} NnLayout;

/// reserves n floats; returns their offset
int  nn_layout_add(NnLayout* l, int n, bool decay);
void nn_layout_free(NnLayout* l);

/* ---- layers (layers.c) ---- */

typedef enum NnAct { NN_ACT_NONE, NN_ACT_RELU, NN_ACT_SILU } NnAct;

/// y[n,out] = x[n,in] W[in,out] + b[out]; w, b are offsets into the flat parameter array
typedef struct NnLinear {
    int in, out;
    int w, b;
} NnLinear;

void nn_linear_layout(NnLinear* lin, NnLayout* l, int in, int out);
/// W ~ N(0, (gain^2) * 2 / in) (He), b = 0
void nn_linear_init(const NnLinear* lin, float* params, Rng* rng, float gain);
void nn_linear_forward(const NnLinear* lin, const float* params, int n, const float* x, float* y);
/// accumulates dW, db into grads; writes dx[n,in] unless dx is NULL
void nn_linear_backward(const NnLinear* lin, const float* params, float* grads, int n,
                        const float* x, const float* dy, float* dx);

/// max(v, 0) without a branch (on the float's bits; +0 for -0 and negative NaN)
NN_INLINE float nn_relu(float v) {
    union { float f; int32_t i; } u = {v};
    u.i &= ~(u.i >> 31);
    return u.f;
}
/// g where v > 0, else 0, without a branch
NN_INLINE float nn_relu_grad(float v, float g) {
    union { float f; int32_t i; } u = {v}, d = {g};
    d.i &= -(int32_t)(u.i > 0);
    return d.f;
}

/// post = act(pre) over count floats (in place allowed for RELU and NONE)
void nn_act_forward(NnAct act, size_t count, const float* pre, float* post);
/// dpre = dpost * act'(pre); for RELU post may stand in for pre; in place allowed
void nn_act_backward(NnAct act, size_t count, const float* pre, const float* dpost, float* dpre);

/// y = (x - mean) / sqrt(var + eps) * gamma + beta, per row of dim floats
typedef struct NnLayerNorm {
    int dim;
    int gamma, beta;
} NnLayerNorm;

void nn_layernorm_layout(NnLayerNorm* ln, NnLayout* l, int dim);
void nn_layernorm_init(const NnLayerNorm* ln, float* params);
/// stats[2n] receives (mean, rstd) per row for the backward pass
void nn_layernorm_forward(const NnLayerNorm* ln, const float* params, int n, const float* x,
                          float* y, float* stats);
void nn_layernorm_backward(const NnLayerNorm* ln, const float* params, float* grads, int n,
                           const float* x, const float* stats, const float* dy, float* dx);

/* ---- MLP ---- */

#define NN_MLP_MAX 6

/// linear layers with an activation after each but (unless act_last) the last
typedef struct NnMlp {
    int      nlayers;
    NnLinear lin[NN_MLP_MAX];
    NnAct    act;
    bool     act_last;
} NnMlp;

/// sizes[0] = input width, sizes[nsizes-1] = output width
void nn_mlp_layout(NnMlp* mlp, NnLayout* l, const int* sizes, int nsizes, NnAct act,
                   bool act_last);
/// hidden layers He-initialised; the last layer scaled by last_gain
void nn_mlp_init(const NnMlp* mlp, float* params, Rng* rng, float last_gain);
int  nn_mlp_in(const NnMlp* mlp);
int  nn_mlp_out(const NnMlp* mlp);

/// activations of one MLP for up to cap rows
typedef struct NnMlpCache {
    int    cap;
    float* pre[NN_MLP_MAX];    /* layer outputs before the activation */
    float* post[NN_MLP_MAX];   /* after it (aliases pre for RELU/NONE) */
    float* d[2];               /* backward ping-pong buffers */
    float* stats;              /* unused by plain MLPs */
} NnMlpCache;

/// grows the cache to hold rows (keeps it when big enough)
void   nn_mlp_cache_reserve(NnMlpCache* c, const NnMlp* mlp, int rows);
void   nn_mlp_cache_free(NnMlpCache* c);
/// forward for n rows; returns the output [n, out] (inside the cache)
float* nn_mlp_forward(const NnMlp* mlp, const float* params, NnMlpCache* c, int n, const float* x);
/// backward from dy[n,out] (may be modified); accumulates grads; writes dx[n,in] unless NULL
void   nn_mlp_backward(const NnMlp* mlp, const float* params, float* grads, NnMlpCache* c, int n,
                       const float* x, float* dy, float* dx);

/* ---- losses (losses.c): each returns scale * sum_i w_i * l_i and, if grad is given, writes
 * grad_i = scale * w_i * dl_i/dpred_i; weight may be NULL (all ones) ---- */

double nn_loss_mse(int n, const float* pred, const float* target, const float* weight, float scale,
                   float* grad);
double nn_loss_huber(int n, const float* pred, const float* target, const float* weight,
                     float delta, float scale, float* grad);
double nn_loss_bce_logits(int n, const float* logits, const float* target, const float* weight,
                          float scale, float* grad);
float  nn_sigmoid(float x);

/* ---- AdamW (adamw.c) ---- */

typedef struct NnAdamW {
    int     n;
    float*  m;
    float*  v;
    int64_t t;
    float   lr, beta1, beta2, eps, weight_decay;
} NnAdamW;

void   nn_adamw_init(NnAdamW* o, int n, float lr, float weight_decay);
void   nn_adamw_free(NnAdamW* o);
/// sqrt(sum g^2), accumulated in double
double nn_grad_norm(int n, const float* g);
/// clips the gradient to norm <= clip (clip <= 0: no clipping) and takes one step on w; decay[n]
/// marks the decayed entries (NULL = all). Returns the gradient norm before clipping; when it is
/// not finite the step is skipped and w is untouched.
double nn_adamw_step(NnAdamW* o, float* w, float* g, const uint8_t* decay, float clip);

#endif
