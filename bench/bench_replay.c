/* bench_replay: what keeping, replaying and filming an episode costs, against the bare episode
 * loop measured in the same run (issue 17).
 *
 * One scene (bench/scenes/row_30.scn): a floor and 29 dynamic bodies (glasses, boxes, balls) pushed
 * by the random agent every 0.2-0.5 s, 30 s simulated (1800 control ticks). Each row is timed best of ROUNDS, the
 * rounds interleaved so that a busy machine slows every row alike:
 *   plain            episode_tick alone: the reference (1.00x)
 *   + history        the view's history (a snapshot every 0.1 s, 30 s kept) ticked along
 *   + record         a recording with the world hash and poses after every tick (the default)
 *   + record /6      a recording with them every 6 ticks (--hash-every 6)
 *   replay --check   reading that recording back and re-simulating it, comparing every hash
 *   go back          history_seek to a random kept tick: the time of one seek in control ticks
 *   film             a 1280x720 film at 30 fps through ffmpeg (skipped without ffmpeg)
 * and the memory: the history's bytes at most and the recording's bytes per simulated second. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/episode.h"
#include "agent/history.h"
#include "agent/recording.h"
#include "base/clock.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "view/film.h"

#define TICKS 1800
#define ROUNDS 3
#define SEEKS 200

enum { ROW_PLAIN, ROW_HISTORY, ROW_RECORD, ROW_RECORD6, ROW_REPLAY, ROW_FILM, ROWS };

static const char* row_name[ROWS] = {"plain episode loop", "+ history (30 s)", "+ record (hash every tick)",
                                     "+ record (--hash-every 6)", "replay --check", "+ film 1280x720 30 fps"};

typedef struct Run {
    double  seconds;
    size_t  history_most;   /* bytes */
    long    file_bytes;
    int64_t hashes;
    bool    ok;
} Run;

