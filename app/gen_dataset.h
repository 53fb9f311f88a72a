/* gen_dataset: what `nudge gen` is asked to write: the scenarios, the episodes' shape, and the
 * dataset writer (data/writer) they go into. See README.md, "Dataset format". */
#ifndef NUDGE_APP_GEN_DATASET_H
#define NUDGE_APP_GEN_DATASET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/episode_record.h"
#include "data/writer.h"
#include "sim/scenario.h"

/// candidates an episode tries before --where gives up, and seeds it tries in one scenario
#define GEN_WHERE_TRIES 10000
#define GEN_WHERE_TRIES_PER_SCENARIO 64

typedef struct GenDataset {
    Scenario** scenarios;     /* sorted by path */
    int        nscenarios;
    int**      param_cols;    /* per scenario: params.npy column of each of its parameters */
    ScnPredicate** where;     /* per scenario: --where compiled against its parameters, or NULL */
    EpisodeRecordSpec spec;
    DataWriter writer;        /* the folder, the manifest's fields and inputs */
} GenDataset;

/// loads the scenarios (a file, or every .scn in a folder) and fixes the dataset's shape and
/// inputs; agent NULL = each scenario's own; where NULL = every episode (else a condition on the
/// parameters, compiled against each scenario's); a scenario with magic (impossible events) is
/// refused unless allow_magic, which the manifest then records (inputs.magic); false + one line on
/// bad input
bool gen_dataset_open(GenDataset* ds, const char* scenario, int64_t episodes, double seconds, uint64_t seed,
                      const char* agent, const char* where, bool allow_magic, int per_shard,
                      const EpisodeRecordSpec* spec, char* err, size_t err_size);
/// the scenario and seed of episode e: scenario e mod S with seed rng_derive(seed, e); with --where,
/// the first candidate j = 0, 1, ... whose parameters satisfy it: seed rng_derive(rng_derive(seed,
/// e), j) for j > 0, in scenario e mod S for the first GEN_WHERE_TRIES_PER_SCENARIO candidates, then
/// in scenario (e + step + k - 1) mod S for the k-th next batch, step = 1 + (e / S) mod (S - 1).
/// false + one line when none of GEN_WHERE_TRIES does, or a candidate cannot be made
bool gen_dataset_episode(const GenDataset* ds, int64_t e, int* scenario, uint64_t* seed, char* err, size_t err_size);
void gen_dataset_close(GenDataset* ds);

#endif
