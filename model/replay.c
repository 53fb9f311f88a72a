/* replay: a ring of observed ticks in episodes; transitions with delayed event labels */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/replay.h"
#include "model/wm.h"
#include "sim/events.h"

struct WmReplay {
    int      slots, dim;
    int64_t  cap;        /* ticks */
    int64_t  total;      /* ticks ever added; tick g lives at g % cap while g >= total - cap */
    int64_t  episode;    /* current episode serial */
    bool     closed;     /* the current episode has ended */
    int64_t  ep_len;     /* ticks of the current episode */
    int64_t  links;      /* held ticks whose next tick is held and in the same episode */
    float*   states;     /* [cap*K*D] */
    uint8_t* mask;       /* [cap*K] */
    uint8_t* contacts;   /* [cap*K] */
    float*   push;       /* [cap*K*4] */
    uint8_t* bits;       /* [cap*K] */
    int64_t* ep;         /* [cap] episode serial of each tick */
};

void wm_event_mark(uint8_t* bits, int K, int type, int32_t body) {
    if (body < 0 || body >= K) return;
    if (type == SIM_EV_BREAK) bits[body] |= WM_BIT_BREAK;
    if (type == SIM_EV_FALL) bits[body] |= WM_BIT_FALL;
}

void wm_transitions_init(WmTransitions* t, int cap, int slots, int dim, int max_roll) {
    memset(t, 0, sizeof *t);
    t->cap = cap;
    t->slots = slots;
    t->dim = dim;
    t->max_roll = max_roll > 0 ? max_roll : 0;
    size_t ks = (size_t)cap * slots;
    t->s0 = alloc_bytes(sizeof(float) * ks * dim);
    t->s1 = alloc_bytes(sizeof(float) * ks * dim);
    t->m0 = alloc_bytes(ks);
    t->m1 = alloc_bytes(ks);
    t->push = alloc_bytes(sizeof(float) * ks * WM_PUSH_DIM);
    t->labels = alloc_bytes(sizeof(float) * ks * WM_EVENTS);
    t->roll_push = alloc_bytes(sizeof(float) * ks * WM_PUSH_DIM * (size_t)(t->max_roll > 0 ? t->max_roll : 1));
}

void wm_transitions_free(WmTransitions* t) {
    free(t->s0);
    free(t->s1);
    free(t->m0);
    free(t->m1);
    free(t->push);
    free(t->labels);
    free(t->roll_push);
    memset(t, 0, sizeof *t);
}

size_t wm_replay_bytes_per_transition(int slots, int dim) {
    /* states, mask, contacts, push, label bits per slot; the episode index per transition */
    return (size_t)slots * (sizeof(float) * (size_t)dim + 3 + sizeof(float) * WM_PUSH_DIM) + sizeof(int64_t);
}

WmReplay* wm_replay_create(int slots, int dim, int64_t capacity) {
    if (slots < 1 || dim < 1 || capacity < 2) return NULL;
    WmReplay* r = alloc_zeroed(1, sizeof *r);
    r->slots = slots;
    r->dim = dim;
    r->cap = capacity;
    size_t ks = (size_t)capacity * slots;
    r->states = alloc_bytes(sizeof(float) * ks * dim);
    r->mask = alloc_bytes(ks);
    r->contacts = alloc_bytes(ks);
    r->push = alloc_bytes(sizeof(float) * ks * WM_PUSH_DIM);
    r->bits = alloc_bytes(ks);
    r->ep = alloc_bytes(sizeof(int64_t) * (size_t)capacity);
    wm_replay_clear(r);
    return r;
}

void wm_replay_free(WmReplay* r) {
    if (!r) return;
    free(r->states);
    free(r->mask);
    free(r->contacts);
    free(r->push);
    free(r->bits);
    free(r->ep);
    free(r);
}

void wm_replay_clear(WmReplay* r) {
    r->total = 0;
    r->episode = 0;
    r->closed = true;
    r->ep_len = 0;
    r->links = 0;
}

void wm_replay_begin_episode(WmReplay* r) {
    r->closed = true;
}

static int64_t oldest(const WmReplay* r) {
    return r->total > r->cap ? r->total - r->cap : 0;
}

