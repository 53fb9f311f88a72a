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

typedef struct GenDataset {
    Scenario** scenarios;     /* sorted by path */
    int        nscenarios;
    int**      param_cols;    /* per scenario: params.npy column of each of its parameters */
    EpisodeRecordSpec spec;
    DataWriter writer;        /* the folder, the manifest's fields and inputs */
} GenDataset;

/// loads the scenarios (a file, or every .scn in a folder) and fixes the dataset's shape and
/// inputs; agent NULL = each scenario's own; false + one line on bad input
bool gen_dataset_open(GenDataset* ds, const char* scenario, int64_t episodes, double seconds, uint64_t seed,
                      const char* agent, int per_shard, const EpisodeRecordSpec* spec, char* err, size_t err_size);
void gen_dataset_close(GenDataset* ds);

#endif
