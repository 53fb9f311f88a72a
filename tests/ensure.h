/* ensure: the tests' tiny assertion macros (Box2D's habit). A failed ENSURE prints file:line and
 * the condition and exits 1, so ctest reports the test as failed. */
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

#define RUN(test)                               \
    do {                                        \
        fprintf(stderr, "  %s\n", #test);       \
        test();                                 \
    } while (0)

#endif
