/* plan_tasks: one planning episode of a task, judged by its goals (nudge plan). */
#ifndef NUDGE_APP_PLAN_TASKS_H
#define NUDGE_APP_PLAN_TASKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "sim/scenario.h"

typedef struct PlanOutcome {
    bool    solved;        /* every goal held */
    int     goals;         /* goal statements judged */
    int64_t decisions;     /* the agent's decisions */
    double  seconds;       /* wall time the agent took to decide, s */
    int64_t pushes;        /* pushes applied */
    bool    skipped;       /* the pixel planner cannot show the task's goals (planner_jepa_goals_ok):
                              not run, not counted */
    char    failed[448];   /* the first failed goal ("line: text -- detail"), "" when solved */
} PlanOutcome;

/// runs task s with seed and the agent o asks for, for its 'world seconds' or longer (until every
/// goal can be judged), and judges its goals. false + one line on bad input (the task has no
/// goals, the agent cannot be made)
bool plan_task_run(const Scenario* s, uint64_t seed, const AgentOverride* o, int slots, PlanOutcome* out,
                   char* err, size_t err_size);

#endif
