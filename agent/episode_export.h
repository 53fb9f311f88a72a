/* episode_export: an episode of a recording (or of the view's history) written as a scenario file:
 * a regression test of what happened.
 *
 * The scenario's own text comes first, with its 'world seed', 'world seconds', 'agent', 'at' and
 * 'expect' lines commented out; then the episode's seed and length, 'agent scripted', and what was
 * applied, tick by tick, as timed actions (scenarios/README.md): pushes as 'at T push' lines (the
 * pushes of one tick joined by 'and'), each hold of the hand as 'at T grab' key frames (the fewest
 * that give the hand's target at every tick bit for bit, through the script's interpolation) and an
 * 'at T release', spawns as 'at T spawn', and magic (impossible events) as its own 'at T KIND'
 * lines, an appear with its body's fields. Times are the shortest decimals that fall on the right
 * tick, numbers the shortest that read back bit for bit. Last come the expectations: the first event
 * of each chosen type of each named body (the scenario's and the spawned ones) as 'expect event
 * TYPE BODY near T TOL', and 'expect no event' for the types a dynamic body never showed.
 *
 * The events are those of the episode run straight through from its start with what it applied,
 * which is what the scenario does; the file is then read back, run with its script and checked:
 * the stats say whether it reproduces the episode tick for tick and passes its expectations. */
#ifndef NUDGE_AGENT_EPISODE_EXPORT_H
#define NUDGE_AGENT_EPISODE_EXPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/history.h"
#include "sim/events.h"
#include "sim/scenario.h"

typedef struct EpisodeExport {
    const Scenario*     scn;       /* the episode's scenario */
    const char*         text;      /* its text (what scn was parsed from) */
    size_t              len;
    uint64_t            seed;      /* the episode's seed */
    int64_t             ticks;     /* its length (control ticks) */
    const HistoryEntry* actions;   /* what it applied, by episode tick 1..ticks (tick k starts at
                                      (k - 1) ticks); ticks without an entry applied nothing */
    int                 nactions;
    double              tol;       /* s: tolerance of the event expectations (> 0); the scenario
                                      runs this much past the episode's end too */
    bool                types[SIM_EV_COUNT]; /* event types that become expectations */
    const char*         from;      /* one line saying where it came from (a comment), or NULL */
} EpisodeExport;

typedef struct EpisodeExportStats {
    int  pushes, holds, keyframes, releases, spawns, magic, expects;
    bool exact;        /* the written scenario goes through the same states, tick for tick */
    int  failed;       /* its expectations that fail when it is run (0 when exact) */
    char note[256];    /* what kept it from being exact, or "" */
} EpisodeExportStats;

/// "3 pushes, 1 hold (4 grab key frames), 1 spawn, 2 magic lines, 9 expectations" (or "nothing
/// applied, 9 expectations")
void episode_export_summary(const EpisodeExportStats* st, char* out, size_t size);
/// the default expectation types: fall, break, topple, out_of_bounds
void episode_export_default_types(bool types[SIM_EV_COUNT]);
/// writes the scenario atomically to path; false + one line on bad input or when it cannot be
/// written (nothing is left under path then)
bool episode_export_write(const EpisodeExport* x, const char* path, EpisodeExportStats* st, char* err,
                          size_t err_size);

#endif
