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
/// the BLAS threads a call may use now (1 when the library cannot say)
int  nn_threads(void);
/// for a command that does no matrix math: stops the BLAS library's idle threads, which OpenBLAS
/// starts at load and which spin (sched_yield) for about 0.1 s each before they sleep, taking CPU
/// from the command's own workers; a later BLAS call starts them again. No-op with another BLAS,
/// and when the library is not loaded (it is loaded on the first BLAS call, not at start)
void nn_release_threads(void);
/// true once the BLAS library has been loaded (by the first call that needs it)
bool nn_blas_loaded(void);
/// C[m,n] = alpha * op(A) * op(B) + beta * C; op(A) is [m,k] (A stored [k,m] when ta), op(B) [k,n]
void nn_gemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c);
/// y[m or n] = alpha * op(A) x + beta y, A stored [m,n]; op(A) = A^T when ta
void nn_gemv(bool ta, int m, int n, float alpha, const float* a, const float* x, float beta,
             float* y);

/// the same in double precision (for statistics and solves that float32 would blur)
void nn_dgemm(bool ta, bool tb, int m, int n, int k, double alpha, const double* a, const double* b,
              double beta, double* c);
/// solves A X = B for a symmetric positive definite A[n, n] (LAPACK dpotrf, dpotrs): a is
/// overwritten by its Cholesky factor, b[nrhs][n] (each right-hand side contiguous) by the
/// solutions. false when A is not positive definite
bool nn_cholesky_solve(int n, double* a, int nrhs, double* b);
/// the eigenvalues w[n] (ascending) of a symmetric A[n, n] (LAPACK dsyev; a is destroyed);
/// false when the iteration fails
bool nn_sym_eigvals(int n, double* a, double* w);

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

/* ---- convolutions (conv.c): images are channels-last, x[n, h, w, c] (NHWC), so a pixel is a row
 * and a 1x1 convolution is a linear layer. A convolution is im2col (each output pixel's receptive
 * field unrolled into one row of kh*kw*cin floats, zeros where it hangs over the padding) and one
 * sgemm through nn_gemm; the backward pass is two sgemms and col2im. ---- */

/// y[n, ho, wo, cout] = conv(x[n, h, w, cin], W) + b with a k x k kernel, the same stride along both
/// axes and pad zero pixels on every side; ho = (h + 2 pad - k) / stride + 1 (nn_conv2d_out).
/// W is stored [k*k*cin, cout] (row = (ky, kx, ci)), the offsets index the flat parameter array.
typedef struct NnConv2d {
    int cin, cout, k, stride, pad;
    int w, b;
} NnConv2d;

/// output size along one axis: (in + 2 pad - k) / stride + 1 (< 1 when the kernel does not fit)
int    nn_conv2d_out(int in, int k, int stride, int pad);
void   nn_conv2d_layout(NnConv2d* cv, NnLayout* l, int cin, int cout, int k, int stride, int pad);
/// W ~ N(0, gain^2 * 2 / (k*k*cin)) (He), b = 0
void   nn_conv2d_init(const NnConv2d* cv, float* params, Rng* rng, float gain);
/// floats of the im2col scratch for n images of h x w: n * ho * wo * k * k * cin (0 for a 1x1
/// convolution of stride 1 without padding, which needs none)
size_t nn_conv2d_col_size(const NnConv2d* cv, int n, int h, int w);
/// forward over n images of h x w; col is scratch of nn_conv2d_col_size floats (may be NULL when
/// that is 0); y[n, ho, wo, cout]
void   nn_conv2d_forward(const NnConv2d* cv, const float* params, int n, int h, int w,
                         const float* x, float* col, float* y);
/// backward from dy[n, ho, wo, cout]: accumulates dW, db into grads and writes dx[n, h, w, cin]
/// unless dx is NULL; x is the forward's input; col is scratch as for the forward (its contents
/// are rebuilt, not kept from the forward)
void   nn_conv2d_backward(const NnConv2d* cv, const float* params, float* grads, int n, int h,
                          int w, const float* x, const float* dy, float* col, float* dx);
