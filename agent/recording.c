/* recording: the .nrec writer and reader (the layout is in README.md, "Recordings") */
#include "agent/recording.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/crc.h"
#include "base/input_file.h"
#include "base/report.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "recordings store actions and numbers little-endian");

#define HEADER_FIXED 58          /* bytes before the path */
#define RECORD_HEAD 8            /* type, flags, reserved, payload length */
#define POSE_BYTES 28            /* id, x, y, angle */
#define FLAG_ACTION 1u
#define FLAG_HASH 2u
/* the largest payload: an action and the poses of every body a world may hold */
#define MAX_PAYLOAD ((size_t)SIM_ACTION_BYTES + 12 + (size_t)SIM_MAX_BODIES * POSE_BYTES)
/* the writer writes what it buffered after this many ticks, or this many bytes */
#define FLUSH_TICKS 30
#define FLUSH_BYTES ((size_t)64 << 10)

/* ---- little-endian fields ---- */

static void put(uint8_t* p, const void* v, size_t n) { memcpy(p, v, n); }
static uint16_t get16(const uint8_t* p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; }
static double   getf64(const uint8_t* p) { double v; memcpy(&v, p, 8); return v; }

/* ---- reading ---- */

void rec_free(Recording* r) {
    if (!r) return;
    free(r->items);
    free(r->actions);
    free(r->poses);
    free(r);
}

static bool header_read(const uint8_t* b, size_t size, const char* path, RecHeader* h, size_t* used, char* err,
                        size_t err_size) {
    if (size < 8 || memcmp(b, REC_MAGIC, 8) != 0) {
        report_set(err, err_size, "%s: not a nudge recording (no NUDGEREC magic at offset 0)", path);
        return false;
    }
    if (size < HEADER_FIXED + 4) {
        report_set(err, err_size, "%s: truncated header (%zu bytes, at least %d needed)", path, size, HEADER_FIXED + 4);
        return false;
    }
    uint32_t version = get32(b + 8), hbytes = get32(b + 12);
    uint16_t plen = get16(b + 56);
    if (version != REC_VERSION) {
        report_set(err, err_size, "%s: recording format version %u at offset 8, this nudge reads version %d", path,
                   version, REC_VERSION);
        return false;
    }
    if (hbytes != (uint32_t)HEADER_FIXED + plen + 4 || plen > REC_MAX_PATH) {
        report_set(err, err_size, "%s: corrupted header (its length at offset 12 says %u bytes, its path %u bytes)", path,
                   hbytes, plen);
        return false;
    }
    if (size < hbytes) {
        report_set(err, err_size, "%s: truncated header (%zu bytes, %u needed)", path, size, hbytes);
        return false;
    }
    if (crc32_update(0, b, hbytes - 4) != get32(b + hbytes - 4)) {
        report_set(err, err_size, "%s: corrupted header (CRC-32 mismatch at offset %u)", path, hbytes - 4);
        return false;
    }
    memset(h, 0, sizeof *h);
    h->version = version;
    uint32_t action_bytes = get32(b + 16);
    h->hash_every = get32(b + 20);
    h->snap_every = get32(b + 24);
    h->steps_per_tick = get32(b + 28);
    h->dt = getf64(b + 32);
    h->seed = get64(b + 40);
    h->scn_hash = get64(b + 48);
    memcpy(h->path, b + HEADER_FIXED, plen);
    h->path[plen] = 0;
    const char* bad = NULL;
    if (action_bytes != SIM_ACTION_BYTES) bad = "actions of another size";
    else if (h->hash_every < 1) bad = "a hash interval of 0";
    else if (h->steps_per_tick < 1 || h->steps_per_tick > 100) bad = "steps per tick outside 1..100";
    else if (!(h->dt > 0 && h->dt <= 0.1)) bad = "a physics step outside (0, 0.1] s";
    else if (h->snap_every > 1000000) bad = "a snapshot interval above 1000000";
    else if (memchr(h->path, 0, plen) || plen == 0) bad = "an empty path or one with a NUL byte";
    if (bad) {
        report_set(err, err_size, "%s: header holds %s", path, bad);
        return false;
    }
    *used = hbytes;
    return true;
}

