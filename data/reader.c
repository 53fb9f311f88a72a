#include "data/reader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/checked_size.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/npy.h"
#include "base/report.h"
#include "sim/observation.h"

bool data_reader_open(DataReader* r, const char* dir, char* err, size_t err_size) {
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    if (!data_manifest_load(dir, &r->m, err, err_size)) return false;
    /* the shards (sorted, not overlapping) must cover every episode */
    const DataManifest* m = &r->m;
    int64_t next = 0;
    for (int s = 0; s <= m->nshards; s++) {
        int64_t first = s < m->nshards ? m->shards[s].first : m->episodes;
        if (first != next) {
            report_set(err, err_size,
                       "%s/manifest.json: no shard holds episodes [%lld, %lld) of %lld (an unfinished dataset? "
                       "finish it with nudge gen --resume)",
                       dir, (long long)next, (long long)first, (long long)m->episodes);
            data_reader_close(r);
            return false;
        }
        if (s < m->nshards) next = first + m->shards[s].count;
    }
    return true;
}

void data_reader_close(DataReader* r) {
    if (r) data_manifest_free(&r->m);
}

void data_reader_path(const DataReader* r, int s, DataArrayId a, char* out, size_t n) {
    char file[64];
    data_array_file(a, file, sizeof file);
    snprintf(out, n, "%s/%s/%s", r->dir, r->m.shards[s].dir, file);
}

bool data_reader_verify(const DataReader* r, int s, char* err, size_t err_size) {
    const DataShardEntry* e = &r->m.shards[s];
    for (int a = 0; a < DATA_ARRAY_COUNT; a++) {
        const DataFileSum* f = &e->files[a];
        if (!f->listed) continue;
        char path[4400];
        data_reader_path(r, s, (DataArrayId)a, path, sizeof path);
        int64_t size = 0;
        int fd = input_file_open(path, &size, err, err_size);
        if (fd < 0) {
            if (errno == ENOENT) report_set(err, err_size, "%s: missing (listed in the manifest)", path);
            return false;
        }
        close(fd);
        if (f->has_bytes && size != f->bytes) {
            report_set(err, err_size, "%s: %lld bytes, the manifest says %lld (truncated or corrupted)", path,
                       (long long)size, (long long)f->bytes);
            return false;
        }
        uint32_t got = 0;
        if (f->has_crc) {
            if (!crc32_file(path, &got, err, err_size)) return false;
            if (got != f->crc32) {
                report_set(err, err_size, "%s: CRC-32 %08x, the manifest says %08x (corrupted)", path, got, f->crc32);
                return false;
            }
        }
    }
    return true;
}

bool data_reader_array_bytes(const DataReader* r, int s, DataArrayId a, size_t* out) {
    int64_t shape[5];
    int n = data_array_shape(a, &r->m.dims, r->m.shards[s].count, 0, shape);
    if (data_array_is_rows(a)) {
        *out = 0;
        return true;
    }
    return size_product_ok(shape, n, data_arrays[a].item, out);
}

/* the header must say what the manifest implies */
static bool check_header(const NpyFile* f, DataArrayId a, const int64_t* shape, int ndim, char* err, size_t err_size) {
    const NpyArray* h = &f->head;
    bool ok = !strcmp(h->descr, data_arrays[a].descr) && h->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = shape[i] < 0 || h->shape[i] == shape[i];
    if (ok) return true;
    char want[160], got[160];
    int n = snprintf(want, sizeof want, "(");
    for (int i = 0; i < ndim && n < (int)sizeof want; i++)
        n += shape[i] < 0 ? snprintf(want + n, sizeof want - (size_t)n, "n%s", i + 1 < ndim ? "," : "")
                          : snprintf(want + n, sizeof want - (size_t)n, "%lld%s", (long long)shape[i], i + 1 < ndim ? "," : "");
    n = snprintf(got, sizeof got, "(");
    for (int i = 0; i < h->ndim && n < (int)sizeof got; i++)
        n += snprintf(got + n, sizeof got - (size_t)n, "%lld%s", (long long)h->shape[i], i + 1 < h->ndim ? "," : "");
    report_set(err, err_size, "%s: expected %s %s), got %.60s %s)", f->path, data_arrays[a].descr, want, h->descr, got);
    return false;
}

