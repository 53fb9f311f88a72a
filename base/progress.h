/* progress: a one-line progress bar on stderr, drawn only when stderr is a terminal */
#ifndef NUDGE_BASE_PROGRESS_H
#define NUDGE_BASE_PROGRESS_H
#include <stdbool.h>
#include <stdint.h>

typedef struct Progress {
    const char* what;       /* "episodes", "steps" */
    int64_t     total;
    double      t0;         /* clock_now() at start */
    double      last_draw;
    bool        tty;        /* stderr is a terminal */
    bool        drawn;
} Progress;

void progress_start(Progress* p, const char* what, int64_t total);
/// redraws at most 10 times a second: "done/total what  rate/s  ETA"; extra text is appended
void progress_update(Progress* p, int64_t done, const char* extra);
/// clears the line (terminal only)
void progress_finish(Progress* p);

#endif
