/* bench_plan: the planner's speed. One CEM decision (256 samples x 30 ticks x 5 iterations, one
 * thread) against the bare batched rollouts it is made of (wm_rollout of the same 256 worlds for
 * 30 ticks, 5 times), measured in the same run: the ratio is the search's own overhead (sampling,
 * packing pushes, reading rows, the cost, sorting, refitting). Also the oracle's decision (the same
 * search on the true simulator) for scale. Times are per CPU second of this process, best of three.
 *
 * usage: bench_plan [MODEL [TASK.scn [--decisions N]]]   (default: a freshly initialized model, and a
 * built-in table scene with a glass and three boxes; a trained model gives realistic contact edges).
 * With --decisions N it only makes N decisions and prints their mean CPU time: a profiler's run
 * (perf record, callgrind) sees the decision alone */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/planner.h"
#include "base/alloc.h"
#include "model/nn.h"
#include "model/wm.h"
#include "model/wm_impl.h"
#include "sim/observation.h"
#include "sim/scenario.h"

static const char* scene_text =
    "body floor box  stone static pos 0 -0.05 size 6 0.1\n"
    "body table box  wood  static pos 0 0.375 size 1.2 0.75\n"
    "body glass cup  glass pos 0.2 0.8105 size 0.08 0.12\n"
    "body box1  box  wood  pos -0.1 0.8005 size 0.1 0.1\n"
    "body box2  box  wood  pos -0.35 0.8005 size 0.1 0.1\n"
    "body ball  ball rubber pos 0.45 0.7905 radius 0.04\n"
    "goal glass broken by 2.5\n"
    "goal not box1 fell\n";

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct Bench {
    const WmModel* model;
    ScnInstance    inst;
    SimWorld*      world;
    ScnAgentDef    def;
    float*         states;
    uint8_t*       mask;
    int32_t*       ids;
    int            K;
} Bench;

/* CPU seconds of one decision (the best of `reps`, after a first one that allocates the buffers):
 * re-arming the goals makes the planner decide again from the same world. The planner is kept in
 * *keep (its trace describes the last decision) */
static double time_decision(Bench* b, const WmModel* model, int reps, Planner** keep) {
    char err[256];
    Planner* p = planner_create(&b->def, model, b->K, 1, err, sizeof err);
    if (!p) {
        fprintf(stderr, "bench_plan: %s\n", err);
        exit(1);
    }
    double best = 1e30;
    for (int r = 0; r <= reps; r++) {
        planner_set_goals(p, b->inst.goals, b->inst.ngoals);
        SimPush push;
        double t0 = cpu_now();
        planner_act(p, b->world, b->states, b->mask, &push);
        double t = cpu_now() - t0;
        if (r > 0 && t < best) best = t;
    }
    *keep = p;
    return best;
}

/* the forward pass's GEMMs of rows dynamic bodies and edges edges, ticks times (the limit of the
 * model's arithmetic on this machine's sgemm): CPU seconds, the best of three */
static double time_gemms(const WmModel* m, int rows, int edges, int ticks, double* gflop) {
    const WmArch* a = wm_arch(m);
    int L = a->latent, E = a->edge, H = a->hidden, F = WM_NODE_FEATS, G = WM_EDGE_FEATS;
    int shapes[][3] = {{rows, L, F}, {rows, L, L}, {rows, 2 * E, L}, {edges, E, G}, {rows, L, L + E},
                       {rows, H, L + E + F}, {rows, H, H}, {rows, WM_OUTPUTS, H}};
    /* per round the edge layer's two GEMMs, and (but the last) the update */
    int times[] = {1, 1, a->rounds, a->rounds, a->rounds - 1, 1, 1, 1};
    enum { NS = sizeof times / sizeof times[0] };
    float *A[NS], *W[NS], *C[NS];
    double flops = 0;
    for (int i = 0; i < NS; i++) {
        A[i] = alloc_zeroed((size_t)shapes[i][0] * shapes[i][2], sizeof(float));
        W[i] = alloc_zeroed((size_t)shapes[i][2] * shapes[i][1], sizeof(float));
        C[i] = alloc_zeroed((size_t)shapes[i][0] * shapes[i][1], sizeof(float));
        flops += 2.0 * times[i] * shapes[i][0] * shapes[i][1] * shapes[i][2] * ticks;
    }
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = cpu_now();
        for (int t = 0; t < ticks; t++)
            for (int i = 0; i < NS; i++)
                for (int k = 0; k < times[i]; k++)
                    nn_gemm(false, false, shapes[i][0], shapes[i][1], shapes[i][2], 1.0f, A[i], W[i], 0.0f, C[i]);
        double t = cpu_now() - t0;
        if (t < best) best = t;
    }
    for (int i = 0; i < NS; i++) free(A[i]), free(W[i]), free(C[i]);
    *gflop = flops / 1e9;
    return best;
}