bool data_reader_read(const DataReader* r, int s, DataArrayId a, void* dst, size_t dst_bytes, char* err,
                      size_t err_size) {
    char path[4400];
    data_reader_path(r, s, a, path, sizeof path);
    int64_t shape[5];
    int ndim = data_array_shape(a, &r->m.dims, r->m.shards[s].count, -1, shape);
    NpyFile f;
    if (!npy_file_open(&f, path, err, err_size)) return false;
    bool ok = check_header(&f, a, shape, ndim, err, err_size);
    if (ok && f.head.nbytes != dst_bytes) {
        report_set(err, err_size, "%s: %zu bytes of data, expected %zu", path, f.head.nbytes, dst_bytes);
        ok = false;
    }
    ok = ok && npy_file_read(&f, dst, err, err_size);
    npy_file_close(&f);
    return ok;
}

static bool read_pushes(const DataReader* r, int s, int64_t first, int64_t count, float* dst, size_t dst_bytes,
                        char* err, size_t err_size);

bool data_reader_read_episodes(const DataReader* r, int s, DataArrayId a, int64_t first, int64_t count, void* dst,
                               size_t dst_bytes, char* err, size_t err_size) {
    int64_t n = r->m.shards[s].count;
    size_t per = 0, want = 0;
    if (data_array_is_rows(a) || first < 0 || count < 0 || first > n || count > n - first ||
        !data_array_slice_bytes(a, &r->m.dims, &per) || !size_mul_ok(per, (size_t)count, &want) || want != dst_bytes) {
        report_set(err, err_size, "episodes [%lld, +%lld) of shard %d: not a range of its %lld episodes of %s",
                   (long long)first, (long long)count, s, (long long)n, data_arrays[a].name);
        return false;
    }
    /* version 7: actions from pushes.npy's rows */
    if (a == DATA_ACTIONS && !data_array_present(a, &r->m.dims))
        return read_pushes(r, s, first, count, dst, dst_bytes, err, err_size);
    char path[4400];
    data_reader_path(r, s, a, path, sizeof path);
    int64_t shape[5];
    int ndim = data_array_shape(a, &r->m.dims, n, -1, shape);
    NpyFile f;
    if (!npy_file_open(&f, path, err, err_size)) return false;
    bool ok = check_header(&f, a, shape, ndim, err, err_size) &&
              npy_file_read_at(&f, (size_t)first * per, dst, want, err, err_size);
    npy_file_close(&f);
    return ok;
}

