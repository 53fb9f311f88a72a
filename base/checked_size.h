/* checked_size: size arithmetic that refuses to wrap. Every size computed from a file's contents
 * (shapes, counts, lengths) goes through these before it allocates or indexes anything. */
#ifndef NUDGE_BASE_CHECKED_SIZE_H
#define NUDGE_BASE_CHECKED_SIZE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// *out = a * b; false (and *out = 0) when the product does not fit in size_t
static inline bool size_mul_ok(size_t a, size_t b, size_t* out) {
    if (__builtin_mul_overflow(a, b, out)) {
        *out = 0;
        return false;
    }
    return true;
}

/// *out = a + b; false (and *out = 0) when the sum does not fit in size_t
static inline bool size_add_ok(size_t a, size_t b, size_t* out) {
    if (__builtin_add_overflow(a, b, out)) {
        *out = 0;
        return false;
    }
    return true;
}

/// *out = item * dims[0] * ... * dims[n-1]; false when a dimension is negative or the product
/// does not fit in size_t (n = 0 gives item: a scalar)
static inline bool size_product_ok(const int64_t* dims, int n, size_t item, size_t* out) {
    size_t p = item;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0 || (uint64_t)dims[i] > SIZE_MAX || !size_mul_ok(p, (size_t)dims[i], &p)) {
            *out = 0;
            return false;
        }
    }
    *out = p;
    return true;
}

#endif
