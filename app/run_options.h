/* run_options: the flags that every command running scenarios shares (--seconds, --seed, --agent,
 * --slots) and how they start an episode */
#ifndef NUDGE_APP_RUN_OPTIONS_H
#define NUDGE_APP_RUN_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "app/args.h"
#include "model/wm.h"
#include "sim/events.h"

typedef struct RunOptions {
    double      seconds;   /* 0 = the scenario's */
    uint64_t    seed;
    const char* agent;     /* NULL = the scenario's */
    const char* every;     /* "LO,HI" or NULL */
    const char* dv;        /* "LO,HI" or NULL */
    int64_t     slots;
    /* planners: -1 keeps the scenario's */
    const char* model_path;
    int64_t     samples, iters, horizon, replan, elites, pushes;
    double      impulse, push_cost;
    WmModel*    model;     /* loaded from model_path by run_options_agent (run_options_free frees) */
} RunOptions;

#define RUN_OPTION_SPECS(o)                                                                           \
    {"seconds", ARG_DOUBLE, &(o).seconds, 1e-3, 86400, "S: simulated seconds (default: the scenario's 'world seconds', else 5)", false}, \
    {"seed", ARG_U64, &(o).seed, 1, 0, "N: seed for parameters, agent and shards (default: the scenario's 'world seed', else 0)", false}, \
    {"agent", ARG_STRING, &(o).agent, 1, 0, "KIND: scripted, random, planner, oracle or none (default: the scenario's agent)", false}, \
    {"push-every", ARG_STRING, &(o).every, 1, 0, "LO,HI: seconds between random pushes (default: the scenario's)", false}, \
    {"push-dv", ARG_STRING, &(o).dv, 1, 0, "LO,HI: velocity change of a random push, m/s (default: the scenario's)", false}, \
    {"slots", ARG_INT, &(o).slots, 1, 1024, "K: observation slots (default 32)", false}, \
    PLANNER_OPTION_SPECS(o)

/// the planner's flags (run, check, plan)
#define PLANNER_OPTION_SPECS(o)                                                                       \
    {"model", ARG_STRING, &(o).model_path, 1, 0, "FILE: the world model a planner imagines with", false}, \
    {"samples", ARG_INT, &(o).samples, 1, 4096, "N: planner: candidate plans per iteration (default: the scenario's, else 256)", false}, \
    {"iters", ARG_INT, &(o).iters, 1, 100, "N: planner: refinements per decision (default 5)", false}, \
    {"horizon", ARG_INT, &(o).horizon, 1, 600, "H: planner: control ticks imagined ahead (default 30)", false}, \
    {"every", ARG_INT, &(o).replan, 1, 600, "K: planner: control ticks between decisions (default 6)", false}, \
    {"elites", ARG_INT, &(o).elites, 1, 4096, "N: planner: candidates kept per refinement (default samples/10)", false}, \
    {"pushes", ARG_INT, &(o).pushes, 0, 1000000, "N: push budget per episode, random agents too (0 = no limit)", false}, \
    {"impulse", ARG_DOUBLE, &(o).impulse, 1e-6, 1000, "J: largest impulse of a push, N*s (planner default 1)", false}, \
    {"push-cost", ARG_DOUBLE, &(o).push_cost, 0, 1000, "C: planner: cost of one push (default 0.02)", false}

void    run_options_init(RunOptions* o);
/// the agent flags as an override (loading --model once, with one BLAS thread so that planning is
/// deterministic); false + one line on bad input
bool    run_options_agent(RunOptions* o, const char* cmd, AgentOverride* out, char* err,
                          size_t err_size);
/// frees the loaded model
void    run_options_free(RunOptions* o);
/// starts an episode of scn with the parsed options (the seed flag only if given)
bool    run_options_begin(RunOptions* o, const ArgParse* p, const Scenario* scn, Episode* e,
                          char* err, size_t err_size);
/// control ticks to run for the options' seconds (or the scenario's); false + one line (with the
/// figures) for a run longer than SIM_MAX_RUN_STEPS physics steps
bool    run_options_ticks(const RunOptions* o, const Episode* e, int64_t* ticks, char* err,
                          size_t err_size);
/// parses "all", "none" or "break,fall,..." into show[SIM_EV_COUNT]; prints a line naming the command
/// and the flag (cmd "run", flag "--events") on error
bool    run_options_event_filter(const char* cmd, const char* flag, const char* list, bool* show);
/// the timeline's table header (none for JSON lines), with a surprise column when asked
void    run_options_print_header(bool jsonl, bool surprise);
/// one event as a table row or a JSON line, on stdout; surprise[slots] (may be NULL: no column) is
/// the tick's surprise per slot (agent/surprise.h), and the row shows its body's
void    run_options_print_event(const SimWorld* w, const SimEvent* e, bool jsonl, const float* surprise, int slots);

#endif
