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
NN_FAST_INLINE float exp_fast(float x) {
    x = x < -87.0f ? -87.0f : x > 87.0f ? 87.0f : x;
    const float magic = 12582912.0f;
    float t = x * 1.44269504f + magic;
    float kf = t - magic;
    int32_t ki;
    memcpy(&ki, &t, 4);
    ki -= 0x4B400000;
    float r = x - kf * 0.693359375f;
    r = r + kf * 2.12194440e-4f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.66666667e-1f + r * (4.16666667e-2f + r * (8.33333333e-3f +
                                                                                         r * 1.38888889e-3f)))));
    int32_t bits = (ki + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return p * scale;
}

#endif
