#define _GNU_SOURCE /* sync_file_range */
/* shard_writer: a shard written episode by episode. Each worker records an episode into its own
 * small buffer (DataEpisodeBuf, reused, so it stays in the cache and its pages fault once), then
 * checksums the episode's slices and writes them straight to their places in the shard's
 * temporary files, and asks the kernel to start writing them back. Finishing a shard is then only
 * the events, the fsyncs and the rename: no shard-sized buffer is filled, and no shard's worth of
 * writing waits until its last episode. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/checked_size.h"
#include "base/crc.h"
#include "base/npy.h"
#include "base/report.h"
#include "data/writer.h"
#include "sim/observation.h"

/* slices at least this large go to their file as each episode ends; smaller ones (params, seed,
   scenario, frame_rect: a few bytes an episode) are gathered in memory and written at the end */
#define DATA_STREAM_MIN 4096
/* slices at least this large are handed to the disk at once (sync_file_range); the rest wait for
   the fsync */
#define DATA_FLUSH_MIN (128 * 1024)
/* a slot's dynamic columns in states.npy, bytes */
#define STATE_ROW_BYTES (SIM_OBS_DYNAMIC * sizeof(float))
/* zero runs this long are not written (actions.npy is almost all zeros: no push most ticks) */
#define DATA_HOLE_BYTES 4096
/* episodes behind the one just written whose pages are dropped from the page cache */
#define DATA_DROP_LAG 4

struct DataEpisodeBuf {
    DataDims dims;
    uint8_t* data[DATA_ARRAY_COUNT];   /* one episode's slice of each array; NULL when absent */
    float*   statics;                  /* [K, D - SIM_OBS_DYNAMIC] data_slot_observe's state */
    uint8_t* seen;                     /* [K] */
    uint8_t* pushed;                   /* [T] */
    bool     populated;                /* its pages faulted in (data_episode_buf_populate) */
};

typedef struct DataOutArray {
    int      fd;          /* -1 when the array is absent */
    size_t   slice;       /* bytes per episode */
    uint8_t* gathered;    /* small arrays: header room + every episode's slice, written at the end */
} DataOutArray;

struct DataShardOut {
    int          shard;
    int64_t      first, count;
    char         tmp[4300];              /* DIR/.tmp-shard-NNNNN-PID */
    char         dir[4200];              /* DIR/shard-NNNNN */
    DataOutArray array[DATA_ARRAY_COUNT];
    DataEvent**  events;                 /* per episode */
    int*         nevents;
    DataChange** changes;                /* per episode */
    int*         nchanges;
    DataPush**   pushes;                 /* per episode (version 7: pushes.npy's rows) */
    int*         npushes;
    bool         push_rows;              /* version 7: pushes.npy instead of actions.npy */
    uint32_t*    crc;                    /* [count][DATA_ARRAY_COUNT] */
    int          slots;                  /* K */
    uLong*       tail_op;                /* [K + 1]: zlib's operator appending n empty slots' zeros (T records each) to a CRC */
    uLong*       tail_crc;               /* [K + 1]: the CRC-32 of n empty slots' zeros */
    uLong        row_op[32], row_crc[32];  /* the same for 2^j empty records of actions.npy (zeros) */
};

void data_slot_add_event(DataSlot* s, const DataEvent* e) {
    if (s->nevents == s->capevents) {
        s->capevents = s->capevents ? 2 * s->capevents : 256;
        s->events = alloc_resize(s->events, (size_t)s->capevents, sizeof *s->events);
    }
    s->events[s->nevents++] = *e;
}

static void add_change(DataSlot* s, const DataChange* c) {
    if (s->nchanges == s->capchanges) {
        s->capchanges = s->capchanges ? 2 * s->capchanges : 64;
        s->changes = alloc_resize(s->changes, (size_t)s->capchanges, sizeof *s->changes);
    }
    s->changes[s->nchanges++] = *c;
}

