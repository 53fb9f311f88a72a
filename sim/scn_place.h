/* scn_place: the bodies a scenario places 'on' a support, and the check that the bodies of an
 * instance start apart (private to sim/scenario*.c; the rules are in scn_place.c) */
#ifndef NUDGE_SIM_SCN_PLACE_H
#define NUDGE_SIM_SCN_PLACE_H
#include <stdbool.h>
#include <stdint.h>

#include "sim/scn_ast.h"

#define SCN_PLACE_GAP   0.01    /* m: a placed body keeps at least this from its neighbours */
#define SCN_OVERLAP_TOL 0.001   /* m: bodies of the start may touch, not overlap deeper than this */

/// gives every body declared 'on' a support (map[k] >= 0: its index in bodies[nbodies]) its place,
/// in file order, drawing from the placement stream of seed; false + error when one finds no room
bool scn_place_bodies(const Scenario* s, const double* params, uint64_t seed, const int* map, SimBodyDef* bodies,
                      int nbodies, const SimWorldDef* w, ScnErr* e);
/// false + error (at the later body's declaration) when two bodies of the start, one of them
/// dynamic, overlap by more than SCN_OVERLAP_TOL
bool scn_check_overlaps(const Scenario* s, const int* map, const SimBodyDef* bodies, int nbodies, ScnErr* e);

#endif