/// the same with the forward's columns kept (cols: what nn_conv2d_forward left in its col, not
/// rebuilt) and scratch (nn_conv2d_col_size floats) for dx's columns
void   nn_conv2d_backward_cols(const NnConv2d* cv, const float* params, float* grads, int n, int h,
                               int w, const float* x, const float* cols, const float* dy, float* scratch,
                               float* dx);

/// group norm over channels-last maps: per image and group of c / groups channels, the mean and
/// variance over every pixel and channel of the group; y = xhat * gamma[c] + beta[c]
typedef struct NnGroupNorm {
    int c, groups;
    int gamma, beta;
} NnGroupNorm;

/// groups must divide c
void nn_groupnorm_layout(NnGroupNorm* gn, NnLayout* l, int c, int groups);
void nn_groupnorm_init(const NnGroupNorm* gn, float* params);
/// x, y [n, hw, c] (y may alias x); stats[n * groups * 2] receives (mean, rstd) for the backward
void nn_groupnorm_forward(const NnGroupNorm* gn, const float* params, int n, int hw,
                          const float* x, float* y, float* stats);
/// accumulates dgamma, dbeta; writes dx[n, hw, c] (may alias dy) unless NULL; x is the forward's
/// input
void nn_groupnorm_backward(const NnGroupNorm* gn, const float* params, float* grads, int n,
                           int hw, const float* x, const float* stats, const float* dy, float* dx);

/* ---- cell soft-argmax (keypoint.c): where in each cell a heat map peaks, as numbers linear in the
 * position (deep spatial autoencoders' spatial soft-argmax, taken per cell). For each image, cell
 * of s x s pixels of heat[n, h, w, K] and channel k: p = the softmax of the cell's s*s heats, and
 *   out[n, h/s, w/s, 3K] at 3k: (sum_i p_i ox_i, sum_i p_i oy_i, logsumexp_i heat_i - log(s*s))
 * with (ox_i, oy_i) the offset of pixel i's centre from the cell's centre, times `unit`. An even
 * heat gives offset 0 and strength the heat; a peak gives its offset and a larger strength. The
 * expected offsets are one sgemm of the softmax rows with the s*s x 2 offset table. ---- */

/// the sharp kind (temp given: K temperatures): each cell's heats of a channel are normalised first
/// (u = (heat - their mean) / sqrt(their variance + NN_KEYPOINT_EPS)) and the softmax and
/// log-sum-exp are of temp[k] u, so that how sure the softmax is depends on the learned temperature,
/// not on how far a small body's heat stands out of its cell: a body of a few pixels in an even
/// cell gets nearly all the weight, and the offset moves with it one for one. An even cell: u = 0,
/// offset 0, strength 0
#define NN_KEYPOINT_EPS 1e-3
/// energy's scale e: the logit T log(1 + u^2 / e); a pixel at the window's mean heat weighs 1, one
/// u deviations from it (1 + u^2 / e)^T
#ifndef NN_KEYPOINT_ENERGY_EPS
#define NN_KEYPOINT_ENERGY_EPS 0.01
#endif
/// floats of the forward's saved softmax (prob; sharp: with the normalised heats) and of the
/// backward's scratch for n images
size_t nn_keypoint_prob_size(int n, int h, int w, int K, int s, int m, bool sharp);
size_t nn_keypoint_work_size(int n, int h, int w, int K, int s, int m);
/// heat[n, h, w, K] (s divides h and w) -> out[n, h/s, w/s, 3K]; temp: NULL (plain) or [K] (sharp);
/// m: the margin (0: each cell's own s x s pixels; m > 0: a window of (s + 2m)^2 pixels centred on the
/// cell, the map's edge pixels repeated outside it, so that neighbouring windows overlap by 2m and a
/// small body near a cell's border is seen whole by both cells: the offsets then span +-(s/2 + m)
/// units); energy (sharp only): the logits are temp[k] log(1 + u^2) instead of temp[k] u, so the
/// softmax weighs a pixel by (1 + u^2)^T, a power of how far its heat stands from the window's mean
/// either way (a moving body's two crescents in a frame's change both count, and the offset is
/// their centre), and a body moved a fraction of a pixel moves the offset by about as much, where
/// exp(T u) puts nearly all the weight on one pixel and moves in whole pixels; prob:
/// nn_keypoint_prob_size floats, kept for the backward; work: nn_keypoint_work_size floats of scratch
/// nsharp (<= K): with temp, only channels k < nsharp are sharp (or energy); the rest take the plain
/// softmax of their heats (their temperatures unused): a heat whose level says how sure it is
void nn_keypoint_forward(int n, int h, int w, int K, int s, int m, bool energy, float unit, const float* temp,
                         int nsharp, const float* heat, float* prob, float* work, float* out);
