/* nudge check: runs scenario files' expectations headless; one line per scenario; JUnit XML */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/episode.h"
#include "agent/model_check.h"
#include "app/args.h"
#include "app/commands.h"
#include "app/run_options.h"
#include "base/alloc.h"
#include "base/atomic_file.h"
#include "base/clock.h"
#include "base/share_dir.h"
#include "base/utf8.h"

typedef struct CheckResult {
    char   path[1024];
    int    status;        /* 0 pass, 1 fail, 2 bad input, 3 skipped */
    int    nexpect, nfail;
    int    nskip;         /* model expectations not judged (no --model) */
    double seconds;       /* simulated */
    double wall;
    char   message[1024]; /* the first failure, or the error */
} CheckResult;

static bool ends_with(const char* s, const char* suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void check_one(const char* path, RunOptions* o, const ArgParse* p, bool verbose, CheckResult* r) {
    memset(r, 0, sizeof *r);
    snprintf(r->path, sizeof r->path, "%s", path);
    double t0 = clock_now();
    char err[512];
    Scenario* scn = scn_load(path, err, sizeof err);
    if (!scn) {
        r->status = 2;
        snprintf(r->message, sizeof r->message, "%s", err);
        return;
    }
    /* a task whose planner has no model to imagine with is skipped, not failed (an explicit
     * --agent planner without --model is an error, below) */
    if (!o->agent && !o->model_path && scn_agent_kind(scn) == SCN_AGENT_PLANNER) {
        r->status = 3;
        snprintf(r->message, sizeof r->message, "%s (agent planner: give --model FILE, or --agent oracle)", path);
        scn_free(scn);
        return;
    }
    Episode ep;
    if (!run_options_begin(o, p, scn, &ep, err, sizeof err)) {
        r->status = 2;
        snprintf(r->message, sizeof r->message, "%s", err);
        scn_free(scn);
        return;
    }
    ScnChecker* c = scn_checker_create(scn, &ep.inst, ep.world);
    /* the model expectations, when there is a model to judge them */
    SurpriseSource* src = NULL;
    ModelCheck* mc = NULL;
    if (o->model && ep.inst.nmodel > 0 && wm_arch(o->model)->slots != ep.slots) {
        r->status = 2;
        snprintf(r->message, sizeof r->message, "%s: expected a model of %d slots, got %d", o->model_path, ep.slots,
                 wm_arch(o->model)->slots);
        scn_checker_free(c);
        episode_end(&ep);
        scn_free(scn);
        return;
    }
    if (o->model && ep.inst.nmodel > 0) {
        src = surprise_source_state(o->model);
        char why[512];
        if (!(mc = model_check_attach(&ep, o->model, src, why, sizeof why))) {
            r->status = 2;
            snprintf(r->message, sizeof r->message, "%s: %s", o->model_path, why);
            surprise_source_free(src);
            scn_checker_free(c);
            episode_end(&ep);
            scn_free(scn);
            return;
        }
    }
    int64_t ticks, need = 0;
    double tick = ep.inst.world.dt * ep.inst.world.steps_per_tick;
    if (!run_options_ticks(o, &ep, &ticks, err, sizeof err) ||
        !sim_world_run_ticks(&ep.inst.world, scn_checker_horizon(c) + 0.5 * tick, &need, err, sizeof err)) {
        r->status = 2;
        snprintf(r->message, sizeof r->message, "%s", err);
        scn_checker_free(c);
        episode_end(&ep);
        scn_free(scn);
        return;
    }
    need = (int64_t)(scn_checker_horizon(c) / tick + 1.5);
    if (need > ticks) ticks = need;
    for (int64_t t = 0; t < ticks; t++) {
        episode_tick(&ep, NULL);
        if (sim_world_error(ep.world)) {
            r->status = 2;
            snprintf(r->message, sizeof r->message, "%s: %s (at %.3f s)", path, sim_world_error(ep.world),
                     sim_world_time(ep.world));
            model_check_free(mc);
            surprise_source_free(src);
            scn_checker_free(c);
            episode_end(&ep);
            scn_free(scn);
            return;
        }
        scn_checker_observe(c, ep.world);
    }
    r->seconds = sim_world_time(ep.world);
    ScnVerdict v[256];
    r->nexpect = scn_checker_finish(c, v, 256);
    int shown = r->nexpect < 256 ? r->nexpect : 256;
    if (mc) model_check_finish(mc, v, shown);
    for (int i = 0; i < shown; i++) {
        if (v[i].skipped) {
            /* listed and counted: a model expectation needs --model */
            r->nskip++;
            printf("  SKIP %s:%d: %s -- needs a model (--model FILE)\n", path, v[i].line, v[i].text);
            continue;
        }
        if (verbose)
            printf("  %s %s:%d: %s -- %s\n", v[i].pass ? "ok  " : "FAIL", path, v[i].line, v[i].text, v[i].detail);
        if (v[i].pass) continue;
        if (r->nfail++ == 0)
            snprintf(r->message, sizeof r->message, "%s:%d: %s -- %s", path, v[i].line, v[i].text, v[i].detail);
    }
    r->status = r->nfail ? 1 : 0;
    model_check_free(mc);
    surprise_source_free(src);
    scn_checker_free(c);
    episode_end(&ep);
    scn_free(scn);
    r->wall = clock_now() - t0;
}

static void xml_escape(FILE* f, const char* s) {
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x80) {
                /* a file name need not be UTF-8; the XML must be: a byte that is not becomes U+FFFD */
                int n = utf8_char_length((const unsigned char*)s);
                if (n) fwrite(s, 1, (size_t)n, f), s += n - 1;
                else fputs("\xEF\xBF\xBD", f);
            } else if ((unsigned char)*s >= 0x20 || *s == '\t') {
                fputc(*s, f);
            }
        }
    }
}

