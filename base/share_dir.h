/* share_dir: where the nudge command finds its data (scenarios/ and whatever else it ships), from
 * where its own executable is, never from the working folder:
 *   1. $NUDGE_DATA, when set (a folder holding scenarios/);
 *   2. EXE_DIR/../share/nudge: an installed prefix (PREFIX/bin/nudge, PREFIX/share/nudge);
 *   3. EXE_DIR/share/nudge: the build tree (CMake links build/share/nudge/scenarios to the sources).
 * The library (libnudge) never looks anything up: its callers give it paths. */
#ifndef NUDGE_BASE_SHARE_DIR_H
#define NUDGE_BASE_SHARE_DIR_H
#include <stdbool.h>
#include <stddef.h>

/// the data folder into out[n]; false + one line naming where it looked
bool share_dir_find(char* out, size_t n, char* err, size_t err_size);
/// DATA/rel (e.g. "scenarios/demo") into out[n]; false + one line when there is no data folder
bool share_dir_path(const char* rel, char* out, size_t n, char* err, size_t err_size);

#endif
