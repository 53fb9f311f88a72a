#define _GNU_SOURCE /* O_DIRECT */
/* shard_buffer: one shard's arrays in memory, reused from shard to shard. Episodes record into
 * their slices; each episode's slices are checksummed on the thread that recorded it, and the
 * checksums are combined in order when the shard is written, so writing reads each byte once. */
#include <errno.h>
#include <fcntl.h>
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

/* every .npy header is padded to DATA_HEAD_BYTES, and each array is kept in memory right after
   room for its header: header and data then leave as one page-aligned block, which O_DIRECT can
   hand to the disk without copying it into the page cache */
typedef struct DataBufArray {
    uint8_t* block;      /* DATA_HEAD_BYTES of header room, then the data */
    uint8_t* data;       /* block + DATA_HEAD_BYTES: per_shard episodes' worth; NULL for events (and frames when off) */
    size_t   slice;      /* bytes per episode */
    size_t   bytes;      /* of data allocated */
} DataBufArray;

struct DataShardBuf {
    int          shard;
    int64_t      first, count;
    int          capacity;                  /* episodes */
    DataBufArray array[DATA_ARRAY_COUNT];
    DataEvent**  events;                    /* per episode */
    int*         nevents;
    uint32_t*    crc;                       /* [capacity][DATA_ARRAY_COUNT] */
    bool*        summed;                    /* per episode: its slices' CRCs are in crc */
};

void data_slot_add_event(DataSlot* s, const DataEvent* e) {
    if (s->nevents == s->capevents) {
        s->capevents = s->capevents ? 2 * s->capevents : 256;
        s->events = alloc_resize(s->events, (size_t)s->capevents, sizeof *s->events);
    }
    s->events[s->nevents++] = *e;
}

/* large buffers: page-aligned, in huge pages where the kernel allows (fewer page faults when the
   workers first write them) */
static void* buf_alloc(size_t n) {
    size_t align = n >= (4u << 20) ? (2u << 20) : DATA_HEAD_BYTES;
    size_t rounded = (n + align - 1) / align * align;
    void* p = NULL;
    if (posix_memalign(&p, align, rounded ? rounded : align) != 0) alloc_fail(rounded);
#ifdef MADV_HUGEPAGE
    if (align > DATA_HEAD_BYTES) madvise(p, rounded, MADV_HUGEPAGE);
#endif
    return p;
}

void data_shard_buf_free(DataShardBuf* b) {
    if (!b) return;
    if (b->events)
        for (int i = 0; i < b->capacity; i++) free(b->events[i]);
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) free(b->array[a].block);
    free(b->events);
    free(b->nevents);
    free(b->crc);
    free(b->summed);
    free(b);
}

DataShardBuf* data_shard_buf_new(const DataWriter* w) {
    const DataDims* d = &w->meta.dims;
    DataShardBuf* b = alloc_zeroed(1, sizeof *b);
    b->capacity = w->meta.per_shard;
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        if (a == DATA_EVENTS || !data_array_present((DataArrayId)a, d)) continue;
        /* the caller bounded the shard's size (gen: 8 GB), so these products fit */
        DataBufArray* g = &b->array[a];
        bool sized = data_array_slice_bytes((DataArrayId)a, d, &g->slice) &&
                     size_mul_ok(g->slice, (size_t)b->capacity, &g->bytes);
        if (!sized) alloc_fail(SIZE_MAX);
        g->block = buf_alloc(DATA_HEAD_BYTES + g->bytes);
        g->data = g->block + DATA_HEAD_BYTES;
    }
    size_t E = (size_t)b->capacity;
    b->events = alloc_zeroed(E, sizeof *b->events);
    b->nevents = alloc_zeroed(E, sizeof *b->nevents);
    b->crc = alloc_zeroed(E * DATA_ARRAY_COUNT, sizeof *b->crc);
    b->summed = alloc_zeroed(E, sizeof *b->summed);
    return b;
}

