/* the public snapshot: an episode's saved state (agent/episode.h) with the goals' statuses */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"

struct NudgeSnapshot {
    EpisodeSave* save;
    uint64_t     scenario_hash;   /* the scenario's text: a snapshot goes back into its own */
    int          slots;
    int          ngoals;
    int*         goal_status;
};

NudgeSnapshot* nudge_world_snapshot(const NudgeWorld* w) {
    if (!w) return NULL;
    NudgeSnapshot* s = alloc_zeroed(1, sizeof *s);
    s->save = episode_save(&w->ep);
    s->scenario_hash = scn_text_hash(w->scenario->scn);
    s->slots = w->K;
    s->ngoals = w->ngoals;
    s->goal_status = alloc_array(w->ngoals > 0 ? (size_t)w->ngoals : 1, sizeof *s->goal_status);
    if (w->ngoals > 0) memcpy(s->goal_status, w->goal_status, sizeof *s->goal_status * (size_t)w->ngoals);
    return s;
}

void nudge_snapshot_free(NudgeSnapshot* s) {
    if (!s) return;
    episode_save_free(s->save);
    free(s->goal_status);
    free(s);
}

bool nudge_world_restore(NudgeWorld* w, const NudgeSnapshot* s, char* err, size_t err_size) {
    if (!w) {
        report_set(err, err_size, "nudge_world_restore: no world (NULL)");
        return false;
    }
    if (!s) {
        report_set(err, err_size, "nudge_world_restore: no snapshot (NULL)");
        return false;
    }
    if (s->scenario_hash != scn_text_hash(w->scenario->scn)) {
        report_set(err, err_size, "nudge_world_restore: the snapshot is of another scenario than %s",
                   scn_name(w->scenario->scn));
        return false;
    }
    if (s->slots != w->K) {
        report_set(err, err_size, "nudge_world_restore: the snapshot observes %d slots, the world %d",
                   s->slots, w->K);
        return false;
    }
    if (!episode_load(&w->ep, s->save, err, err_size)) return false;
    /* the instance is the snapshot's now: its goals, with the statuses they had */
    free(w->goal_status);
    w->ngoals = s->ngoals;
    w->goal_status = alloc_array(s->ngoals > 0 ? (size_t)s->ngoals : 1, sizeof *w->goal_status);
    if (s->ngoals > 0) memcpy(w->goal_status, s->goal_status, sizeof *w->goal_status * (size_t)s->ngoals);
    /* the trainers this world feeds must not join the jump to what came before */
    for (int i = 0; i < w->nfeeds; i++) episode_feed_interrupt(&w->feeds[i].feed);
    return true;
}