/* the mean rows (dynamic bodies) and edges per tick when the candidates of the decision's last
 * iteration are stepped without skipping anything (wm_predict, not incremental), and the rows and
 * edges stepping incrementally computes (as the planner steps) */
static void graph_size(Bench* b, const PlannerTrace* tr, double* rows, double* edges, double* inc_rows,
                       double* inc_edges) {
    int B = tr->samples, H = tr->ticks, K = b->K, D = SIM_OBS_DIM;
    float* st = alloc_array((size_t)B * K * D, sizeof(float));
    uint8_t* mask = alloc_bytes((size_t)B * K);
    float* pushes = alloc_zeroed((size_t)B * K * WM_PUSH_DIM, sizeof(float));
    for (int i = 0; i < B; i++) {
        memcpy(st + (size_t)i * K * D, b->states, sizeof(float) * (size_t)K * D);
        memcpy(mask + (size_t)i * K, b->mask, (size_t)K);
    }
    WmScratch* s = wm_scratch_create(b->model);
    wm_scratch_sleep(s, true); /* as the planner imagines */
    for (int inc = 0; inc < 2; inc++) {
        for (int i = 0; i < B; i++) memcpy(st + (size_t)i * K * D, b->states, sizeof(float) * (size_t)K * D);
        wm_scratch_incremental(s, inc);
        double nd = 0, ne = 0;
        for (int h = 0; h < H; h++) {
            memset(pushes, 0, sizeof(float) * (size_t)B * K * WM_PUSH_DIM);
            for (int i = 0; i < B && h % tr->seg_ticks == 0; i++) {
                const SimPush* p = &tr->candidates[(size_t)i * tr->nsteps + h / tr->seg_ticks];
                if (h / tr->seg_ticks < tr->nsteps && p->body >= 0)
                    wm_push_row(pushes + ((size_t)i * K + (size_t)p->body) * WM_PUSH_DIM, p);
            }
            wm_predict(b->model, s, B, st, mask, pushes, st, NULL, NULL);
            /* (a step whose every row repeats computes nothing) */
            bool computed = !s->inc_step || s->nd > 0;
            nd += computed ? s->nd : 0;
            ne += computed ? s->ne : 0;
        }
        *(inc ? inc_rows : rows) = nd / H;
        *(inc ? inc_edges : edges) = ne / H;
    }
    wm_scratch_free(s);
    free(st);
    free(mask);
    free(pushes);
}

/* CPU seconds of the bare rollouts one decision makes: iters x wm_rollout(samples, horizon) of the
 * candidates of the decision's last iteration, with their pushes (the best of three) */
