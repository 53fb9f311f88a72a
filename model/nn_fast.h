/* nn_fast.h: the options of the NN core's vectorized float loops (the conv nets' SiLU, the keypoints'
 * softmax), and exp_fast, the exp they share. Internal to model/.
 *
 * GCC vectorizes exp_fast's clamp only as min/max: with trapping math it stays two branches, and
 * without finite math GCC speculates the clamped branch for every lane, whose pre / (1 + exp(87)) is
 * a denormal (microcode assists: that was 5 ns a value in SiLU). The inlined exp_fast needs the same
 * options. No contraction and no reassociation: finite and infinite inputs give the same bits as
 * the scalar code (tested); a NaN stays a NaN (its sign may differ). NN_FAST_HOT functions are
 * cloned for AVX2 where the CPU has it (chosen at load time; the clones give the same bits) */
#ifndef NUDGE_MODEL_NN_FAST_H
#define NUDGE_MODEL_NN_FAST_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__)
#define NN_FAST_MATH "O3", "no-math-errno", "no-trapping-math", "finite-math-only", "no-signed-zeros"
#define NN_FAST_INLINE static inline __attribute__((always_inline, optimize(NN_FAST_MATH)))
#if defined(__x86_64__)
#define NN_FAST_HOT __attribute__((optimize(NN_FAST_MATH), target_clones("avx2", "default")))
#else
#define NN_FAST_HOT __attribute__((optimize(NN_FAST_MATH)))
#endif
#else
#define NN_FAST_HOT
#define NN_FAST_INLINE static inline
#endif

/* exp(x) in plain float arithmetic that the compiler vectorizes (libm's expf is a call per
   element): x = k ln2 + r with k = round(x / ln2) (the 1.5 * 2^23 trick), exp(r) by its Taylor
   polynomial of degree 6 on |r| <= ln2 / 2 (relative error < 2e-7), times 2^k through the exponent
   bits. x is clamped to [-87, 87], where 2^k stays a normal float; deterministic to the bit */
#define NN_EXP_CLAMP 87.0f
#define NN_EXP_MAGIC 12582912.0f       /* 1.5 * 2^23: adding it rounds to a whole number */
#define NN_EXP_MAGIC_BITS 0x4B400000   /* its bits */
#define NN_EXP_LOG2E 1.44269504f
#define NN_EXP_LN2_HI 0.693359375f     /* ln 2 in two parts: r = x - k hi + k lo */
#define NN_EXP_LN2_LO 2.12194440e-4f
/* exp(r) on |r| <= ln2 / 2: Taylor to degree 6 (r may be a float or a vector of them) */
#define NN_EXP_POLY(r)                                                                                       \
    (1.0f + (r) * (1.0f + (r) * (0.5f + (r) * (1.66666667e-1f + (r) * (4.16666667e-2f + (r) * (8.33333333e-3f + \
                                                                                   (r) * 1.38888889e-3f))))))

NN_FAST_INLINE float exp_fast(float x) {
    x = x < -NN_EXP_CLAMP ? -NN_EXP_CLAMP : x > NN_EXP_CLAMP ? NN_EXP_CLAMP : x;
    float t = x * NN_EXP_LOG2E + NN_EXP_MAGIC;
    float kf = t - NN_EXP_MAGIC;
    int32_t ki;
    memcpy(&ki, &t, 4);
    ki -= NN_EXP_MAGIC_BITS;
    float r = x - kf * NN_EXP_LN2_HI;
    r = r + kf * NN_EXP_LN2_LO;
    float p = NN_EXP_POLY(r);
    int32_t bits = (ki + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

#endif
