/* gen_run: simulating and writing a dataset's shards. Workers take episodes in order from one
 * queue that runs across shards; each records an episode into a small buffer, which is then
 * checksummed and written to its place in its shard's temporary files (data/shard_writer.c):
 * by a writer thread (the workers only simulate, and no two threads write the same files at
 * once), or with many workers by each worker itself. When a shard's last episode is written, a
 * finisher thread makes it durable and renames it into place; it mostly waits on the disk. An
 * episode's bytes depend only on its index, so the result is the same for any number of workers
 * and any order of finishing. */
#ifndef NUDGE_APP_GEN_RUN_H
#define NUDGE_APP_GEN_RUN_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/gen_dataset.h"
#include "base/progress.h"

typedef struct GenRunDef {
    const int* shards;          /* the shards to write, in order */
    int        nshards;
    int        jobs;            /* worker threads */
    bool       writer_thread;   /* a thread checksums and writes what the workers record */
    bool       manifest;        /* rewrite manifest.json after each shard */
    bool       manifest_first;  /* and write it first (data_writer_prepare left it: DataWriter.manifest_later) */
    Progress*  progress;        /* may be NULL */
    volatile sig_atomic_t* interrupted;   /* set by a signal handler: stop after finished shards */
} GenRunDef;

typedef struct GenRunStats {
    int64_t episodes;           /* written */
    int     shards;             /* written */
    double  write_share;        /* share of the workers' time spent writing or waiting on the writing */
    double  cpu_workers;        /* CPU seconds (user + system) of the workers together (recording, and
                                   writing when there is no writer thread) */
    double  cpu_writer;         /* of the writer thread (checksums, writes) */
    double  cpu_finisher;       /* of the finisher thread (small arrays, fsyncs, renames, manifest) */
    int64_t beyond_episodes;    /* episodes in which bodies made after the start (shards) went beyond the slots */
    int64_t beyond_bodies;      /* those bodies, not recorded */
    int     bodies_max;         /* the most bodies an episode held (when some went beyond the slots) */
} GenRunStats;

/// episode buffers beyond one per worker when a writer thread writes: one being written and three
/// waiting, so that a writer held back for a moment (a slow write, another process on its core)
/// does not stop the workers (with one waiting, at --jobs 2 the workers waited for a buffer 13-28
/// ms per 256 episodes, load 3-6; with three, 0-15 ms)
#define GEN_WRITER_SPARE_BUFS 4

/// runs the shards; 0 when all are written, 130 when interrupted (finished shards are kept), 2 on
/// an error (err holds one line)
int gen_run(GenDataset* ds, const GenRunDef* def, GenRunStats* stats, char* err, size_t err_size);

#endif