void data_shard_buf_begin(DataShardBuf* b, const DataWriter* w, int shard) {
    for (int i = 0; i < b->capacity; i++) {
        free(b->events[i]);
        b->events[i] = NULL;
        b->nevents[i] = 0;
        b->summed[i] = false;
    }
    b->shard = shard;
    b->first = data_writer_shard_first(w, shard);
    b->count = data_writer_shard_count(w, shard);
}

int data_shard_buf_shard(const DataShardBuf* b) {
    return b->shard;
}

void data_shard_buf_slot(DataShardBuf* b, int i, DataSlot* out) {
    memset(out, 0, sizeof *out);
#define AT(a) (b->array[a].data ? b->array[a].data + b->array[a].slice * (size_t)i : NULL)
    out->states = (float*)AT(DATA_STATES);
    out->mask = AT(DATA_MASK);
    out->ids = (int32_t*)AT(DATA_IDS);
    out->actions = (float*)AT(DATA_ACTIONS);
    out->contacts = AT(DATA_CONTACTS);
    out->params = (double*)AT(DATA_PARAMS);
    out->scenario = (int32_t*)AT(DATA_SCENARIO);
    out->seed = (uint64_t*)AT(DATA_SEED);
    out->frames = AT(DATA_FRAMES);
    out->frame_rect = (double*)AT(DATA_FRAME_RECT);
#undef AT
}

/* the CRC-32 of each of episode i's slices */
static void checksum_episode(DataShardBuf* b, int i) {
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        const DataBufArray* g = &b->array[a];
        if (g->data) b->crc[(size_t)i * DATA_ARRAY_COUNT + a] = crc32_update(0, g->data + g->slice * (size_t)i, g->slice);
    }
    b->summed[i] = true;
}

void data_shard_buf_episode_done(DataShardBuf* b, int i, DataSlot* slot, bool checksum) {
    b->events[i] = slot->events;
    b->nevents[i] = slot->nevents;
    slot->events = NULL;
    slot->nevents = slot->capevents = 0;
    if (checksum) checksum_episode(b, i);
}

