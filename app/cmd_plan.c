/* nudge plan: task scenarios x agents x seeds; success rates and time per decision */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/args.h"
#include "app/commands.h"
#include "app/plan_tasks.h"
#include "app/run_options.h"
#include "agent/planner.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/csv.h"
#include "base/progress.h"
#include "model/jepa.h"
#include "model/nn.h"

#define MAX_AGENTS 8

/* one column of the comparison: a name and the agent it stands for */
typedef struct PlanAgent {
    char name[16];
    int  kind;            /* ScnAgentKind */
    bool jepa;            /* the planner imagining with the pixel model (--jepa) */
} PlanAgent;

typedef struct PlanJobs {
    Scenario**      tasks;
    int             ntasks;
    PlanAgent       agents[MAX_AGENTS];
    int             nagents;
    int64_t         episodes;
    uint64_t        seed;
    int             slots;
    AgentOverride   base;         /* the planner flags, the model */
    JepaModel*      jepa;         /* --jepa: the pixel planner's model, NULL = none */
    int             jepa_samples, jepa_iters; /* its samples and iterations (0 = as the others) */
    double          jepa_push_cost; /* its cost per push (< 0 = as the others) */
    unsigned        jepa_energy;    /* its energy's PLAN_JEPA_* flags (planner_set_jepa) */
    PlanOutcome*    out;          /* [task][agent][episode] */
    int64_t         total, next, done;
    pthread_mutex_t lock;
    char            error[512];   /* the first episode that could not run */
    Progress        progress;
} PlanJobs;

static void* plan_worker(void* arg) {
    PlanJobs* J = arg;
    for (;;) {
        pthread_mutex_lock(&J->lock);
        int64_t job = J->error[0] ? J->total : J->next++;
        pthread_mutex_unlock(&J->lock);
        if (job >= J->total) return NULL;
        int64_t e = job % J->episodes;
        int a = (int)(job / J->episodes % J->nagents);
        int t = (int)(job / J->episodes / J->nagents);
        AgentOverride o = J->base;
        o.kind = J->agents[a].kind;
        if (J->agents[a].jepa) {
            o.jepa = J->jepa;
            if (J->jepa_samples > 0) o.samples = J->jepa_samples;
            if (J->jepa_iters > 0) o.iters = J->jepa_iters;
            if (J->jepa_push_cost >= 0) o.push_cost = J->jepa_push_cost;
            o.jepa_energy = J->jepa_energy;
            if (o.elites > o.samples && o.samples > 0) o.elites = -1;
        }
        char err[512];
        if (!plan_task_run(J->tasks[t], J->seed + (uint64_t)e, &o, J->slots, &J->out[job], err, sizeof err)) {
            pthread_mutex_lock(&J->lock);
            if (!J->error[0]) snprintf(J->error, sizeof J->error, "%s", err);
            pthread_mutex_unlock(&J->lock);
            return NULL;
        }
        pthread_mutex_lock(&J->lock);
        J->done++;
        progress_update(&J->progress, J->done, NULL);
        pthread_mutex_unlock(&J->lock);
    }
}

/* "random,model,oracle" -> agents; false + message */
static bool parse_agents(const char* list, PlanJobs* J, char* err, size_t err_size) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    J->nagents = 0;
    for (char* save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int kind = !strcmp(tok, "random") ? SCN_AGENT_RANDOM
                   : !strcmp(tok, "model") || !strcmp(tok, "planner") ? SCN_AGENT_PLANNER
                   : !strcmp(tok, "oracle") ? SCN_AGENT_ORACLE
                   : !strcmp(tok, "jepa") ? SCN_AGENT_PLANNER
                   : !strcmp(tok, "none") ? SCN_AGENT_NONE : -1;
        if (kind < 0 || J->nagents >= MAX_AGENTS) {
            snprintf(err, err_size, "--agents: expected a list of random, model, oracle, jepa, none, got '%s'", tok);
            return false;
        }
        PlanAgent* a = &J->agents[J->nagents++];
        a->jepa = !strcmp(tok, "jepa");
        snprintf(a->name, sizeof a->name, "%s", kind == SCN_AGENT_PLANNER && !a->jepa ? "model" : tok);
        a->kind = kind;
    }
    if (J->nagents == 0) {
        snprintf(err, err_size, "--agents: expected at least one agent");
        return false;
    }
    return true;
}