void data_slot_observe(DataSlot* s, int32_t episode, int r, const float* states, const uint8_t* mask) {
    enum { DYN = SIM_OBS_DYNAMIC };
    size_t T = (size_t)s->records, K = (size_t)s->slots, D = (size_t)s->dim, S = D - DYN;
    if (r == 0) {
        /* states.npy is slot-first ([K, T, DYN] an episode): the slots the last episode in this
           buffer used are cleared, and a record writes its live slots only, so a slot's records
           where no body is live, and every slot no body held, stay zero */
        for (size_t k = 0; k < K; k++)
            if (s->seen[k]) memset(s->states + k * T * DYN, 0, sizeof(float) * T * DYN);
        memset(s->bodies, 0, sizeof(float) * K * S);
        memset(s->seen, 0, K);
    }
    memcpy(s->mask + (size_t)r * K, mask, K);
    for (size_t k = 0; k < K; k++) {
        if (!mask[k]) continue;
        const float* row = states + k * D;
        memcpy(s->states + (k * T + (size_t)r) * DYN, row, sizeof(float) * DYN);
        float* cur = s->statics + k * S;
        if (!s->seen[k]) {
            /* a slot holds one body per episode: its static columns once */
            memcpy(cur, row + DYN, sizeof(float) * S);
            memcpy(s->bodies + k * S, row + DYN, sizeof(float) * S);
            s->seen[k] = 1;
            continue;
        }
        if (!memcmp(cur, row + DYN, sizeof(float) * S)) continue;
        for (size_t c = 0; c < S; c++) {
            if (!memcmp(&cur[c], &row[DYN + c], sizeof(float))) continue;
            DataChange ch = {episode, r, (int32_t)k, (uint8_t)(DYN + c), row[DYN + c]};
            add_change(s, &ch);
            cur[c] = row[DYN + c];
        }
    }
}

void data_slot_clear(DataSlot* s) {
    free(s->events);
    free(s->changes);
    s->events = NULL;
    s->changes = NULL;
    s->nevents = s->capevents = s->nchanges = s->capchanges = 0;
}

/* bytes of one episode's slice of array a (the caller bounded the episode's size) */
static size_t slice_of(DataArrayId a, const DataDims* d) {
    size_t n = 0;
    if (!data_array_slice_bytes(a, d, &n)) alloc_fail(SIZE_MAX);
    return n;
}

/* faults in the pages of [p, p + n) at once, writable (MADV_POPULATE_WRITE, Linux 5.14): one
   system call instead of a page fault per page on the recorder's first touches (a fault is dear in
   this VM). Where the kernel lacks it, the pages fault one by one as before */
static void populate(void* p, size_t n) {
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || n < (size_t)page) return;
    uintptr_t from = (uintptr_t)p & ~((uintptr_t)page - 1), to = (uintptr_t)p + n;
    /* calloc's block of this size is a mapping of its own, its first page holding the header: the
       rounded range lies inside it */
    (void)madvise((void*)from, to - from, MADV_POPULATE_WRITE);
}

DataEpisodeBuf* data_episode_buf_new(const DataWriter* w) {
    DataEpisodeBuf* b = alloc_zeroed(1, sizeof *b);
    b->dims = w->meta.dims;
    /* actions are recorded as [T, K, 4] whatever the version (from version 7 the writer turns them
       into pushes.npy's rows) */
    for (int a = 0; a < DATA_ARRAY_COUNT; a++)
        if (a == DATA_ACTIONS ||
            (!data_array_is_rows((DataArrayId)a) && data_array_present((DataArrayId)a, &w->meta.dims))) {
            size_t n = slice_of((DataArrayId)a, &w->meta.dims);
            b->data[a] = alloc_zeroed(1, n);
        }
    b->statics = alloc_zeroed((size_t)w->meta.dims.slots * (size_t)(w->meta.dims.dim - SIM_OBS_DYNAMIC), sizeof(float));
    b->seen = alloc_zeroed((size_t)w->meta.dims.slots, 1);
    b->pushed = alloc_zeroed((size_t)w->meta.dims.records, 1);
    return b;
}

void data_episode_buf_populate(DataEpisodeBuf* b) {
    if (b->populated) return;
    for (int a = 0; a < DATA_ARRAY_COUNT; a++)
        if (b->data[a]) populate(b->data[a], slice_of((DataArrayId)a, &b->dims));
    b->populated = true;
}

void data_episode_buf_free(DataEpisodeBuf* b) {
    if (!b) return;
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) free(b->data[a]);
    free(b->statics);
    free(b->seen);
    free(b->pushed);
    free(b);
}

void data_episode_buf_slot(DataEpisodeBuf* b, DataSlot* out) {
    memset(out, 0, sizeof *out);
    out->records = b->dims.records;
    out->slots = b->dims.slots;
    out->dim = b->dims.dim;
    out->states = (float*)b->data[DATA_STATES];
    out->mask = b->data[DATA_MASK];
    out->bodies = (float*)b->data[DATA_BODIES];
    out->statics = b->statics;
    out->seen = b->seen;
    out->pushed = b->pushed;
    out->actions = (float*)b->data[DATA_ACTIONS];
    out->contacts = b->data[DATA_CONTACTS];
    out->params = (double*)b->data[DATA_PARAMS];
    out->scenario = (int32_t*)b->data[DATA_SCENARIO];
    out->seed = (uint64_t*)b->data[DATA_SEED];
    out->frames = b->data[DATA_FRAMES];
    out->frame_rect = (double*)b->data[DATA_FRAME_RECT];
}

