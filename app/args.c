#include "app/args.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

#include "base/parse_int.h"
#include "base/parse_real.h"

int args_fail(const char* cmd, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "nudge %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* a path as a file would be written there: its folder's real path, then its name; false when the
   folder does not exist (yet) */
static bool canonical_path(const char* path, char* out, size_t size) {
    char dir[4096], name[4096], real[PATH_MAX];
    if (strlen(path) >= sizeof dir) return false;
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(name, sizeof name, "%s", path);
    if (!realpath(dirname(dir), real)) return false;
    return snprintf(out, size, "%s/%s", real, basename(name)) < (int)size;
}

bool args_same_file(const char* a, const char* b) {
    if (!a || !b) return false;
    struct stat sa, sb;
    bool ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return false;
    /* neither is there yet: the same folder and name (or, in a folder still to be made, the same text) */
    char ca[PATH_MAX + 4096], cb[PATH_MAX + 4096];
    if (canonical_path(a, ca, sizeof ca) && canonical_path(b, cb, sizeof cb)) return strcmp(ca, cb) == 0;
    return strcmp(a, b) == 0;
}

bool args_output_not_input(const char* cmd, const char* flag, const char* out, const char* what, const char* in) {
    struct stat si;
    if (!out || !in || stat(in, &si) != 0 || !args_same_file(out, in)) return true;
    args_fail(cmd, "%s %s is also %s: it would be overwritten", flag, out, what);
    return false;
}

/* the real path of the nearest existing folder above path (path's own folder, or the first of its
   ancestors that is there); false when none resolves */
static bool existing_folder(const char* path, char* out) {
    char dir[4096];
    if (strlen(path) >= sizeof dir) return false;
    snprintf(dir, sizeof dir, "%s", path);
    for (int depth = 0; depth < 256; depth++) {
        char* up = dirname(dir);
        if (realpath(up, out)) return true;
        if (strcmp(up, ".") == 0 || strcmp(up, "/") == 0) return false;
        memmove(dir, up, strlen(up) + 1);
    }
    return false;
}

bool args_output_outside(const char* cmd, const char* flag, const char* out, const char* dirs) {
    char where[PATH_MAX], list[4096];
    if (!out || !dirs || strlen(dirs) >= sizeof list || !existing_folder(out, where)) return true;
    snprintf(list, sizeof list, "%s", dirs);
    for (char* save = NULL, *d = strtok_r(list, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        char real[PATH_MAX];
        struct stat st;
        if (stat(d, &st) != 0 || !S_ISDIR(st.st_mode) || !realpath(d, real)) continue;
        size_t n = strlen(real);
        bool inside = strncmp(where, real, n) == 0 && (where[n] == '\0' || where[n] == '/' || n == 1);
        if (inside) {
            args_fail(cmd, "%s %s is inside the dataset %s: it could overwrite the dataset's files", flag, out, d);
            return false;
        }
    }
    return true;
}

bool args_outputs_distinct(const char* cmd, const char* (*outs)[2], int n) {
    for (int i = 0; i < n; i++)
        for (int k = i + 1; k < n; k++)
            if (args_same_file(outs[i][1], outs[k][1])) {
                args_fail(cmd, "%s %s and %s %s name the same file: one would overwrite the other", outs[i][0],
                          outs[i][1], outs[k][0], outs[k][1]);
                return false;
            }
    return true;
}

bool args_parse_size(const char* s, int lo, int hi, int* w, int* h) {
    int64_t a, b;
    const char* rest = NULL;
    if (parse_int_pair(s, 'x', lo, hi, lo, hi, &a, &b, &rest) != PARSE_INT_OK || *rest) return false;
    *w = (int)a, *h = (int)b;
    return true;
}

const ArgSpec* args_spec(const ArgParse* p, const char* name) {
    for (int i = 0; i < p->nspecs; i++)
        if (strcmp(p->specs[i].name, name) == 0) return &p->specs[i];
    return NULL;
}

void args_help(const ArgParse* p) {
    printf("usage: %s\n\n", p->usage);
    if (p->about) printf("%s\n\n", p->about);
    printf("options:\n");
    for (int i = 0; i < p->nspecs; i++) {
        const ArgSpec* s = &p->specs[i];
        char left[64];
        const char* help = s->help ? s->help : "";
        const char* colon = strstr(help, ": ");
        if (s->kind != ARG_BOOL && colon && colon - help < 24) {
            snprintf(left, sizeof left, "--%s %.*s", s->name, (int)(colon - help), help);
            help = colon + 2;
            while (*help == ' ') help++;
        } else {
            snprintf(left, sizeof left, "--%s", s->name);
        }
        printf("  %-28s %s\n", left, help);
    }
    printf("  %-28s %s\n", "--help", "show this help");
}

static int set_value(ArgParse* p, ArgSpec* s, const char* v) {
    bool ranged = s->lo <= s->hi;
    switch (s->kind) {
    case ARG_STRING:
        *(const char**)s->out = v;
        return 0;
    case ARG_INT: {
        /* the spec's range, or every int64 when it has none */
        int64_t lo = INT64_MIN, hi = INT64_MAX, x = 0;
        if (ranged) {
            lo = s->lo <= -9.2e18 ? INT64_MIN : (int64_t)ceil(s->lo);
            hi = s->hi >= 9.2e18 ? INT64_MAX : (int64_t)floor(s->hi);
        }
        ParseIntStatus st = parse_int(v, lo, hi, &x);
        if (st != PARSE_INT_OK)
            return args_fail(p->cmd, "--%s: expected an integer in [%lld, %lld], got '%s'", s->name, (long long)lo,
                             (long long)hi, v);
        *(int64_t*)s->out = x;
        return 0;
    }
    case ARG_U64: {
        uint64_t x = 0;
        ParseIntStatus st = parse_u64(v, &x);
        if (st != PARSE_INT_OK)
            return args_fail(p->cmd, "--%s: expected an integer in [0, 18446744073709551615], got '%s'", s->name, v);
        *(uint64_t*)s->out = x;
        return 0;
    }
    case ARG_DOUBLE: {
        double x = 0;
        if (!parse_real(v, &x) || (ranged && (x < s->lo || x > s->hi))) {
            if (ranged)
                return args_fail(p->cmd, "--%s: expected a number in [%g, %g], got '%s'", s->name,
                                 s->lo, s->hi, v);
            return args_fail(p->cmd, "--%s: expected a finite number, got '%s'", s->name, v);
        }
        *(double*)s->out = x;
        return 0;
    }
    case ARG_BOOL:
        break;
    }
    return 0;
}

int args_parse(ArgParse* p, int argc, char** argv) {
    /* the positionals are moved to argv[1..]: each lands in a slot already read */
    p->positional = (const char**)(argv + 1);
    p->npositional = 0;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            args_help(p);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (p->npositional >= p->max_positional)
                return args_fail(p->cmd, "unexpected argument '%s' (see nudge %s --help)", a, p->cmd);
            p->positional[p->npositional++] = a;
            continue;
        }
        char name[64];
        const char* eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, a + 2, len);
        name[len] = 0;
        ArgSpec* s = NULL;
        for (int k = 0; k < p->nspecs; k++)
            if (strcmp(p->specs[k].name, name) == 0) s = &p->specs[k];
        if (!s) return args_fail(p->cmd, "unknown flag '--%s' (see nudge %s --help)", name, p->cmd);
        s->seen = true;
        if (s->kind == ARG_BOOL) {
            if (eq) return args_fail(p->cmd, "--%s takes no value", name);
            *(bool*)s->out = true;
            continue;
        }
        const char* v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) return args_fail(p->cmd, "--%s needs a value", name);
            v = argv[++i];
            /* "--trace --jsonl": the value was left out, not a file called --jsonl */
            if (strncmp(v, "--", 2) == 0 && v[2])
                return args_fail(p->cmd, "--%s needs a value, got the flag '%s' (write --%s=%s if that is the value)",
                                 name, v, name, v);
        }
        if (!*v) return args_fail(p->cmd, "--%s needs a value, got an empty one", name);
        int rc = set_value(p, s, v);
        if (rc) return rc;
    }
    return 0;
}
