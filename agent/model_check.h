/* model_check: judges a scenario's model expectations (sim/scenario.h, ScnModelExpect) with a world
 * model. Attached to an episode as a hook, it keeps every tick's observation, the pushes the tick
 * applied and the model's surprise (agent/surprise.h); at the end
 *   model predicts BODY STATE by T [p > P] [from T0]   rolls the model out from the observation at
 *       T0 (default 0) to T with the pushes the run applied; p = the largest probability its event
 *       head (break or fall) gives the body along the rollout (a body the rollout shatters: 1);
 *       out_of_bounds: 1 when the rolled-out centre leaves the world's bounds, else 0
 *   model BODY.FIELD TEST at T from T0                 the same rollout's BODY.FIELD at T
 *   surprise BODY > X between T1 T2                    the body's largest surprise in ticks ending
 *       in [T1, T2] (nats)
 *   surprise never > X                                 the world's surprise in every scored tick
 *   fate BODY > X between T1 T2, fate never > X        the same on the fate part of the surprise
 *       alone (agent/surprise.h: a break that came or did not; NaN where none was due) */
#ifndef NUDGE_AGENT_MODEL_CHECK_H
#define NUDGE_AGENT_MODEL_CHECK_H
#include <stdbool.h>

#include "agent/episode.h"
#include "agent/surprise.h"
#include "model/wm.h"
#include "sim/scenario.h"

typedef struct ModelCheck ModelCheck;

/// watches e (two hooks: the surprise watch and the recorder) for its instance's model
/// expectations; m and src must outlive it. NULL + one line when e has no hooks left or m steps
/// otherwise than e's control tick (episode_model_check)
ModelCheck* model_check_attach(Episode* e, const WmModel* m, SurpriseSource* src, char* err, size_t err_size);
/// judges every model expectation and writes its verdict over the skipped one the checker gave
/// (verdicts v[0..n) in file order, matched by line and order)
void        model_check_finish(ModelCheck* c, ScnVerdict* v, int n);
void        model_check_free(ModelCheck* c);   /* NULL-safe */

#endif
