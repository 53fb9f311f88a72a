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
    /* the pixel planner's audit (PLAN_JEPA_AUDIT), summed over its decisions that searched: */
    int64_t audits;        /* searches audited */
    int64_t rho_n, rho_true_n;   /* of them, those whose correlation is defined */
    double  rho, rho_true; /* sums of PlannerTrace.audit_rho, audit_rho_true */
    int64_t pick_better;   /* the candidate ranked first costs the simulator less than doing nothing
                              (by more than PLAN_AUDIT_MARGIN) */
    int64_t best_better;   /* some candidate does */
    double  pick_cost, best_cost, idle_cost;   /* sums of the simulator's costs */
} PlanOutcome;

/// how much less than doing nothing a candidate must cost the simulator to count as better
#define PLAN_AUDIT_MARGIN 1e-3

/// runs task s with seed and the agent o asks for, for its 'world seconds' or longer (until every
/// goal can be judged), and judges its goals. false + one line on bad input (the task has no
/// goals, the agent cannot be made)
bool plan_task_run(const Scenario* s, uint64_t seed, const AgentOverride* o, int slots, PlanOutcome* out,
                   char* err, size_t err_size);

#endif