/* the CRC-32 of an episode's states ([K, T, SIM_OBS_DYNAMIC] floats, slot-first). A slot that no
   body held in the episode (seen[k] == 0) is zeros (data_slot_observe clears a buffer's used slots
   when an episode starts and writes live slots only), and a run of n such slots is summed in one
   step (zlib's combination with the CRC of as many zeros); the others byte by byte. The same CRC
   as crc32_update over the bytes */
static uint32_t crc_states(const DataShardOut* s, const uint8_t* p, const uint8_t* seen, size_t slot_bytes) {
    size_t K = (size_t)s->slots;
    uLong crc = 0;
    for (size_t k = 0; k < K;) {
        size_t run = k;
        while (run < K && !seen[run]) run++;
        if (run > k) {
            crc = crc32_combine_op(crc, s->tail_crc[run - k], s->tail_op[run - k]);
            k = run;
            continue;
        }
        while (run < K && seen[run]) run++;
        crc = crc32_update((uint32_t)crc, p + k * slot_bytes, (run - k) * slot_bytes);
        k = run;
    }
    return (uint32_t)crc;
}

/* writes n bytes at offset off; false with errno set */
static bool pwrite_all(int fd, const uint8_t* p, size_t n, off_t off) {
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n > (1u << 30) ? (1u << 30) : n, off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (w == 0) {
            errno = EIO;
            return false;
        }
        p += w, off += w;
        n -= (size_t)w;
    }
    return true;
}

/* true when the n bytes at p are all zero */
static bool all_zero(const uint8_t* p, size_t n) {
    static const uint8_t zeros[DATA_HOLE_BYTES];
    while (n > DATA_HOLE_BYTES) {
        if (memcmp(p, zeros, DATA_HOLE_BYTES) != 0) return false;
        p += DATA_HOLE_BYTES, n -= DATA_HOLE_BYTES;
    }
    return memcmp(p, zeros, n) == 0;
}

/* writes the n bytes at p to offset off, except the parts of file pages (DATA_HOLE_BYTES, counted
   from the file's start) that are all zeros here: the file was sized beforehand, so what is skipped
   reads back as zeros, and a page no episode writes takes no disk. Counted from the file rather
   than the slice, a push (one 512-byte record of actions.npy, no push in the records around it)
   dirties one page instead of the two that a slice-relative block straddles. false with errno */
static bool pwrite_nonzero(int fd, const uint8_t* p, size_t n, off_t off) {
    size_t from = 0, at = 0;   /* from: the start of the run being gathered */
    bool run = false;
    while (at < n) {
        size_t end = at + DATA_HOLE_BYTES - (size_t)((off + (off_t)at) % DATA_HOLE_BYTES);
        if (end > n) end = n;
        bool zero = all_zero(p + at, end - at);
        if (zero && run && !pwrite_all(fd, p + from, at - from, off + (off_t)from)) return false;
        if (!zero && !run) from = at;
        run = !zero;
        at = end;
    }
    return !run || pwrite_all(fd, p + from, n - from, off + (off_t)from);
}

/* bytes of one record of actions.npy: K slots of (jx, jy, px, py) */
#define ACTION_ROW_BYTES(K) ((size_t)(K) * 4 * sizeof(float))

/* the CRC-32 of an episode's actions ([T, K, 4] floats) when only the records with pushed[r] set
   may be nonzero (the recorder's flags): those records summed, each run of n others added as n
   records of zeros in at most log2(n) steps. The same CRC as crc32_update over the bytes, without
   reading the 246 KB of zeros an 8 s episode at 32 slots holds */
static uint32_t crc_actions(const DataShardOut* s, const uint8_t* p, const uint8_t* pushed, int records) {
    size_t row = ACTION_ROW_BYTES(s->slots);
    uLong crc = 0;
    for (int r = 0; r < records;) {
        int from = r;
        while (r < records && !pushed[r]) r++;
        for (unsigned n = (unsigned)(r - from), j = 0; n > 0; n >>= 1, j++)
            if (n & 1) crc = crc32_combine_op(crc, s->row_crc[j], s->row_op[j]);
        if (r < records) crc = crc32_update((uint32_t)crc, p + (size_t)r * row, row), r++;
    }
    return (uint32_t)crc;
}