/* the task's name: the file name without folder and .scn */
static void task_name(const Scenario* s, char* out, size_t size) {
    const char* path = scn_name(s);
    const char* slash = strrchr(path, '/');
    snprintf(out, size, "%s", slash ? slash + 1 : path);
    size_t n = strlen(out);
    if (n > 4 && !strcmp(out + n - 4, ".scn")) out[n - 4] = 0;
}

typedef struct Tally {
    int64_t skipped;
    int64_t episodes, solved, decisions;
    double  seconds;
} Tally;

static double rate(const Tally* y) { return y->episodes ? (double)y->solved / (double)y->episodes : 0.0; }
static double ms_per(const Tally* y) { return y->decisions ? 1000.0 * y->seconds / (double)y->decisions : 0.0; }

/* the rows of the table and the CSV: one per task and agent, then one per agent over all tasks
 * ("all"); name and tally of row r */
static int row_count(const PlanJobs* J) { return (J->ntasks + 1) * J->nagents; }

static Tally row_tally(const PlanJobs* J, int r, char* name, size_t name_size, PlanOutcome* audit) {
    int t = r / J->nagents, a = r % J->nagents;
    Tally y = {0, 0, 0, 0, 0};
    int t0 = t < J->ntasks ? t : 0, t1 = t < J->ntasks ? t + 1 : J->ntasks;
    if (t < J->ntasks) task_name(J->tasks[t], name, name_size);
    else snprintf(name, name_size, "all");
    for (int k = t0; k < t1; k++) {
        for (int64_t e = 0; e < J->episodes; e++) {
            const PlanOutcome* o = &J->out[((int64_t)k * J->nagents + a) * J->episodes + e];
            if (o->skipped) {
                y.skipped++;
                continue;
            }
            y.episodes++;
            y.solved += o->solved;
            y.decisions += o->decisions;
            y.seconds += o->seconds;
            if (!audit) continue;
            audit->audits += o->audits;
            audit->rho_n += o->rho_n, audit->rho += o->rho;
            audit->rho_true_n += o->rho_true_n, audit->rho_true += o->rho_true;
            audit->pick_better += o->pick_better, audit->best_better += o->best_better;
            audit->pick_cost += o->pick_cost, audit->best_cost += o->best_cost, audit->idle_cost += o->idle_cost;
        }
    }
    return y;
}

static double mean_of(double sum, int64_t n) { return n ? sum / (double)n : NAN; }

/* the audit's table (stdout) and CSV (path, or NULL): per task, the jepa agent's searches, how its
   costs and its energies of the true futures order the candidates against the simulator's, and how
   often its pick (or the best candidate) costs the simulator less than doing nothing */
static bool write_audit(const PlanJobs* J, const char* path, char* err, size_t err_size) {
    char* buf = NULL;
    size_t len = 0;
    FILE* f = path ? open_memstream(&buf, &len) : NULL;
    if (path && !f) alloc_fail(4096);
    if (f) fprintf(f, "task,searches,rho,rho_true,pick_better,best_better,pick_cost,best_cost,idle_cost\n");
    printf("\njepa audit: the simulator's costs of every search's candidates against the planner's (rho) and "
           "against the energies of their true futures (rho_true: an exact predictor); Spearman's rank "
           "correlation, mean over searches\n");
    printf("%-28s %8s %7s %9s %12s %12s %9s %9s %9s\n", "task", "searches", "rho", "rho_true", "pick<idle",
           "best<idle", "pick", "best", "idle");
    for (int r = 0; r < row_count(J); r++) {
        if (!J->agents[r % J->nagents].jepa) continue;
        char name[256], field[520];
        PlanOutcome y;
        memset(&y, 0, sizeof y);
        Tally t = row_tally(J, r, name, sizeof name, &y);
        if (t.episodes == 0) continue;
        double n = (double)(y.audits ? y.audits : 1);
        double rho = mean_of(y.rho, y.rho_n), rho_true = mean_of(y.rho_true, y.rho_true_n);
        double pick = (double)y.pick_better / n, best = (double)y.best_better / n;
        double cost[3] = {mean_of(y.pick_cost, y.audits), mean_of(y.best_cost, y.audits), mean_of(y.idle_cost, y.audits)};
        printf("%-28s %8lld %+7.3f %+9.3f %11.1f%% %11.1f%% %9.4f %9.4f %9.4f\n", name, (long long)y.audits, rho,
               rho_true, 100.0 * pick, 100.0 * best, cost[0], cost[1], cost[2]);
        if (f)
            fprintf(f, "%s,%lld,%.4f,%.4f,%.4f,%.4f,%.5f,%.5f,%.5f\n", csv_field(name, field, sizeof field),
                    (long long)y.audits, rho, rho_true, pick, best, cost[0], cost[1], cost[2]);
    }
    if (!f) return true;
    fclose(f);
    bool ok = atomic_file_put(path, buf, len, err, err_size);
    free(buf);
    return ok;
}

