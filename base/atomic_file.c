#include "base/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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

/* the open files' temporaries, for atomic_file_remove_temporaries: a small fixed list with a copy
 * of each name (a caller's AtomicFile may be gone when the list is read), slot 0 free when owner is
 * NULL. A file opened while the list is full is simply not listed */
#define OPEN_MAX 32
static struct {
    const AtomicFile* owner;
    char              tmp[sizeof ((AtomicFile*)0)->tmp];
} open_files[OPEN_MAX];
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

static void open_list_add(const AtomicFile* af) {
    pthread_mutex_lock(&open_lock);
    /* its own slot (an AtomicFile opened again without a commit), else a free one */
    int at = -1;
    for (int i = 0; i < OPEN_MAX && at < 0; i++)
        if (open_files[i].owner == af) at = i;
    for (int i = 0; i < OPEN_MAX && at < 0; i++)
        if (!open_files[i].owner) at = i;
    if (at >= 0) {
        memcpy(open_files[at].tmp, af->tmp, sizeof open_files[at].tmp);
        open_files[at].owner = af;
    }
    pthread_mutex_unlock(&open_lock);
}

static void open_list_remove(const AtomicFile* af) {
    pthread_mutex_lock(&open_lock);
    for (int i = 0; i < OPEN_MAX; i++)
        if (open_files[i].owner == af) open_files[i].owner = NULL;
    pthread_mutex_unlock(&open_lock);
}

void atomic_file_remove_temporaries(void) {
    /* (another thread may hold the lock, or have died holding it: the list is read anyway, its
       names are copies in static memory) */
    bool locked = pthread_mutex_trylock(&open_lock) == 0;
    for (int i = 0; i < OPEN_MAX; i++)
        if (open_files[i].owner && open_files[i].tmp[0]) unlink(open_files[i].tmp);
    if (locked) pthread_mutex_unlock(&open_lock);
}

bool fsync_dir(const char* dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return false;
    int rc = fsync(fd);
    close(fd);
    return rc == 0;
}

bool atomic_file_target(const char* path, char* out, size_t out_size, char* err, size_t err_size) {
    char cur[4096];
    if (strlen(path) >= sizeof cur) {
        report_set(err, err_size, "%s: path too long", path);
        return false;
    }
    snprintf(cur, sizeof cur, "%s", path);
    /* follow the final name's links, as open() would (the folders on the way the kernel follows) */
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) break;
        if (hops == 40) {
            report_set(err, err_size, "%s: cannot write: too many levels of symbolic links", path);
            return false;
        }
        char link[4096], next[8192];
        ssize_t k = readlink(cur, link, sizeof link - 1);
        if (k < 0) {
            report_set(err, err_size, "%s: cannot read the symbolic link: %s", path, strerror(errno));
            return false;
        }
        link[k] = 0;
        if (link[0] == '/') {
            snprintf(next, sizeof next, "%s", link);
        } else {
            char dir[4096];
            dir_of(cur, dir, sizeof dir);
            snprintf(next, sizeof next, "%s/%s", dir, link);
        }
        size_t len = strlen(next);
        if (len >= sizeof cur) {
            report_set(err, err_size, "%s: path too long once its symbolic links are followed", path);
            return false;
        }
        memcpy(cur, next, len + 1);   /* (fits: checked; snprintf here drew -Wformat-truncation at -O0) */
    }
    if (strlen(cur) >= out_size) {
        report_set(err, err_size, "%s: path too long once its symbolic links are followed", path);
        return false;
    }
    snprintf(out, out_size, "%s", cur);
    return true;
}

bool atomic_file_open(AtomicFile* af, const char* path, char* err, size_t err_size) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) {
        report_set(err, err_size, "%s: path too long", path);
        return false;
    }
    snprintf(af->path, sizeof af->path, "%s", path);
    if (!atomic_file_target(path, af->target, sizeof af->target, err, err_size)) return false;
    struct stat st;
    bool exists = stat(af->target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        report_set(err, err_size, "%s: is a folder, expected a file name", path);
        return false;
    }
    int fd;
    if (exists && !S_ISREG(st.st_mode)) {
        /* a device, a FIFO, a terminal: write into it; a rename would replace it with a file */
        fd = open(af->target, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        af->direct = true;
    } else if (exists && access(af->target, W_OK) != 0) {
        /* a file the user may not write is not replaced behind their back either */
        report_set(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        return false;
    } else {
        snprintf(af->tmp, sizeof af->tmp, "%s.tmp-%ld", af->target, (long)getpid());
        fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno == EEXIST) {
            /* left by an earlier process with our pid */
            unlink(af->tmp);
            fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        }
        if (fd >= 0 && exists) (void)fchmod(fd, st.st_mode & 07777); /* keep the file's permissions */
    }
    if (fd < 0) {
        report_set(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        af->tmp[0] = 0;
        return false;
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        report_set(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        close(fd);
        if (!af->direct) unlink(af->tmp);
        return false;
    }
    if (!af->direct) open_list_add(af);
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

static void note_failure(AtomicFile* af, int e) {
    if (af->failed) return;
    af->failed = true;
    snprintf(af->why, sizeof af->why, "%s", strerror(e ? e : EIO));
}

int atomic_file_flush(AtomicFile* af) {
    if (!af->f) return -1;
    if (!af->failed && fflush(af->f) != 0) note_failure(af, errno);
    return af->failed || af->direct ? -1 : fileno(af->f);
}

bool atomic_file_publish(AtomicFile* af, int sync_errno, char* err, size_t err_size) {
    if (!af->f) {
        report_set(err, err_size, "%s: not open", af->path);
        return false;
    }
    if (sync_errno) note_failure(af, sync_errno);
    if (!af->failed && fflush(af->f) != 0) note_failure(af, errno);
    /* a direct target is synced here (the caller had no descriptor for it); a device or a pipe may
       not sync (EINVAL): what it was given is what it gets */
    if (!af->failed && af->direct && fsync(fileno(af->f)) != 0 &&
        !(errno == EINVAL || errno == EROFS || errno == ENOTSUP))
        note_failure(af, errno);
    if (fclose(af->f) != 0) note_failure(af, errno);
    af->f = NULL;
    if (!af->direct) open_list_remove(af);
    if (af->failed) {
        if (!af->direct) unlink(af->tmp);
        report_set(err, err_size, "%s: write failed: %s", af->path, af->why);
        return false;
    }
    if (af->direct) return true;
    if (rename(af->tmp, af->target) != 0) {
        int e = errno;
        unlink(af->tmp);
        report_set(err, err_size, "%s: cannot rename into place: %s", af->path, strerror(e));
        return false;
    }
    char dir[4096];
    dir_of(af->target, dir, sizeof dir);
    fsync_dir(dir);
    return true;
}

bool atomic_file_commit(AtomicFile* af, char* err, size_t err_size) {
    int fd = atomic_file_flush(af);
    return atomic_file_publish(af, fd >= 0 && fsync(fd) != 0 ? errno : 0, err, err_size);
}

void atomic_file_abort(AtomicFile* af) {
    if (af->f) {
        fclose(af->f);
        af->f = NULL;
        if (!af->direct) {
            unlink(af->tmp);
            open_list_remove(af);
        }
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

bool make_parent_dirs(const char* path, char* err, size_t err_size) {
    char dir[4096];
    if (strlen(path) >= sizeof dir) {
        report_set(err, err_size, "%s: path too long", path);
        return false;
    }
    dir_of(path, dir, sizeof dir);
    return make_dirs(dir, err, err_size);
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