/* writes the runs of units u (unit bytes each, n of them) with used[u] set to offset off, each run
   by `write` at once; the other units are zeros and stay holes (the file was sized beforehand),
   unscanned. Actions: records flagged as pushed (pwrite_all); states ([K, T, SIM_OBS_DYNAMIC],
   slot-first): slots some body held, by pwrite_nonzero (pages of a used slot where its body was not
   yet made or is gone are zeros too). false with errno */
static bool pwrite_runs(int fd, const uint8_t* p, const uint8_t* used, size_t n, size_t unit, off_t off,
                        bool (*write)(int, const uint8_t*, size_t, off_t)) {
    for (size_t u = 0; u < n;) {
        if (!used[u]) {
            u++;
            continue;
        }
        size_t end = u;
        while (end < n && used[end]) end++;
        if (!write(fd, p + u * unit, (end - u) * unit, off + (off_t)(u * unit))) return false;
        u = end;
    }
    return true;
}

/* the .npy header of array a in a shard of E episodes (nevents rows for events), DATA_HEAD_BYTES
   long, into head */
static bool header_of(DataArrayId a, const DataDims* d, int64_t E, int64_t nevents, char head[DATA_HEAD_BYTES]) {
    int64_t shape[5];
    int ndim = data_array_shape(a, d, E, nevents, shape);
    return npy_header_padded(head, DATA_HEAD_BYTES, data_arrays[a].descr, shape, ndim, DATA_HEAD_BYTES) ==
           DATA_HEAD_BYTES;
}

/* the fsync threads: made on a writer's first finished shard and kept, so that each shard's
   fsyncs run at once without making and ending a thread per file (8 shards of 11 files: 88 thread
   starts, each mapping its stack and clearing the loaded libraries' 124 KiB of static TLS, and 88
   ends, each unmapping pages and so flushing the TLB of every core that runs the workers) */
struct DataSyncPool {
    pthread_mutex_t lock;
    pthread_cond_t  work, done;
    pthread_mutex_t call;                       /* one fsync_all at a time */
    pthread_t       threads[DATA_ARRAY_COUNT + 1];
    int             nthreads;
    const int*      fds;                        /* the current call's files */
    int             n, next, finished, err;
    bool            stop;
};

/* takes the current call's files one at a time until none is left (with p->lock held) */
static void sync_take(struct DataSyncPool* p) {
    while (p->next < p->n) {
        int fd = p->fds[p->next++];
        pthread_mutex_unlock(&p->lock);
        int e = fsync(fd) == 0 ? 0 : errno;
        pthread_mutex_lock(&p->lock);
        if (e && !p->err) p->err = e;
        if (++p->finished == p->n) pthread_cond_broadcast(&p->done);
    }
}

static void* sync_main(void* arg) {
    struct DataSyncPool* p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->next >= p->n) pthread_cond_wait(&p->work, &p->lock);
        if (p->stop) break;
        sync_take(p);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct DataSyncPool* data_sync_pool_new(void) {
    struct DataSyncPool* p = alloc_zeroed(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->call, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    return p;
}

void data_sync_pool_free(struct DataSyncPool* p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int k = 0; k < p->nthreads; k++) pthread_join(p->threads[k], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->call);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* fsyncs the files all at once: one after another each waits for its own device flush (4-10 ms
   measured in this VM, 16 of them after the last episode), together the block layer merges them;
   0, or the first failure's errno. The caller takes files too; with fewer threads than files (none
   could be made) the files simply take longer */
static int fsync_all(struct DataSyncPool* p, const int* fds, int n) {
    if (!p) {   /* a writer without its pool: one after another */
        int err = 0;
        for (int k = 0; k < n; k++)
            if (fsync(fds[k]) != 0 && !err) err = errno;
        return err;
    }
    pthread_mutex_lock(&p->call);
    pthread_mutex_lock(&p->lock);
    /* small stacks (an fsync needs little; glibc keeps up to 40 MB of exited threads' stacks, 4
       of the default 8 MB ones). The static TLS of every loaded library comes out of the stack too
       (124 KiB here, most of it OpenBLAS's and nudge's): 128 KiB was refused (EINVAL) and every
       fsync ran one after another; a refused size falls back to the default */
    if (p->nthreads < n - 1 && !p->stop) {
        pthread_attr_t attr;
        bool has_attr = pthread_attr_init(&attr) == 0;
        bool small = has_attr && pthread_attr_setstacksize(&attr, 1024 * 1024) == 0;
        while (p->nthreads < n - 1 && p->nthreads < DATA_ARRAY_COUNT + 1) {
            pthread_t* t = &p->threads[p->nthreads];
            if (!(small && pthread_create(t, &attr, sync_main, p) == 0) && pthread_create(t, NULL, sync_main, p) != 0)
                break;
            p->nthreads++;
        }
        if (has_attr) pthread_attr_destroy(&attr);
    }
    p->fds = fds;
    p->n = n;
    p->next = p->finished = p->err = 0;
    pthread_cond_broadcast(&p->work);
    sync_take(p);
    while (p->finished < p->n) pthread_cond_wait(&p->done, &p->lock);
    int err = p->err;
    p->fds = NULL;
    p->n = p->next = p->finished = 0;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->call);
    return err;
}