/* grows *arr (count *n of size) by one; returns the new element */
static void* push_one(void** arr, int64_t* n, int64_t* cap, size_t size) {
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *arr = alloc_resize(*arr, (size_t)*cap, size);
    }
    return (char*)*arr + (size_t)(*n)++ * size;
}

static bool bad_record(char* err, size_t err_size, const char* path, size_t at, const char* what) {
    report_set(err, err_size, "%s: %s at offset %zu", path, what, at);
    return false;
}

/* one record at b[at ..); advances *at */
static bool record_read(Recording* r, const uint8_t* b, size_t size, size_t* at, int64_t* head, int64_t* caps,
                        const char* path, char* err, size_t err_size) {
    size_t o = *at, left = size - o;
    if (left < RECORD_HEAD + 4) return bad_record(err, err_size, path, o, "truncated record");
    uint8_t type = b[o], flags = b[o + 1];
    uint32_t plen = get32(b + o + 4);
    if (type < REC_TICK || type > REC_END) {
        char what[64];
        snprintf(what, sizeof what, "corrupted record (unknown type %u)", type);
        return bad_record(err, err_size, path, o, what);
    }
    if (plen > MAX_PAYLOAD) return bad_record(err, err_size, path, o, "corrupted record (a payload length beyond any record)");
    if (left < RECORD_HEAD + (size_t)plen + 4) return bad_record(err, err_size, path, o, "truncated record");
    if (crc32_update(0, b + o, RECORD_HEAD + plen) != get32(b + o + RECORD_HEAD + plen))
        return bad_record(err, err_size, path, o, "corrupted record (CRC-32 mismatch)");
    if (get16(b + o + 2) != 0) return bad_record(err, err_size, path, o, "corrupted record (reserved bytes set)");
    const uint8_t* p = b + o + RECORD_HEAD;
    if (type == REC_END) {
        if (flags || plen != 8 || get64(p) != (uint64_t)r->ticks)
            return bad_record(err, err_size, path, o, "corrupted end record (its tick count does not match)");
        r->complete = true;
        *at = o + RECORD_HEAD + plen + 4;
        return true;
    }
    RecItem* it = push_one((void**)&r->items, &r->nitems, &caps[0], sizeof *r->items);
    memset(it, 0, sizeof *it);
    it->type = type;
    it->offset = (int64_t)o;
    it->action = -1;
    if (type == REC_BRANCH) {
        if (flags || plen != 8) return bad_record(err, err_size, path, o, "corrupted branch record");
        uint64_t to = get64(p);
        if (to > (uint64_t)*head) {
            char what[128];
            snprintf(what, sizeof what, "branch to tick %llu beyond the timeline's %lld ticks", (unsigned long long)to,
                     (long long)*head);
            return bad_record(err, err_size, path, o, what);
        }
        it->branch_to = (int64_t)to;
        *head = (int64_t)to;
    } else {
        if (flags & ~(FLAG_ACTION | FLAG_HASH)) return bad_record(err, err_size, path, o, "corrupted tick record (unknown flags)");
        size_t need = (flags & FLAG_ACTION) ? SIM_ACTION_BYTES : 0;
        if (flags & FLAG_HASH) {
            if (plen < need + 12) return bad_record(err, err_size, path, o, "corrupted tick record (short hash)");
            uint32_t n = get32(p + need + 8);
            if (n > SIM_MAX_BODIES) return bad_record(err, err_size, path, o, "corrupted tick record (too many poses)");
            need += 12 + (size_t)n * POSE_BYTES;
        }
        if (plen != need) return bad_record(err, err_size, path, o, "corrupted tick record (its length does not match its contents)");
        if (flags & FLAG_ACTION) {
            SimAction* a = push_one((void**)&r->actions, &r->nactions, &caps[1], sizeof *r->actions);
            memcpy(a, p, SIM_ACTION_BYTES);
            char why[200];
            if (!sim_action_check(a, why, sizeof why)) {
                char what[300];
                snprintf(what, sizeof what, "bad action in a tick record (%s)", why);
                return bad_record(err, err_size, path, o, what);
            }
            it->action = r->nactions - 1;
            p += SIM_ACTION_BYTES;
        }
        if (flags & FLAG_HASH) {
            it->has_hash = true;
            it->hash = get64(p);
            it->npose = (int32_t)get32(p + 8);
            it->pose_first = r->nposes;
            p += 12;
            for (int32_t k = 0; k < it->npose; k++, p += POSE_BYTES) {
                RecPose* q = push_one((void**)&r->poses, &r->nposes, &caps[2], sizeof *r->poses);
                q->id = (int32_t)get32(p);
                q->x = getf64(p + 4), q->y = getf64(p + 12), q->angle = getf64(p + 20);
                if (q->id < 0 || q->id >= SIM_MAX_BODIES || !isfinite(q->x) || !isfinite(q->y) || !isfinite(q->angle))
                    return bad_record(err, err_size, path, o, "corrupted tick record (a pose out of range)");
            }
        }
        r->ticks++;
        (*head)++;
    }
    *at = o + RECORD_HEAD + plen + 4;
    return true;
}