int data_reader_shard_of(const DataReader* r, int64_t e) {
    /* the shards are sorted by first and cover [0, episodes) */
    int lo = 0, hi = r->m.nshards - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (r->m.shards[mid].first <= e) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

/* the packed rows of a table array (events, changes) of shard s, unpacked by `unpack` into a
   malloc'd array of `size`-byte structs (*n rows, possibly none); NULL + one line on failure */
static void* read_rows(const DataReader* r, int s, DataArrayId a, size_t size,
                       void (*unpack)(const unsigned char* in, void* out), size_t* n, char* err, size_t err_size) {
    *n = 0;
    char path[4400];
    data_reader_path(r, s, a, path, sizeof path);
    int64_t shape[1] = {-1};
    NpyFile f;
    if (!npy_file_open(&f, path, err, err_size)) return NULL;
    if (!check_header(&f, a, shape, 1, err, err_size)) {
        npy_file_close(&f);
        return NULL;
    }
    size_t rows = (size_t)f.head.shape[0], bytes = f.head.nbytes;
    /* sized by the file (checked against its real size): too large is bad input, not a crash */
    unsigned char* out = NULL;
    size_t outb = 0;
    unsigned char* raw = alloc_try_bytes(bytes);
    if (!raw || !size_mul_ok(rows ? rows : 1, size, &outb) || !(out = alloc_try_bytes(outb))) {
        report_set(err, err_size, "%s: %zu rows, too large for memory", path, rows);
        free(raw);
        npy_file_close(&f);
        return NULL;
    }
    bool ok = npy_file_read(&f, raw, err, err_size);
    npy_file_close(&f);
    for (size_t i = 0; ok && i < rows; i++) unpack(raw + i * data_arrays[a].item, out + i * size);
    free(raw);
    if (!ok) {
        free(out);
        return NULL;
    }
    *n = rows;
    return out;
}

static void unpack_event(const unsigned char* in, void* out) { data_event_unpack(in, out); }
static void unpack_change(const unsigned char* in, void* out) { data_change_unpack(in, out); }
static void unpack_push(const unsigned char* in, void* out) { data_push_unpack(in, out); }

/* version 7: episodes [first, first + count) of shard s's actions ([count, T, K, 4], dst_bytes
   checked by the caller), zeros but where pushes.npy has a row; a row outside the shard's episodes,
   records or slots, or out of order, is one line */
static bool read_pushes(const DataReader* r, int s, int64_t first, int64_t count, float* dst, size_t dst_bytes,
                        char* err, size_t err_size) {
    const DataDims* d = &r->m.dims;
    const DataShardEntry* sh = &r->m.shards[s];
    size_t n = 0, T = (size_t)d->records, K = (size_t)d->slots;
    DataPush* p = read_rows(r, s, DATA_PUSHES, sizeof *p, unpack_push, &n, err, err_size);
    if (!p) return false;
    memset(dst, 0, dst_bytes);
    char path[4400];
    data_reader_path(r, s, DATA_PUSHES, path, sizeof path);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++) {
        const DataPush* x = &p[i];
        bool in = x->episode >= sh->first && x->episode < sh->first + sh->count && x->tick >= 0 &&
                  (size_t)x->tick < T && x->slot >= 0 && (size_t)x->slot < K;
        const DataPush* y = i > 0 ? &p[i - 1] : NULL;
        bool after = !y || x->episode > y->episode ||
                     (x->episode == y->episode && (x->tick > y->tick || (x->tick == y->tick && x->slot > y->slot)));
        if (!in || !after) {
            report_set(err, err_size, "%s: row %zu (episode %d, tick %d, slot %d) %s", path, i, x->episode, x->tick,
                       x->slot, in ? "out of order" : "outside the shard's episodes, records or slots");
            ok = false;
            break;
        }
        int64_t e = x->episode - sh->first - first;
        if (e < 0 || e >= count) continue;
        memcpy(dst + (((size_t)e * T + (size_t)x->tick) * K + (size_t)x->slot) * 4, x->action, sizeof x->action);
    }
    free(p);
    return ok;
}

DataEvent* data_reader_events(const DataReader* r, int s, size_t* n, char* err, size_t err_size) {
    return read_rows(r, s, DATA_EVENTS, sizeof(DataEvent), unpack_event, n, err, err_size);
}

