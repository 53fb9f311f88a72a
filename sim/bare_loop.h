/* bare_loop: the reference that benchmarks measure nudge's world against. A scenario instance's
 * bodies -- the same geometry, materials and solver settings as a SimWorld builds (they share the
 * code) -- in a raw Chipmunk space, stepped with nothing else: no events, trackers, breaking,
 * observation, agent or hand. On a scene where nothing breaks and nothing leaves the bounds it
 * moves the bodies exactly as the world does (tests/test_sim.c checks it bit for bit), so the
 * difference in speed is what nudge's world adds to Chipmunk. It reads no clock: the benchmark
 * times sim_bare_loop_step. */
#ifndef NUDGE_SIM_BARE_LOOP_H
#define NUDGE_SIM_BARE_LOOP_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scenario.h"

typedef struct SimBareLoop SimBareLoop;

/// the instance's bodies (in id order) in a raw space with the instance's world settings
SimBareLoop* sim_bare_loop_create(const ScnInstance* inst);
void         sim_bare_loop_free(SimBareLoop* b);        /* NULL-safe; frees every body and shape */
/// steps physics steps of the world's dt
void         sim_bare_loop_step(SimBareLoop* b, int64_t steps);
/// bodies in the space, static ones included
int          sim_bare_loop_bodies(const SimBareLoop* b);
/// body i's centre of mass (m) and angle (rad); false for a bad index
bool         sim_bare_loop_pose(const SimBareLoop* b, int i, double* x, double* y, double* angle);

#endif
