/* run_options: the flags that every command running scenarios shares (--seconds, --seed, --agent,
 * --slots) and how they start an episode */
#ifndef NUDGE_APP_RUN_OPTIONS_H
#define NUDGE_APP_RUN_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode.h"
#include "app/args.h"
#include "sim/events.h"

typedef struct RunOptions {
    double      seconds;   /* 0 = the scenario's */
    uint64_t    seed;
    const char* agent;     /* NULL = the scenario's */
    const char* every;     /* "LO,HI" or NULL */
    const char* dv;        /* "LO,HI" or NULL */
    int64_t     slots;
} RunOptions;

#define RUN_OPTION_SPECS(o)                                                                           \
    {"seconds", ARG_DOUBLE, &(o).seconds, 1e-3, 86400, "S: simulated seconds (default: the scenario's 'world seconds', else 5)", false}, \
    {"seed", ARG_U64, &(o).seed, 1, 0, "N: seed for parameters, agent and shards (default: the scenario's 'world seed', else 0)", false}, \
    {"agent", ARG_STRING, &(o).agent, 1, 0, "KIND: scripted, random or none (default: the scenario's agent)", false}, \
    {"push-every", ARG_STRING, &(o).every, 1, 0, "LO,HI: seconds between random pushes (default: the scenario's)", false}, \
    {"push-dv", ARG_STRING, &(o).dv, 1, 0, "LO,HI: velocity change of a random push, m/s (default: the scenario's)", false}, \
    {"slots", ARG_INT, &(o).slots, 1, 1024, "K: observation slots (default 32)", false}

void    run_options_init(RunOptions* o);
/// the agent flags as an override; false + message on bad input
bool    run_options_agent(const RunOptions* o, const char* cmd, AgentOverride* out, char* err,
                          size_t err_size);
/// starts an episode of scn with the parsed options (the seed flag only if given)
bool    run_options_begin(const RunOptions* o, const ArgParse* p, const Scenario* scn, Episode* e,
                          char* err, size_t err_size);
/// control ticks to run for the options' seconds (or the scenario's)
int64_t run_options_ticks(const RunOptions* o, const Episode* e);
/// parses "all", "none" or "break,fall,..." into show[SIM_EV_COUNT]; prints a line on error
bool    run_options_event_filter(const char* list, bool* show);
/// the timeline's table header (none for JSON lines)
void    run_options_print_header(bool jsonl);
/// one event as a table row or a JSON line, on stdout
void    run_options_print_event(const SimWorld* w, const SimEvent* e, bool jsonl);

#endif
