/* clock: monotonic wall time, for progress bars, benchmarks and the view's frame loop.
 * sim/ never reads it: simulated time is steps * dt. */
#ifndef NUDGE_BASE_CLOCK_H
#define NUDGE_BASE_CLOCK_H

/// seconds since an arbitrary origin (CLOCK_MONOTONIC)
double clock_now(void);
/// CPU seconds this process has used, all its threads (CLOCK_PROCESS_CPUTIME_ID): a budget that
/// other jobs on a shared machine do not eat
double clock_cpu(void);

#endif
