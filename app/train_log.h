/* train_log: the CSV log of nudge train, appended line by line (tail -f shows progress) through a
 * plain descriptor, so that what is on disk is exactly what was written, and cut back to what the
 * saved checkpoint has seen when a run fails. Both model kinds' trainings write through it. */
#ifndef NUDGE_APP_TRAIN_LOG_H
#define NUDGE_APP_TRAIN_LOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct TrainLog {
    const char* path;
    int         fd;
    bool        created;   /* the file did not exist before this run */
    bool        regular;   /* a regular file (not /dev/stdout or a FIFO): it can be cut back */
    int64_t     size;      /* bytes in the file now */
    int64_t     saved;     /* bytes when the checkpoint on disk was last written */
    char        target[4096]; /* path with symbolic links followed */
    char        why[160];  /* the first write error */
} TrainLog;

/// opens (append: keeps what is there, for --resume; else truncates) the log; false + one line
bool train_log_open(TrainLog* l, const char* path, bool append, char* err, size_t err_size);
/// appends a line; false (and l->why says why) once a write failed
bool train_log_put(TrainLog* l, const char* text);
/// closes the log; after a failed run, cuts it back to what the checkpoint on disk has seen (saved),
/// and removes it when this run made it and no checkpoint was ever written
void train_log_close(TrainLog* l, bool failed);
/// makes the model's folder, and when *log_path is NULL points it at train.csv beside the model
/// (in buf), unless the model goes to a device or FIFO such as /dev/null (its folder is not the
/// user's: no log then); false + one line, also when the log would overwrite the checkpoint (out)
/// or the checkpoint resumed from (resume, may be NULL)
bool train_out_prepare(const char* out, const char* resume, const char** log_path, char* buf, size_t buf_size, char* err,
                       size_t err_size);

#endif