static bool write_junit(const char* path, const CheckResult* r, int n, char* err, size_t err_size) {
    char* buf = NULL;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    if (!f) return false;
    int fails = 0, errors = 0, skipped = 0;
    double wall = 0;
    for (int i = 0; i < n; i++) {
        fails += r[i].status == 1;
        errors += r[i].status == 2;
        skipped += r[i].status == 3;
        wall += r[i].wall;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites>\n<testsuite name=\"nudge check\" tests=\"%d\" failures=\"%d\" errors=\"%d\" skipped=\"%d\" time=\"%.3f\">\n",
            n, fails, errors, skipped, wall);
    for (int i = 0; i < n; i++) {
        /* classname: the folder with dots; name: the file without .scn */
        char cls[1024], name[1024];
        snprintf(cls, sizeof cls, "%s", r[i].path);
        char* slash = strrchr(cls, '/');
        snprintf(name, sizeof name, "%s", slash ? slash + 1 : cls);
        if (ends_with(name, ".scn")) name[strlen(name) - 4] = 0;
        if (slash) *slash = 0;
        else snprintf(cls, sizeof cls, "scenarios");
        for (char* c = cls; *c; c++)
            if (*c == '/') *c = '.';
        fprintf(f, "  <testcase classname=\"");
        xml_escape(f, cls);
        fprintf(f, "\" name=\"");
        xml_escape(f, name);
        fprintf(f, "\" time=\"%.3f\">", r[i].wall);
        if (r[i].status == 3) {
            fprintf(f, "\n    <skipped message=\"");
            xml_escape(f, r[i].message);
            fprintf(f, "\"/>\n  ");
        } else if (r[i].status) {
            fprintf(f, "\n    <%s message=\"", r[i].status == 1 ? "failure" : "error");
            xml_escape(f, r[i].message);
            fprintf(f, "\">%d of %d expectations failed</%s>\n  ", r[i].nfail, r[i].nexpect,
                    r[i].status == 1 ? "failure" : "error");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    fclose(f);
    bool ok = atomic_file_put(path, buf, len, err, err_size);
    free(buf);
    return ok;
}

int cmd_check(int argc, char** argv) {
    RunOptions o;
    run_options_init(&o);
    const char* junit = NULL;
    bool verbose = false;
    ArgSpec specs[] = {
        RUN_OPTION_SPECS(o),
        {"junit", ARG_STRING, &junit, 1, 0, "FILE.xml: also write the results as JUnit XML", false},
        {"verbose", ARG_BOOL, &verbose, 1, 0, "print every expectation's verdict", false},
    };
    ArgParse p = {"check", "nudge check [PATH...] [--junit FILE.xml] [--seed N] [--verbose]",
                  "Runs the expectations of scenario files (PATHs are files or folders; default: the scenarios nudge ships, share/nudge/scenarios) "
                  "headless and prints one line per scenario. Exit status: 0 all passed, 1 a failure, "
                  "2 bad input.",
                  specs, (int)(sizeof specs / sizeof specs[0]), NULL, 0, INT_MAX};
    int rc = args_parse(&p, argc, argv);
    if (rc) return rc == 1 ? 0 : 2;
    char** files = NULL;
    char err[512];
    char shipped[4096];
    const char* shipped_path[1] = {shipped};
    const char* const* paths = p.positional;
    int npaths = p.npositional;
    if (npaths == 0) {
        if (!share_dir_path("scenarios", shipped, sizeof shipped, err, sizeof err))
            return args_fail("check", "%s", err);
        paths = shipped_path, npaths = 1;
    }
    int nfiles = scn_collect_files(paths, npaths, &files, err, sizeof err);
    if (nfiles < 0) return args_fail("check", "%s", err);
    if (nfiles == 0) {
        free(files);
        return args_fail("check", "no .scn files found");
    }
    /* the JUnit file may not overwrite a scenario or the model */
    bool distinct = args_output_not_input("check", "--junit", junit, "the model", o.model_path);
    for (int i = 0; distinct && i < nfiles; i++)
        distinct = args_output_not_input("check", "--junit", junit, "a scenario", files[i]);
    if (!distinct) {
        scn_free_list(files, nfiles);
        return 2;
    }
    /* the agent flags (--agent, --push-every, --push-dv, --model) are checked, and the model
       loaded, once before any scenario runs: a bad one is one line, not an ERROR per scenario */
    AgentOverride agent;
    if (!run_options_agent(&o, "check", &agent, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        scn_free_list(files, nfiles);
        run_options_free(&o);
        return 2;
    }
    CheckResult* results = alloc_zeroed((size_t)nfiles, sizeof *results);
    int passed = 0, failed = 0, bad = 0, skipped = 0;
    for (int i = 0; i < nfiles; i++) {
        CheckResult* r = &results[i];
        check_one(files[i], &o, &p, verbose, r);
        skipped += r->nskip;
        if (r->status == 0) {
            passed++;
            if (r->nskip)
                printf("PASS %s (%d expectations, %d skipped, %.2f s)\n", r->path, r->nexpect, r->nskip, r->seconds);
            else
                printf("PASS %s (%d expectations, %.2f s)\n", r->path, r->nexpect, r->seconds);
        } else if (r->status == 3) {
            skipped++;
            printf("SKIP %s\n", r->message);
        } else if (r->status == 1) {
            failed++;
            printf("FAIL %s", r->message);
            if (r->nfail > 1) printf(" (+%d more failed)", r->nfail - 1);
            printf("\n");
        } else {
            bad++;
            failed++;
            printf("ERROR %s\n", r->message);
        }
        fflush(stdout);
    }
    if (skipped) printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    else printf("%d passed, %d failed\n", passed, failed);
    int status = bad ? 2 : failed ? 1 : 0;
    if (junit) {
        char err[512];
        if (!write_junit(junit, results, nfiles, err, sizeof err)) {
            fprintf(stderr, "nudge check: %s\n", err);
            status = 2;
        }
    }
    scn_free_list(files, nfiles);
    free(results);
    run_options_free(&o);
    return status;
}