void wm_replay_add(WmReplay* r, const float* states, const uint8_t* mask, const uint8_t* contacts,
                   const float* push, const uint8_t* bits) {
    int K = r->slots;
    if (r->closed) {
        r->episode++;
        r->closed = false;
        r->ep_len = 0;
    }
    int64_t g = r->total;
    /* the tick about to be overwritten loses its link to its successor */
    if (g >= r->cap) {
        int64_t old = g - r->cap;
        if (old + 1 < g && r->ep[old % r->cap] == r->ep[(old + 1) % r->cap]) r->links--;
    }
    size_t at = (size_t)(g % r->cap);
    memcpy(r->states + at * K * r->dim, states, sizeof(float) * (size_t)K * r->dim);
    memcpy(r->mask + at * K, mask, (size_t)K);
    if (contacts) memcpy(r->contacts + at * K, contacts, (size_t)K);
    else memset(r->contacts + at * K, 0, (size_t)K);
    if (push) memcpy(r->push + at * K * WM_PUSH_DIM, push, sizeof(float) * K * WM_PUSH_DIM);
    else memset(r->push + at * K * WM_PUSH_DIM, 0, sizeof(float) * K * WM_PUSH_DIM);
    if (bits) memcpy(r->bits + at * K, bits, (size_t)K);
    else memset(r->bits + at * K, 0, (size_t)K);
    r->ep[at] = r->episode;
    if (r->ep_len > 0 && g - 1 >= oldest(r) + 0 && g >= 1) r->links++;
    r->ep_len++;
    r->total++;
}

int64_t wm_replay_size(const WmReplay* r) {
    return r->total - oldest(r);
}

int64_t wm_replay_ready(const WmReplay* r) {
    /* the newest WM_EVENT_HORIZON links of an open episode still wait for their labels */
    int64_t pending = 0;
    if (!r->closed && r->ep_len > 1) {
        pending = r->ep_len - 1;
        if (pending > WM_EVENT_HORIZON) pending = WM_EVENT_HORIZON;
    }
    int64_t n = r->links - pending;
    return n > 0 ? n : 0;
}

/* tick g (held) starts a trainable transition */
static bool is_ready(const WmReplay* r, int64_t g) {
    if (g < oldest(r) || g + 1 >= r->total) return false;
    int64_t e = r->ep[g % r->cap];
    if (r->ep[(g + 1) % r->cap] != e) return false;
    if (e != r->episode || r->closed) return true;
    return g + WM_EVENT_HORIZON < r->total;
}

static void fill(const WmReplay* r, int64_t g, WmTransitions* out, int slot) {
    int K = r->slots, Dm = r->dim;
    size_t a = (size_t)(g % r->cap), b = (size_t)((g + 1) % r->cap);
    size_t o = (size_t)slot * K;
    memcpy(out->s0 + o * Dm, r->states + a * K * Dm, sizeof(float) * (size_t)K * Dm);
    memcpy(out->s1 + o * Dm, r->states + b * K * Dm, sizeof(float) * (size_t)K * Dm);
    memcpy(out->m0 + o, r->mask + a * K, (size_t)K);
    memcpy(out->m1 + o, r->mask + b * K, (size_t)K);
    memcpy(out->push + o * WM_PUSH_DIM, r->push + a * K * WM_PUSH_DIM,
           sizeof(float) * (size_t)K * WM_PUSH_DIM);
    float* lab = out->labels + o * WM_EVENTS;
    memset(lab, 0, sizeof(float) * (size_t)K * WM_EVENTS);
    int64_t e = r->ep[a];
    for (int k = 0; k < K; k++) lab[k * WM_EVENTS + WM_EVENT_CONTACT] = r->contacts[b * K + k] ? 1.0f : 0.0f;
    /* breaks and falls in the next WM_EVENT_HORIZON ticks of the same episode */
    for (int64_t h = g + 1; h <= g + WM_EVENT_HORIZON && h < r->total; h++) {
        size_t c = (size_t)(h % r->cap);
        if (r->ep[c] != e) break;
        const uint8_t* bits = r->bits + c * K;
        for (int k = 0; k < K; k++) {
            if (bits[k] & WM_BIT_BREAK) lab[k * WM_EVENTS + WM_EVENT_BREAK] = 1.0f;
            if (bits[k] & WM_BIT_FALL) lab[k * WM_EVENTS + WM_EVENT_FALL] = 1.0f;
        }
    }
}

