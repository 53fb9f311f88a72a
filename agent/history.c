#include "agent/history.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"

/* the state after one tick, for the ticks after the oldest snapshot */
typedef struct TickEntry {
    int64_t    tick;        /* -1 = empty */
    SimAction  action;
    AgentState agent;
} TickEntry;

typedef struct SnapEntry {
    int64_t      tick;      /* -1 = empty */
    EpisodeSave* save;
} SnapEntry;

struct History {
    int        every, span;
    TickEntry* ticks;       /* ring by tick % nticks */
    int        nticks;
    SnapEntry* snaps;       /* ring by (tick / every) % nsnaps */
    int        nsnaps;
    size_t     snap_bytes;
    int64_t    head, pos, oldest;
    /* the log: the ticks that did something, along the current branch */
    HistoryEntry* log;
    int        nlog, caplog;
    int64_t    log_from;    /* the log holds every such tick after this one */
    uint64_t   seed0;       /* the seed of the episode at log_from */
    int64_t    start0;      /* and the tick it started at */
};

History* history_create(int snap_every, int span) {
    History* h = alloc_zeroed(1, sizeof *h);
    h->every = snap_every < 1 ? 1 : snap_every;
    h->span = span < h->every ? h->every : span;
    h->nsnaps = h->span / h->every + 1;
    h->nticks = h->nsnaps * h->every;
    h->ticks = alloc_array((size_t)h->nticks, sizeof *h->ticks);
    h->snaps = alloc_zeroed((size_t)h->nsnaps, sizeof *h->snaps);
    for (int i = 0; i < h->nticks; i++) h->ticks[i].tick = -1;
    for (int i = 0; i < h->nsnaps; i++) h->snaps[i].tick = -1;
    return h;
}

static void drop_snap(History* h, SnapEntry* s) {
    if (s->tick < 0) return;
    h->snap_bytes -= episode_save_bytes(s->save);
    episode_save_free(s->save);
    s->save = NULL;
    s->tick = -1;
}

void history_free(History* h) {
    if (!h) return;
    for (int i = 0; i < h->nsnaps; i++) drop_snap(h, &h->snaps[i]);
    free(h->snaps);
    free(h->ticks);
    free(h->log);
    free(h);
}

static SnapEntry* snap_at(const History* h, int64_t tick) {
    SnapEntry* s = &h->snaps[(tick / h->every) % h->nsnaps];
    return s->tick == tick ? s : NULL;
}

/* the oldest tick with a snapshot and every tick after it kept */
static void update_oldest(History* h) {
    int64_t t = h->head - h->head % h->every;
    while (t - h->every >= 0 && h->head - (t - h->every) < h->nticks && snap_at(h, t - h->every)) t -= h->every;
    h->oldest = snap_at(h, t) ? t : h->head;
}

static void take_snap(History* h, const Episode* e, int64_t tick) {
    SnapEntry* s = &h->snaps[(tick / h->every) % h->nsnaps];
    drop_snap(h, s);
    s->tick = tick;
    s->save = episode_save(e);
    h->snap_bytes += episode_save_bytes(s->save);
    /* over the byte budget: the oldest go (never the newest) */
    for (int64_t t = h->oldest; h->snap_bytes > HISTORY_SNAP_BYTES && t < tick; t += h->every) {
        SnapEntry* old = snap_at(h, t);
        if (old) drop_snap(h, old);
    }
}

void history_begin(History* h, const Episode* e) {
    for (int i = 0; i < h->nsnaps; i++) drop_snap(h, &h->snaps[i]);
    for (int i = 0; i < h->nticks; i++) h->ticks[i].tick = -1;
    h->head = h->pos = h->oldest = 0;
    h->nlog = 0;
    h->log_from = 0;
    h->seed0 = e->seed;
    h->start0 = 0;
    take_snap(h, e, 0);
    update_oldest(h);
}

/* the log cannot grow: the older half goes, remembering the episode the rest starts in */
static void log_drop_half(History* h) {
    int drop = h->nlog / 2;
    for (int i = 0; i < drop; i++)
        if (h->log[i].action.flags & SIM_ACT_RESET) h->seed0 = h->log[i].action.reset_seed, h->start0 = h->log[i].tick;
    h->log_from = h->log[drop - 1].tick;
    memmove(h->log, h->log + drop, sizeof *h->log * (size_t)(h->nlog - drop));
    h->nlog -= drop;
}

