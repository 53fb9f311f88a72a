#include "base/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/checked_size.h"
#include "base/input_file.h"
#include "base/parse_int.h"
#include "base/report.h"

size_t npy_header(char* out, size_t cap, const char* descr, const int64_t* shape, int ndim) {
    return npy_header_padded(out, cap, descr, shape, ndim, 64);
}

size_t npy_header_padded(char* out, size_t cap, const char* descr, const int64_t* shape, int ndim, size_t align) {
    char dict[1024];
    int n = snprintf(dict, sizeof dict, "{'descr': %s, 'fortran_order': False, 'shape': (", descr);
    for (int i = 0; i < ndim && n < (int)sizeof dict; i++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%lld,%s", (long long)shape[i],
                      i + 1 < ndim ? " " : "");
    if (n < (int)sizeof dict) n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    if (n >= (int)sizeof dict) return 0;
    /* magic(6) + version(2) + len(2) + dict + padding + '\n' is a multiple of align (itself one of 64) */
    if (align < 64 || align % 64) return 0;
    size_t total = 10 + (size_t)n + 1;
    total = (total + align - 1) / align * align;
    if (total > cap || total - 10 > 65535) return 0;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    uint16_t hlen = (uint16_t)(total - 10);
    out[8] = (char)(hlen & 0xff);
    out[9] = (char)(hlen >> 8);
    memcpy(out + 10, dict, (size_t)n);
    memset(out + 10 + n, ' ', total - 10 - (size_t)n - 1);
    out[total - 1] = '\n';
    return total;
}

bool npy_write(AtomicFile* af, const char* descr, const int64_t* shape, int ndim, const void* data,
               size_t n) {
    char head[2048];
    size_t h = npy_header(head, sizeof head, descr, shape, ndim);
    if (h == 0) {
        af->failed = true;
        snprintf(af->why, sizeof af->why, "npy header too long");
        return false;
    }
    return atomic_file_write(af, head, h) && atomic_file_write(af, data, n);
}

bool npy_save(const char* path, const char* descr, const int64_t* shape, int ndim, const void* data,
              size_t n, char* err, size_t err_size) {
    AtomicFile af;
    if (!atomic_file_open(&af, path, err, err_size)) return false;
    npy_write(&af, descr, shape, ndim, data, n);
    return atomic_file_commit(&af, err, err_size);
}

int64_t npy_count(const NpyArray* a) {
    int64_t c = 1;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] < 0 || __builtin_mul_overflow(c, a->shape[i], &c)) return -1;
    return c;
}

void npy_free(NpyArray* a) {
    if (!a) return;
    free(a->data);
    free(a);
}

