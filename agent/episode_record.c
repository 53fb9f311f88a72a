/* episode_record: one dataset episode through the episode loop (see episode_record.h) */
#include "agent/episode_record.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/episode.h"
#include "base/report.h"
#include "render/frame_rect.h"
#include "render/render.h"

static void add_event(DataSlot* o, int32_t episode, int32_t record, const SimEvent* e) {
    DataEvent g = {episode, record, (uint8_t)e->type, e->a, e->b, (float)e->magnitude};
    data_slot_add_event(o, &g);
}

/* observation of record r, with contacts and (optionally) a frame */
static void record(const EpisodeRecordSpec* spec, Episode* ep, const double rect[4], DataSlot* o, int32_t index,
                   int r) {
    size_t K = (size_t)spec->slots;
    episode_observe(ep);
    data_slot_observe(o, index, r, ep->states, ep->mask);
    sim_world_observe_contacts(ep->world, o->contacts + (size_t)r * K, (int)K);
    if (o->frames) {
        size_t fsz = (size_t)spec->frame_w * (size_t)spec->frame_h * (size_t)spec->channels;
        render_world_frame(ep->world, rect, o->frames + (size_t)r * fsz, spec->frame_w, spec->frame_h,
                           spec->channels, spec->frames_aa, spec->frames_outline);
    }
}

bool episode_record_run(const Scenario* s, const int* param_col, uint64_t seed, int32_t index,
                        const EpisodeRecordSpec* spec, DataSlot* o, int* beyond, char* err, size_t err_size) {
    if (beyond) *beyond = 0;
    Episode ep;
    if (!episode_begin_with(&ep, s, seed, &spec->agent, spec->slots, err, err_size)) return false;
    for (int p = 0; p < spec->nparams; p++) o->params[p] = NAN;
    for (int p = 0; p < ep.inst.nparams; p++) o->params[param_col[p]] = ep.inst.params[p];
    double rect[4];
    render_frame_rect(&ep.inst, rect); /* the pixel model's camera: the scene's events in view */
    if (o->frame_rect) memcpy(o->frame_rect, rect, sizeof rect);
    size_t K = (size_t)spec->slots;
    /* actions are zero but where the buffer's last episode pushed (a few records an episode: not
       the whole 246 KB of an 8 s episode at 32 slots) */
    if (!o->pushed) memset(o->actions, 0, sizeof(float) * (size_t)spec->records * K * 4);
    for (int r = 0; o->pushed && r < spec->records; r++)
        if (o->pushed[r]) memset(o->actions + (size_t)r * K * 4, 0, sizeof(float) * K * 4), o->pushed[r] = 0;
    int64_t tick = 0;
    for (int r = 0; r < spec->records; r++) {
        /* a body is its slot (its id): one beyond the K slots is not recorded. A scene that does not
           fit at its start is refused; bodies made later (the shards of a break, a spawn) beyond K
           are counted (*beyond) and gen reports them, never dropped silently */
        if (r == 0 && sim_world_id_count(ep.world) > spec->slots) {
            report_set(err, err_size, "%s: %d bodies at %.3f s, more than the %d slots; raise --slots", scn_name(s),
                       sim_world_id_count(ep.world), sim_world_time(ep.world), spec->slots);
            episode_end(&ep);
            return false;
        }
        record(spec, &ep, rect, o, index, r);
        if (r == spec->records - 1) break;
        for (int s2 = 0; s2 < spec->stride; s2++, tick++) {
            episode_tick(&ep, NULL);
            if (sim_world_error(ep.world)) {
                report_set(err, err_size, "%s: episode %d (seed %llu): %s (at %.3f s)", scn_name(s), (int)index,
                           (unsigned long long)seed, sim_world_error(ep.world), sim_world_time(ep.world));
                episode_end(&ep);
                return false;
            }
            /* pushes between two records add up; the point is the last one's */
            sim_action_add_rows(&ep.applied, o->actions + (size_t)r * K * 4, (int)K);
            if (o->pushed && ep.applied.npushes > 0) o->pushed[r] = 1;
            /* events between records r and r + 1 carry r (they label record r + 1: model/replay.h) */
            int n;
            const SimEvent* ev = sim_world_events(ep.world, &n);
            for (int i = 0; i < n; i++) add_event(o, index, r, &ev[i]);
        }
    }
    if (beyond && sim_world_id_count(ep.world) > spec->slots) *beyond = sim_world_id_count(ep.world) - spec->slots;
    episode_end(&ep);
    return true;
}
