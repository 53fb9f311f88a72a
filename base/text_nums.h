/* text_nums: reading back the small text files of numbers nudge writes (the fate probe's and the
 * scale's: a magic line, then numbers): the whole file through input_file_read (a regular file
 * only, so a FIFO cannot hang the reader), then one whitespace-separated word at a time. */
#ifndef NUDGE_BASE_TEXT_NUMS_H
#define NUDGE_BASE_TEXT_NUMS_H
#include <stdbool.h>
#include <stddef.h>

/// the largest such file read (256 MiB)
#define TEXT_NUMS_MAX ((size_t)1 << 28)

typedef struct TextNums {
    char*       buf;   /* the file, NUL-terminated */
    const char* at;    /* the next word */
} TextNums;

/// reads path (at most max bytes); false + one line when it cannot be read (input_file_read's)
bool text_nums_open(TextNums* t, const char* path, size_t max, char* err, size_t err_size);
/// the first line is exactly `magic` (without its newline); reads past it
bool text_nums_magic(TextNums* t, const char* magic);
/// the next word as a finite number; false at the end or on a word that is not one
bool text_nums_next(TextNums* t, double* v);
/// nothing but white space is left
bool text_nums_end(const TextNums* t);
void text_nums_close(TextNums* t);   /* safe on a zeroed one */

#endif