static void out_close(DataShardOut* s) {
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        if (s->array[a].fd >= 0) close(s->array[a].fd);
        s->array[a].fd = -1;
    }
}

void data_shard_out_drop(DataShardOut* s) {
    if (!s) return;
    out_close(s);
    if (s->tmp[0]) remove_tree(s->tmp);
    for (int64_t i = 0; i < s->count; i++) free(s->events[i]), free(s->changes[i]), free(s->pushes[i]);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) free(s->array[a].gathered);
    free(s->events);
    free(s->nevents);
    free(s->changes);
    free(s->nchanges);
    free(s->pushes);
    free(s->npushes);
    free(s->crc);
    free(s->tail_op);
    free(s->tail_crc);
    free(s);
}

DataShardOut* data_shard_out_open(const DataWriter* w, int shard, char* err, size_t err_size) {
    const DataDims* d = &w->meta.dims;
    DataShardOut* s = alloc_zeroed(1, sizeof *s);
    s->shard = shard;
    s->first = data_writer_shard_first(w, shard);
    s->count = data_writer_shard_count(w, shard);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) s->array[a].fd = -1;
    size_t E = (size_t)s->count;
    s->events = alloc_zeroed(E, sizeof *s->events);
    s->nevents = alloc_zeroed(E, sizeof *s->nevents);
    s->changes = alloc_zeroed(E, sizeof *s->changes);
    s->nchanges = alloc_zeroed(E, sizeof *s->nchanges);
    s->pushes = alloc_zeroed(E, sizeof *s->pushes);
    s->npushes = alloc_zeroed(E, sizeof *s->npushes);
    s->crc = alloc_zeroed(E * DATA_ARRAY_COUNT, sizeof *s->crc);
    s->slots = d->slots;
    s->push_rows = data_array_present(DATA_PUSHES, d);
    s->tail_op = alloc_zeroed((size_t)d->slots + 1, sizeof *s->tail_op);
    s->tail_crc = alloc_zeroed((size_t)d->slots + 1, sizeof *s->tail_crc);
    /* the CRC of n empty slots (T records each) and the operator appending them */
    size_t slot_bytes = (size_t)d->records * STATE_ROW_BYTES;
    uint8_t* empty_slot = alloc_zeroed(slot_bytes, 1);
    for (int n = 1; n <= d->slots; n++) {
        s->tail_op[n] = crc32_combine_gen((z_off_t)(n * slot_bytes));
        s->tail_crc[n] = crc32_update((uint32_t)s->tail_crc[n - 1], empty_slot, slot_bytes);
    }
    free(empty_slot);
    /* the CRC of 2^j records of actions.npy's zeros and the operator appending them */
    size_t row = ACTION_ROW_BYTES(d->slots);
    uint8_t* zeros = alloc_zeroed(row, 1);
    s->row_crc[0] = crc32_update(0, zeros, row);
    free(zeros);
    for (int j = 0; j < 32 && (1L << j) <= d->records; j++) {
        s->row_op[j] = crc32_combine_gen((z_off_t)(row << j));
        if (j > 0) s->row_crc[j] = crc32_combine_op(s->row_crc[j - 1], s->row_crc[j - 1], s->row_op[j - 1]);
    }
    snprintf(s->tmp, sizeof s->tmp, "%s/.tmp-shard-%05d-%ld", w->out, shard, (long)getpid());
    snprintf(s->dir, sizeof s->dir, "%s/shard-%05d", w->out, shard);
    remove_tree(s->tmp);
    if (!make_dirs(s->tmp, err, err_size)) {
        data_shard_out_drop(s);
        return NULL;
    }
    /* every per-episode array's file, with its header: the episodes' slices go to their places */
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        if (data_array_is_rows((DataArrayId)a) || !data_array_present((DataArrayId)a, d)) continue;
        DataOutArray* g = &s->array[a];
        g->slice = slice_of((DataArrayId)a, d);
        char path[4400], file[64], head[DATA_HEAD_BYTES];
        data_array_file((DataArrayId)a, file, sizeof file);
        snprintf(path, sizeof path, "%s/%s", s->tmp, file);
        if (!header_of((DataArrayId)a, d, s->count, 0, head)) {
            report_set(err, err_size, "%s: npy header too long", path);
            data_shard_out_drop(s);
            return NULL;
        }
        if (g->slice < DATA_STREAM_MIN) {
            g->gathered = alloc_bytes(DATA_HEAD_BYTES + g->slice * E);
            memcpy(g->gathered, head, DATA_HEAD_BYTES);
        }
        g->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        /* streamed arrays: the header, and the file at its full size (zero runs are skipped) */
        bool sized = g->gathered || (g->fd >= 0 && ftruncate(g->fd, (off_t)(DATA_HEAD_BYTES + g->slice * E)) == 0);
        if (!sized || (!g->gathered && !pwrite_all(g->fd, (const uint8_t*)head, DATA_HEAD_BYTES, 0))) {
            report_set(err, err_size, "%s: write failed: %s", path, strerror(errno));
            data_shard_out_drop(s);
            return NULL;
        }
    }
    return s;
}

