#include "agent/episode_feed.h"

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"

static void on_tick(void* ctx, const Episode* e) {
    EpisodeFeed*     f = ctx;
    const SimAction* a = &e->applied;
    if (a->flags & SIM_ACT_RESET) {
        wm_trainer_begin_episode(f->tr);
        f->nevents = 0;
        f->interrupted = false;
        return;
    }
    if (episode_intervened(e)) {
        if (!f->interrupted) wm_trainer_begin_episode(f->tr);
        f->interrupted = true;
    } else {
        f->interrupted = false;
        memset(f->rows, 0, sizeof(float) * (size_t)f->K * 4);
        sim_action_add_rows(a, f->rows, f->K);
        wm_trainer_add_tick(f->tr, e->states, e->mask, e->contacts, f->rows, f->events, f->nevents);
        f->fed++;
    }
    /* this tick's events label the observation the next tick starts from */
    int n;
    const SimEvent* ev = sim_world_events(e->world, &n);
    if (n > f->capevents) {
        f->events = alloc_resize(f->events, (size_t)n, sizeof *f->events);
        f->capevents = n;
    }
    memcpy(f->events, ev, sizeof *ev * (size_t)n);
    f->nevents = n;
}

bool episode_feed_attach(EpisodeFeed* f, Episode* e, WmTrainer* tr, char* err, size_t err_size) {
    episode_feed_free(f);
    const WmModel* m = wm_trainer_model(tr);
    if (wm_arch(m)->slots != e->slots) {
        report_set(err, err_size, "the world observes %d slots, the model %d", e->slots, wm_arch(m)->slots);
        return false;
    }
    f->tr = tr;
    f->K = e->slots;
    f->rows = alloc_zeroed((size_t)e->slots * 4, sizeof *f->rows);
    if (!episode_attach(e, on_tick, f, EPISODE_READS_OBS | EPISODE_READS_CONTACTS)) {
        report_set(err, err_size, "the world has no room for another watcher");
        episode_feed_free(f);
        return false;
    }
    wm_trainer_begin_episode(tr);
    return true;
}

void episode_feed_free(EpisodeFeed* f) {
    free(f->rows);
    free(f->events);
    memset(f, 0, sizeof *f);
}

void episode_feed_interrupt(EpisodeFeed* f) {
    if (!f->tr) return;
    wm_trainer_begin_episode(f->tr);
    f->nevents = 0;
    f->interrupted = false;
}
