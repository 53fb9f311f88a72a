/* magic: impossible events applied to a world (sim/action.h, SimMagicKind). Each changes the world
 * outside the physics and is reported as a `magic` event (b = its kind) at the start of the tick. */
#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <math.h>
#include <string.h>

#include "base/report.h"
#include "sim/world_internal.h"

static const char* const magic_names[SIM_MAGIC_KIND_COUNT] = {
    "?", "teleport", "vanish", "appear", "freeze", "mass", "gravity", "ghost", "unbreakable", "drift",
};

const char* sim_magic_name(int kind) {
    return kind > SIM_MAGIC_NONE && kind < SIM_MAGIC_KIND_COUNT ? magic_names[kind] : "?";
}

int sim_magic_find(const char* name) {
    for (int k = SIM_MAGIC_NONE + 1; k < SIM_MAGIC_KIND_COUNT; k++)
        if (strcmp(magic_names[k], name) == 0) return k;
    return -1;
}

bool sim_magic_check(const SimMagic* m, char* err, size_t err_size) {
    if (m->kind <= SIM_MAGIC_NONE || m->kind >= SIM_MAGIC_KIND_COUNT) {
        report_set(err, err_size, "unknown magic kind %d", m->kind);
        return false;
    }
    for (int i = 0; i < 4; i++)
        if (!isfinite(m->v[i])) {
            report_set(err, err_size, "magic %s: a number is not finite", sim_magic_name(m->kind));
            return false;
        }
    bool world = m->kind == SIM_MAGIC_GRAVITY || m->kind == SIM_MAGIC_APPEAR;
    if (world ? m->body != -1 : m->body < 0) {
        report_set(err, err_size, "magic %s: body %d (%s)", sim_magic_name(m->kind), m->body,
                   world ? "it acts on no body: -1" : "a body id, >= 0");
        return false;
    }
    if (m->kind == SIM_MAGIC_MASS && !(m->v[0] >= SIM_MAGIC_MASS_MIN && m->v[0] <= SIM_MAGIC_MASS_MAX && (m->v[1] == 0 || m->v[1] == 1))) {
        report_set(err, err_size, "magic mass: factor %g (wanted %g..%g) and shown %g (0 or 1)", m->v[0],
                   SIM_MAGIC_MASS_MIN, SIM_MAGIC_MASS_MAX, m->v[1]);
        return false;
    }
    if (m->kind == SIM_MAGIC_GHOST && m->v[0] != 0 && m->v[0] != 1) {
        report_set(err, err_size, "magic ghost: %g (wanted 1 = on or 0 = off)", m->v[0]);
        return false;
    }
    if ((m->kind == SIM_MAGIC_TELEPORT || m->kind == SIM_MAGIC_DRIFT || m->kind == SIM_MAGIC_GRAVITY) &&
        (fabs(m->v[0]) > SIM_MAGIC_LIMIT || fabs(m->v[1]) > SIM_MAGIC_LIMIT)) {
        report_set(err, err_size, "magic %s: (%g, %g) beyond %g", sim_magic_name(m->kind), m->v[0], m->v[1],
                   SIM_MAGIC_LIMIT);
        return false;
    }
    return true;
}

/* a live dynamic body, or NULL */
static SimBodyRec* live_dynamic(SimWorld* w, int32_t id) {
    if (id < 0 || id >= w->nrecs) return NULL;
    SimBodyRec* r = &w->recs[id];
    return r->alive && !r->def.is_static ? r : NULL;
}

bool sim_world_magic(SimWorld* w, const SimMagic* m, const SimBodyDef* spawn, int32_t* body, char* why,
                     size_t why_size) {
    *body = m->body;
    double figure = 0;
    if (m->kind == SIM_MAGIC_GRAVITY) {
        w->def.gx = m->v[0];
        w->def.gy = m->v[1];
        cpSpaceSetGravity(w->space, cpv(m->v[0], m->v[1]));
        for (int i = 0; i < w->nrecs; i++)
            if (w->recs[i].alive && !w->recs[i].def.is_static) cpBodyActivate(w->recs[i].body);
        sim_world_emit(w, SIM_EV_MAGIC, -1, m->kind, hypot(m->v[0], m->v[1]));
        return true;
    }
    if (m->kind == SIM_MAGIC_APPEAR) {
        char err[160];
        int id = sim_world_add_body(w, spawn, err, sizeof err);
        if (id < 0) {
            report_set(why, why_size, "appear refused: %s", err);
            return false;
        }
        *body = id;
        sim_world_emit(w, SIM_EV_MAGIC, id, m->kind, 0);
        return true;
    }
    SimBodyRec* r = live_dynamic(w, m->body);
    if (!r) {
        report_set(why, why_size, "magic %s on body %d refused: not a live dynamic body", sim_magic_name(m->kind),
                   m->body);
        return false;
    }
    cpBody* b = r->body;
    switch ((SimMagicKind)m->kind) {
    case SIM_MAGIC_TELEPORT:
        figure = hypot(m->v[0] - b->p.x, m->v[1] - b->p.y);
        sim_world_set_pose(w, r->id, m->v[0], m->v[1], b->a, b->v.x, b->v.y, b->w);
        break;
    case SIM_MAGIC_VANISH:
        sim_world_remove_body(w, r->id);
        break;
    case SIM_MAGIC_FREEZE:
        figure = cpvlength(b->v);
        cpBodySetVelocity(b, cpvzero);
        cpBodySetAngularVelocity(b, 0);
        break;
    case SIM_MAGIC_MASS:
        figure = m->v[0];
        r->mass_scale *= m->v[0];
        r->mass *= m->v[0];
        cpBodySetMass(b, cpBodyGetMass(b) * m->v[0]);
        cpBodySetMoment(b, cpBodyGetMoment(b) * m->v[0]);
        if (m->v[1] != 0) r->shown_mass = r->mass;
        break;
    case SIM_MAGIC_GHOST:
        figure = m->v[0];
        r->ghost = m->v[0] != 0;
        for (int i = 0; i < r->nshapes; i++)
            cpShapeSetFilter(r->shapes[i], r->ghost ? CP_SHAPE_FILTER_NONE : CP_SHAPE_FILTER_ALL);
        cpBodyActivate(b);
        break;
    case SIM_MAGIC_UNBREAKABLE:
        r->unbreakable = true;
        break;
    case SIM_MAGIC_DRIFT:
        figure = hypot(m->v[0], m->v[1]);
        cpBodySetVelocity(b, cpvadd(b->v, cpv(m->v[0], m->v[1])));
        break;
    default:
        report_set(why, why_size, "unknown magic kind %d refused", m->kind);
        return false;
    }
    sim_world_emit(w, SIM_EV_MAGIC, r->id, m->kind, figure);
    return true;
}
