/* rng: a small seeded random number generator (xoshiro256**, seeded by splitmix64).
 * One per world or agent; there is no global rng. Same seed, same sequence, on every machine. */
#ifndef NUDGE_BASE_RNG_H
#define NUDGE_BASE_RNG_H
#include <stdint.h>

typedef struct Rng {
    uint64_t s[4];
} Rng;

/// seeds the generator; every seed (0 too) gives a good state
void     rng_seed(Rng* r, uint64_t seed);
/// a seed for stream `stream` of `seed` (e.g. episode i of a dataset): a strong mix of both
uint64_t rng_derive(uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng* r);
/// uniform in [0, 1), 53 bits
double   rng_unit(Rng* r);
/// uniform in [lo, hi)
double   rng_uniform(Rng* r, double lo, double hi);
/// uniform integer in [lo, hi] (inclusive)
int64_t  rng_int(Rng* r, int64_t lo, int64_t hi);
/// standard normal (Box-Muller, one value per call)
double   rng_normal(Rng* r);

#endif