static double time_bare(Bench* b, const PlannerTrace* tr) {
    int B = tr->samples, H = tr->ticks, K = b->K, D = SIM_OBS_DIM;
    float* st = alloc_array((size_t)B * K * D, sizeof(float));
    uint8_t* mask = alloc_bytes((size_t)B * K);
    float* pushes = alloc_zeroed((size_t)B * H * K * WM_PUSH_DIM, sizeof(float));
    float* out = alloc_array((size_t)B * H * K * D, sizeof(float));
    float* ev = alloc_array((size_t)B * H * K * WM_EVENTS, sizeof(float));
    for (int i = 0; i < B; i++) {
        memcpy(st + (size_t)i * K * D, b->states, sizeof(float) * (size_t)K * D);
        memcpy(mask + (size_t)i * K, b->mask, (size_t)K);
        for (int s = 0; s < tr->nsteps; s++) {
            const SimPush* p = &tr->candidates[(size_t)i * tr->nsteps + s];
            int h = s * tr->seg_ticks;
            if (p->body >= 0 && h < H) wm_push_row(pushes + (((size_t)i * H + h) * K + (size_t)p->body) * WM_PUSH_DIM, p);
        }
    }
    WmScratch* s = wm_scratch_create(b->model);
    wm_scratch_sleep(s, true); /* as the planner imagines */
    double best = 1e30;
    for (int r = 0; r < 4; r++) {
        double t0 = cpu_now();
        for (int it = 0; it < b->def.iters; it++) wm_rollout(b->model, s, B, st, mask, pushes, H, out, NULL, ev);
        double t = cpu_now() - t0;
        if (r > 0 && t < best) best = t; /* the first warms the scratch */
    }
    wm_scratch_free(s);
    free(st);
    free(mask);
    free(pushes);
    free(out);
    free(ev);
    return best;
}

