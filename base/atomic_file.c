#include "base/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/report.h"

static void dir_of(const char* path, char* out, size_t n) {
    snprintf(out, n, "%s", path);
    char* slash = strrchr(out, '/');
    if (!slash) snprintf(out, n, ".");
    else if (slash == out) out[1] = 0;
    else *slash = 0;
}

bool fsync_dir(const char* dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    int rc = fsync(fd);
    close(fd);
    return rc == 0;
}

bool atomic_file_open(AtomicFile* af, const char* path, char* err, size_t err_size) {
    memset(af, 0, sizeof *af);
    if (strlen(path) + 32 >= sizeof af->path) {
        report_set(err, err_size, "%s: path too long", path);
        return false;
    }
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp-%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        report_set(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        return false;
    }
    return true;
}

bool atomic_file_write(AtomicFile* af, const void* buf, size_t n) {
    if (af->failed) return false;
    if (n > 0 && fwrite(buf, 1, n, af->f) != n) {
        af->failed = true;
        snprintf(af->why, sizeof af->why, "%s", strerror(errno ? errno : EIO));
        return false;
    }
    return true;
}

bool atomic_file_commit(AtomicFile* af, char* err, size_t err_size) {
    if (!af->f) {
        report_set(err, err_size, "%s: not open", af->path);
        return false;
    }
    if (!af->failed && fflush(af->f) != 0) {
        af->failed = true;
        snprintf(af->why, sizeof af->why, "%s", strerror(errno));
    }
    if (!af->failed && fsync(fileno(af->f)) != 0) {
        af->failed = true;
        snprintf(af->why, sizeof af->why, "%s", strerror(errno));
    }
    if (fclose(af->f) != 0 && !af->failed) {
        af->failed = true;
        snprintf(af->why, sizeof af->why, "%s", strerror(errno));
    }
    af->f = NULL;
    if (af->failed) {
        unlink(af->tmp);
        report_set(err, err_size, "%s: write failed: %s", af->path, af->why);
        return false;
    }
    if (rename(af->tmp, af->path) != 0) {
        int e = errno;
        unlink(af->tmp);
        report_set(err, err_size, "%s: cannot rename into place: %s", af->path, strerror(e));
        return false;
    }
    char dir[4096];
    dir_of(af->path, dir, sizeof dir);
    fsync_dir(dir);
    return true;
}

void atomic_file_abort(AtomicFile* af) {
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
        unlink(af->tmp);
    }
}

bool atomic_file_put(const char* path, const void* buf, size_t n, char* err, size_t err_size) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, err_size)) return false;
    atomic_file_write(&af, buf, n);
    return atomic_file_commit(&af, err, err_size);
}

bool rename_durable(const char* from, const char* to, char* err, size_t err_size) {
    if (rename(from, to) != 0) {
        report_set(err, err_size, "%s: cannot rename into place: %s", to, strerror(errno));
        return false;
    }
    char dir[4096];
    dir_of(to, dir, sizeof dir);
    fsync_dir(dir);
    return true;
}

bool make_dirs(const char* path, char* err, size_t err_size) {
    char buf[4096];
    if (strlen(path) >= sizeof buf) {
        report_set(err, err_size, "%s: path too long", path);
        return false;
    }
    snprintf(buf, sizeof buf, "%s", path);
    for (char* p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            report_set(err, err_size, "%s: cannot create folder: %s", buf, strerror(errno));
            return false;
        }
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
        report_set(err, err_size, "%s: cannot create folder: %s", buf, strerror(errno));
        return false;
    }
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        report_set(err, err_size, "%s: not a folder", buf);
        return false;
    }
    return true;
}

bool remove_tree(const char* path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0;
    DIR* d = opendir(path);
    if (!d) return false;
    struct dirent* e;
    bool ok = true;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        ok = remove_tree(child) && ok;
    }
    closedir(d);
    return rmdir(path) == 0 && ok;
}
