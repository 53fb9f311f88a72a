/* the public dataset: data/'s reader behind a handle, arrays named as their files are */
#include <stdlib.h>
#include <string.h>

#include "api/api_internal.h"
#include "base/alloc.h"
#include "data/reader.h"

struct NudgeDataset {
    DataReader r;
};

NudgeDataset* nudge_dataset_open(const char* dir, char* err, size_t err_size) {
    if (!dir) {
        report_set(err, err_size, "nudge_dataset_open: no folder (NULL)");
        return NULL;
    }
    NudgeDataset* d = alloc_zeroed(1, sizeof *d);
    if (!data_reader_open(&d->r, dir, err, err_size)) {
        data_reader_close(&d->r);
        free(d);
        return NULL;
    }
    return d;
}

void nudge_dataset_close(NudgeDataset* d) {
    if (!d) return;
    data_reader_close(&d->r);
    free(d);
}

int64_t nudge_dataset_episodes(const NudgeDataset* d) { if (!d) return -1; return d->r.m.episodes; }
int nudge_dataset_shards(const NudgeDataset* d) { if (!d) return -1; return d->r.m.nshards; }
int nudge_dataset_records(const NudgeDataset* d) { if (!d) return -1; return d->r.m.dims.records; }
int nudge_dataset_slots(const NudgeDataset* d) { if (!d) return -1; return d->r.m.dims.slots; }

int64_t nudge_dataset_shard_first(const NudgeDataset* d, int s) {
    if (!d) return -1;
    return s >= 0 && s < d->r.m.nshards ? d->r.m.shards[s].first : -1;
}

int64_t nudge_dataset_shard_episodes(const NudgeDataset* d, int s) {
    if (!d) return -1;
    return s >= 0 && s < d->r.m.nshards ? d->r.m.shards[s].count : -1;
}

const char* nudge_dataset_array_name(int i) {
    return i >= 0 && i < DATA_ARRAY_COUNT ? data_arrays[i].name : NULL;
}

static int array_find(const char* name) {
    for (int a = 0; name && a < DATA_ARRAY_COUNT; a++)
        if (!strcmp(data_arrays[a].name, name)) return a;
    return -1;
}

bool nudge_dataset_has_array(const NudgeDataset* d, const char* name) {
    if (!d) return false;
    int a = array_find(name);
    return a >= 0 && data_array_present((DataArrayId)a, &d->r.m.dims);
}

/* the array and shard a call names, both valid for this dataset */
static int array_of(const NudgeDataset* d, const char* fn, int s, const char* name, char* err,
                    size_t err_size) {
    int a = array_find(name);
    if (a < 0 || !data_array_present((DataArrayId)a, &d->r.m.dims)) {
        report_set(err, err_size, "%s: %s has no array '%s'", fn, d->r.dir, name ? name : "(NULL)");
        return -1;
    }
    if (s < 0 || s >= d->r.m.nshards) {
        report_set(err, err_size, "%s: shard %d is outside [0, %d)", fn, s, d->r.m.nshards);
        return -1;
    }
    return a;
}

bool nudge_dataset_array_path(const NudgeDataset* d, int s, const char* name, char* out, size_t n,
                              char* err, size_t err_size) {
    if (!d) {
        report_set(err, err_size, "nudge_dataset_array_path: no dataset (NULL)");
        return false;
    }
    int a = array_of(d, "nudge_dataset_array_path", s, name, err, err_size);
    if (a < 0) return false;
    char path[8192];
    data_reader_path(&d->r, s, (DataArrayId)a, path, sizeof path);
    if (!out || strlen(path) + 1 > n) {
        report_set(err, err_size, "nudge_dataset_array_path: %s needs %zu bytes, the buffer has %zu", path,
                   strlen(path) + 1, out ? n : 0);
        return false;
    }
    memcpy(out, path, strlen(path) + 1);
    return true;
}

bool nudge_dataset_verify(const NudgeDataset* d, int s, char* err, size_t err_size) {
    if (!d) {
        report_set(err, err_size, "nudge_dataset_verify: no dataset (NULL)");
        return false;
    }
    if (s < 0 || s >= d->r.m.nshards) {
        report_set(err, err_size, "nudge_dataset_verify: shard %d is outside [0, %d)", s, d->r.m.nshards);
        return false;
    }
    return data_reader_verify(&d->r, s, err, err_size);
}

int64_t nudge_dataset_array_bytes(const NudgeDataset* d, int s, const char* name, char* err,
                                  size_t err_size) {
    if (!d) {
        report_set(err, err_size, "nudge_dataset_array_bytes: no dataset (NULL)");
        return -1;
    }
    int a = array_of(d, "nudge_dataset_array_bytes", s, name, err, err_size);
    if (a < 0) return -1;
    size_t bytes = 0;
    if (data_array_is_rows((DataArrayId)a) || !data_reader_array_bytes(&d->r, s, (DataArrayId)a, &bytes) ||
        bytes > (size_t)INT64_MAX) {
        report_set(err, err_size, "nudge_dataset_array_bytes: the size of '%s' is not known before reading it",
                   name);
        return -1;
    }
    return (int64_t)bytes;
}

bool nudge_dataset_read(const NudgeDataset* d, int s, const char* name, void* dst, size_t dst_bytes,
                        char* err, size_t err_size) {
    if (!d) {
        report_set(err, err_size, "nudge_dataset_read: no dataset (NULL)");
        return false;
    }
    int64_t want = nudge_dataset_array_bytes(d, s, name, err, err_size);
    if (want < 0) return false;
    if (!dst || dst_bytes != (size_t)want) {
        report_set(err, err_size, "nudge_dataset_read: '%s' of shard %d is %lld bytes, the buffer %zu", name,
                   s, (long long)want, dst ? dst_bytes : 0);
        return false;
    }
    int a = array_find(name);
    return data_reader_read(&d->r, s, (DataArrayId)a, dst, dst_bytes, err, err_size);
}

bool nudge_dataset_read_observation(const NudgeDataset* d, int s, float* states, size_t states_bytes,
                                    uint8_t* mask, size_t mask_bytes, char* err, size_t err_size) {
    if (!d) {
        report_set(err, err_size, "nudge_dataset_read_observation: no dataset (NULL)");
        return false;
    }
    if (s < 0 || s >= d->r.m.nshards) {
        report_set(err, err_size, "nudge_dataset_read_observation: shard %d is outside [0, %d)", s, d->r.m.nshards);
        return false;
    }
    const DataDims* dm = &d->r.m.dims;
    int64_t E = d->r.m.shards[s].count;
    size_t n = (size_t)E * (size_t)dm->records * (size_t)dm->slots;   /* the reader checked it fits */
    if (!states || !mask || states_bytes != n * (size_t)dm->dim * sizeof(float) || mask_bytes != n) {
        report_set(err, err_size, "nudge_dataset_read_observation: shard %d needs %zu bytes of states and %zu of mask, "
                                  "got %zu and %zu", s, n * (size_t)dm->dim * sizeof(float), n,
                   states ? states_bytes : 0, mask ? mask_bytes : 0);
        return false;
    }
    return data_reader_observe(&d->r, s, 0, E, states, mask, err, err_size);
}
