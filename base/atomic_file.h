/* atomic_file: every file nudge writes goes through here.
 *   - a regular file (or a new one) is written under a temporary name beside it, fsynced, then
 *     renamed over the final name: readers see either the old file or the whole new one, never
 *     half of it; a failed write removes the temporary ("*.tmp-PID"; gen sweeps those a killed
 *     run left);
 *   - a symbolic link is followed to its target (through any chain of links), which is then
 *     replaced as above: the link stays a link, and the file it names gets the new contents;
 *   - anything else that already exists at the path -- a character device such as /dev/null, a
 *     FIFO, a terminal -- is written directly, in place, without a temporary and without a rename
 *     (a rename would replace the device with a regular file); a folder is refused. */
#ifndef NUDGE_BASE_ATOMIC_FILE_H
#define NUDGE_BASE_ATOMIC_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct AtomicFile {
    FILE* f;                 /* write through this (or atomic_file_write) */
    char  path[4096];        /* the name asked for (messages use it) */
    char  target[4096];      /* where the bytes end up: path with symbolic links followed */
    char  tmp[4096 + 32];    /* temporary name beside target; "" when written directly */
    bool  direct;            /* target is a device or FIFO: written in place, no rename */
    bool  failed;            /* a write failed (e.g. disk full, EFBIG); commit will refuse */
    char  why[256];
} AtomicFile;

/// opens path for writing: TARGET.tmp-PID for a regular or new file (TARGET = path with links
/// followed), the target itself for a device or FIFO (which may wait for a reader, as any writer to
/// a FIFO does); false + one line when the folder is not writable, the path is a folder, or its
/// links loop
bool atomic_file_open(AtomicFile* af, const char* path, char* err, size_t err_size);
/// writes n bytes; remembers the first failure (ENOSPC, EIO) for commit to report
bool atomic_file_write(AtomicFile* af, const void* buf, size_t n);
/// flushes, fsyncs, renames to the final name and fsyncs the folder; on any failure removes the
/// temporary file, leaves the old final file untouched and returns false with a message. A direct
/// (device, FIFO) target is flushed and closed: what was written there stays written
bool atomic_file_commit(AtomicFile* af, char* err, size_t err_size);
/// atomic_file_commit in two steps, for a caller that fsyncs the temporary file itself together
/// with other files (each fsync waits for a device flush; several at once share one): flush
/// returns the temporary file's descriptor to fsync, or -1 when there is none to sync (a write
/// failed, or a direct target, which publish syncs itself)
int  atomic_file_flush(AtomicFile* af);
/// then, once that fsync returned (sync_errno: its errno, 0 on success), closes, renames into
/// place and fsyncs the folder, as commit does; the same failures and messages
bool atomic_file_publish(AtomicFile* af, int sync_errno, char* err, size_t err_size);
/// closes and removes the temporary file (NULL-safe on a never-opened af)
void atomic_file_abort(AtomicFile* af);
/// where path's bytes would go: path with its symbolic links followed (a missing final file is
/// its own target); false + one line when the links loop or the result is too long
bool atomic_file_target(const char* path, char* out, size_t out_size, char* err, size_t err_size);
/// removes the temporary file of every file open now (opened, not yet committed, published or
/// aborted): for a program that is about to end abruptly (out of memory, app/main.c), so that no
/// NAME.tmp-PID is left behind. Safe to call from any thread, lock held elsewhere or not
void atomic_file_remove_temporaries(void);
/// writes a whole buffer atomically
bool atomic_file_put(const char* path, const void* buf, size_t n, char* err, size_t err_size);
/// fsyncs a folder so a rename inside it is durable
bool fsync_dir(const char* dir);
/// renames a folder atomically into place and fsyncs the parent (for shard folders)
bool rename_durable(const char* from, const char* to, char* err, size_t err_size);
/// creates a folder and its parents (mkdir -p); true if it exists afterwards
bool make_dirs(const char* path, char* err, size_t err_size);
/// creates the folder a file path lies in, and its parents (mkdir -p of its dirname)
bool make_parent_dirs(const char* path, char* err, size_t err_size);
/// removes a folder tree (rm -rf); used only for leftovers that we made ourselves
bool remove_tree(const char* path);

#endif