static bool write_csv(const PlanJobs* J, const char* path, char* err, size_t err_size) {
    char* buf = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    if (!f) alloc_fail(4096);
    fprintf(f, "task,agent,episodes,successes,success_rate,ms_per_decision\n");
    for (int r = 0; r < row_count(J); r++) {
        char name[256], field[520];
        Tally y = row_tally(J, r, name, sizeof name, NULL);
        /* a task is named after its file, which may hold a comma or a quote */
        fprintf(f, "%s,%s,%lld,%lld,%.4f,%.3f\n", csv_field(name, field, sizeof field), J->agents[r % J->nagents].name,
                (long long)y.episodes, (long long)y.solved, rate(&y), ms_per(&y));
    }
    fclose(f);
    bool ok = atomic_file_put(path, buf, len, err, err_size);
    free(buf);
    return ok;
}

static void print_table(const PlanJobs* J, bool verbose) {
    printf("%-28s %-8s %8s %8s %8s %12s\n", "task", "agent", "episodes", "solved", "success", "ms/decision");
    Tally all[MAX_AGENTS];
    for (int r = 0; r < row_count(J); r++) {
        char name[256];
        Tally y = row_tally(J, r, name, sizeof name, NULL);
        if (r >= J->ntasks * J->nagents) all[r % J->nagents] = y;
        if (y.episodes == 0 && y.skipped > 0) {
            printf("%-28s %-8s %8s %8s %8s %12s\n", name, J->agents[r % J->nagents].name, "-", "-", "skipped", "-");
            continue;
        }
        printf("%-28s %-8s %8lld %8lld %7.1f%% %12.3f\n", name, J->agents[r % J->nagents].name, (long long)y.episodes,
               (long long)y.solved, 100.0 * rate(&y), ms_per(&y));
    }
    /* the learned planner against the oracle */
    int im = -1, io = -1;
    for (int a = 0; a < J->nagents; a++) {
        if (J->agents[a].kind == SCN_AGENT_PLANNER && !J->agents[a].jepa) im = a;
        if (J->agents[a].kind == SCN_AGENT_ORACLE) io = a;
    }
    if (im >= 0 && io >= 0 && all[io].solved > 0)
        printf("model / oracle success: %.1f%% (%.1f%% vs %.1f%%)\n",
               100.0 * rate(&all[im]) / rate(&all[io]), 100.0 * rate(&all[im]), 100.0 * rate(&all[io]));
    /* the tasks the pixel planner left out */
    for (int t = 0; t < J->ntasks; t++) {
        for (int a = 0; a < J->nagents; a++) {
            if (!J->agents[a].jepa || J->episodes == 0 || !J->out[((int64_t)t * J->nagents + a) * J->episodes].skipped)
                continue;
            char name[256];
            task_name(J->tasks[t], name, sizeof name);
            printf("note: jepa skips %s: its goal image can show only 'in' and 'x|y near' goals (besides "
                   "'speed <' and 'not broken|fell', left out of its energy)\n", name);
        }
    }
    if (!verbose) return;
    for (int t = 0; t < J->ntasks; t++) {
        for (int a = 0; a < J->nagents; a++) {
            for (int64_t e = 0; e < J->episodes; e++) {
                const PlanOutcome* o = &J->out[((int64_t)t * J->nagents + a) * J->episodes + e];
                if (o->solved || o->skipped) continue;
                printf("  failed %s --agent %s --seed %llu: %s:%s\n", scn_name(J->tasks[t]), J->agents[a].name,
                       (unsigned long long)(J->seed + (uint64_t)e), scn_name(J->tasks[t]), o->failed);
            }
        }
    }
}