static long file_size(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* one row: the episode with what the row adds, TICKS ticks */
static Run run_row(const Scenario* s, int row, const char* rec_path, const char* film_path) {
    Run     r = {0};
    char    err[512];
    Episode e;
    memset(&e, 0, sizeof e);
    if (row == ROW_REPLAY) {
        double     t0  = clock_now();
        Recording* rec = rec_load(rec_path, err, sizeof err);
        if (!rec || !episode_begin(&e, s, rec->h.seed, SCN_AGENT_NONE, 64, err, sizeof err)) {
            fprintf(stderr, "bench_replay: %s\n", err);
            rec_free(rec);
            return r;
        }
        RecReplay rp;
        rec_replay_begin(&rp, rec, &e);
        bool same = true;
        while (rec_replay_next(&rp, err, sizeof err)) same = same && !rp.differs;
        r.seconds = clock_now() - t0;
        r.hashes  = rp.hashes;
        r.ok      = same && !err[0] && rp.tick == TICKS;
        if (!r.ok) fprintf(stderr, "bench_replay: the replay differs or stopped at tick %lld %s\n", (long long)rp.tick, err);
        rec_replay_end(&rp);
        episode_end(&e);
        rec_free(rec);
        return r;
    }
    if (!episode_begin(&e, s, 1, -1, 64, err, sizeof err)) {
        fprintf(stderr, "bench_replay: %s\n", err);
        return r;
    }
    History*   h    = NULL;
    RecWriter* w    = NULL;
    ViewFilm*  film = NULL;
    double     t0   = clock_now();
    if (row == ROW_HISTORY) {
        h = history_create(HISTORY_SNAP_EVERY, HISTORY_SPAN);
        history_begin(h, &e);
    }
    if (row == ROW_RECORD || row == ROW_RECORD6) {
        w = rec_writer_open(rec_path, &e, row == ROW_RECORD ? 1 : 6, HISTORY_SNAP_EVERY, err, sizeof err);
        if (!w || !rec_writer_attach(w, &e)) {
            fprintf(stderr, "bench_replay: %s\n", err);
            rec_writer_close(w, err, sizeof err);
            episode_end(&e);
            return r;
        }
    }
    if (row == ROW_FILM) {
        ViewFilmDef d = {film_path, 1280, 720, 30, NULL, "bench_replay"};
        film          = view_film_start(&d, &e, err, sizeof err);
        if (!film) {
            fprintf(stderr, "bench_replay: film skipped: %s\n", err);
            episode_end(&e);
            return r;
        }
    }
    for (int t = 0; t < TICKS; t++) {
        episode_tick(&e, NULL);
        if (h) {
            history_tick(h, &e);
            size_t b = history_bytes(h);
            if (b > r.history_most) r.history_most = b;
        }
    }
    r.ok = true;
    if (w && !rec_writer_close(w, err, sizeof err)) fprintf(stderr, "bench_replay: %s\n", err), r.ok = false;
    if (film && !view_film_finish(film, err, sizeof err)) fprintf(stderr, "bench_replay: %s\n", err), r.ok = false;
    r.seconds = clock_now() - t0;
    if (w) r.file_bytes = file_size(rec_path);
    if (film) unlink(film_path);
    history_free(h);
    episode_end(&e);
    return r;
}

/* going back: SEEKS seeks to random kept ticks of a full history; seconds per seek */
static double seek_cost(const Scenario* s, double* back_one) {
    char    err[256];
    Episode e;
    memset(&e, 0, sizeof e);
    if (!episode_begin(&e, s, 1, -1, 64, err, sizeof err)) return -1;
    History* h = history_create(HISTORY_SNAP_EVERY, HISTORY_SPAN);
    history_begin(h, &e);
    for (int t = 0; t < TICKS + 300; t++) {
        episode_tick(&e, NULL);
        history_tick(h, &e);
    }
    int64_t  lo = history_oldest(h), hi = history_head(h);
    uint64_t x  = 0x9e3779b97f4a7c15ull;
    double   t0 = clock_now();
    bool     ok = true;
    for (int i = 0; i < SEEKS; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ok = ok && history_seek(h, &e, lo + (int64_t)(x % (uint64_t)(hi - lo + 1)), err, sizeof err);
    }
    double per = (clock_now() - t0) / SEEKS;
    /* ',' from the newest tick, SEEKS times one tick back (each from the head again) */
    double back = 0;
    for (int i = 0; i < SEEKS && ok; i++) {
        ok = history_seek(h, &e, hi, err, sizeof err);
        double b0 = clock_now();
        ok = ok && history_seek(h, &e, hi - 1 - i % HISTORY_SNAP_EVERY, err, sizeof err);
        back += clock_now() - b0;
    }
    *back_one = back / SEEKS;
    history_free(h);
    episode_end(&e);
    return ok ? per : -1;
}

int main(int argc, char** argv) {
    sim_quiet_chipmunk();
    if (argc != 2) {
        fprintf(stderr, "usage: bench_replay SCENE.scn (bench/scenes/row_30.scn)\n");
        return 2;
    }
    char      err[512];
    Scenario* s = scn_load(argv[1], err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_replay: %s\n", err);
        return 1;
    }
    char rec_path[64], film_path[64];
    snprintf(rec_path, sizeof rec_path, "/tmp/nudge-bench-replay-%d.nrec", (int)getpid());
    snprintf(film_path, sizeof film_path, "/tmp/nudge-bench-replay-%d.mp4", (int)getpid());

    double best[ROWS];
    Run    last[ROWS];
    bool   have[ROWS];
    for (int i = 0; i < ROWS; i++) best[i] = 1e30, have[i] = false;
    int status = 0;
    for (int round = 0; round < ROUNDS; round++) {
        for (int row = 0; row < ROWS; row++) {
            if (row == ROW_FILM && round > 0 && !have[ROW_FILM]) continue;  /* no ffmpeg: tried once */
            /* the replay reads the every-tick recording: record it again just before */
            if (row == ROW_REPLAY) {
                Run again = run_row(s, ROW_RECORD, rec_path, film_path);
                if (!again.ok) continue;
            }
            Run r = run_row(s, row, rec_path, film_path);
            if (!r.ok) {
                if (row != ROW_FILM) status = 1;
                continue;
            }
            have[row] = true;
            last[row] = r;
            if (r.seconds < best[row]) best[row] = r.seconds;
        }
    }
    unlink(rec_path);
    double back_one = 0, seek = seek_cost(s, &back_one);

    double plain = best[ROW_PLAIN], tick = plain / TICKS;
    printf("bench_replay: 30 bodies at the start (a floor and 29 glasses, boxes and balls, random pushes), %d ticks (%.0f s), best of %d\n",
           TICKS, TICKS / 60.0, ROUNDS);
    for (int row = 0; row < ROWS; row++) {
        if (!have[row]) {
            printf("%-28s skipped\n", row_name[row]);
            continue;
        }
        printf("%-28s %7.3f s  %5.2fx the plain loop", row_name[row], best[row], best[row] / plain);
        if (row == ROW_PLAIN) printf("  (%.0f us a tick, %.0fx real time)", tick * 1e6, (TICKS / 60.0) / plain);
        if (row == ROW_RECORD || row == ROW_RECORD6)
            printf("  (%.1f kB, %.1f kB per simulated second)", last[row].file_bytes / 1e3,
                   last[row].file_bytes / 1e3 / (TICKS / 60.0));
        if (row == ROW_REPLAY) printf("  (%lld hashes compared)", (long long)last[row].hashes);
        if (row == ROW_HISTORY) printf("  (%.1f MB at most)", last[row].history_most / 1e6);
        if (row == ROW_FILM) printf("  (%.2fx real time)", (TICKS / 60.0) / best[row]);
        printf("\n");
    }
    if (seek >= 0)
        printf("go back to a random tick of the last 30 s: %.0f us (%.2f ticks of the plain loop); one tick back (','): %.0f us (%.2f ticks)\n",
               seek * 1e6, seek / tick, back_one * 1e6, back_one / tick);
    else
        printf("go back: failed\n"), status = 1;
    scn_free(s);
    return status;
}
