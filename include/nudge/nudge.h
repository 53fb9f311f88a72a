/* nudge: the public C API of libnudge, a 2D physics sandbox with a learned world model.
 *
 * Include this header (it includes the others) and link with `pkg-config --cflags --libs nudge`.
 *
 *   world.h    scenarios (load, instantiate), worlds (step, push, observe, events, goals,
 *              snapshot, restore, hash) and rendering to an RGB buffer
 *   model.h    the learned world model (load, save, predict, rollout) and its trainer (train steps
 *              fed by worlds)
 *   dataset.h  datasets written by `nudge gen` (manifest, shards, arrays)
 *
 * Conventions, for every function of the API:
 * - Handles are opaque (NudgeWorld, NudgeModel, ...); create/free pairs; every free is NULL-safe.
 * - Bad input never crashes: a function that can fail returns NULL, false or -1 and writes ONE line
 *   (no newline) saying why into the caller's buffer err[err_size] (err may be NULL; a buffer of
 *   NUDGE_ERR_SIZE bytes holds every message whole). On success err is left untouched.
 * - A NULL handle is bad input too: a function with err fails as above ("nudge_world_step: no world
 *   (NULL)"); a getter returns NULL, false, -1, NaN for a real number or 0 for a hash or seed.
 * - No global state: two handles never share anything mutable. Definition structs (...Def) start
 *   from their nudge_..._def_default() and carry their own size in `size`, so a program built
 *   against an older header keeps working with a newer library (see README, "Embedding").
 * - Threads: each function states what it may share. In short: a handle is used by one thread at
 *   a time; distinct handles may be used from distinct threads at once; a NudgeScenario is
 *   immutable and may be shared by any number of threads and worlds.
 * - Determinism: same scenario, seed and pushes give the same bytes (observations, hashes,
 *   predictions). Model calls are bit-reproducible with one OpenBLAS thread
 *   (OPENBLAS_NUM_THREADS=1); OpenBLAS gives other bits with more threads.
 * - Units: metres, seconds, kilograms, radians, N*s for impulses; y points up. */
#ifndef NUDGE_NUDGE_H
#define NUDGE_NUDGE_H

#define NUDGE_VERSION_MAJOR 0
#define NUDGE_VERSION_MINOR 1
#define NUDGE_VERSION_PATCH 0
/// the ABI generation: the SONAME is libnudge.so.NUDGE_ABI_VERSION. It changes only when a public
/// struct's layout or a function's meaning changes incompatibly
#define NUDGE_ABI_VERSION 1
/// an error buffer of this many bytes holds every message whole
#define NUDGE_ERR_SIZE 512

#include "nudge/world.h"
#include "nudge/model.h"
#include "nudge/dataset.h"

#ifdef __cplusplus
extern "C" {
#endif

/// the version of the library loaded at run time: MAJOR * 10000 + MINOR * 100 + PATCH. Compare it
/// with the header's NUDGE_VERSION_* to detect a mismatch. Thread-safe
int         nudge_version(void);
/// "0.1.0". Thread-safe; the string is static
const char* nudge_version_string(void);
/// the ABI generation of the library loaded (NUDGE_ABI_VERSION of the headers it was built with).
/// Thread-safe
int         nudge_abi_version(void);

#ifdef __cplusplus
}
#endif
#endif