bool data_reader_observe(const DataReader* r, int s, int64_t first, int64_t count, float* states, uint8_t* mask,
                         char* err, size_t err_size) {
    const DataDims* d = &r->m.dims;
    size_t T = (size_t)d->records, K = (size_t)d->slots, D = (size_t)d->dim, n = 0, sb = 0, mb = 0;
    /* the callers sized states and mask from the same dimensions (checked for overflow) */
    if (!data_array_slice_bytes(DATA_MASK, d, &mb) || !size_mul_ok(mb, (size_t)(count > 0 ? count : 0), &mb) ||
        !data_array_slice_bytes(DATA_STATES, d, &sb) || !size_mul_ok(sb, (size_t)(count > 0 ? count : 0), &sb)) {
        report_set(err, err_size, "%s: the dataset's arrays are too large", r->dir);
        return false;
    }
    if (!data_reader_read_episodes(r, s, DATA_MASK, first, count, mask, mb, err, err_size)) return false;
    enum { DYN = SIM_OBS_DYNAMIC };
    size_t S = D - DYN, rows = (size_t)count * T * K;
    if (d->version >= 6) {
        /* version 6: states.npy is slot-first ([count, K, T, DYN]); each slot's record goes to its
           place in rows of D ([count, T, K, D]) */
        float* dyn = alloc_try_bytes(sb ? sb : 1);
        if (!dyn) {
            report_set(err, err_size, "%s: states of %lld episodes, too large for memory", r->dir, (long long)count);
            return false;
        }
        if (!data_reader_read_episodes(r, s, DATA_STATES, first, count, dyn, sb, err, err_size)) {
            free(dyn);
            return false;
        }
        for (size_t e = 0; e < (size_t)count; e++)
            for (size_t k = 0; k < K; k++) {
                const float* from = dyn + (e * K + k) * T * DYN;
                for (size_t t = 0; t < T; t++, from += DYN)
                    memcpy(states + ((e * T + t) * K + k) * D, from, sizeof(float) * DYN);
            }
        free(dyn);
    } else {
        if (!data_reader_read_episodes(r, s, DATA_STATES, first, count, states, sb, err, err_size)) return false;
        if (d->version < 5) return true;
        /* version 5: states.npy's rows of SIM_OBS_DYNAMIC columns moved to their places in rows of
           D, from the last (row i's place starts at or after where its source and every earlier
           row's source end) */
        for (size_t i = rows; i-- > 0;) memmove(states + i * D, states + i * DYN, sizeof(float) * DYN);
    }
    /* bodies.npy: each slot's static columns; changes.npy: their changes, in order */
    float* bodies = NULL;
    size_t bb = 0;
    DataChange* ch = NULL;
    bool ok = data_array_slice_bytes(DATA_BODIES, d, &bb) && size_mul_ok(bb, (size_t)count, &bb) &&
              (bodies = alloc_try_bytes(bb ? bb : 1)) != NULL;
    if (!ok) report_set(err, err_size, "%s: bodies of %lld episodes, too large for memory", r->dir, (long long)count);
    ok = ok && data_reader_read_episodes(r, s, DATA_BODIES, first, count, bodies, bb, err, err_size);
    ok = ok && (ch = read_rows(r, s, DATA_CHANGES, sizeof *ch, unpack_change, &n, err, err_size)) != NULL;
    const DataShardEntry* sh = &r->m.shards[s];
    char path[4400];
    data_reader_path(r, s, DATA_CHANGES, path, sizeof path);
    for (size_t i = 0; ok && i < n; i++) {
        const DataChange* c = &ch[i];
        bool in = c->episode >= sh->first && c->episode < sh->first + sh->count && c->tick >= 0 &&
                  (size_t)c->tick < T && c->slot >= 0 && (size_t)c->slot < K && c->column >= DYN && c->column < D;
        bool after = i == 0 || c->episode > ch[i - 1].episode ||
                     (c->episode == ch[i - 1].episode && c->tick >= ch[i - 1].tick);
        if (!in || !after) {
            report_set(err, err_size, "%s: row %zu (episode %d, tick %d, slot %d, column %d) %s", path, i, c->episode,
                       c->tick, c->slot, c->column, in ? "out of order" : "outside the shard's episodes, records, "
                                                                          "slots or static columns");
            ok = false;
        }
    }
    /* each record: the slot's static columns as of that record where the mask is 1, zeros elsewhere */
    size_t at = 0;
    for (int64_t e = 0; ok && e < count; e++) {
        int64_t ge = sh->first + first + e;
        float* cur = bodies + (size_t)e * K * S;
        while (at < n && ch[at].episode < ge) at++;
        for (size_t t = 0; t < T; t++) {
            for (; at < n && ch[at].episode == ge && (size_t)ch[at].tick == t; at++)
                cur[(size_t)ch[at].slot * S + ch[at].column - DYN] = ch[at].value;
            float* row = states + ((size_t)e * T + t) * K * D;
            const uint8_t* mk = mask + ((size_t)e * T + t) * K;
            for (size_t k = 0; k < K; k++, row += D) {
                if (mk[k]) memcpy(row + DYN, cur + k * S, sizeof(float) * S);
                else memset(row, 0, sizeof(float) * D);
            }
        }
    }
    free(bodies);
    free(ch);
    return ok;
}
