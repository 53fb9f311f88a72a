/* workers: one job split over a few threads, each worker a share of it (e.g. every jobs-th episode),
 * for work whose result does not depend on how it is split: each worker writes only its own share's
 * places. The calling thread is worker 0; a thread that cannot start leaves its share to the caller,
 * so the work is done whatever the system allows. */
#ifndef NUDGE_BASE_WORKERS_H
#define NUDGE_BASE_WORKERS_H
#include <stddef.h>

/// at most this many workers
#define WORKERS_MAX 16

/// the workers for tasks shares asked as jobs: jobs clamped to 1..min(tasks, WORKERS_MAX) (1 when
/// tasks < 1)
int  workers_count(int jobs, int tasks);
/// runs fn(args + k * arg_size) for k in [0, jobs) (jobs clamped to 1..WORKERS_MAX), k = 0 and any
/// worker whose thread cannot start on the calling thread, and returns when all have returned
void workers_run(int jobs, void* (*fn)(void*), void* args, size_t arg_size);

#endif