/* tick g and the roll ticks after it are one episode with the same live bodies, and tick g + roll
 * starts a trainable transition */
static bool is_window(const WmReplay* r, int64_t g, int roll) {
    if (!is_ready(r, g + roll) || g < oldest(r)) return false;
    int K = r->slots;
    int64_t e = r->ep[g % r->cap];
    const uint8_t* m = r->mask + (size_t)(g % r->cap) * K;
    for (int64_t h = g + 1; h <= g + roll; h++) {
        size_t c = (size_t)(h % r->cap);
        if (r->ep[c] != e || memcmp(r->mask + c * K, m, (size_t)K) != 0) return false;
    }
    return true;
}

/* a tick in [lo, hi] drawn uniformly that starts a trainable transition (roll = 0) or a window of
 * roll ticks before one (is_window); -1 when 10000 draws found none */
static int64_t draw_tick(const WmReplay* r, Rng* rng, int64_t lo, int64_t hi, int roll) {
    for (int tries = 0; tries < 10000; tries++) {
        int64_t g = rng_int(rng, lo, hi);
        if (roll > 0 ? is_window(r, g, roll) : is_ready(r, g)) return g;
    }
    return -1;
}

bool wm_replay_sample_rolled(const WmReplay* r, Rng* rng, int n, int roll, WmTransitions* out) {
    out->n = 0;
    out->roll = 0;
    if (roll < 1 || roll > out->max_roll || n > out->cap || wm_replay_ready(r) <= 0) return false;
    int K = r->slots, Dm = r->dim;
    int64_t lo = oldest(r), hi = r->total - 2 - roll;
    if (hi < lo) return false;
    for (int i = 0; i < n; i++) {
        int64_t g = draw_tick(r, rng, lo, hi, roll);
        if (g < 0) return false;
        /* the transition at the window's end, then its start and the pushes on the way */
        fill(r, g + roll, out, i);
        size_t a = (size_t)(g % r->cap), o = (size_t)i * K;
        memcpy(out->s0 + o * Dm, r->states + a * K * Dm, sizeof(float) * (size_t)K * Dm);
        for (int j = 0; j < roll; j++) {
            size_t c = (size_t)((g + j) % r->cap);
            memcpy(out->roll_push + ((size_t)i * out->max_roll + j) * K * WM_PUSH_DIM, r->push + c * K * WM_PUSH_DIM,
                   sizeof(float) * (size_t)K * WM_PUSH_DIM);
        }
    }
    out->n = n;
    out->roll = roll;
    return true;
}

bool wm_replay_sample(const WmReplay* r, Rng* rng, int n, WmTransitions* out) {
    out->n = 0;
    out->roll = 0;
    if (wm_replay_ready(r) <= 0 || n > out->cap) return false;
    int64_t lo = oldest(r), hi = r->total - 2;
    if (hi < lo) return false;
    for (int i = 0; i < n; i++) {
        int64_t g = draw_tick(r, rng, lo, hi, 0);
        if (g < 0) return false;
        fill(r, g, out, i);
    }
    out->n = n;
    return true;
}

int wm_replay_sweep(const WmReplay* r, int64_t* cursor, int n, WmTransitions* out) {
    if (n > out->cap) n = out->cap;
    out->roll = 0;
    int64_t g = oldest(r) + *cursor;
    int got = 0;
    while (got < n && g < r->total) {
        if (is_ready(r, g)) fill(r, g, out, got++);
        g++;
    }
    *cursor = g - oldest(r);
    out->n = got;
    return got;
}

int wm_replay_max_live(const WmReplay* r) {
    int64_t held = r->total < r->cap ? r->total : r->cap, best = 0;
    for (int64_t t = 0; t < held; t++) {
        const uint8_t* m = r->mask + (size_t)t * r->slots;
        int64_t live = 0;
        for (int k = 0; k < r->slots; k++) live += m[k] != 0;
        if (live > best) best = live;
    }
    return (int)best;
}
