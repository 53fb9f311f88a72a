/* fuzz_dataset: the dataset loader (wm_dataset_load: manifest.json, every shard's shard.json and
 * .npy files, through data/reader) on a bundle of files (bundle.h) unpacked into a folder. An
 * accepted dataset must be what the loader promises: finite states, sizes that agree, and it
 * fills a replay buffer. */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bundle.h"
#include "fuzz.h"
#include "model/dataset.h"
#include "model/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char dir[512], err[1024];
    snprintf(dir, sizeof dir, "%s/data", fuzz_dir());
    fuzz_clear();
    FUZZ_ASSERT(mkdir(dir, 0700) == 0);
    bundle_unpack(data, size, dir);
    err[0] = 0;
    WmDataset* d = wm_dataset_load(dir, err, sizeof err);
    if (!d) {
        FUZZ_ASSERT(fuzz_one_line(err));
        return 0;
    }
    fuzz_accepted("a dataset");
    FUZZ_ASSERT(d->episodes > 0 && d->ticks > 0 && d->slots > 0 && d->dim > 0);
    size_t n = (size_t)d->episodes * (size_t)d->ticks * (size_t)d->slots * (size_t)d->dim;
    for (size_t i = 0; i < n; i++) FUZZ_ASSERT(isfinite(d->states[i]));
    WmReplay* r = wm_replay_create(d->slots, d->dim, (int64_t)d->episodes * d->ticks + 1);
    wm_dataset_fill(d, r, 0, d->episodes);
    wm_replay_free(r);
    wm_dataset_free(d);
    return 0;
}