/* pushes.npy's rows of an episode's actions ([T, K, 4] floats): one per record and slot whose four
   floats are not all zero bytes (so the reader's scatter into zeros gives back the same bytes), in
   order of (tick, slot); only the records flagged in pushed (NULL: all) are read. *n rows, a
   malloc'd array or NULL when none */
static DataPush* pushes_of(const float* actions, const uint8_t* pushed, int records, int slots, int32_t episode,
                           int* n) {
    static const float zero[4];
    DataPush* out = NULL;
    int count = 0, cap = 0;
    for (int r = 0; r < records; r++) {
        if (pushed && !pushed[r]) continue;
        const float* row = actions + (size_t)r * (size_t)slots * 4;
        for (int k = 0; k < slots; k++) {
            if (!memcmp(row + (size_t)k * 4, zero, sizeof zero)) continue;
            if (count == cap) {
                cap = cap ? 2 * cap : 16;
                out = alloc_resize(out, (size_t)cap, sizeof *out);
            }
            DataPush* p = &out[count++];
            p->episode = episode, p->tick = r, p->slot = k;
            memcpy(p->action, row + (size_t)k * 4, sizeof p->action);
        }
    }
    *n = count;
    return out;
}

int data_shard_out_shard(const DataShardOut* s) {
    return s->shard;
}

bool data_shard_out_put(DataShardOut* s, int i, DataSlot* slot, char* err, size_t err_size) {
    const uint8_t* src[DATA_ARRAY_COUNT] = {
        [DATA_STATES] = (const uint8_t*)slot->states, [DATA_MASK] = slot->mask,
        [DATA_BODIES] = (const uint8_t*)slot->bodies, [DATA_ACTIONS] = (const uint8_t*)slot->actions,
        [DATA_CONTACTS] = slot->contacts,             [DATA_PARAMS] = (const uint8_t*)slot->params,
        [DATA_SCENARIO] = (const uint8_t*)slot->scenario, [DATA_SEED] = (const uint8_t*)slot->seed,
        [DATA_FRAMES] = slot->frames,                 [DATA_FRAME_RECT] = (const uint8_t*)slot->frame_rect,
    };
    s->events[i] = slot->events;
    s->nevents[i] = slot->nevents;
    s->changes[i] = slot->changes;
    s->nchanges[i] = slot->nchanges;
    slot->events = NULL;
    slot->changes = NULL;
    slot->nevents = slot->capevents = slot->nchanges = slot->capchanges = 0;
    if (s->push_rows)   /* version 7: the pushes as rows, written with the shard's end */
        s->pushes[i] = pushes_of(slot->actions, slot->pushed, slot->records, s->slots, (int32_t)(s->first + i),
                                 &s->npushes[i]);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        DataOutArray* g = &s->array[a];
        if (g->fd < 0) continue;
        /* the checksum while the slice is in this thread's cache */
        bool states = a == DATA_STATES, actions = a == DATA_ACTIONS && slot->pushed;
        size_t slot_bytes = (size_t)slot->records * STATE_ROW_BYTES;
        s->crc[(size_t)i * DATA_ARRAY_COUNT + a] = states    ? crc_states(s, src[a], slot->seen, slot_bytes)
                                                   : actions ? crc_actions(s, src[a], slot->pushed, slot->records)
                                                             : crc32_update_sparse(0, src[a], g->slice);
        size_t at = g->slice * (size_t)i;
        if (g->gathered) {
            memcpy(g->gathered + DATA_HEAD_BYTES + at, src[a], g->slice);
            continue;
        }
        off_t off = (off_t)(DATA_HEAD_BYTES + at);
        if (!(states    ? pwrite_runs(g->fd, src[a], slot->seen, (size_t)s->slots, slot_bytes, off, pwrite_nonzero)
              : actions ? pwrite_runs(g->fd, src[a], slot->pushed, (size_t)slot->records, ACTION_ROW_BYTES(s->slots),
                                      off, pwrite_all)
                        : pwrite_nonzero(g->fd, src[a], g->slice, off))) {
            char file[64];
            data_array_file((DataArrayId)a, file, sizeof file);
            report_set(err, err_size, "%s/%s: write failed: %s", s->tmp, file, strerror(errno));
            return false;
        }
        if (g->slice < DATA_FLUSH_MIN) continue;
#ifdef SYNC_FILE_RANGE_WRITE
        /* start the write-back now (it does not wait), so the disk works while we simulate and
           the fsync at the end finds little left to do */
        sync_file_range(g->fd, off, (off_t)g->slice, SYNC_FILE_RANGE_WRITE);
#endif
#ifdef POSIX_FADV_DONTNEED
        /* an episode written back a while ago leaves the page cache: its pages are reused for the
           next episodes' instead of fresh ones (a first touch of memory is dear in a VM: measured,
           system time 0.22-0.39 s with against 0.50-0.70 s without, for 256 episodes). Pages still
           being written back stay; the fsync at the end waits for them either way */
        if (i >= DATA_DROP_LAG)
            posix_fadvise(g->fd, (off_t)(DATA_HEAD_BYTES + g->slice * (size_t)(i - DATA_DROP_LAG)), (off_t)g->slice,
                          POSIX_FADV_DONTNEED);
#endif
    }
    return true;
}

