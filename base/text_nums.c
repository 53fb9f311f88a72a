/* text_nums: the small text files of numbers (text_nums.h) */
#include "base/text_nums.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/input_file.h"

bool text_nums_open(TextNums* t, const char* path, size_t max, char* err, size_t err_size) {
    size_t len;
    t->buf = input_file_read(path, max, &len, err, err_size);
    t->at = t->buf;
    return t->buf != NULL;
}

bool text_nums_magic(TextNums* t, const char* magic) {
    size_t n = strlen(magic);
    if (strncmp(t->at, magic, n) != 0 || t->at[n] != '\n') return false;
    t->at += n + 1;
    return true;
}

bool text_nums_next(TextNums* t, double* v) {
    while (isspace((unsigned char)*t->at)) t->at++;
    const char* w = t->at;
    while (*t->at && !isspace((unsigned char)*t->at)) t->at++;
    size_t n = (size_t)(t->at - w);
    if (n == 0 || n > 63) return false;
    char word[64];
    memcpy(word, w, n);
    word[n] = 0;
    char* end;
    errno = 0;
    *v = strtod(word, &end);
    return *end == 0 && errno == 0 && isfinite(*v);
}

bool text_nums_end(const TextNums* t) {
    for (const char* c = t->at; *c; c++)
        if (!isspace((unsigned char)*c)) return false;
    return true;
}

void text_nums_close(TextNums* t) {
    free(t->buf);
    t->buf = NULL;
    t->at = NULL;
}
