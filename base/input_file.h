/* input_file: opening files that nudge reads (manifests, shards, models, scenarios) safely: never
 * blocking on a FIFO or a device, refusing anything but a regular file, and reading no more than
 * the file holds. */
#ifndef NUDGE_BASE_INPUT_FILE_H
#define NUDGE_BASE_INPUT_FILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// opens path read-only (O_NONBLOCK, so a FIFO cannot hang us, then back to blocking), checks with
/// fstat that it is a regular file and stores its size in bytes; returns the descriptor, or -1 +
/// one line ("path: cannot open: ..." or "path: not a regular file (a FIFO)") and errno set (ENOENT
/// for a missing file, EISDIR for a folder, EINVAL for any other file that is not regular)
int   input_file_open(const char* path, int64_t* size, char* err, size_t err_size);
/// reads a whole regular file of at most max bytes into a NUL-terminated malloc'd buffer (len
/// excludes the NUL); NULL + one line when it cannot be opened, is not regular, or is larger
char* input_file_read(const char* path, size_t max, size_t* len, char* err, size_t err_size);
/// reads exactly n bytes from fd (retrying short reads); false with errno set (0 at end of file)
bool  input_file_read_exact(int fd, void* buf, size_t n);

#endif