/* writes n bytes at the file's current offset; false with errno set */
static bool write_all(int fd, const uint8_t* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* one .npy file from block = [DATA_HEAD_BYTES of room for the header | n bytes of data]: the
   header goes into the room, the page-aligned bulk leaves with O_DIRECT where the file system
   allows it, the tail (under a page) through the page cache; its size and CRC-32 go into sum */
static bool put_file(const char* dir, DataArrayId a, const DataDims* d, int64_t E, int64_t nevents, uint8_t* block,
                     size_t n, uint32_t crc_data, int* fd_out, DataFileSum* sum, char* err, size_t err_size) {
    char path[4400], file[64];
    data_array_file(a, file, sizeof file);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int64_t shape[5];
    int ndim = data_array_shape(a, d, E, nevents, shape);
    size_t h = npy_header_padded((char*)block, DATA_HEAD_BYTES, data_arrays[a].descr, shape, ndim, DATA_HEAD_BYTES);
    if (h != DATA_HEAD_BYTES) {
        report_set(err, err_size, "%s: npy header too long", path);
        return false;
    }
    size_t total = h + n, bulk = total / DATA_HEAD_BYTES * DATA_HEAD_BYTES;
    bool direct = bulk > 0;
    int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    int fd = direct ? open(path, flags | O_DIRECT, 0666) : -1;
    if (fd < 0) {
        direct = false;
        fd = open(path, flags, 0666);
    }
    bool ok = fd >= 0, restart = false;
    if (ok && direct && !write_all(fd, block, bulk)) {
        /* a file system that takes O_DIRECT at open but not these writes: start over through the cache */
        ok = errno == EINVAL && lseek(fd, 0, SEEK_SET) == 0 && ftruncate(fd, 0) == 0;
        restart = true;
    }
    /* the tail (or, after a refusal, everything) goes through the page cache */
    if (ok && direct && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT) != 0) ok = false;
    if (ok) ok = direct && !restart ? write_all(fd, block + bulk, total - bulk) : write_all(fd, block, total);
    if (!ok) {
        report_set(err, err_size, "%s: write failed: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return false;
    }
    *fd_out = fd;
    sum->listed = sum->has_bytes = sum->has_crc = true;
    sum->bytes = (int64_t)total;
    sum->crc32 = (uint32_t)crc32_combine(crc32_update(0, block, h), crc_data, (z_off_t)n);
    return true;
}

bool data_shard_buf_write(const DataWriter* w, DataShardBuf* b, char* err, size_t err_size) {
    const DataDims* d = &w->meta.dims;
    int64_t E = b->count;
    char tmp[4300], dir[4200];
    snprintf(tmp, sizeof tmp, "%s/.tmp-shard-%05d-%ld", w->out, b->shard, (long)getpid());
    snprintf(dir, sizeof dir, "%s/shard-%05d", w->out, b->shard);
    remove_tree(tmp);
    if (!make_dirs(tmp, err, err_size)) return false;

    /* the checksums the recording threads left to the writer */
    for (int64_t i = 0; i < E; i++)
        if (!b->summed[i]) checksum_episode(b, (int)i);
    /* events: concatenated in episode order, packed rows */
    size_t nev = 0;
    for (int64_t i = 0; i < E; i++) nev += (size_t)b->nevents[i];
    uint8_t* ev_block = buf_alloc(DATA_HEAD_BYTES + nev * DATA_EVENT_BYTES);
    uint8_t* ev = ev_block + DATA_HEAD_BYTES;
    size_t at = 0;
    for (int64_t i = 0; i < E; i++)
        for (int k = 0; k < b->nevents[i]; k++, at += DATA_EVENT_BYTES) data_event_pack(&b->events[i][k], ev + at);

    DataShardEntry entry;
    memset(&entry, 0, sizeof entry);
    snprintf(entry.dir, sizeof entry.dir, "shard-%05d", b->shard);
    entry.first = b->first;
    entry.count = E;
    int fds[DATA_ARRAY_COUNT];
    int nfd = 0;
    bool ok = true;
    for (int a = 0; a < DATA_ARRAY_COUNT && ok; a++) {
        if (!data_array_present((DataArrayId)a, d)) continue;
        const DataBufArray* g = &b->array[a];
        uint8_t* block = a == DATA_EVENTS ? ev_block : g->block;
        const uint8_t* data = block + DATA_HEAD_BYTES;
        size_t n = a == DATA_EVENTS ? at : g->slice * (size_t)E;
        uint32_t crc = 0;
        if (a == DATA_EVENTS) {
            crc = crc32_update(0, data, n);
        } else {
            for (int64_t i = 0; i < E; i++)
                crc = (uint32_t)crc32_combine(crc, b->crc[(size_t)i * DATA_ARRAY_COUNT + a], (z_off_t)g->slice);
        }
        ok = put_file(tmp, (DataArrayId)a, d, E, (int64_t)nev, block, n, crc, &fds[nfd], &entry.files[a], err, err_size);
        if (ok) nfd++;
    }
    free(ev_block);
    /* durable before the rename: every file's data, then shard.json, then the folder */
    for (int i = 0; i < nfd; i++) {
        if (ok && fsync(fds[i]) != 0) {
            report_set(err, err_size, "%s: write failed: %s", tmp, strerror(errno));
            ok = false;
        }
        if (close(fds[i]) != 0 && ok) {
            report_set(err, err_size, "%s: write failed: %s", tmp, strerror(errno));
            ok = false;
        }
    }
    if (ok) {
        char json[4400];
        snprintf(json, sizeof json, "%s/shard.json", tmp);
        char* line = data_shard_entry_print(&entry);
        ok = atomic_file_put(json, line, strlen(line), err, err_size);
        free(line);
    }
    if (ok && !fsync_dir(tmp)) {
        report_set(err, err_size, "%s: cannot sync the folder: %s", tmp, strerror(errno));
        ok = false;
    }
    ok = ok && rename_durable(tmp, dir, err, err_size);
    if (!ok) remove_tree(tmp);
    return ok;
}
