/* workers: one job split over a few threads (workers.h) */
#include "base/workers.h"

#include <pthread.h>
#include <stdbool.h>

int workers_count(int jobs, int tasks) {
    if (jobs > tasks) jobs = tasks;
    if (jobs > WORKERS_MAX) jobs = WORKERS_MAX;
    return jobs < 1 ? 1 : jobs;
}

void workers_run(int jobs, void* (*fn)(void*), void* args, size_t arg_size) {
    jobs = workers_count(jobs, WORKERS_MAX);
    char* a = args;
    pthread_t th[WORKERS_MAX];
    bool started[WORKERS_MAX] = {false};
    for (int k = 1; k < jobs; k++) started[k] = pthread_create(&th[k], NULL, fn, a + (size_t)k * arg_size) == 0;
    fn(a);
    for (int k = 1; k < jobs; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else fn(a + (size_t)k * arg_size);
    }
}