/// from dout[n, h/s, w/s, 3K]: writes dheat[n, h, w, K] (with a margin: the sum over the windows
/// holding each pixel) and (sharp) adds the temperatures' gradient into dtemp[K]; prob and temp are
/// the forward's
void nn_keypoint_backward(int n, int h, int w, int K, int s, int m, bool energy, float unit, const float* temp,
                          int nsharp, const float* prob, const float* dout, float* work, float* dheat, float* dtemp);

/* ---- Gaussian blur (keypoint.c): each channel of x[n, h, w, K] convolved with a separable Gaussian of
 * sigma pixels (taps out to ceil(3 sigma), at most NN_BLUR_MAX_RADIUS, summing to 1), the map's
 * outside counting as zero. That operator is symmetric, so its backward is the same call on the
 * gradient. A blob's blurred heat peaks at its centre, where its edge's did not. ---- */
#define NN_BLUR_MAX_RADIUS 12
/// x[n, h, w, K] -> y (not aliasing x); tmp: h * w * K floats of scratch; sigma > 0
void nn_blur(int n, int h, int w, int K, float sigma, const float* x, float* y, float* tmp);

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
/// the bytes nn_mlp_cache_reserve takes for rows rows (a memory estimate made before reserving)
size_t nn_mlp_cache_bytes(const NnMlp* mlp, int rows);
void   nn_mlp_cache_free(NnMlpCache* c);
/// forward for n rows; returns the output [n, out] (inside the cache)
float* nn_mlp_forward(const NnMlp* mlp, const float* params, NnMlpCache* c, int n, const float* x);
/// backward from dy[n,out] (may be modified); accumulates grads; writes dx[n,in] unless NULL
void   nn_mlp_backward(const NnMlp* mlp, const float* params, float* grads, NnMlpCache* c, int n,
                       const float* x, float* dy, float* dx);

/* ---- conv nets (convnet.c): a stack of convolutions, each optionally followed by a group norm,
 * then an activation; channels-last images throughout ---- */

#define NN_CONVNET_MAX 8

typedef struct NnConvLayer {
    NnConv2d    conv;
    bool        norm;        /* a group norm after the convolution */
    NnGroupNorm gn;
    NnAct       act;
    int         h, w;        /* input size (pixels) */
    int         ho, wo;      /* output size */
} NnConvLayer;

typedef struct NnConvNet {
    int         nlayers;
    int         h, w, c;     /* input: h x w pixels of c channels */
    NnConvLayer layer[NN_CONVNET_MAX];
} NnConvNet;

/// starts a net over h x w images of c channels
void nn_convnet_begin(NnConvNet* net, int h, int w, int c);
/// appends conv(k, stride, pad) to cout channels, a group norm of `groups` groups unless groups is
/// 0, and the activation; false (nothing added) when the kernel does not fit the current size,
/// groups does not divide cout or the net is full
bool nn_convnet_add(NnConvNet* net, NnLayout* l, int cout, int k, int stride, int pad, int groups,
                    NnAct act);
/// convolutions He-initialised (the last scaled by last_gain), norms to identity
void nn_convnet_init(const NnConvNet* net, float* params, Rng* rng, float last_gain);
/// the output's height, width and channels
void nn_convnet_out(const NnConvNet* net, int* h, int* w, int* c);
/// floats of one output image (h * w * c)
size_t nn_convnet_out_size(const NnConvNet* net);

