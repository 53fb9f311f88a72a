/* memory_use: what this process holds in memory, as the kernel counts it */
#ifndef NUDGE_BASE_MEMORY_USE_H
#define NUDGE_BASE_MEMORY_USE_H
#include <stdbool.h>
#include <stdint.h>

/// the peak resident set size of this process so far, bytes (VmHWM from /proc/self/status; where
/// that is missing, getrusage's ru_maxrss)
int64_t memory_peak_rss(void);
/// the resident set size now, bytes (VmRSS; 0 where /proc is missing)
int64_t memory_rss(void);
/// the address space mapped now, bytes (VmSize; 0 where /proc is missing): what counts against
/// RLIMIT_AS
int64_t memory_mapped(void);
/// the machine's physical memory, bytes (0 when the system does not say)
int64_t memory_physical(void);
/// what a working set may take at most, bytes: the physical memory, or the address-space limit
/// (RLIMIT_AS: ulimit -v, prlimit) when one is set below it (*by_rlimit tells; may be NULL); 0
/// when neither is known
int64_t memory_limit(bool* by_rlimit);

#endif
