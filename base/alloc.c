#include "base/alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what alloc_fail does before its default (set once, at a program's start) */
static AllocFailHandler fail_handler;

void alloc_set_fail_handler(AllocFailHandler h) { fail_handler = h; }

void alloc_fail(size_t bytes) {
    if (fail_handler) fail_handler(bytes);
    fprintf(stderr, "nudge: out of memory: %zu bytes\n", bytes);
    fflush(stderr);
    abort();
}

static size_t product(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) alloc_fail(SIZE_MAX);
    return count * size;
}

void* alloc_bytes(size_t n) {
    void* p = malloc(n ? n : 1);
    if (!p) alloc_fail(n);
    return p;
}

void* alloc_array(size_t count, size_t size) { return alloc_bytes(product(count, size)); }

void* alloc_zeroed(size_t count, size_t size) {
    size_t n = product(count, size);
    void*  p = calloc(n ? n : 1, 1);
    if (!p) alloc_fail(n);
    return p;
}

void* alloc_resize(void* p, size_t count, size_t size) {
    size_t n = product(count, size);
    void*  q = realloc(p, n ? n : 1);
    if (!q) alloc_fail(n);
    return q;
}

void* alloc_try_bytes(size_t n) { return malloc(n ? n : 1); }

char* alloc_strdup(const char* s) {
    size_t n = strlen(s) + 1;
    char*  p = alloc_bytes(n);
    memcpy(p, s, n);
    return p;
}
