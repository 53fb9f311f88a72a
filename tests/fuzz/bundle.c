/* bundle: several files in one fuzz input (see bundle.h) */
#include "bundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define MARK_LEN (sizeof BUNDLE_MARK - 1)

static bool part_ok(const char* p, size_t n) {
    if (n == 0 || n > 64 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    }
    return true;
}

/* a relative path of one or two plain parts; *slash = the '/' or -1 */
static bool name_ok(const char* name, size_t n, long* slash) {
    const char* s = memchr(name, '/', n);
    *slash = s ? s - name : -1;
    if (!s) return part_ok(name, n);
    return part_ok(name, (size_t)(s - name)) && part_ok(s + 1, n - (size_t)(s - name) - 1);
}

/* the next marker at or after `from` that starts the input or a line; size if none */
static size_t next_mark(const uint8_t* d, size_t size, size_t from) {
    for (size_t i = from; i + MARK_LEN <= size; i++) {
        if ((i == 0 || d[i - 1] == '\n') && memcmp(d + i, BUNDLE_MARK, MARK_LEN) == 0) return i;
    }
    return size;
}

int bundle_unpack(const uint8_t* data, size_t size, const char* dir) {
    int files = 0;
    size_t at = next_mark(data, size, 0);
    while (at < size && files < BUNDLE_MAX_FILES) {
        size_t name_at = at + MARK_LEN;
        const uint8_t* nl = memchr(data + name_at, '\n', size - name_at);
        size_t name_end = nl ? (size_t)(nl - data) : size;
        size_t body = nl ? name_end + 1 : size;
        size_t next = next_mark(data, size, body);
        size_t body_end = next;
        if (next < size && body_end > body) body_end--;   /* the newline before the marker */
        char name[160];
        long slash;
        size_t nlen = name_end - name_at;
        if (nlen < sizeof name && name_ok((const char*)data + name_at, nlen, &slash)) {
            memcpy(name, data + name_at, nlen);
            name[nlen] = 0;
            char path[1024];
            struct stat st;
            bool parent_ok = true;
            if (slash >= 0) {
                snprintf(path, sizeof path, "%s/%.*s", dir, (int)slash, name);
                if (mkdir(path, 0700) != 0 && errno != EEXIST) fuzz_fail(__FILE__, __LINE__, "mkdir");
                /* (an earlier file of the bundle may hold the folder's name: then this one has no place) */
                parent_ok = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
            }
            snprintf(path, sizeof path, "%s/%s", dir, name);
            if (parent_ok && !(lstat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
                fuzz_write(path, data + body, body_end - body);
                files++;
            }
        }
        at = next;
    }
    return files;
}

bool bundle_add(uint8_t** buf, size_t* len, const char* name, const void* content, size_t n) {
    long slash;
    if (!name_ok(name, strlen(name), &slash)) return false;
    if (next_mark(content, n, 0) < n) return false;
    size_t need = *len + MARK_LEN + strlen(name) + 1 + n + 1;
    uint8_t* b = realloc(*buf, need);
    if (!b) return false;
    size_t at = *len;
    if (at > 0) b[at++] = '\n';
    memcpy(b + at, BUNDLE_MARK, MARK_LEN);
    at += MARK_LEN;
    memcpy(b + at, name, strlen(name));
    at += strlen(name);
    b[at++] = '\n';
    memcpy(b + at, content, n);
    at += n;
    *buf = b;
    *len = at;
    return true;
}
