/* reader: a dataset folder opened for reading, shard by shard. data_reader_open reads and checks
 * the manifest only; each shard's arrays are then verified and read on demand into memory the
 * caller owns, so a caller may hold the whole dataset (model/dataset) or one shard at a time. */
#ifndef NUDGE_DATA_READER_H
#define NUDGE_DATA_READER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "data/format.h"
#include "data/manifest.h"

typedef struct DataReader {
    char         dir[4096];
    DataManifest m;          /* m.shards sorted by first, covering [0, m.episodes) exactly */
} DataReader;

/// reads DIR/manifest.json; false + one line for a missing folder, another format or version,
/// columns that differ from this nudge's observation, or shards that overlap or leave episodes
/// out (an unfinished dataset)
bool       data_reader_open(DataReader* r, const char* dir, char* err, size_t err_size);
void       data_reader_close(DataReader* r);       /* safe on a failed open */
/// checks shard s's files against the manifest's sizes and CRC-32s (where it lists them)
bool       data_reader_verify(const DataReader* r, int s, char* err, size_t err_size);
/// bytes that array a of shard s holds (0 for events, whose length is known only from the file);
/// false when the size overflows
bool       data_reader_array_bytes(const DataReader* r, int s, DataArrayId a, size_t* out);
/// reads array a of shard s into dst (dst_bytes = data_reader_array_bytes), after checking its
/// dtype and shape against the manifest
bool       data_reader_read(const DataReader* r, int s, DataArrayId a, void* dst, size_t dst_bytes, char* err,
                            size_t err_size);
/// reads episodes [first, first + count) of shard s (indices within the shard) of a per-episode
/// array a (every array but events) into dst (dst_bytes = count x data_array_slice_bytes), with
/// positioned reads of just those bytes: the streaming reader's way in, with bounded memory. The
/// header is checked against the manifest as data_reader_read does
bool       data_reader_read_episodes(const DataReader* r, int s, DataArrayId a, int64_t first, int64_t count,
                                     void* dst, size_t dst_bytes, char* err, size_t err_size);
/// reads episodes [first, first + count) of shard s (indices within the shard) as the full
/// observation, whatever the version: states [count, T, K, D] and mask [count, T, K]. Versions 1-4
/// hold it in states.npy; versions 5 and 6 put it together from states.npy (the dynamic columns;
/// slot-first in version 6), bodies.npy (each slot's static ones) and changes.npy, zero where the
/// mask is 0: the same bytes
/// (README.md, "Dataset format", has the numpy recipe). changes.npy rows outside the shard, the
/// records, the slots or the static columns, or out of order, are refused with one line
bool       data_reader_observe(const DataReader* r, int s, int64_t first, int64_t count, float* states,
                               uint8_t* mask, char* err, size_t err_size);
/// the shard that holds global episode e (0 <= e < m.episodes)
int        data_reader_shard_of(const DataReader* r, int64_t e);
/// shard s's events, unpacked (malloc'd, *n rows, possibly none); NULL + one line on failure
DataEvent* data_reader_events(const DataReader* r, int s, size_t* n, char* err, size_t err_size);
/// "DIR/shard-NNNNN/states.npy" for array a of shard s
void       data_reader_path(const DataReader* r, int s, DataArrayId a, char* out, size_t n);

#endif