bool data_shard_out_finish(const DataWriter* w, DataShardOut* s, bool manifest, char* err, size_t err_size) {
    const DataDims* d = &w->meta.dims;
    int64_t E = s->count;
    /* events and changes: concatenated in episode order, packed rows, written whole */
    size_t nrows[DATA_ARRAY_COUNT] = {0}, at[DATA_ARRAY_COUNT] = {0};
    uint8_t* block[DATA_ARRAY_COUNT] = {NULL};
    for (int64_t i = 0; i < E; i++) {
        nrows[DATA_EVENTS] += (size_t)s->nevents[i], nrows[DATA_CHANGES] += (size_t)s->nchanges[i];
        nrows[DATA_PUSHES] += (size_t)s->npushes[i];
    }
    for (int a = 0; a < DATA_ARRAY_COUNT; a++)
        if (data_array_is_rows((DataArrayId)a) && data_array_present((DataArrayId)a, d))
            block[a] = alloc_bytes(DATA_HEAD_BYTES + nrows[a] * data_arrays[a].item);
    for (int64_t i = 0; i < E; i++)
        for (int k = 0; k < s->nevents[i]; k++, at[DATA_EVENTS] += DATA_EVENT_BYTES)
            data_event_pack(&s->events[i][k], block[DATA_EVENTS] + DATA_HEAD_BYTES + at[DATA_EVENTS]);
    for (int64_t i = 0; block[DATA_CHANGES] && i < E; i++)
        for (int k = 0; k < s->nchanges[i]; k++, at[DATA_CHANGES] += DATA_CHANGE_BYTES)
            data_change_pack(&s->changes[i][k], block[DATA_CHANGES] + DATA_HEAD_BYTES + at[DATA_CHANGES]);
    for (int64_t i = 0; block[DATA_PUSHES] && i < E; i++)
        for (int k = 0; k < s->npushes[i]; k++, at[DATA_PUSHES] += DATA_PUSH_BYTES)
            data_push_pack(&s->pushes[i][k], block[DATA_PUSHES] + DATA_HEAD_BYTES + at[DATA_PUSHES]);

    DataShardEntry entry;
    memset(&entry, 0, sizeof entry);
    snprintf(entry.dir, sizeof entry.dir, "shard-%05d", s->shard);
    entry.first = s->first;
    entry.count = E;
    bool ok = true;
    char path[4400], file[64];
    for (int a = 0; a < DATA_ARRAY_COUNT && ok; a++) {
        if (!data_array_present((DataArrayId)a, d)) continue;
        DataOutArray* g = &s->array[a];
        data_array_file((DataArrayId)a, file, sizeof file);
        snprintf(path, sizeof path, "%s/%s", s->tmp, file);
        char head[DATA_HEAD_BYTES];
        const uint8_t* whole = NULL;   /* written here: header and data */
        size_t n = 0;                  /* bytes of data */
        uint32_t crc = 0;
        if (data_array_is_rows((DataArrayId)a)) {
            ok = header_of((DataArrayId)a, d, E, (int64_t)nrows[a], (char*)block[a]);
            n = at[a];
            whole = block[a];
            crc = crc32_update(0, block[a] + DATA_HEAD_BYTES, n);
            g->fd = ok ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
        } else {
            ok = header_of((DataArrayId)a, d, E, 0, head);
            n = g->slice * (size_t)E;
            whole = g->gathered;
            for (int64_t i = 0; i < E; i++)
                crc = (uint32_t)crc32_combine(crc, s->crc[(size_t)i * DATA_ARRAY_COUNT + a], (z_off_t)g->slice);
        }
        if (!ok) {
            report_set(err, err_size, "%s: npy header too long", path);
            break;
        }
        if (g->fd < 0 || (whole && !pwrite_all(g->fd, whole, DATA_HEAD_BYTES + n, 0))) {
            report_set(err, err_size, "%s: write failed: %s", path, strerror(errno));
            ok = false;
            break;
        }
        DataFileSum* sum = &entry.files[a];
        sum->listed = sum->has_bytes = sum->has_crc = true;
        sum->bytes = (int64_t)(DATA_HEAD_BYTES + n);
        const uint8_t* h = whole ? whole : (const uint8_t*)head;
        sum->crc32 = (uint32_t)crc32_combine(crc32_update(0, h, DATA_HEAD_BYTES), crc, (z_off_t)n);
    }
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) free(block[a]);
    /* shard.json: a plain file, since nobody reads a temporary folder */
    int fds[DATA_ARRAY_COUNT + 3], nfd = 0, narrays = 0;
    for (int a = 0; a < DATA_ARRAY_COUNT; a++)
        if (s->array[a].fd >= 0) fds[nfd++] = s->array[a].fd;
    if (ok) {
        snprintf(path, sizeof path, "%s/shard.json", s->tmp);
        char* line = data_shard_entry_print(&entry);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (fd >= 0) fds[nfd++] = fd;
        if (fd < 0 || !pwrite_all(fd, (const uint8_t*)line, strlen(line), 0)) {
            report_set(err, err_size, "%s: write failed: %s", path, strerror(errno));
            ok = false;
        }
        free(line);
    }
    narrays = nfd;   /* the shard's files: their pages are dropped once durable */
    /* the folder itself (its entries must be durable before the rename: synced with its files,
       not after them, as each fsync waits for a device flush of its own) */
    int dir_fd = ok ? open(s->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (ok && dir_fd < 0) {
        report_set(err, err_size, "%s: cannot sync the folder: %s", s->tmp, strerror(errno));
        ok = false;
    }
    if (dir_fd >= 0) fds[nfd++] = dir_fd;
    /* the manifest that lists this shard: written now, made durable with the shard's files, and
       renamed into place after the shard is */
    AtomicFile maf;
    bool has_manifest = false;
    if (ok && manifest) {
        char* text = data_writer_manifest_text(w, s->shard, &entry);
        snprintf(path, sizeof path, "%s/manifest.json", w->out);
        has_manifest = atomic_file_open(&maf, path, err, err_size);
        ok = has_manifest;
        if (ok) atomic_file_write(&maf, text, strlen(text));
        free(text);
        int fd = ok ? atomic_file_flush(&maf) : -1;
        if (fd >= 0) fds[nfd++] = fd;
    }
    /* durable before the renames: every file and the folder, at once */
    int why = ok ? fsync_all(w->sync_pool, fds, nfd) : 0;
    if (why) {
        report_set(err, err_size, "%s: write failed: %s", s->tmp, strerror(why));
        ok = false;
    }
    for (int k = 0; k < narrays; k++) {
#ifdef POSIX_FADV_DONTNEED
        /* written and durable: its pages may go (and be reused for the next shard's) */
        if (ok) posix_fadvise(fds[k], 0, 0, POSIX_FADV_DONTNEED);
#endif
        if (close(fds[k]) != 0 && ok) {
            report_set(err, err_size, "%s: write failed: %s", s->tmp, strerror(errno));
            ok = false;
        }
    }
    if (dir_fd >= 0) close(dir_fd);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) s->array[a].fd = -1;
    ok = ok && rename_durable(s->tmp, s->dir, err, err_size);
    if (ok) data_writer_shard_known(w, s->shard, &entry);
    if (has_manifest) {
        if (ok) ok = atomic_file_publish(&maf, 0, err, err_size);
        else atomic_file_abort(&maf);
    }
    if (ok) s->tmp[0] = '\0';   /* nothing left to remove */
    data_shard_out_drop(s);
    return ok;
}
