/* fuzz: what the libFuzzer harnesses of tests/fuzz share.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput for one of nudge's input readers. Built with
 * clang and -fsanitize=fuzzer,address,undefined it is a fuzzer (`make fuzz`); built with the
 * project's compiler and replay_main.c it replays files (the seed corpus and every crash ever found,
 * tests/fuzz/regressions) in the normal suite. A harness never prints what the reader says about
 * a bad input; it asserts what the reader promises (a refusal is one line, an accepted input is
 * usable) with FUZZ_ASSERT, which aborts so that both drivers report it. */
#ifndef NUDGE_TESTS_FUZZ_H
#define NUDGE_TESTS_FUZZ_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
/// optional (weak): a harness that needs set-up once defines it
int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

/// aborts with the harness's file and line when cond is false
#define FUZZ_ASSERT(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char* file, int line, const char* what);

/// a folder of this process's own (made once, removed at exit), for harnesses whose reader takes
/// paths: on /dev/shm when it exists, else TMPDIR or /tmp
const char* fuzz_dir(void);
/// writes size bytes to path (replacing it); aborts when it cannot
void fuzz_write(const char* path, const void* data, size_t size);
/// removes everything inside fuzz_dir() (not the folder itself)
void fuzz_clear(void);
/// true when a refusal message is one line: not empty, no newline; prints it to stderr when the
/// environment sets FUZZ_VERBOSE (to see what a corpus exercises)
int  fuzz_one_line(const char* err);
/// prints "accepted: what" to stderr when the environment sets FUZZ_VERBOSE
void fuzz_accepted(const char* what);

#endif
