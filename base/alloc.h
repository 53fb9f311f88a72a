/* alloc: the one place where memory is asked for. The out-of-memory policy (DESIGN-NOTES.md):
 *   - a size that comes from input (a file, a flag, a dataset header, a scenario) is checked against
 *     a stated limit before anything is allocated, and refused as bad input (one line, exit 2). The
 *     few buffers sized by an input file itself (a .npy array, a model file) are asked for with
 *     alloc_try_bytes, and a refusal there is bad input too ("too large for memory");
 *   - every other allocation goes through the functions that never return NULL: when the system is
 *     out of memory they print one line ("nudge: out of memory: N bytes") and abort -- the library's
 *     default (libnudge, the Python binding). A program may install a handler that ends it its own
 *     way instead: the nudge command removes the open atomic files' temporaries and exits 2 with one
 *     line (app/main.c).
 * So no caller checks those for NULL, and no function returns false because memory ran out.
 * Chipmunk itself aborts when it runs out, so a world could not recover anyway. */
#ifndef NUDGE_BASE_ALLOC_H
#define NUDGE_BASE_ALLOC_H
#include <stddef.h>

/// n bytes, uninitialized (n = 0 gives a unique pointer that may be freed)
void* alloc_bytes(size_t n);
/// count * size bytes, uninitialized; the product is checked for overflow
void* alloc_array(size_t count, size_t size);
/// count * size bytes, zeroed
void* alloc_zeroed(size_t count, size_t size);
/// p (NULL or from these functions) resized to count * size bytes, contents kept
void* alloc_resize(void* p, size_t count, size_t size);
/// a copy of a NUL-terminated string
char* alloc_strdup(const char* s);
/// n bytes for a buffer whose size an input file declares (checked against its limits first);
/// NULL when there is not enough memory, which the caller reports as bad input
void* alloc_try_bytes(size_t n);
/// prints "nudge: out of memory: N bytes" and aborts (for allocators outside this file, e.g. zlib);
/// an installed handler runs first, and normally does not return
void  alloc_fail(size_t bytes) __attribute__((noreturn));
/// what alloc_fail calls first with the bytes it could not get (NULL: none, the default). It runs
/// in the thread whose allocation failed, with others perhaps still running: it should only
/// report and end the process (_exit); if it returns, alloc_fail prints and aborts as without it
typedef void (*AllocFailHandler)(size_t bytes);
void  alloc_set_fail_handler(AllocFailHandler h);

#endif