int main(int argc, char** argv) {
    sim_quiet_chipmunk();
    nn_set_threads(1);
    char err[512];
    WmModel* model = NULL;
    if (argc > 1) {
        model = wm_load(argv[1], err, sizeof err);
        if (!model) {
            fprintf(stderr, "bench_plan: %s\n", err);
            return 1;
        }
    } else {
        WmArch a = wm_arch_default(SIM_OBS_SLOTS);
        model = wm_create(&a, 1);
    }
    Scenario* scn = argc > 2 ? scn_load(argv[2], err, sizeof err)
                             : scn_parse(scene_text, strlen(scene_text), "bench-scene", err, sizeof err);
    if (!scn) {
        fprintf(stderr, "bench_plan: %s\n", err);
        return 1;
    }
    Bench b;
    memset(&b, 0, sizeof b);
    b.model = model;
    b.K = wm_arch(model)->slots;
    if (!scn_instantiate(scn, 1, &b.inst, err, sizeof err) || !(b.world = scn_instance_build(&b.inst, 1, err, sizeof err))) {
        fprintf(stderr, "bench_plan: %s\n", err);
        return 1;
    }
    if (b.inst.ngoals == 0) {   /* the planner decides only toward goals: nothing would be timed */
        fprintf(stderr, "bench_plan: %s: a task needs at least one 'goal' line\n", argc > 2 ? argv[2] : "bench-scene");
        return 1;
    }
    b.states = alloc_zeroed((size_t)b.K * SIM_OBS_DIM, sizeof(float));
    b.mask = alloc_zeroed((size_t)b.K, 1);
    b.ids = alloc_zeroed((size_t)b.K, sizeof(int32_t));
    int live = sim_world_observe(b.world, b.states, b.mask, b.ids, b.K);
    b.def = scn_agent_def_default();
    b.def.kind = SCN_AGENT_PLANNER;
    b.def.samples = 256;
    b.def.iters = 5;
    b.def.horizon = 30;
    b.def.replan = 6;
    int dyn = 0;
    for (int k = 0; k < b.K; k++) dyn += b.mask[k] && b.states[k * SIM_OBS_DIM + SIM_OBS_is_static] < 0.5f;
    printf("scene: %s, %d bodies (%d dynamic), %d goals; model: %s\n", argc > 2 ? argv[2] : "built-in table scene",
           live, dyn, b.inst.ngoals, argc > 1 ? argv[1] : "fresh (untrained)");
    Planner* planner = NULL;
    if (argc > 4 && strcmp(argv[3], "--decisions") == 0) {
        int n = atoi(argv[4]);
        if (n < 1) {
            fprintf(stderr, "bench_plan: --decisions expects a count >= 1, got '%s'\n", argv[4]);
            return 2;
        }
        planner = planner_create(&b.def, model, b.K, 1, err, sizeof err);
        if (!planner) {
            fprintf(stderr, "bench_plan: %s\n", err);
            return 1;
        }
        double t0 = cpu_now();
        for (int r = 0; r < n; r++) {
            planner_set_goals(planner, b.inst.goals, b.inst.ngoals);
            SimPush push;
            planner_act(planner, b.world, b.states, b.mask, &push);
        }
        double t = cpu_now() - t0;
        /* a fingerprint of the last decision (its candidates' costs and paths, its plan): a change
         * meant to keep the same bits must keep it */
        const PlannerTrace* tr = planner_trace(planner);
        uint64_t h = 1469598103934665603ull;
        const unsigned char* bytes[2] = {(const unsigned char*)tr->costs, (const unsigned char*)tr->paths};
        size_t len[2] = {sizeof(float) * (size_t)tr->samples,
                         sizeof(float) * 2 * (size_t)tr->samples * tr->ticks * tr->nbodies};
        for (int q = 0; q < 2; q++)
            for (size_t i = 0; i < len[q]; i++) h = (h ^ bytes[q][i]) * 1099511628211ull;
        printf("%d decisions: %.1f ms each (CPU, the first one's allocations included); the last's best cost %.9g, "
               "fingerprint %016llx\n", n, t * 1e3 / n, tr->best_cost, (unsigned long long)h);
        planner_free(planner);
        return 0;
    }
    double plan = time_decision(&b, model, 3, &planner);
    double bare = time_bare(&b, planner_trace(planner));
    double rows, edges, inc_rows, inc_edges, gflop, inc_gflop;
    graph_size(&b, planner_trace(planner), &rows, &edges, &inc_rows, &inc_edges);
    int ticks = b.def.iters * b.def.horizon;
    double gemm = time_gemms(model, (int)(rows + 0.5), (int)(edges + 0.5), ticks, &gflop);
    double inc_gemm = time_gemms(model, (int)(inc_rows + 0.5), (int)(inc_edges + 0.5), ticks, &inc_gflop);
    const WmArch* arch = wm_arch(model);
    planner_free(planner);
    printf("one CEM decision, 256 samples x 30 ticks x 5 iterations, 1 thread: %.1f ms (target < 100 ms)\n",
           plan * 1e3);
    printf("bare rollouts of the same decision (5 x wm_rollout 256 worlds x 30 ticks): %.1f ms\n", bare * 1e3);
    printf("planner / bare rollout: %.3fx (the search's own overhead: %.1f%%)\n", plan / bare,
           100.0 * (plan - bare) / plan);
    printf("world-ticks imagined per second: %.0f\n", 256.0 * 30 * 5 / plan);
    printf("the model (latent %d, edge %d, hidden %d, %d rounds), its GEMMs for every body of every candidate "
           "(%.0f rows, %.0f edges a tick, %d ticks; %.1f GFLOP): %.1f ms at %.1f GFLOP/s; planner / that = %.2fx\n",
           arch->latent, arch->edge, arch->hidden, arch->rounds, rows, edges, ticks, gflop, gemm * 1e3, gflop / gemm,
           plan / gemm);
    printf("the rows stepping incrementally computes (the last iteration's candidates): %.0f a tick (%.0f%%), %.0f "
           "edges; their GEMMs alone %.1f GFLOP, %.1f ms: %.0f%% of the decision\n", inc_rows,
           100.0 * inc_rows / (rows > 0 ? rows : 1), inc_edges, inc_gflop, inc_gemm * 1e3, 100.0 * inc_gemm / plan);
    /* the oracle, for scale: the same search on the simulator */
    ScnAgentDef od = b.def;
    b.def.samples = 64;
    b.def.iters = 3;
    double oracle = time_decision(&b, NULL, 1, &planner);
    planner_free(planner);
    b.def = od;
    printf("oracle decision, 64 samples x 30 ticks x 3 iterations (+30 ticks for event goals): %.1f ms\n",
           oracle * 1e3);
    free(b.states);
    free(b.mask);
    free(b.ids);
    sim_world_destroy(b.world);
    scn_instance_free(&b.inst);
    scn_free(scn);
    wm_free(model);
    return 0;
}
