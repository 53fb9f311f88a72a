/* nudge: a 2D physics sandbox where a world model learns, while it watches, what pushes do. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "app/commands.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/interrupt.h"
#include "sim/world.h"

typedef struct Command {
    const char* name;
    int (*run)(int argc, char** argv);
    const char* about;
} Command;

static const Command commands[] = {
    {"run", cmd_run, "run a scenario headless; print its event timeline (--trace writes states)"},
    {"check", cmd_check, "run scenario files' expectations; PASS/FAIL per scenario (CI)"},
    {"gen", cmd_gen, "generate a dataset: seeded episodes as .npy shards; resumable, byte-reproducible"},
    {"replay", cmd_replay, "re-simulate a recording (.nrec); --check its world hashes; --to-scn writes a regression test"},
    {"view", cmd_view, "open the live window: the world model trains while it watches (--headless: no window)"},
    {"train", cmd_train, "train the world model on a dataset (progress, CSV log, atomic checkpoints)"},
    {"eval", cmd_eval, "score a model against baselines on a dataset (table, eval.csv, eval.svg)"},
    {"plan", cmd_plan, "plan toward task scenarios' goals: success of random, model and oracle agents"},
    {"voe", cmd_voe, "violation of expectation: a model's surprise on matched possible and impossible clips"},
    {"fate", cmd_fate, "fit a fate probe (a break ahead, a break seen) on a pixel model's latent, for voe --fate"},
    {"scale", cmd_scale, "fit a pixel model's expected error per latent value, for voe --scale"},
    {"energy", cmd_energy, "fit a pixel model's expected change over the next ticks, for voe --energy"},
};

static void usage(FILE* f) {
    fprintf(f, "usage: nudge COMMAND [OPTIONS]   (nudge COMMAND --help for its options)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].about);
}

/* why an earlier write to stdout failed, when stdio no longer knows (errno is long gone): a
 * file at the file-size limit, or a full file system */
static const char* stdout_failure(int e) {
    if (e) return strerror(e);
    struct stat st;
    struct rlimit rl;
    if (fstat(fileno(stdout), &st) == 0 && S_ISREG(st.st_mode) && getrlimit(RLIMIT_FSIZE, &rl) == 0 &&
        rl.rlim_cur != RLIM_INFINITY && (uint64_t)st.st_size >= (uint64_t)rl.rlim_cur)
        return strerror(EFBIG);
    struct statvfs vfs;
    if (fstatvfs(fileno(stdout), &vfs) == 0 && vfs.f_bavail == 0) return strerror(ENOSPC);
    return "a write failed";
}

/* what went to stdout must have arrived: a full disk or a file-size limit under `nudge eval >
 * table.txt` is one line and exit 2, not a silently cut table */
static int finish_stdout(const char* cmd, int status) {
    errno = 0;
    bool failed = fflush(stdout) != 0;
    int e = failed ? errno : 0;
    if (!failed && !ferror(stdout)) return status;
    fprintf(stderr, "nudge %s: cannot write the standard output: %s\n", cmd, stdout_failure(e));
    return status == 0 ? 2 : status;
}

/* an allocation the machine refused (what the size checks before it did not foresee): bad input
 * too large for this machine, not a crash -- one line, no temporary file left, exit 2. Other
 * threads may still run: nothing here allocates or takes a lock it waits for, and _exit ends
 * them without running anything more */
static void out_of_memory(size_t bytes) {
    atomic_file_remove_temporaries();
    char line[160];
    int n = snprintf(line, sizeof line,
                     "nudge: out of memory: %zu bytes more than the machine gave; lower the sizes\n", bytes);
    if (n > 0) {
        ssize_t w = write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
        (void)w;
    }
    _exit(2);
}

int main(int argc, char** argv) {
    /* stdout carries machine-readable output: swallow Chipmunk's debug banner before anything */
    sim_quiet_chipmunk();
    interrupt_setup_process();
    alloc_set_fail_handler(out_of_memory);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return finish_stdout(commands[i].name, commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "nudge: unknown command '%s' (see nudge --help)\n", argv[1]);
    return 2;
}