/// activations of one conv net for up to cap images
typedef struct NnConvCache {
    int    cap;
    float* pre[NN_CONVNET_MAX];    /* convolution outputs */
    float* normed[NN_CONVNET_MAX]; /* after the norm (aliases pre without one) */
    float* post[NN_CONVNET_MAX];   /* after the activation (aliases normed for NONE and RELU) */
    float* stats[NN_CONVNET_MAX];  /* group norm statistics */
    float* col;                    /* im2col scratch, shared by the layers */
    bool   keep_cols;              /* each layer keeps its forward columns for the backward */
    float* cols[NN_CONVNET_MAX];   /* with keep_cols: layer i's columns */
    float* d[2];                   /* backward ping-pong buffers */
} NnConvCache;

/// a cache for training: each layer keeps its im2col columns from the forward, so the backward
/// does not rebuild them (more memory: a layer's columns are k * k times its input). Call before
/// nn_convnet_cache_reserve; the results are the same bytes either way
void   nn_convnet_cache_keep_cols(NnConvCache* c);
/// grows the cache to hold n images (keeps it when big enough)
void   nn_convnet_cache_reserve(NnConvCache* c, const NnConvNet* net, int n);
/// the bytes nn_convnet_cache_reserve takes for n images, keeping each layer's columns or not (a
/// memory estimate made before reserving)
size_t nn_convnet_cache_bytes(const NnConvNet* net, int n, bool keep_cols);
void   nn_convnet_cache_free(NnConvCache* c);
/// SiLU through a polynomial exp (relative error < 2e-7, vectorized; the conv nets' activation):
/// post = pre * sigmoid(pre), and its backward dpre = dpost * d(post)/d(pre) (dpre may alias dpost)
void   nn_silu_fast_forward(size_t count, const float* pre, float* post);
void   nn_silu_fast_backward(size_t count, const float* pre, const float* dpost, float* dpre);
/// forward for n images x[n, h, w, c]; returns the output [n, ho, wo, cout] (inside the cache)
float* nn_convnet_forward(const NnConvNet* net, const float* params, NnConvCache* c, int n,
                          const float* x);
/// backward from dy[n, ho, wo, cout] (may be modified); accumulates grads; writes dx[n, h, w, c]
/// unless NULL; x is the forward's input
void   nn_convnet_backward(const NnConvNet* net, const float* params, float* grads,
                           NnConvCache* c, int n, const float* x, float* dy, float* dx);
/// the same with dtap[n, ho, wo, cout] of layer `tap` (its output after the activation) added to the
/// gradient that reaches that layer's output (a branch read from it); tap < 0 or dtap NULL: none
void   nn_convnet_backward_tap(const NnConvNet* net, const float* params, float* grads,
                               NnConvCache* c, int n, const float* x, float* dy, float* dx, int tap,
                               const float* dtap);

/* ---- losses (losses.c): each returns scale * sum_i w_i * l_i and, if grad is given, writes
 * grad_i = scale * w_i * dl_i/dpred_i; weight may be NULL (all ones) ---- */

double nn_loss_mse(int n, const float* pred, const float* target, const float* weight, float scale,
                   float* grad);
double nn_loss_huber(int n, const float* pred, const float* target, const float* weight,
                     float delta, float scale, float* grad);
/// mean absolute error's terms |pred - target| (subgradient 0 where they are equal)
double nn_loss_l1(int n, const float* pred, const float* target, const float* weight, float scale,
                  float* grad);
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

/* ---- Polyak averaging of the weights (adamw.c) ---- */

/// the decay of the average at optimizer step t (1 = the first): min(decay, (1 + t) / (10 + t)), so
/// that the early average follows the weights instead of holding on to their initial values (the
/// warm-up of TensorFlow's ExponentialMovingAverage); 0 when decay <= 0
float  nn_ema_decay(float decay, int64_t t);
/// avg[i] = d avg[i] + (1 - d) w[i], in float, in index order (the same bytes everywhere)
void   nn_ema_update(int n, float* avg, const float* w, float d);

#endif