Recording* rec_load(const char* path, char* err, size_t err_size) {
    size_t size = 0;
    char* text = input_file_read(path, REC_MAX_BYTES, &size, err, err_size);
    if (!text) return NULL;
    Recording* r = rec_parse(text, size, path, err, err_size);
    free(text);
    return r;
}

Recording* rec_parse(const void* data, size_t size, const char* path, char* err, size_t err_size) {
    const uint8_t* b = data;
    Recording* r = alloc_zeroed(1, sizeof *r);
    size_t at = 0;
    int64_t head = 0, caps[3] = {0, 0, 0};
    bool ok = header_read(b, size, path, &r->h, &at, err, err_size);
    while (ok && at < size) {
        if (r->complete) {
            ok = bad_record(err, err_size, path, at, "unexpected bytes after the end record");
            break;
        }
        ok = record_read(r, b, size, &at, &head, caps, path, err, err_size);
    }
    if (!ok) {
        rec_free(r);
        return NULL;
    }
    return r;
}

/* ---- replaying ---- */

void rec_replay_begin(RecReplay* rp, const Recording* r, Episode* e) {
    memset(rp, 0, sizeof *rp);
    rp->r = r;
    rp->e = e;
    rp->h = history_create(r->h.snap_every ? (int)r->h.snap_every : HISTORY_SNAP_EVERY, HISTORY_SPAN);
    history_begin(rp->h, e);
}

bool rec_replay_next(RecReplay* rp, char* err, size_t err_size) {
    if (err && err_size) err[0] = 0;
    const Recording* r = rp->r;
    while (rp->item < r->nitems) {
        const RecItem* it = &r->items[rp->item++];
        if (it->type == REC_BRANCH) {
            char why[256];
            if (!history_seek(rp->h, rp->e, it->branch_to, why, sizeof why)) {
                report_set(err, err_size, "cannot replay the branch at offset %lld: %s", (long long)it->offset, why);
                return false;
            }
            continue;
        }
        episode_tick_recorded(rp->e, it->action >= 0 ? &r->actions[it->action] : NULL);
        history_tick(rp->h, rp->e);
        rp->tick++;
        rp->last = it;
        rp->differs = false;
        if (it->has_hash) {
            rp->hashes++;
            rp->differs = sim_world_hash(rp->e->world) != it->hash;
        }
        return true;
    }
    return false;
}

void rec_replay_end(RecReplay* rp) {
    history_free(rp->h);
    rp->h = NULL;
}

/* ---- writing ---- */

