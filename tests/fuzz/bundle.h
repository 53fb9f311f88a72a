/* bundle: several files in one fuzz input, for readers that take a folder (a dataset).
 *
 * A bundle is a sequence of files, each a line "--8<-- NAME" followed by its bytes up to the
 * newline before the next such line (or the end):
 *
 *     --8<-- manifest.json
 *     {...}
 *     --8<-- shard-00000/states.npy
 *     \x93NUMPY...
 *
 * NAME is a relative path of at most two plain parts ([A-Za-z0-9_.-], not "." or ".."). Bytes
 * before the first marker, bad names and files beyond BUNDLE_MAX_FILES are ignored, so every input
 * unpacks to something. */
#ifndef NUDGE_TESTS_FUZZ_BUNDLE_H
#define NUDGE_TESTS_FUZZ_BUNDLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUNDLE_MARK "--8<-- "
#define BUNDLE_MAX_FILES 64

/// writes the bundle's files under dir (making the sub-folders); returns how many
int  bundle_unpack(const uint8_t* data, size_t size, const char* dir);
/// appends one file to a bundle being built in *buf (*len bytes, grown with realloc); false when
/// the content holds a marker line (it would not unpack to itself) or name is not a bundle name
bool bundle_add(uint8_t** buf, size_t* len, const char* name, const void* content, size_t n);

#endif
