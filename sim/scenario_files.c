/* scenario_files: the .scn files of a folder, sorted, for check, gen and the view alike */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/scenario.h"

typedef struct List {
    char** items;
    int    n, cap;
} List;

static void push(List* l, const char* path) {
    if (l->n == l->cap) {
        int    cap = l->cap ? 2 * l->cap : 32;
        l->items = alloc_resize(l->items, (size_t)cap, sizeof *l->items);
        l->cap = cap;
    }
    l->items[l->n++] = alloc_strdup(path);
}

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static bool is_scn(const char* name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".scn") == 0;
}

/* the folders walked so far, by device and inode: a folder reached again through a symbolic link
   (a link to a parent makes a loop) is not walked twice */
typedef struct Seen {
    struct { dev_t dev; ino_t ino; }* at;
    int n, cap;
} Seen;

static bool seen_before(Seen* s, const struct stat* st) {
    for (int i = 0; i < s->n; i++)
        if (s->at[i].dev == st->st_dev && s->at[i].ino == st->st_ino) return true;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->at = alloc_resize(s->at, (size_t)s->cap, sizeof *s->at);
    }
    s->at[s->n].dev = st->st_dev;
    s->at[s->n].ino = st->st_ino;
    s->n++;
    return false;
}

/* the folder's entries sorted by name; subfolders are walked in place when recursive */
static bool collect(const char* dir, bool recursive, int depth, Seen* seen, List* out) {
    struct stat dst;
    if (stat(dir, &dst) == 0 && seen_before(seen, &dst)) return true;
    DIR* d = opendir(dir);
    if (!d) return false;
    List here = {0};
    struct dirent* e;
    size_t dl = strlen(dir);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        snprintf(path, sizeof path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if ((S_ISDIR(st.st_mode) && recursive && depth < 16) || (!S_ISDIR(st.st_mode) && is_scn(e->d_name)))
            push(&here, path);
    }
    closedir(d);
    if (here.n > 1) qsort(here.items, (size_t)here.n, sizeof *here.items, cmp_str); /* NULL when empty */
    for (int i = 0; i < here.n; i++) {
        struct stat st;
        if (stat(here.items[i], &st) == 0 && S_ISDIR(st.st_mode)) collect(here.items[i], recursive, depth + 1, seen, out);
        else push(out, here.items[i]);
        free(here.items[i]);
    }
    free(here.items);
    return true;
}

int scn_list_files(const char* dir, bool recursive, char*** out) {
    List l = {0};
    Seen seen = {0};
    *out = NULL;
    bool ok = collect(dir, recursive, 0, &seen, &l);
    free(seen.at);
    if (!ok) return -1;
    *out = l.items;
    return l.n;
}

void scn_free_list(char** list, int n) {
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

int scn_collect_files(const char* const* paths, int npaths, char*** out, char* err, size_t err_size) {
    List all = {NULL, 0, 0};
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            report_set(err, err_size, "%s: %s", paths[i], strerror(errno));
            scn_free_list(all.items, all.n);
            return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
            push(&all, paths[i]);
            continue;
        }
        char** found = NULL;
        int n = scn_list_files(paths[i], true, &found);
        if (n < 0) {
            report_set(err, err_size, "%s: cannot read this folder", paths[i]);
            scn_free_list(all.items, all.n);
            return -1;
        }
        for (int k = 0; k < n; k++) push(&all, found[k]);
        scn_free_list(found, n);
    }
    *out = all.items;
    return all.n;
}
