/* api_internal: what the public API's files share (the handles' insides). Not installed. */
#ifndef NUDGE_API_INTERNAL_H
#define NUDGE_API_INTERNAL_H
#include <stdatomic.h>

#include "agent/episode.h"
#include "base/report.h"
#include "agent/episode_feed.h"
#include "model/trainer.h"
#include "model/wm.h"
#include "nudge/nudge.h"
#include "sim/scenario.h"

struct NudgeScenario {
    Scenario*   scn;
    atomic_int  refs;     /* the caller's reference + one per world made from it */
};

struct NudgeTrainer {
    WmTrainer*  tr;
    int         slots;
    atomic_int  refs;     /* the caller's reference + one per world it watches */
};

/// trainers one world can feed at once
#define NUDGE_WORLD_FEEDS 4

typedef struct NudgeFeed {
    NudgeTrainer* trainer;   /* a reference held */
    EpisodeFeed   feed;
} NudgeFeed;

struct NudgeWorld {
    NudgeScenario* scenario;   /* a reference held */
    Episode        ep;
    int            agent;      /* NUDGE_AGENT_* */
    int            K;
    int            ngoals;
    int*           goal_status;  /* [ngoals] NUDGE_GOAL_*, kept once decided */
    float*         states;       /* [K * SIM_OBS_DIM] scratch for observations a caller skips */
    uint8_t*       mask;
    int32_t*       ids;
    SimAction      action;       /* the caller's action of the tick being built */
    int            nfeeds;
    NudgeFeed      feeds[NUDGE_WORLD_FEEDS];
};

void nudge_trainer_release(NudgeTrainer* tr);

/// reads a caller's definition struct whose first field is its uint32_t size: out (this library's
/// struct, out_size bytes, holding the defaults) takes the caller's first min(size, out_size)
/// bytes. A size below `least` (the first version's size) is refused, and so is a larger struct
/// from a newer header unless its extra bytes are zero (fields this library does not know, left at
/// their "off" value). false + one line naming what
bool api_def_read(void* out, size_t out_size, size_t least, const void* def, const char* what,
                  char* err, size_t err_size);

#endif
