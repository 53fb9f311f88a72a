#include "app/run_options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/report.h"
#include "sim/action.h"
#include "model/nn.h"

void run_options_init(RunOptions* o) {
    memset(o, 0, sizeof *o);
    o->slots = 32;
    o->samples = o->iters = o->horizon = o->replan = o->elites = o->pushes = -1;
    o->impulse = o->push_cost = -1;
}

void run_options_free(RunOptions* o) {
    wm_free(o->model);
    o->model = NULL;
}

bool run_options_agent(RunOptions* o, const char* cmd, AgentOverride* out, char* err, size_t err_size) {
    *out = agent_override_none();
    if (o->agent && (out->kind = agent_kind_find(o->agent)) < 0) {
        report_set(err, err_size, "nudge %s: --agent: expected scripted, random, planner, oracle or none, got '%s'",
                   cmd, o->agent);
        return false;
    }
    if (o->every && !agent_parse_range(o->every, 3600, out->every)) {
        report_set(err, err_size, "nudge %s: --push-every: expected LO,HI seconds with 0 <= LO <= HI, got '%s'", cmd, o->every);
        return false;
    }
    if (o->dv && !agent_parse_range(o->dv, 1000, out->dv)) {
        report_set(err, err_size, "nudge %s: --push-dv: expected LO,HI in m/s with 0 <= LO <= HI <= 1000, got '%s'", cmd, o->dv);
        return false;
    }
    if (out->every[0] >= 0 && out->every[1] <= 0) {
        report_set(err, err_size, "nudge %s: --push-every: HI must be above 0, got '%s'", cmd, o->every);
        return false;
    }
    out->samples = (int)o->samples;
    out->iters = (int)o->iters;
    out->horizon = (int)o->horizon;
    out->replan = (int)o->replan;
    out->elites = (int)o->elites;
    out->pushes = (int)o->pushes;
    out->impulse = o->impulse;
    out->push_cost = o->push_cost;
    if (o->model_path && !o->model) {
        char why[512];
        o->model = wm_load(o->model_path, why, sizeof why);
        if (!o->model) {
            report_set(err, err_size, "nudge %s: %s", cmd, why);
            return false;
        }
        /* a planner's rollouts are deterministic only on one BLAS thread */
        nn_set_threads(1);
    }
    out->model = o->model;
    return true;
}

bool run_options_begin(RunOptions* o, const ArgParse* p, const Scenario* scn, Episode* e,
                       char* err, size_t err_size) {
    AgentOverride agent;
    if (!run_options_agent(o, p->cmd, &agent, err, err_size)) return false;
    const ArgSpec* seed = args_spec(p, "seed");
    uint64_t s = (seed && seed->seen) ? o->seed : scn_default_seed(scn);
    return episode_begin_with(e, scn, s, &agent, (int)o->slots, err, err_size);
}

bool run_options_ticks(const RunOptions* o, const Episode* e, int64_t* ticks, char* err, size_t err_size) {
    double seconds = o->seconds > 0 ? o->seconds : e->inst.seconds;
    char why[256];
    if (sim_world_run_ticks(&e->inst.world, seconds, ticks, why, sizeof why)) return true;
    report_set(err, err_size, "%s: %s", e->inst.source, why);
    return false;
}

bool run_options_event_filter(const char* cmd, const char* flag, const char* list, bool* show) {
    bool all = strcmp(list, "all") == 0, none = strcmp(list, "none") == 0;
    for (int i = 0; i < SIM_EV_COUNT; i++) show[i] = all;
    if (all || none) return true;
    /* the whole list, however long (a fixed buffer would cut its last names off) */
    char* buf = alloc_bytes(strlen(list) + 1);
    memcpy(buf, list, strlen(list) + 1);
    bool ok = true;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && ok; tok = strtok_r(NULL, ",", &save)) {
        int t = sim_event_find(tok);
        if (t < 0) {
            char known[512] = "";
            for (int i = 0; i < SIM_EV_COUNT; i++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                         sim_event_name((SimEventType)i));
            fprintf(stderr, "nudge %s: %s: unknown event type '%s' (known: %s; or all, none alone)\n", cmd, flag, tok,
                    known);
            ok = false;
        } else {
            show[t] = true;
        }
    }
    free(buf);
    return ok;
}

void run_options_print_header(bool jsonl, bool surprise) {
    if (jsonl) return;
    if (surprise) printf("%8s  %-13s %-14s %-14s %-10s %s\n", "t (s)", "event", "body", "other", "magnitude", "surprise");
    else printf("%8s  %-13s %-14s %-14s %s\n", "t (s)", "event", "body", "other", "magnitude");
}

void run_options_print_event(const SimWorld* w, const SimEvent* e, bool jsonl, const float* surprise, int slots) {
    SimBodyState a, b;
    memset(&a, 0, sizeof a);
    bool magic = e->type == SIM_EV_MAGIC;   /* b is the magic's kind, not a body */
    bool has_b = !magic && e->b >= 0 && sim_world_body(w, e->b, &b);
    if (!sim_world_body(w, e->a, &a)) a.name[0] = 0;
    /* the surprise of the event's body in this tick (nats), when asked for and scored; a contact's
       is the larger of its two bodies' (a static one has none) */
    double sv = surprise && e->a >= 0 && e->a < slots ? surprise[e->a] : NAN;
    if (surprise && e->type == SIM_EV_CONTACT && e->b >= 0 && e->b < slots && (isnan(sv) || surprise[e->b] > sv))
        sv = surprise[e->b];
    char sval[32] = "";
    if (surprise) snprintf(sval, sizeof sval, isnan(sv) ? "-" : "%.2f", sv);
    const char* other = magic ? sim_magic_name(e->b) : has_b ? (b.name[0] ? b.name : "-") : "";
    if (jsonl) {
        printf("{\"t\": %.6f, \"step\": %lld, \"type\": \"%s\", \"a\": %d, \"a_name\": \"%s\", ", e->t,
               (long long)e->step, sim_event_name(e->type), e->a, a.name);
        if (magic) printf("\"magic\": \"%s\", ", other);
        else printf("\"b\": %d, \"b_name\": \"%s\", ", e->b, has_b ? b.name : "");
        if (surprise && !isnan(sv)) printf("\"surprise\": %.6g, ", sv);
        printf("\"magnitude\": %.6g}\n", e->magnitude);
        return;
    }
    const char* body = magic && e->a < 0 ? "(world)" : a.name[0] ? a.name : "-";
    if (surprise) printf("%8.3f  %-13s %-14s %-14s %-10.4g %s\n", e->t, sim_event_name(e->type), body, other, e->magnitude, sval);
    else printf("%8.3f  %-13s %-14s %-14s %.4g\n", e->t, sim_event_name(e->type), body, other, e->magnitude);
}
