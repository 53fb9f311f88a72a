/* fuzz_common: the harnesses' scratch folder and checks (see fuzz.h) */
#include "fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fuzz_fail(const char* file, int line, const char* what) {
    fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", file, line, what);
    abort();
}

static char dir[256];

static void remove_tree(const char* path, int keep_top) {
    DIR* d = opendir(path);
    if (d) {
        struct dirent* e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(sub, 0);
            else unlink(sub);
        }
        closedir(d);
    }
    if (!keep_top) rmdir(path);
}

static void remove_dir(void) {
    if (dir[0]) remove_tree(dir, 0);
}

const char* fuzz_dir(void) {
    if (dir[0]) return dir;
    struct stat st;
    const char* base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, sizeof dir, "%s/nudge-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fuzz: cannot make a folder in %s: %s\n", base, strerror(errno));
        abort();
    }
    atexit(remove_dir);
    return dir;
}

void fuzz_clear(void) {
    if (dir[0]) remove_tree(dir, 1);
}

void fuzz_write(const char* path, const void* data, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    const char* p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0) {
            fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

int fuzz_one_line(const char* err) {
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "refused: %s\n", err);
    return err[0] != 0 && strchr(err, '\n') == NULL;
}

void fuzz_accepted(const char* what) {
    if (getenv("FUZZ_VERBOSE")) fprintf(stderr, "accepted: %s\n", what);
}
