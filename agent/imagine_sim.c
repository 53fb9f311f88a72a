/* imagine_sim: candidates' futures from the true simulator (the oracle's imagination). One
 * snapshot of the world per decision; every candidate restores it into a scratch world and ticks
 * with its pushes, exactly as the episode would apply them. */
#include <string.h>

#include "agent/imagine.h"

const SimPush* imagine_push_at(const ImaginePlans* p, int b, int h) {
    if (h < 0 || h >= p->H || h % p->seg != 0 || h / p->seg >= p->S) return NULL;
    const SimPush* sp = &p->steps[(size_t)b * p->S + (size_t)(h / p->seg)];
    return sp->body >= 0 ? sp : NULL;
}

bool imagine_sim(ImagineSim* is, const SimWorld* w, const ImaginePlans* p, PlanRow* rows, char* err,
                 size_t err_size) {
    int B = p->B, H = p->H, nb = p->nbodies;
    SimSnapshot* snap = sim_world_snapshot(w);
    if (!is->scratch) is->scratch = sim_world_from_snapshot(snap, err, err_size);
    if (!is->scratch) {
        sim_snapshot_free(snap);
        return false;
    }
    /* past the horizon, without pushes: the window the model's event heads look ahead */
    int coast = p->events ? WM_EVENT_HORIZON : 0;
    int first_break[PLANNER_MAX_BODIES], first_fall[PLANNER_MAX_BODIES];
    for (int b = 0; b < B; b++) {
        if (!sim_world_restore(is->scratch, snap, err, err_size)) {
            sim_snapshot_free(snap);
            return false;
        }
        for (int j = 0; j < nb; j++) first_break[j] = first_fall[j] = -1;
        for (int h = 0; h < H + coast; h++) {
            sim_world_tick(is->scratch, imagine_push_at(p, b, h));
            /* tick h leads to state h + 1 */
            for (int j = 0; j < nb; j++) {
                SimBodyState st;
                if (!sim_world_body(is->scratch, p->ids[j], &st)) continue;
                if (first_break[j] < 0 && st.broken) first_break[j] = h + 1;
                if (first_fall[j] < 0 && (st.fell || st.y < p->drop[j])) first_fall[j] = h + 1;
                if (h >= H) continue;
                PlanRow* r = &rows[((size_t)b * H + h) * nb + j];
                r->x = (float)st.x;
                r->y = (float)st.y;
                r->angle = (float)st.angle;
                r->vx = (float)st.vx;
                r->vy = (float)st.vy;
                r->omega = (float)st.omega;
                r->risk = 0.0f;   /* the simulator is the truth */
            }
        }
        /* P(event within the heads' window after state h): did it happen by tick h + window */
        for (int h = 0; h < H; h++) {
            for (int j = 0; j < nb; j++) {
                PlanRow* r = &rows[((size_t)b * H + h) * nb + j];
                r->p_break = first_break[j] >= 0 && first_break[j] <= h + WM_EVENT_HORIZON;
                r->p_fall = first_fall[j] >= 0 && first_fall[j] <= h + WM_EVENT_HORIZON;
            }
        }
    }
    sim_snapshot_free(snap);
    return true;
}

void imagine_sim_free(ImagineSim* is) {
    if (!is) return;
    sim_world_destroy(is->scratch);
    is->scratch = NULL;
}
