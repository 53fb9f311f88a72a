/* atomic_file: write a file under a temporary name, fsync, then rename over the final name.
 * Readers see either the old file or the whole new one, never half of it; an aborted or crashed
 * write leaves only a "*.tmp-PID" file, which atomic_file_sweep() removes. */
#ifndef NUDGE_BASE_ATOMIC_FILE_H
#define NUDGE_BASE_ATOMIC_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct AtomicFile {
    FILE* f;                 /* write through this (or atomic_file_write) */
    char  path[4096];        /* final name */
    char  tmp[4096];         /* temporary name in the same folder */
    bool  failed;            /* a write failed (e.g. disk full); commit will refuse */
    char  why[256];
} AtomicFile;

/// opens PATH.tmp-PID for writing; false + message when the folder is not writable
bool atomic_file_open(AtomicFile* af, const char* path, char* err, size_t err_size);
/// writes n bytes; remembers the first failure (ENOSPC, EIO) for commit to report
bool atomic_file_write(AtomicFile* af, const void* buf, size_t n);
/// flushes, fsyncs, renames to the final name and fsyncs the folder; on any failure removes the
/// temporary file, leaves the old final file untouched and returns false with a message
bool atomic_file_commit(AtomicFile* af, char* err, size_t err_size);
/// closes and removes the temporary file (NULL-safe on a never-opened af)
void atomic_file_abort(AtomicFile* af);
/// writes a whole buffer atomically
bool atomic_file_put(const char* path, const void* buf, size_t n, char* err, size_t err_size);
/// fsyncs a folder so a rename inside it is durable
bool fsync_dir(const char* dir);
/// renames a folder atomically into place and fsyncs the parent (for shard folders)
bool rename_durable(const char* from, const char* to, char* err, size_t err_size);
/// creates a folder and its parents (mkdir -p); true if it exists afterwards
bool make_dirs(const char* path, char* err, size_t err_size);
/// removes a folder tree (rm -rf); used only for leftovers that we made ourselves
bool remove_tree(const char* path);

#endif