void history_tick(History* h, const Episode* e) {
    /* a tick from the past: the timeline after it goes */
    if (h->pos < h->head) {
        for (int i = 0; i < h->nsnaps; i++)
            if (h->snaps[i].tick > h->pos) drop_snap(h, &h->snaps[i]);
        for (int i = 0; i < h->nticks; i++)
            if (h->ticks[i].tick > h->pos) h->ticks[i].tick = -1;
        while (h->nlog > 0 && h->log[h->nlog - 1].tick > h->pos) h->nlog--;
        h->head = h->pos;
    }
    int64_t t = ++h->head;
    h->pos = t;
    TickEntry* te = &h->ticks[t % h->nticks];
    te->tick = t;
    te->action = e->applied;
    agent_state_save(e->agent, &te->agent);
    if (!sim_action_is_empty(&e->applied)) {
        if ((size_t)(h->nlog + 1) * sizeof *h->log > HISTORY_LOG_BYTES) log_drop_half(h);
        if (h->nlog == h->caplog) {
            h->caplog = h->caplog ? 2 * h->caplog : 256;
            h->log = alloc_resize(h->log, (size_t)h->caplog, sizeof *h->log);
        }
        h->log[h->nlog].tick = t;
        h->log[h->nlog].action = e->applied;
        h->nlog++;
    }
    if (t % h->every == 0) take_snap(h, e, t);
    update_oldest(h);
}

bool history_seek(History* h, Episode* e, int64_t tick, char* err, size_t err_size) {
    if (tick < h->oldest || tick > h->head) {
        report_set(err, err_size, "tick %lld is not in the history (it keeps ticks %lld..%lld)", (long long)tick,
                   (long long)h->oldest, (long long)h->head);
        return false;
    }
    int64_t m = tick - tick % h->every;
    SnapEntry* s = snap_at(h, m);
    if (!s) {
        report_set(err, err_size, "no snapshot at tick %lld", (long long)m);
        return false;
    }
    if (!episode_load(e, s->save, err, err_size)) return false;
    for (int64_t t = m + 1; t <= tick; t++) episode_tick_applied(e, &h->ticks[t % h->nticks].action);
    if (tick > m) agent_state_load(e->agent, &h->ticks[tick % h->nticks].agent);
    sim_action_clear(&e->applied);
    h->pos = tick;
    return true;
}

int64_t history_head(const History* h) { return h->head; }
int64_t history_pos(const History* h) { return h->pos; }
int64_t history_oldest(const History* h) { return h->oldest; }
int     history_snap_every(const History* h) { return h->every; }

size_t history_bytes(const History* h) {
    return sizeof *h + h->snap_bytes + sizeof *h->snaps * (size_t)h->nsnaps + sizeof *h->ticks * (size_t)h->nticks +
           sizeof *h->log * (size_t)h->caplog;
}

/* the log entries up to the current position */
static int log_count(const History* h) {
    int n = h->nlog;
    while (n > 0 && h->log[n - 1].tick > h->pos) n--;
    return n;
}

const HistoryEntry* history_log(const History* h, int* n) {
    *n = log_count(h);
    return h->log;
}

const HistoryEntry* history_log_all(const History* h, int* n) {
    *n = h->nlog;
    return h->log;
}

int history_episodes(const History* h, HistoryEpisode* out, int cap) {
    int n = log_count(h), count = 0;
    HistoryEpisode cur = {h->seed0, h->start0, h->pos, 0, 0, h->start0 >= h->log_from};
    for (int i = 0; i < n; i++) {
        const HistoryEntry* x = &h->log[i];
        if (!(x->action.flags & SIM_ACT_RESET)) {
            cur.count++;
            continue;
        }
        cur.end = x->tick - 1;
        if (count < cap) out[count] = cur;
        count++;
        cur = (HistoryEpisode){x->action.reset_seed, x->tick, h->pos, i + 1, 0, true};
    }
    cur.end = h->pos;
    if (count < cap) out[count] = cur;
    return count + 1;
}
