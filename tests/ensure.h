/* ensure: the tests' tiny assertion macros (Box2D's habit).
 * ENSURE(cond): a failure prints file:line and the condition and exits 1 at once.
 * CHECK(cond): a failure prints the same and is counted; main ends with
 * `return ensure_finish("test_x");`, which prints the count and returns the exit status. */
#ifndef NUDGE_TESTS_ENSURE_H
#define NUDGE_TESTS_ENSURE_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define ENSURE(cond)                                                               \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: ENSURE failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

#define ENSURE_NEAR(a, b, tol)                                                              \
    do {                                                                                    \
        double ensure_a_ = (a), ensure_b_ = (b);                                            \
        if (!(fabs(ensure_a_ - ensure_b_) <= (tol))) {                                      \
            fprintf(stderr, "%s:%d: ENSURE_NEAR failed: %s = %.9g, %s = %.9g, tol %g\n", __FILE__, \
                    __LINE__, #a, ensure_a_, #b, ensure_b_, (double)(tol));                 \
            exit(1);                                                                        \
        }                                                                                   \
    } while (0)

static int ensure_failures;

#define CHECK(cond)                                                                 \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ensure_failures++;                                                      \
        }                                                                           \
    } while (0)

static inline int ensure_finish(const char* name) {
    if (ensure_failures) {
        fprintf(stderr, "%s: %d failure(s)\n", name, ensure_failures);
        return 1;
    }
    fprintf(stderr, "%s: all passed\n", name);
    return 0;
}

#define RUN(test)                               \
    do {                                        \
        fprintf(stderr, "  %s\n", #test);       \
        test();                                 \
    } while (0)

#endif
