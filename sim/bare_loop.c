#include "sim/bare_loop.h"

#include <chipmunk/chipmunk.h>
#include <chipmunk/chipmunk_structs.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "sim/world_internal.h"

struct SimBareLoop {
    cpSpace* space;
    double   dt;
    int      n;
    cpBody** bodies;                     /* [n] */
    cpShape* (*shapes)[SIM_MAX_PARTS];   /* [n] */
    int*     nshapes;                    /* [n] */
};

SimBareLoop* sim_bare_loop_create(const ScnInstance* inst) {
    sim_quiet_chipmunk();
    SimBareLoop* b = alloc_zeroed(1, sizeof *b);
    b->space = sim_space_new(&inst->world);
    b->dt = inst->world.dt;
    b->n = inst->nbodies;
    b->bodies = alloc_zeroed((size_t)b->n, sizeof *b->bodies);
    b->shapes = alloc_zeroed((size_t)b->n, sizeof *b->shapes);
    b->nshapes = alloc_zeroed((size_t)b->n, sizeof *b->nshapes);
    for (int i = 0; i < b->n; i++) b->bodies[i] = sim_def_build(b->space, &inst->bodies[i], i, b->shapes[i], &b->nshapes[i]);
    return b;
}

void sim_bare_loop_free(SimBareLoop* b) {
    if (!b) return;
    for (int i = 0; i < b->n; i++) {
        for (int k = 0; k < b->nshapes[i]; k++) {
            cpSpaceRemoveShape(b->space, b->shapes[i][k]);
            cpShapeFree(b->shapes[i][k]);
        }
        cpSpaceRemoveBody(b->space, b->bodies[i]);
        cpBodyFree(b->bodies[i]);
    }
    cpSpaceFree(b->space);
    free(b->bodies);
    free(b->shapes);
    free(b->nshapes);
    free(b);
}

void sim_bare_loop_step(SimBareLoop* b, int64_t steps) {
    for (int64_t s = 0; s < steps; s++) cpSpaceStep(b->space, b->dt);
}

int sim_bare_loop_bodies(const SimBareLoop* b) { return b->n; }

bool sim_bare_loop_pose(const SimBareLoop* b, int i, double* x, double* y, double* angle) {
    if (i < 0 || i >= b->n) return false;
    /* the centre of mass, as the world reports it */
    const cpBody* body = b->bodies[i];
    *x = body->p.x;
    *y = body->p.y;
    *angle = body->a;
    return true;
}
