#include "app/plan_tasks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/episode.h"
#include "agent/planner.h"
#include "base/report.h"

#define MAX_VERDICTS 256

bool plan_task_run(const Scenario* s, uint64_t seed, const AgentOverride* o, int slots, PlanOutcome* out,
                   char* err, size_t err_size) {
    memset(out, 0, sizeof *out);
    Episode ep;
    if (!episode_begin_with(&ep, s, seed, o, slots, err, err_size)) return false;
    if (ep.inst.ngoals == 0) {
        report_set(err, err_size, "%s: a task needs at least one 'goal' line", scn_name(s));
        episode_end(&ep);
        return false;
    }
    if (o->jepa && !planner_jepa_goals_ok(ep.inst.goals, ep.inst.ngoals)) {
        out->skipped = true;
        episode_end(&ep);
        return true;
    }
    ScnChecker* c = scn_checker_create(s, &ep.inst, ep.world);
    double tick = ep.inst.world.dt * ep.inst.world.steps_per_tick;
    double seconds = fmax(ep.inst.seconds, scn_checker_horizon(c));
    int64_t ticks = (int64_t)llround(seconds / tick);
    const Planner* pl = agent_planner(ep.agent);
    int64_t seen = 0;
    for (int64_t t = 0; t < ticks; t++) {
        episode_tick(&ep, NULL);
        out->pushes += ep.applied.npushes;
        scn_checker_observe(c, ep.world);
        /* the audit of a decision that searched */
        const PlannerTrace* tr = pl ? planner_trace(pl) : NULL;
        if (!tr || tr->decisions == seen) continue;
        seen = tr->decisions;
        if (!tr->audited) continue;
        out->audits++;
        if (!isnan(tr->audit_rho)) out->rho_n++, out->rho += tr->audit_rho;
        if (!isnan(tr->audit_rho_true)) out->rho_true_n++, out->rho_true += tr->audit_rho_true;
        out->pick_better += tr->audit_pick < tr->audit_idle - PLAN_AUDIT_MARGIN;
        out->best_better += tr->audit_best < tr->audit_idle - PLAN_AUDIT_MARGIN;
        out->pick_cost += tr->audit_pick;
        out->best_cost += tr->audit_best;
        out->idle_cost += tr->audit_idle;
    }
    ScnVerdict v[MAX_VERDICTS];
    int n = scn_checker_finish(c, v, MAX_VERDICTS);
    out->solved = true;
    for (int i = 0; i < n && i < MAX_VERDICTS; i++) {
        if (!v[i].goal) continue;
        out->goals++;
        if (v[i].pass) continue;
        if (out->solved)
            snprintf(out->failed, sizeof out->failed, "%d: %s -- %s", v[i].line, v[i].text, v[i].detail);
        out->solved = false;
    }
    agent_stats(ep.agent, &out->decisions, &out->seconds);
    scn_checker_free(c);
    episode_end(&ep);
    return true;
}