int cmd_plan(int argc, char** argv) {
    RunOptions o;
    run_options_init(&o);
    int64_t episodes = 10, jobs = 1;
    uint64_t seed = 0;
    const char* agents = "random,model,oracle";
    const char* csv = NULL;
    const char* jepa_path = NULL;
    int64_t jepa_samples = 0, jepa_iters = 0;
    double jepa_push_cost = -1;
    const char* jepa_goal = "image";
    const char* jepa_channels = "all";
    const char* jepa_audit = NULL;
    bool audit = false;
    bool verbose = false;
    ArgSpec specs[] = {
        {"episodes", ARG_INT, &episodes, 1, 1000000, "N: seeds per task and agent (default 10)", false},
        {"agents", ARG_STRING, &agents, 1, 0, "LIST: random, model, oracle, jepa, none (default random,model,oracle)", false},
        {"jepa", ARG_STRING, &jepa_path, 1, 0, "FILE: the pixel model the 'jepa' agent plans with (toward a goal image)", false},
        {"jepa-samples", ARG_INT, &jepa_samples, 1, 4096, "N: the jepa agent's candidate plans per iteration (default: as --samples)", false},
        {"jepa-iters", ARG_INT, &jepa_iters, 1, 100, "N: the jepa agent's refinements per decision (default: as --iters)", false},
        {"jepa-push-cost", ARG_DOUBLE, &jepa_push_cost, 0, 1000, "C: the jepa agent's cost of one push, a fraction of doing nothing's energy (default: as --push-cost)", false},
        {"jepa-goal", ARG_STRING, &jepa_goal, 1, 0, "image|rolled: the jepa agent's energy is to the goal image's latent (default), or to the goal window's rolled forward as far without pushes", false},
        {"jepa-channels", ARG_STRING, &jepa_channels, 1, 0, "all|still: the jepa agent's energy over every latent channel (default), or over those a still scene holds (not the keypoints' velocities nor the motion keypoints, which a push leaves moving at the horizon)", false},
        {"jepa-audit", ARG_BOOL, &audit, 1, 0, "also imagine each of the jepa agent's searches with the simulator, and print how its energies order the candidates against the simulator's costs, and how an exact predictor's would (slower: every candidate is simulated, rendered and encoded)", false},
        {"jepa-audit-csv", ARG_STRING, &jepa_audit, 1, 0, "FILE: the audit's table as task,searches,rho,rho_true,pick_better,best_better,pick_cost,best_cost,idle_cost (implies --jepa-audit)", false},
        {"seed", ARG_U64, &seed, 1, 0, "N: episode i uses seed N + i (default 0)", false},
        {"csv", ARG_STRING, &csv, 1, 0, "FILE: also write task,agent,episodes,successes,success_rate,ms_per_decision", false},
        {"jobs", ARG_INT, &jobs, 1, 64, "J: episodes run at once, one thread each (default 1)", false},
        {"slots", ARG_INT, &o.slots, 1, 1024, "K: observation slots (default 32; the model's)", false},
        {"verbose", ARG_BOOL, &verbose, 1, 0, "list every failed episode with its first failed goal", false},
        PLANNER_OPTION_SPECS(o),
    };
    ArgParse p = {"plan",
                  "nudge plan TASK|DIR --model FILE [--episodes N] [--agents random,model,oracle] [--csv FILE] [--jobs J]",
                  "Runs every task scenario (a file, or the .scn files of a folder) for N seeds with each agent and "
                  "prints each one's success rate (every goal held) and mean wall time per decision. 'model' is the "
                  "planner imagining with --model, 'oracle' the same planner imagining with the true simulator, "
                  "'random' the random agent with the task's push budget and impulse limit, 'jepa' the same planner "
                  "imagining with the pixel model --jepa in its latent space toward a goal image (tasks with 'in' or "
                  "'x|y near' goals; others are skipped with a note).",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, INT_MAX};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    if (p.npositional == 0) return args_fail("plan", "expected a task scenario or a folder of them (see nudge plan --help)");

    PlanJobs J;
    memset(&J, 0, sizeof J);
    char err[1024];
    if (!parse_agents(agents, &J, err, sizeof err)) return args_fail("plan", "%s", err);
    bool model = false;
    bool jepa = false;
    for (int a = 0; a < J.nagents; a++) {
        model |= J.agents[a].kind == SCN_AGENT_PLANNER && !J.agents[a].jepa;
        jepa |= J.agents[a].jepa;
    }
    if (model && !o.model_path)
        return args_fail("plan", "the 'model' agent needs a world model: --model FILE (or --agents random,oracle)");
    if (jepa && !jepa_path) return args_fail("plan", "the 'jepa' agent needs a pixel model: --jepa FILE");
    if (jepa_path && !jepa) return args_fail("plan", "--jepa is for the 'jepa' agent: add it to --agents");
    audit = audit || jepa_audit;
    if (audit && !jepa) return args_fail("plan", "--jepa-audit is for the 'jepa' agent: add it to --agents");
    if (jepa) {
        J.jepa = jepa_load(jepa_path, err, sizeof err);
        if (!J.jepa) return args_fail("plan", "--jepa: %s", err);
        /* the pixel planner's predictions are deterministic only on one BLAS thread */
        nn_set_threads(1);
        J.jepa_samples = (int)jepa_samples;
        J.jepa_iters = (int)jepa_iters;
        J.jepa_push_cost = jepa_push_cost;
    }
    if (strcmp(jepa_goal, "image") && strcmp(jepa_goal, "rolled")) {
        jepa_free(J.jepa);
        return args_fail("plan", "--jepa-goal: expected image or rolled, got '%s'", jepa_goal);
    }
    if (strcmp(jepa_channels, "all") && strcmp(jepa_channels, "still")) {
        jepa_free(J.jepa);
        return args_fail("plan", "--jepa-channels: expected all or still, got '%s'", jepa_channels);
    }
    J.jepa_energy = (!strcmp(jepa_goal, "rolled") ? PLAN_JEPA_ROLLED : 0u) |
                    (!strcmp(jepa_channels, "still") ? PLAN_JEPA_STILL : 0u);
    if (jepa_samples && !jepa) return args_fail("plan", "--jepa-samples is for the 'jepa' agent: add it to --agents");
    if (audit) J.jepa_energy |= PLAN_JEPA_AUDIT;
    /* the tasks */
    char** files = NULL;
    int nfiles = scn_collect_files(p.positional, p.npositional, &files, err, sizeof err);
    if (nfiles <= 0) {
        free(files);
        jepa_free(J.jepa);
        return nfiles < 0 ? args_fail("plan", "%s", err) : args_fail("plan", "no .scn files found");
    }
    J.tasks = alloc_zeroed((size_t)nfiles, sizeof *J.tasks);
    int status = 0;
    for (int i = 0; i < nfiles && !status; i++) {
        J.tasks[i] = scn_load(files[i], err, sizeof err);
        if (!J.tasks[i]) {
            fprintf(stderr, "%s\n", err);
            status = 2;
        }
        J.ntasks = i + 1;
    }
    /* the CSV may not overwrite a task or a model */
    for (int i = 0; i < nfiles && !status; i++)
        if (!args_output_not_input("plan", "--csv", csv, "a task", files[i]) ||
            !args_output_not_input("plan", "--jepa-audit-csv", jepa_audit, "a task", files[i]))
            status = 2;
    if (!status && (!args_output_not_input("plan", "--csv", csv, "the model", o.model_path) ||
                    !args_output_not_input("plan", "--csv", csv, "the pixel model", jepa_path) ||
                    !args_output_not_input("plan", "--jepa-audit-csv", jepa_audit, "the model", o.model_path) ||
                    !args_output_not_input("plan", "--jepa-audit-csv", jepa_audit, "the pixel model", jepa_path) ||
                    !args_output_not_input("plan", "--jepa-audit-csv", jepa_audit, "--csv", csv)))
        status = 2;
    scn_free_list(files, nfiles);
    AgentOverride base;
    if (!status && !run_options_agent(&o, "plan", &base, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        status = 2;
    }
    if (!status) {
        J.base = base;
        J.episodes = episodes;
        J.seed = seed;
        J.slots = (int)o.slots;
        J.total = (int64_t)J.ntasks * J.nagents * episodes;
        J.out = alloc_zeroed((size_t)J.total, sizeof *J.out);
        pthread_mutex_init(&J.lock, NULL);
        progress_start(&J.progress, "episodes", J.total);
        int nthreads = (int)(jobs < J.total ? jobs : J.total);
        pthread_t threads[64];
        for (int i = 0; i < nthreads; i++) pthread_create(&threads[i], NULL, plan_worker, &J);
        for (int i = 0; i < nthreads; i++) pthread_join(threads[i], NULL);
        progress_finish(&J.progress);
        pthread_mutex_destroy(&J.lock);
        if (J.error[0]) {
            fprintf(stderr, "nudge plan: %s\n", J.error);
            status = 2;
        } else {
            print_table(&J, verbose);
            if (csv && !write_csv(&J, csv, err, sizeof err)) {
                fprintf(stderr, "nudge plan: %s\n", err);
                status = 2;
            }
            if (!status && audit && !write_audit(&J, jepa_audit, err, sizeof err)) {
                fprintf(stderr, "nudge plan: %s\n", err);
                status = 2;
            }
        }
    }
    for (int i = 0; i < J.ntasks; i++) scn_free(J.tasks[i]);
    free(J.tasks);
    free(J.out);
    jepa_free(J.jepa);
    run_options_free(&o);
    return status;
}