/* the size of one type string such as <f4, |u1 or u1 (0 if it is not one) */
static size_t type_size(const char* t, size_t n) {
    size_t i = 0;
    if (i < n && (t[i] == '<' || t[i] == '>' || t[i] == '|' || t[i] == '=')) i++;
    if (i >= n || !((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z'))) return 0;
    i++;
    size_t size = 0, digits = 0;
    for (; i < n && t[i] >= '0' && t[i] <= '9' && size < (1u << 20); i++, digits++) size = size * 10 + (size_t)(t[i] - '0');
    return (i == n && digits) ? size : 0;
}

/* the item size of a descr: one quoted type ('<f4'), or a list of ('name', 'type') fields */
size_t npy_descr_itemsize(const char* d) {
    size_t total = 0;
    int quoted = 0; /* which quoted string of the current field we are in */
    for (const char* p = d; *p; p++) {
        if (*p == '(') quoted = 0;
        if (*p != '\'') continue;
        const char* end = strchr(p + 1, '\'');
        if (!end) return 0;
        quoted++;
        /* outside a field list the only string is the type; inside, the second of each field */
        if (d[0] != '[' || quoted == 2) {
            size_t sz = type_size(p + 1, (size_t)(end - p - 1));
            if (!sz || total + sz > (1u << 24)) return 0;
            total += sz;
        }
        p = (char*)end;
    }
    return total;
}

bool npy_file_open(NpyFile* f, const char* path, char* err, size_t err_size) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    snprintf(f->path, sizeof f->path, "%s", path);
    int64_t size = 0;
    f->fd = input_file_open(path, &size, err, err_size);
    if (f->fd < 0) return false;
    NpyArray* a = &f->head;
    unsigned char pre[10];
    char head[65536 + 1];
    if (!input_file_read_exact(f->fd, pre, 10) || memcmp(pre, "\x93NUMPY", 6) != 0 || pre[6] != 1) {
        report_set(err, err_size, "%s: not a .npy file (format 1.0)", path);
        goto fail;
    }
    size_t hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
    if (!input_file_read_exact(f->fd, head, hlen)) {
        report_set(err, err_size, "%s: truncated header", path);
        goto fail;
    }
    head[hlen] = 0;
    if (memchr(head, 0, hlen)) {
        report_set(err, err_size, "%s: malformed header (a NUL byte)", path);
        goto fail;
    }
    char* d = strstr(head, "'descr': ");
    char* fo = strstr(head, "'fortran_order': ");
    char* sh = strstr(head, "'shape': (");
    if (!d || !fo || !sh) {
        report_set(err, err_size, "%s: malformed header", path);
        goto fail;
    }
    if (strncmp(fo + 17, "False", 5) != 0) {
        report_set(err, err_size, "%s: fortran order is not supported", path);
        goto fail;
    }
    /* descr runs to the ", 'fortran_order'" that follows it */
    d += 9;
    char* dend = strstr(d, ", 'fortran_order'");
    if (!dend || dend <= d || (size_t)(dend - d) >= sizeof a->descr) {
        report_set(err, err_size, "%s: malformed descr", path);
        goto fail;
    }
    memcpy(a->descr, d, (size_t)(dend - d));
    /* a Python tuple of whole numbers: "()", "(3,)", "(2, 3)"; each number followed by a comma or
       the closing parenthesis */
    char* p = sh + 10;
    while (*p == ' ') p++;
    while (*p != ')') {
        const char* end = p;
        int64_t v = 0;
        if (parse_int_prefix(p, 0, INT64_MAX, &v, &end) != PARSE_INT_OK || a->ndim >= NPY_MAX_DIMS) {
            report_set(err, err_size, "%s: malformed shape", path);
            goto fail;
        }
        a->shape[a->ndim++] = v;
        p = (char*)end;
        while (*p == ' ') p++;
        if (*p == ',') {
            p++;
            while (*p == ' ') p++;
        } else if (*p != ')') {
            report_set(err, err_size, "%s: malformed shape", path);
            goto fail;
        }
    }
    /* the element count is an int64 (npy_count) whatever the item size, even with a zero among the
       dimensions after a product that overflows it */
    if (npy_count(a) < 0) {
        report_set(err, err_size, "%s: shape too large (its element count overflows)", path);
        goto fail;
    }
    size_t item = npy_descr_itemsize(a->descr);
    if (item == 0) {
        report_set(err, err_size, "%s: unsupported dtype %s", path, a->descr);
        goto fail;
    }
    /* the declared size, checked against what the file really holds before anyone allocates it */
    size_t have = (size_t)size - 10 - hlen;
    if (!size_product_ok(a->shape, a->ndim, item, &a->nbytes)) {
        report_set(err, err_size, "%s: shape too large (its size overflows)", path);
        goto fail;
    }
    if (a->nbytes != have) {
        report_set(err, err_size, "%s: %s data: the header's shape needs %zu bytes, the file holds %zu", path,
                   a->nbytes > have ? "truncated" : "unexpected", a->nbytes, have);
        goto fail;
    }
    f->data_at = (int64_t)(10 + hlen);
    return true;
fail:
    npy_file_close(f);
    return false;
}

bool npy_file_read(NpyFile* f, void* dst, char* err, size_t err_size) {
    if (!input_file_read_exact(f->fd, dst, f->head.nbytes)) {
        report_set(err, err_size, "%s: read failed: %s", f->path, errno ? strerror(errno) : "file shrank while read");
        return false;
    }
    return true;
}

bool npy_file_read_at(const NpyFile* f, size_t offset, void* dst, size_t n, char* err, size_t err_size) {
    if (offset > f->head.nbytes || n > f->head.nbytes - offset) {
        report_set(err, err_size, "%s: bytes [%zu, +%zu) lie outside its %zu bytes of data", f->path, offset, n,
                   f->head.nbytes);
        return false;
    }
    unsigned char* p = dst;
    off_t at = (off_t)(f->data_at + (int64_t)offset);
    while (n > 0) {
        ssize_t k = pread(f->fd, p, n, at);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            report_set(err, err_size, "%s: read failed: %s", f->path, k < 0 ? strerror(errno) : "file shrank while read");
            return false;
        }
        p += k;
        at += k;
        n -= (size_t)k;
    }
    return true;
}

void npy_file_close(NpyFile* f) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
}

NpyArray* npy_load(const char* path, char* err, size_t err_size) {
    NpyFile f;
    if (!npy_file_open(&f, path, err, err_size)) return NULL;
    NpyArray* a = alloc_zeroed(1, sizeof *a);
    *a = f.head;
    a->data = alloc_try_bytes(a->nbytes);
    if (!a->data) {
        report_set(err, err_size, "%s: %zu bytes of data, too large for memory", path, f.head.nbytes);
        npy_free(a);
        npy_file_close(&f);
        return NULL;
    }
    bool ok = npy_file_read(&f, a->data, err, err_size);
    npy_file_close(&f);
    if (!ok) {
        npy_free(a);
        return NULL;
    }
    return a;
}
