/* jepa_replay: a ring of frames and pushes in episodes (jepa_replay.h) */
#include "model/jepa_replay.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/checked_size.h"

struct JepaReplay {
    size_t    fb;          /* bytes per frame */
    int64_t   cap;
    uint8_t*  frames;      /* [cap * fb] */
    JepaPush* pushes;      /* [cap * JEPA_MAX_PUSHES] */
    uint8_t*  npush;       /* [cap] */
    int64_t*  episode;     /* [cap] */
    uint8_t*  mark;        /* [cap]: event marks (jepa_replay_mark) */
    int64_t*  marked;      /* the marked window ends (jepa_replay_marked_windows), grown as needed */
    int64_t   nmarked, marked_cap;
    int64_t   marked_next; /* r->next when the list was made (-1: never) */
    int       marked_back, marked_ahead;
    uint8_t   marked_bits;
    int64_t   next;        /* running number of the next frame */
    int64_t   ep;          /* the current episode */
    bool      fresh;       /* begin_episode was called since the last add */
};

JepaReplay* jepa_replay_create(size_t frame_bytes, int64_t capacity) {
    if (capacity < 2 || frame_bytes == 0) return NULL;
    size_t bytes = 0;
    if (!size_mul_ok(frame_bytes, (size_t)capacity, &bytes)) return NULL;
    JepaReplay* r = alloc_zeroed(1, sizeof *r);
    r->fb = frame_bytes;
    r->cap = capacity;
    /* sized by the caller's data: too large for memory is refused, not an abort */
    r->frames = alloc_try_bytes(bytes);
    if (!r->frames) {
        free(r);
        return NULL;
    }
    r->pushes = alloc_array((size_t)capacity * JEPA_MAX_PUSHES, sizeof(JepaPush));
    r->npush = alloc_zeroed((size_t)capacity, 1);
    r->episode = alloc_array((size_t)capacity, sizeof(int64_t));
    r->mark = alloc_zeroed((size_t)capacity, 1);
    r->marked_next = -1;
    r->fresh = true;
    return r;
}

void jepa_replay_free(JepaReplay* r) {
    if (!r) return;
    free(r->frames);
    free(r->pushes);
    free(r->npush);
    free(r->episode);
    free(r->mark);
    free(r->marked);
    free(r);
}

void jepa_replay_begin_episode(JepaReplay* r) {
    if (!r->fresh) r->ep++;
    r->fresh = true;
}

void jepa_replay_add(JepaReplay* r, const uint8_t* frame, const JepaPush* pushes, int n) {
    int64_t i = r->next % r->cap;
    memcpy(r->frames + (size_t)i * r->fb, frame, r->fb);
    if (n > JEPA_MAX_PUSHES) n = JEPA_MAX_PUSHES;
    if (n < 0 || !pushes) n = 0;
    if (n) memcpy(r->pushes + (size_t)i * JEPA_MAX_PUSHES, pushes, sizeof(JepaPush) * (size_t)n);
    r->npush[i] = (uint8_t)n;
    r->episode[i] = r->ep;
    r->mark[i] = 0;
    r->fresh = false;
    r->next++;
}

void jepa_replay_mark(JepaReplay* r, uint8_t bits) {
    if (r->next > 0) r->mark[(r->next - 1) % r->cap] |= bits;
    r->marked_next = -1;
}

uint8_t jepa_replay_marks(const JepaReplay* r, int64_t seq) {
    return r->mark[seq % r->cap];
}

int64_t jepa_replay_size(const JepaReplay* r) {
    return r->next < r->cap ? r->next : r->cap;
}

int64_t jepa_replay_first(const JepaReplay* r) {
    return r->next - jepa_replay_size(r);
}

int64_t jepa_replay_last(const JepaReplay* r) {
    return r->next - 1;
}

bool jepa_replay_window_ok(const JepaReplay* r, int64_t seq, int back, int ahead) {
    int64_t a = seq - back, z = seq + ahead;
    if (a < jepa_replay_first(r) || z > jepa_replay_last(r)) return false;
    /* episodes are contiguous runs: the window lies in one when both ends do */
    return r->episode[a % r->cap] == r->episode[z % r->cap];
}

bool jepa_replay_sample(const JepaReplay* r, Rng* rng, int n, int back, int ahead, int64_t* seq) {
    int64_t lo = jepa_replay_first(r) + back, hi = jepa_replay_last(r) - ahead;
    if (hi < lo) return false;
    for (int i = 0; i < n; i++) {
        /* rejection: windows across an episode boundary are redrawn */
        int tries = 0;
        do {
            seq[i] = rng_int(rng, lo, hi);
            if (++tries > 1000) return false;
        } while (!jepa_replay_window_ok(r, seq[i], back, ahead));
    }
    return true;
}

int64_t jepa_replay_marked_windows(JepaReplay* r, int back, int ahead, uint8_t bits) {
    if (r->marked_next == r->next && r->marked_back == back && r->marked_ahead == ahead && r->marked_bits == bits)
        return r->nmarked;
    r->nmarked = 0;
    int64_t last_mark = INT64_MIN;   /* the newest marked record at or before s + ahead */
    for (int64_t s = jepa_replay_first(r) + back, z = s - ahead; s <= jepa_replay_last(r) - ahead; s++) {
        for (; z <= s + ahead; z++)
            if (z >= jepa_replay_first(r) && (r->mark[z % r->cap] & bits)) last_mark = z;
        if (last_mark <= s || !jepa_replay_window_ok(r, s, back, ahead)) continue;
        if (r->nmarked == r->marked_cap) {
            r->marked_cap = r->marked_cap ? 2 * r->marked_cap : 256;
            r->marked = alloc_resize(r->marked, (size_t)r->marked_cap, sizeof(int64_t));
        }
        r->marked[r->nmarked++] = s;
    }
    r->marked_next = r->next, r->marked_back = back, r->marked_ahead = ahead, r->marked_bits = bits;
    return r->nmarked;
}

bool jepa_replay_sample_marked(JepaReplay* r, Rng* rng, int n, int back, int ahead, uint8_t bits, double share,
                               int64_t* seq, int64_t* from_marked) {
    if (!(share > 0)) return jepa_replay_sample(r, rng, n, back, ahead, seq);
    int64_t count = jepa_replay_marked_windows(r, back, ahead, bits);
    for (int i = 0; i < n; i++) {
        if (rng_unit(rng) < share && count > 0) {
            seq[i] = r->marked[rng_int(rng, 0, count - 1)];
            if (from_marked) (*from_marked)++;
        } else if (!jepa_replay_sample(r, rng, 1, back, ahead, seq + i)) {
            return false;
        }
    }
    return true;
}

int jepa_replay_sweep(const JepaReplay* r, int64_t* cursor, int n, int back, int ahead, int stride,
                      int64_t* seq) {
    int64_t s = *cursor < jepa_replay_first(r) ? jepa_replay_first(r) : *cursor;
    int got = 0;
    if (stride < 1) stride = 1;
    for (; got < n && s <= jepa_replay_last(r); s += stride)
        if (jepa_replay_window_ok(r, s, back, ahead)) seq[got++] = s;
    *cursor = s;
    return got;
}

const uint8_t* jepa_replay_frame(const JepaReplay* r, int64_t seq) {
    return r->frames + (size_t)(seq % r->cap) * r->fb;
}

const JepaPush* jepa_replay_pushes(const JepaReplay* r, int64_t seq, int* n) {
    int64_t i = seq % r->cap;
    *n = r->npush[i];
    return r->pushes + (size_t)i * JEPA_MAX_PUSHES;
}
