/* train_log: the training CSV log (train_log.h) */
#include "app/train_log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/args.h"
#include "base/atomic_file.h"
#include "base/report.h"


static void cut_back(int fd, int64_t size) {
    if (ftruncate(fd, (off_t)size) != 0) {
        /* cannot cut: the log keeps lines the checkpoint has not seen, which is harmless */
    }
}

bool train_log_open(TrainLog* l, const char* path, bool append, char* err, size_t err_size) {
    memset(l, 0, sizeof *l);
    l->path = path;
    if (!atomic_file_target(path, l->target, sizeof l->target, err, err_size)) return false;
    struct stat st;
    bool existed = stat(l->target, &st) == 0;
    if (existed && S_ISDIR(st.st_mode)) {
        report_set(err, err_size, "%s: is a folder, expected a file name for the log", path);
        return false;
    }
    l->created = !existed;
    l->regular = !existed || S_ISREG(st.st_mode);
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (append ? O_APPEND : O_TRUNC);
    if (!l->regular) flags &= ~(O_TRUNC | O_CREAT);
    l->fd = open(l->target, flags, 0666);
    if (l->fd < 0) {
        report_set(err, err_size, "%s: cannot write the log: %s", path, strerror(errno));
        return false;
    }
    if (l->regular && fstat(l->fd, &st) == 0) l->size = l->saved = (int64_t)st.st_size;
    return true;
}

bool train_log_put(TrainLog* l, const char* text) {
    if (l->why[0]) return false;
    size_t n = strlen(text), done = 0;
    while (done < n) {
        ssize_t k = write(l->fd, text + done, n - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            snprintf(l->why, sizeof l->why, "%s", strerror(k < 0 ? errno : EIO));
            /* a partial line is cut off again */
            if (l->regular && done > 0) cut_back(l->fd, l->size);
            return false;
        }
        done += (size_t)k;
    }
    l->size += (int64_t)n;
    return true;
}

/* closes the log; after a failed run, cuts it back to what the checkpoint on disk has seen, and
 * removes it when this run made it and no checkpoint was ever written */
void train_log_close(TrainLog* l, bool failed) {
    if (failed && l->regular) {
        if (l->created && l->saved == 0) unlink(l->target);
        else if (l->size != l->saved) cut_back(l->fd, l->saved);
    }
    close(l->fd);
}


bool train_out_prepare(const char* out, const char* resume, const char** log_path, char* buf, size_t buf_size, char* err,
                       size_t err_size) {
    char target[4096];
    if (!atomic_file_target(out, target, sizeof target, err, err_size)) return false;
    struct stat ost;
    bool out_special = stat(target, &ost) == 0 && !S_ISREG(ost.st_mode);
    if (!*log_path && !out_special) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", out);
        snprintf(buf, buf_size, "%s/train.csv", dirname(tmp));
        *log_path = buf;
    }
    /* the log is a file of its own: never the checkpoint written or the one resumed from */
    if (*log_path && (args_same_file(*log_path, out) || args_same_file(*log_path, resume))) {
        report_set(err, err_size, "the log %s is also the checkpoint %s: it would be overwritten", *log_path,
                   args_same_file(*log_path, out) ? out : resume);
        return false;
    }
    return make_parent_dirs(out, err, err_size);
}
