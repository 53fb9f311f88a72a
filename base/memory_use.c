/* memory_use: VmHWM and VmRSS from /proc/self/status */
#include "base/memory_use.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* the "Name:   N kB" line of /proc/self/status, in bytes; -1 when absent */
static int64_t status_kb(const char* name) {
    FILE* f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int64_t v = -1;
    size_t n = strlen(name);
    while (fgets(line, sizeof line, f)) {
        long long kb = 0;
        if (!strncmp(line, name, n) && line[n] == ':' && sscanf(line + n + 1, "%lld", &kb) == 1) {
            v = (int64_t)kb * 1024;
            break;
        }
    }
    fclose(f);
    return v;
}

int64_t memory_peak_rss(void) {
    int64_t v = status_kb("VmHWM");
    if (v >= 0) return v;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) return (int64_t)ru.ru_maxrss * 1024;
    return 0;
}

int64_t memory_physical(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (int64_t)pages * size : 0;
}

int64_t memory_rss(void) {
    int64_t v = status_kb("VmRSS");
    return v > 0 ? v : 0;
}

int64_t memory_limit(bool* by_rlimit) {
    int64_t phys = memory_physical();
    if (by_rlimit) *by_rlimit = false;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)INT64_MAX &&
        (phys <= 0 || (int64_t)rl.rlim_cur < phys)) {
        if (by_rlimit) *by_rlimit = true;
        return (int64_t)rl.rlim_cur;
    }
    return phys;
}

int64_t memory_mapped(void) {
    int64_t v = status_kb("VmSize");
    return v > 0 ? v : 0;
}
