#include "base/input_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/report.h"

static const char* kind_name(mode_t m) {
    if (S_ISDIR(m)) return "a folder";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

int input_file_open(const char* path, int64_t* size, char* err, size_t err_size) {
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        report_set(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        report_set(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        report_set(err, err_size, "%s: not a regular file (%s)", path, kind_name(st.st_mode));
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL; /* callers tell this from a missing file */
        return -1;
    }
    /* a regular file never blocks, but reads should not see EAGAIN semantics either */
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    if (size) *size = (int64_t)st.st_size;
    return fd;
}

bool input_file_read_exact(int fd, void* buf, size_t n) {
    unsigned char* p = buf;
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t got = read(fd, p, chunk);
        if (got < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (got == 0) {
            errno = 0;
            return false;
        }
        p += got;
        n -= (size_t)got;
    }
    return true;
}

char* input_file_read(const char* path, size_t max, size_t* len, char* err, size_t err_size) {
    int64_t size = 0;
    int fd = input_file_open(path, &size, err, err_size);
    if (fd < 0) return NULL;
    if ((uint64_t)size > max) {
        report_set(err, err_size, "%s: %lld bytes, more than the %zu this file may have", path, (long long)size, max);
        close(fd);
        return NULL;
    }
    char* buf = alloc_try_bytes((size_t)size + 1);
    if (!buf) {
        report_set(err, err_size, "%s: %lld bytes, too large for memory", path, (long long)size);
        close(fd);
        return NULL;
    }
    if (!input_file_read_exact(fd, buf, (size_t)size)) {
        report_set(err, err_size, "%s: read failed: %s", path, errno ? strerror(errno) : "file shrank while read");
        free(buf);
        close(fd);
        return NULL;
    }
    close(fd);
    buf[size] = 0;
    if (len) *len = (size_t)size;
    return buf;
}