struct RecWriter {
    int      fd;
    char     path[PATH_MAX];
    uint8_t* buf;
    size_t   len, cap;
    int64_t  ticks, head;
    int      since_flush;
    uint32_t hash_every;
    bool     regular;     /* a regular file: a failed write is cut back to the last whole record */
    int64_t  on_disk;     /* bytes written, whole records only */
    bool     failed;
    char     err[300];
};

static void fail_errno(RecWriter* w, const char* what) {
    if (w->failed) return;
    w->failed = true;
    report_set(w->err, sizeof w->err, "%s: cannot %s: %s", w->path, what, strerror(errno));
}

/* writes the buffered records; a failed write (a full disk, the file-size limit) is cut back to
 * the last whole record, so the file stays a recording that replays up to there, and a recording
 * that never got a whole header is removed */
static void flush(RecWriter* w) {
    size_t done = 0;
    while (!w->failed && done < w->len) {
        ssize_t n = write(w->fd, w->buf + done, w->len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0) errno = EIO;
            fail_errno(w, "write the recording");
            if (w->regular && ftruncate(w->fd, (off_t)w->on_disk) == 0 && w->on_disk == 0) {
                struct stat st;
                if (lstat(w->path, &st) == 0 && S_ISREG(st.st_mode)) unlink(w->path);
            }
            break;
        }
        done += (size_t)n;
    }
    if (!w->failed) w->on_disk += (int64_t)w->len;
    w->len = 0;
    w->since_flush = 0;
}

/* room for n more bytes in the buffer */
static uint8_t* reserve(RecWriter* w, size_t n) {
    if (w->len + n > w->cap) {
        while (w->len + n > w->cap) w->cap = w->cap ? 2 * w->cap : FLUSH_BYTES * 2;
        w->buf = alloc_resize(w->buf, w->cap, 1);
    }
    uint8_t* p = w->buf + w->len;
    w->len += n;
    return p;
}

/* a record: its head, payload (n bytes, from parts) and CRC */
static void record_write(RecWriter* w, uint8_t type, uint8_t flags, const void* payload, size_t n) {
    uint8_t* p = reserve(w, RECORD_HEAD + n + 4);
    uint32_t len32 = (uint32_t)n, crc;
    p[0] = type, p[1] = flags, p[2] = p[3] = 0;
    put(p + 4, &len32, 4);
    if (n) memcpy(p + RECORD_HEAD, payload, n);
    crc = crc32_update(0, p, RECORD_HEAD + n);
    put(p + RECORD_HEAD + n, &crc, 4);
}

