/* the nudge command's data folder, found from its own executable */
#include "base/share_dir.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/report.h"

/* true when dir holds a scenarios/ folder */
static bool holds_scenarios(const char* dir) {
    char        path[4200];
    struct stat st;
    if ((size_t)snprintf(path, sizeof path, "%s/scenarios", dir) >= sizeof path) return false;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool put(char* out, size_t n, const char* path, char* err, size_t err_size) {
    if (strlen(path) + 1 > n) {
        report_set(err, err_size, "nudge's data folder %s: the path is too long", path);
        return false;
    }
    memcpy(out, path, strlen(path) + 1);
    return true;
}

bool share_dir_find(char* out, size_t n, char* err, size_t err_size) {
    const char* env = getenv("NUDGE_DATA");
    if (env && *env) {
        if (!holds_scenarios(env)) {
            report_set(err, err_size, "NUDGE_DATA=%s: no scenarios/ folder there", env);
            return false;
        }
        return put(out, n, env, err, err_size);
    }
    char    exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        report_set(err, err_size, "nudge's data folder: cannot read /proc/self/exe (set NUDGE_DATA)");
        return false;
    }
    exe[len] = 0;
    const char* dir = dirname(exe);
    static const char* const rel[] = {"/../share/nudge", "/share/nudge"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s%s", dir, rel[i]);
        if (!holds_scenarios(path)) continue;
        char real[4096];
        return put(out, n, realpath(path, real) ? real : path, err, err_size);
    }
    report_set(err, err_size,
               "nudge's data folder: no share/nudge/scenarios beside %s or above it (install nudge, or set NUDGE_DATA)",
               dir);
    return false;
}

bool share_dir_path(const char* rel, char* out, size_t n, char* err, size_t err_size) {
    char dir[4096];
    if (!share_dir_find(dir, sizeof dir, err, err_size)) return false;
    if ((size_t)snprintf(out, n, "%s/%s", dir, rel) >= n) {
        report_set(err, err_size, "nudge's data folder %s: the path of %s is too long", dir, rel);
        return false;
    }
    return true;
}
