#include "base/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "base/clock.h"

void progress_start(Progress* p, const char* what, int64_t total) {
    p->what = what;
    p->total = total;
    p->t0 = clock_now();
    p->last_draw = 0;
    p->tty = isatty(2);
    p->drawn = false;
}

void progress_update(Progress* p, int64_t done, const char* extra) {
    if (!p->tty) return;
    double now = clock_now();
    if (done < p->total && now - p->last_draw < 0.1) return;
    p->last_draw = now;
    double el = now - p->t0;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(p->total - done) / rate : 0;
    int width = 24;
    int fill = p->total > 0 ? (int)(width * done / p->total) : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r[%s] %lld/%lld %s  %.1f/s  ETA %02d:%02d %s\033[K", bar, (long long)done,
            (long long)p->total, p->what, rate, (int)(eta / 60), (int)eta % 60, extra ? extra : "");
    fflush(stderr);
    p->drawn = true;
}

void progress_finish(Progress* p) {
    if (p->tty && p->drawn) fprintf(stderr, "\r\033[K");
}