RecWriter* rec_writer_open(const char* path, const Episode* e, uint32_t hash_every, uint32_t snap_every, char* err,
                           size_t err_size) {
    RecWriter* w = alloc_zeroed(1, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    w->hash_every = hash_every < 1 ? 1 : hash_every;
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
    struct stat st;
    if (w->fd < 0 || fstat(w->fd, &st) != 0) {
        report_set(err, err_size, "%s: cannot create the recording: %s", path, strerror(errno));
        if (w->fd >= 0) close(w->fd);
        free(w);
        return NULL;
    }
    w->regular = S_ISREG(st.st_mode);
    /* the scenario as an absolute path, so that the recording replays from another folder */
    char scn[PATH_MAX];
    if (!realpath(scn_name(e->scn), scn)) snprintf(scn, sizeof scn, "%s", scn_name(e->scn));
    uint16_t plen = (uint16_t)(strlen(scn) > REC_MAX_PATH ? REC_MAX_PATH : strlen(scn));
    uint32_t hbytes = HEADER_FIXED + plen + 4, version = REC_VERSION, action_bytes = SIM_ACTION_BYTES;
    uint32_t spt = (uint32_t)e->inst.world.steps_per_tick;
    uint64_t hash = scn_text_hash(e->scn);
    uint8_t* p = reserve(w, hbytes);
    memcpy(p, REC_MAGIC, 8);
    put(p + 8, &version, 4);
    put(p + 12, &hbytes, 4);
    put(p + 16, &action_bytes, 4);
    put(p + 20, &w->hash_every, 4);
    put(p + 24, &snap_every, 4);
    put(p + 28, &spt, 4);
    put(p + 32, &e->inst.world.dt, 8);
    put(p + 40, &e->seed, 8);
    put(p + 48, &hash, 8);
    put(p + 56, &plen, 2);
    memcpy(p + HEADER_FIXED, scn, plen);
    uint32_t crc = crc32_update(0, p, hbytes - 4);
    put(p + hbytes - 4, &crc, 4);
    flush(w);
    if (w->failed) {
        report_set(err, err_size, "%s", w->err);
        close(w->fd);
        free(w->buf);
        free(w);
        return NULL;
    }
    return w;
}

void rec_writer_tick(RecWriter* w, const Episode* e) {
    if (w->failed) return;
    w->head++;
    w->ticks++;
    bool act = !sim_action_is_empty(&e->applied), hash = w->head % w->hash_every == 0;
    int n = 0, count = sim_world_id_count(e->world);
    size_t plen = (act ? SIM_ACTION_BYTES : 0) + (hash ? 12 : 0);
    uint8_t stack[SIM_ACTION_BYTES + 12 + 64 * POSE_BYTES];
    uint8_t* payload = stack;
    if (hash) {
        /* the live dynamic bodies' poses */
        for (int id = 0; id < count; id++) {
            SimBodyState b;
            if (sim_world_body(e->world, id, &b) && b.alive && !b.is_static) n++;
        }
        plen += (size_t)n * POSE_BYTES;
    }
    if (plen > sizeof stack) payload = alloc_bytes(plen);
    uint8_t* p = payload;
    if (act) memcpy(p, &e->applied, SIM_ACTION_BYTES), p += SIM_ACTION_BYTES;
    if (hash) {
        uint64_t hv = sim_world_hash(e->world);
        uint32_t n32 = (uint32_t)n;
        put(p, &hv, 8);
        put(p + 8, &n32, 4);
        p += 12;
        for (int id = 0; id < count; id++) {
            SimBodyState b;
            if (!sim_world_body(e->world, id, &b) || !b.alive || b.is_static) continue;
            int32_t id32 = id;
            put(p, &id32, 4);
            put(p + 4, &b.x, 8);
            put(p + 12, &b.y, 8);
            put(p + 20, &b.angle, 8);
            p += POSE_BYTES;
        }
    }
    record_write(w, REC_TICK, (uint8_t)((act ? FLAG_ACTION : 0) | (hash ? FLAG_HASH : 0)), payload, plen);
    if (payload != stack) free(payload);
    if (++w->since_flush >= FLUSH_TICKS || w->len >= FLUSH_BYTES) flush(w);
}

void rec_writer_branch(RecWriter* w, int64_t tick) {
    if (w->failed) return;
    uint64_t t = (uint64_t)tick;
    record_write(w, REC_BRANCH, 0, &t, 8);
    w->head = tick;
}

static void on_tick(void* ctx, const Episode* e) { rec_writer_tick(ctx, e); }

bool rec_writer_attach(RecWriter* w, Episode* e) { return episode_attach(e, on_tick, w, 0); }

bool rec_writer_ok(const RecWriter* w, char* err, size_t err_size) {
    if (!w->failed) return true;
    report_set(err, err_size, "%s", w->err);
    return false;
}

int64_t rec_writer_ticks(const RecWriter* w) { return w->ticks; }

bool rec_writer_close(RecWriter* w, char* err, size_t err_size) {
    if (!w) return true;
    uint64_t n = (uint64_t)w->ticks;
    if (!w->failed) record_write(w, REC_END, 0, &n, 8);
    flush(w);
    /* a device or a pipe (--record /dev/null) may not sync */
    if (!w->failed && fdatasync(w->fd) != 0 && (w->regular || (errno != EINVAL && errno != EROFS && errno != ENOTSUP)))
        fail_errno(w, "sync the recording");
    if (close(w->fd) != 0) fail_errno(w, "close the recording");
    bool ok = rec_writer_ok(w, err, err_size);
    free(w->buf);
    free(w);
    return ok;
}
