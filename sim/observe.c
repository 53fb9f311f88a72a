/* observe: fills the observation contract of sim/observation.h from a world */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <string.h>

#include "sim/materials.h"
#include "sim/observation.h"
#include "sim/world_internal.h"

const SimObsColumn sim_obs_columns[SIM_OBS_DIM] = {
#define SIM_OBS_ROW(name, unit, doc) {#name, unit, doc},
    SIM_OBS_COLUMNS(SIM_OBS_ROW)
#undef SIM_OBS_ROW
};

int sim_world_observe(const SimWorld* w, float* states, uint8_t* mask, int32_t* ids, int cap) {
    memset(states, 0, sizeof(float) * (size_t)cap * SIM_OBS_DIM);
    memset(mask, 0, (size_t)cap);
    for (int k = 0; k < cap; k++) ids[k] = -1;
    int live = 0;
    for (int i = 0; i < w->nrecs && i < cap; i++) {
        const SimBodyRec* r = &w->recs[i];
        if (!r->alive) continue;
        const cpBody* b = r->body;
        const SimMaterial* m = sim_material_get(r->def.material);
        float* s = states + (size_t)i * SIM_OBS_DIM;
        s[SIM_OBS_x] = (float)b->p.x;
        s[SIM_OBS_y] = (float)b->p.y;
        s[SIM_OBS_cos] = (float)cos(b->a);
        s[SIM_OBS_sin] = (float)sin(b->a);
        s[SIM_OBS_vx] = (float)b->v.x;
        s[SIM_OBS_vy] = (float)b->v.y;
        s[SIM_OBS_omega] = (float)b->w;
        s[SIM_OBS_kind_box + r->def.kind] = 1.0f;
        s[SIM_OBS_size_w] = (float)r->def.w;
        s[SIM_OBS_size_h] = (float)r->def.h;
        s[SIM_OBS_mass] = (float)r->shown_mass;
        s[SIM_OBS_friction] = (float)m->friction;
        s[SIM_OBS_elasticity] = (float)m->elasticity;
        s[SIM_OBS_breakable] = r->breakable ? 1.0f : 0.0f;
        s[SIM_OBS_is_static] = r->def.is_static ? 1.0f : 0.0f;
        mask[i] = 1;
        ids[i] = r->id;
        live++;
    }
    return live;
}
