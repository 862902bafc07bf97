/*
 * A genetic search for the multi-mode resource-constrained scheduling problem (makespan objective),
 * run beside CP-SAT by planning/genetic.py. CP-SAT proves; this finds short plans fast.
 *
 * An individual is an activity list (a precedence-feasible order of the tasks) and a mode per task.
 * Decoding: repair the non-renewable budgets (random mode changes that lower the excess), place the
 * tasks with the serial schedule-generation scheme on a time-indexed usage array, shorten modes that
 * fit where their task already stands (single-pass improvement, after Hartmann 2001), then
 * forward-backward improvement (justify right, then left; Valls et al. 2005), written back into the
 * individual. Population: binary tournaments, two-point order crossover of the lists and one-point
 * crossover of the modes (Hartmann 1998), adjacent-swap and mode mutation, the better half of parents
 * and children kept, duplicates replaced by random individuals, a whole new population after long
 * stagnation, and a local search (one task's mode changed, or two tasks') around every plan that
 * beats the best since the last restart.
 *
 * The module is loaded with ctypes (which releases the GIL for the call), so CP-SAT works in parallel.
 * `shared` is [stop flag, best makespan]: Python raises the flag, this code publishes its best makespan
 * there after writing the plan to out_modes/out_starts.
 */
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPAIR_SAMPLES 3 /* random mode changes the budget repair chooses among */
#define MAX_PAIRS 50000  /* two-task mode changes per local-search step at most (PSPLIB j30: about 1,800) */

typedef struct {
    int n, R, B, H;
    const int *nm, *moff, *dur, *dem, *cons, *cap, *bcap;
    const int *poff, *pred, *soff, *succ;
    const int *by_dur; /* per task, its modes by increasing duration (offsets as moff) */
    int *use;          /* H x R usage */
    int *room;         /* R: capacity left for the demand being placed */
    int used_to;       /* usage is zero from here on */
    int *tot;          /* B budget totals of the modes being decoded */
    int *bst, *order, *key, *taken, *indeg, *ready;
    int *count; /* H + 1 counters of the counting sort */
    int pairs;  /* whether the local search tries two-task mode changes (not where they are too many) */
    uint64_t rng;
    long long decodes;
} Ctx;

static inline uint64_t next_rand(Ctx *c) {
    uint64_t x = c->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static inline int rand_below(Ctx *c, int k) { return (int)((next_rand(c) >> 33) % (uint64_t)k); }

static inline double rand_unit(Ctx *c) { return (double)(next_rand(c) >> 11) * (1.0 / 9007199254740992.0); }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* -- budgets ---------------------------------------------------------------------------------------- */

static void budget_totals(Ctx *c, const int *modes) {
    memset(c->tot, 0, sizeof(int) * (size_t)(c->B ? c->B : 1));
    for (int j = 0; j < c->n; j++) {
        const int *q = c->cons + (size_t)(c->moff[j] + modes[j]) * c->B;
        for (int b = 0; b < c->B; b++) c->tot[b] += q[b];
    }
}

static long excess_of(Ctx *c) {
    long e = 0;
    for (int b = 0; b < c->B; b++)
        if (c->tot[b] > c->bcap[b]) e += c->tot[b] - c->bcap[b];
    return e;
}

/* the excess if task j moved from mode a to mode k */
static long excess_if(Ctx *c, int j, int a, int k) {
    const int *qa = c->cons + (size_t)(c->moff[j] + a) * c->B, *qk = c->cons + (size_t)(c->moff[j] + k) * c->B;
    long e = 0;
    for (int b = 0; b < c->B; b++) {
        int v = c->tot[b] - qa[b] + qk[b];
        if (v > c->bcap[b]) e += v - c->bcap[b];
    }
    return e;
}

static void switch_mode(Ctx *c, int *modes, int j, int k) {
    const int *qa = c->cons + (size_t)(c->moff[j] + modes[j]) * c->B, *qk = c->cons + (size_t)(c->moff[j] + k) * c->B;
    for (int b = 0; b < c->B; b++) c->tot[b] += qk[b] - qa[b];
    modes[j] = k;
}

/* mode changes that lower the excess, each the one of REPAIR_SAMPLES random ones that lengthens
   its task least; returns the excess left */
static long repair(Ctx *c, int *modes) {
    budget_totals(c, modes);
    long e = excess_of(c);
    for (int tries = 0; e > 0 && tries < 20 * c->n; tries++) {
        int bj = -1, bk = 0, bd = 0;
        long be = e;
        for (int s = 0; s < REPAIR_SAMPLES; s++) {
            int j = rand_below(c, c->n);
            if (c->nm[j] < 2) continue;
            int k = rand_below(c, c->nm[j]);
            if (k == modes[j]) continue;
            long e2 = excess_if(c, j, modes[j], k);
            int dd = c->dur[c->moff[j] + k] - c->dur[c->moff[j] + modes[j]];
            if (e2 < e && (bj < 0 || dd < bd || (dd == bd && e2 < be))) bj = j, bk = k, bd = dd, be = e2;
        }
        if (bj >= 0) {
            switch_mode(c, modes, bj, bk);
            e = be;
        }
    }
    return e;
}

/* -- the serial schedule-generation scheme ------------------------------------------------------------ */

static void clear_usage(Ctx *c) {
    memset(c->use, 0, sizeof(int) * (size_t)c->used_to * c->R);
    c->used_to = 0;
}

/* whether a demand does not fit beside usage u (room: the capacity minus the demand) */
static inline int blocked(const int *u, const int *room, int R) {
    for (int r = 0; r < R; r++)
        if (u[r] > room[r]) return 1;
    return 0;
}

/* the earliest start from t at which q fits for d instants: the window is checked from its end, so
   that a conflict moves the start past the latest blocked instant at once */
static int earliest_fit(Ctx *c, int t, int d, const int *q) {
    const int R = c->R;
    if (t >= c->used_to) return t;
    for (int r = 0; r < R; r++) c->room[r] = c->cap[r] - q[r];
    for (;;) {
        int tau = t + d - 1;
        while (tau >= t && !blocked(c->use + (size_t)tau * R, c->room, R)) tau--;
        if (tau < t) return t;
        t = tau + 1;
    }
}

static void occupy(Ctx *c, int s, int d, const int *q, int sign) {
    for (int tau = s; tau < s + d; tau++) {
        int *u = c->use + (size_t)tau * c->R;
        for (int r = 0; r < c->R; r++) u[r] += sign * q[r];
    }
}

/* place the tasks of `order` (predecessors first, along poff/pred); returns the makespan */
static int sgs(Ctx *c, const int *order, const int *modes, const int *poff, const int *pred, int *st) {
    clear_usage(c);
    int mk = 0;
    for (int i = 0; i < c->n; i++) {
        int j = order[i], g = c->moff[j] + modes[j], d = c->dur[g], es = 0;
        for (int p = poff[j]; p < poff[j + 1]; p++) {
            int f = st[pred[p]] + c->dur[c->moff[pred[p]] + modes[pred[p]]];
            if (f > es) es = f;
        }
        const int *q = c->dem + (size_t)g * c->R;
        int s = d > 0 ? earliest_fit(c, es, d, q) : es;
        if (d > 0) occupy(c, s, d, q, 1);
        st[j] = s;
        if (s + d > mk) mk = s + d;
        if (s + d > c->used_to) c->used_to = s + d;
    }
    c->decodes++;
    return mk;
}

/* shorten each task, in list order, to the shortest mode that fits where it stands and keeps every
   budget (or to an equally long one that uses less of them); st and the usage stay consistent */
static void single_pass_improvement(Ctx *c, const int *order, int *modes, const int *st) {
    const int R = c->R, B = c->B;
    for (int i = 0; i < c->n; i++) {
        int j = order[i];
        if (c->nm[j] < 2) continue;
        int a = modes[j], ga = c->moff[j] + a, da = c->dur[ga], s = st[j];
        const int *qa = c->dem + (size_t)ga * R, *ca = c->cons + (size_t)ga * B;
        int suma = 0;
        for (int b = 0; b < B; b++) suma += ca[b];
        for (int x = 0; x < c->nm[j]; x++) {
            int k = c->by_dur[c->moff[j] + x], gk = c->moff[j] + k, dk = c->dur[gk];
            if (k == a) continue;
            if (dk > da) break;
            const int *ck = c->cons + (size_t)gk * B;
            int sumk = 0, ok = 1;
            for (int b = 0; b < B; b++) {
                sumk += ck[b];
                if (c->tot[b] - ca[b] + ck[b] > c->bcap[b]) ok = 0;
            }
            if (!ok || (dk == da && sumk >= suma)) continue;
            const int *qk = c->dem + (size_t)gk * R;
            for (int tau = s; ok && tau < s + dk; tau++) {
                const int *u = c->use + (size_t)tau * R;
                for (int r = 0; r < R; r++)
                    if (u[r] - qa[r] + qk[r] > c->cap[r]) {
                        ok = 0;
                        break;
                    }
            }
            if (!ok) continue;
            occupy(c, s, da, qa, -1);
            occupy(c, s, dk, qk, 1);
            switch_mode(c, modes, j, k);
            break;
        }
    }
}

/* out = the tasks of src ordered by key (0 .. c->H) ascending, ties by position in src descending
   (a counting sort: keys are instants, and the tie rule puts a successor that ends or starts at the
   same instant as a zero-length predecessor on the right side of it) */
static void order_by_key(Ctx *c, const int *src, const int *key, int *out) {
    memset(c->count, 0, sizeof(int) * (size_t)(c->H + 1));
    for (int i = 0; i < c->n; i++) c->count[key[src[i]] + 1]++;
    for (int t = 1; t <= c->H; t++) c->count[t] += c->count[t - 1];
    for (int i = c->n - 1; i >= 0; i--) out[c->count[key[src[i]]]++] = src[i];
}

/* forward-backward improvement: justify right (latest finish first), then left (earliest start first);
   rewrites `list` to the final order and st to the final starts; returns the makespan */
static int justify(Ctx *c, int *list, const int *modes, int *st, int mk) {
    const int n = c->n;
    for (int round = 0; round < 2; round++) {
        for (int j = 0; j < n; j++) c->key[j] = mk - (st[j] + c->dur[c->moff[j] + modes[j]]);
        order_by_key(c, list, c->key, c->order);
        int mb = sgs(c, c->order, modes, c->soff, c->succ, c->bst);
        for (int j = 0; j < n; j++) c->key[j] = mb - (c->bst[j] + c->dur[c->moff[j] + modes[j]]);
        order_by_key(c, c->order, c->key, list);
        int mf = sgs(c, list, modes, c->poff, c->pred, st);
        if (mf >= mk) return mf;
        mk = mf;
    }
    return mk;
}

/* -- individuals ---------------------------------------------------------------------------------------- */

typedef struct {
    int *list, *modes;
    int fit; /* makespan, or H + excess when the budgets could not be repaired */
} Ind;

static int decode(Ctx *c, Ind *x, int *st) {
    long e = repair(c, x->modes);
    if (e > 0) {
        c->decodes++; /* counted as a pass, so that a capped run ends even when no budget can be met */
        x->fit = c->H + (int)(e < 1000000 ? e : 1000000);
        return x->fit;
    }
    sgs(c, x->list, x->modes, c->poff, c->pred, st);
    single_pass_improvement(c, x->list, x->modes, st);
    int mk = 0;
    for (int j = 0; j < c->n; j++) {
        int f = st[j] + c->dur[c->moff[j] + x->modes[j]];
        if (f > mk) mk = f;
    }
    x->fit = justify(c, x->list, x->modes, st, mk);
    return x->fit;
}

static void random_individual(Ctx *c, Ind *x) {
    int n = c->n, nr = 0;
    for (int j = 0; j < n; j++) {
        c->indeg[j] = c->poff[j + 1] - c->poff[j];
        if (c->indeg[j] == 0) c->ready[nr++] = j;
        x->modes[j] = rand_below(c, c->nm[j]);
    }
    for (int i = 0; i < n; i++) {
        int r = rand_below(c, nr), j = c->ready[r];
        c->ready[r] = c->ready[--nr];
        x->list[i] = j;
        for (int s = c->soff[j]; s < c->soff[j + 1]; s++)
            if (--c->indeg[c->succ[s]] == 0) c->ready[nr++] = c->succ[s];
    }
}

static void crossover(Ctx *c, const Ind *f, const Ind *m, Ind *child) {
    int n = c->n, q1 = rand_below(c, n + 1), q2 = rand_below(c, n + 1), k = 0;
    if (q1 > q2) {
        int t = q1;
        q1 = q2;
        q2 = t;
    }
    memset(c->taken, 0, sizeof(int) * (size_t)n);
    for (int i = 0; i < q1; i++) {
        child->list[k++] = f->list[i];
        c->taken[f->list[i]] = 1;
    }
    for (int i = 0; i < n && k < q2; i++)
        if (!c->taken[m->list[i]]) {
            child->list[k++] = m->list[i];
            c->taken[m->list[i]] = 1;
        }
    for (int i = 0; i < n && k < n; i++)
        if (!c->taken[f->list[i]]) {
            child->list[k++] = f->list[i];
            c->taken[f->list[i]] = 1;
        }
    int qm = rand_below(c, n + 1);
    for (int j = 0; j < n; j++) child->modes[j] = j < qm ? f->modes[j] : m->modes[j];
}

static int is_pred(Ctx *c, int a, int b) {
    for (int p = c->poff[b]; p < c->poff[b + 1]; p++)
        if (c->pred[p] == a) return 1;
    return 0;
}

static void mutate(Ctx *c, Ind *x, double pm) {
    for (int i = 0; i + 1 < c->n; i++)
        if (rand_unit(c) < pm && !is_pred(c, x->list[i], x->list[i + 1])) {
            int t = x->list[i];
            x->list[i] = x->list[i + 1];
            x->list[i + 1] = t;
        }
    for (int j = 0; j < c->n; j++)
        if (c->nm[j] > 1 && rand_unit(c) < pm) x->modes[j] = rand_below(c, c->nm[j]);
}

static void copy_ind(int n, Ind *dst, const Ind *src) {
    memcpy(dst->list, src->list, sizeof(int) * (size_t)n);
    memcpy(dst->modes, src->modes, sizeof(int) * (size_t)n);
    dst->fit = src->fit;
}

/* -- the search ------------------------------------------------------------------------------------------ */

typedef struct {
    double deadline;
    long long max_decodes;
    int target;
    volatile int *shared;
    int best;  /* of the whole run, published */
    int epoch; /* of the population since the last restart */
    int *out_modes, *out_starts;
} Run;

static int should_stop(Ctx *c, Run *run) {
    if (run->shared[0] || run->best <= run->target) return 1;
    if (run->max_decodes > 0 && c->decodes >= run->max_decodes) return 1;
    return now_s() >= run->deadline;
}

static void publish(Ctx *c, Run *run, const Ind *x, const int *st) {
    memcpy(run->out_modes, x->modes, sizeof(int) * (size_t)c->n);
    memcpy(run->out_starts, st, sizeof(int) * (size_t)c->n);
    run->best = x->fit;
    __atomic_store_n(&run->shared[1], x->fit, __ATOMIC_SEQ_CST);
}

/* tmp, a copy of x with other modes that keep the budgets, scheduled along x's list: kept in x if shorter */
static int try_modes(Ctx *c, Run *run, Ind *x, Ind *tmp, int *st) {
    int mk = sgs(c, tmp->list, tmp->modes, c->poff, c->pred, st);
    tmp->fit = justify(c, tmp->list, tmp->modes, st, mk);
    if (tmp->fit >= x->fit) return 0;
    copy_ind(c->n, x, tmp);
    if (x->fit < run->epoch) run->epoch = x->fit;
    if (x->fit < run->best) publish(c, run, x, st);
    return 1;
}

/* a shorter plan with one task's mode changed, if any */
static int one_mode_step(Ctx *c, Run *run, Ind *x, Ind *tmp, int *st) {
    budget_totals(c, x->modes);
    for (int j = 0; j < c->n; j++)
        for (int k = 0; k < c->nm[j]; k++) {
            if (k == x->modes[j]) continue;
            if (should_stop(c, run)) return 0;
            if (excess_if(c, j, x->modes[j], k) > 0) continue;
            copy_ind(c->n, tmp, x);
            tmp->modes[j] = k;
            if (try_modes(c, run, x, tmp, st)) return 1;
        }
    return 0;
}

/* a shorter plan with two tasks' modes changed, at least one of them to a shorter mode: where the
   budgets are tight, one task can only speed up if another slows down. The budget totals hold x
   with the first change; tmp is copied afresh only after a schedule pass rewrote it. */
static int two_mode_step(Ctx *c, Run *run, Ind *x, Ind *tmp, int *st) {
    for (int j = 0; j < c->n; j++)
        for (int k = 0; k < c->nm[j]; k++) {
            if (k == x->modes[j]) continue;
            int dj = c->dur[c->moff[j] + k] - c->dur[c->moff[j] + x->modes[j]];
            budget_totals(c, x->modes);
            copy_ind(c->n, tmp, x);
            switch_mode(c, tmp->modes, j, k);
            for (int j2 = j + 1; j2 < c->n; j2++)
                for (int k2 = 0; k2 < c->nm[j2]; k2++) {
                    int a = x->modes[j2];
                    if (k2 == a) continue;
                    if (dj >= 0 && c->dur[c->moff[j2] + k2] >= c->dur[c->moff[j2] + a]) continue;
                    if (should_stop(c, run)) return 0;
                    if (excess_if(c, j2, a, k2) > 0) continue;
                    tmp->modes[j2] = k2;
                    if (try_modes(c, run, x, tmp, st)) return 1;
                    copy_ind(c->n, tmp, x);
                    tmp->modes[j] = k;
                }
        }
    return 0;
}

/* change one task's mode, or two, while that shortens the plan */
static void local_search(Ctx *c, Run *run, Ind *x, Ind *tmp, int *st) {
    while (!should_stop(c, run))
        if (!one_mode_step(c, run, x, tmp, st) && !(c->pairs && two_mode_step(c, run, x, tmp, st))) return;
}

/* a new individual's value: published when it beats the run's best, searched around when it beats
   the best since the last restart */
static void evaluate(Ctx *c, Run *run, Ind *x, Ind *tmp, int *st) {
    decode(c, x, st);
    if (x->fit < run->epoch && x->fit < c->H) {
        run->epoch = x->fit;
        if (x->fit < run->best) publish(c, run, x, st);
        local_search(c, run, x, tmp, st);
    }
}

static int cmp_fit(const void *a, const void *b) {
    const Ind *x = *(const Ind *const *)a, *y = *(const Ind *const *)b;
    return (x->fit > y->fit) - (x->fit < y->fit);
}

/*
 * Returns the best makespan found (-1 if no plan meets the budgets); the plan is in out_modes and
 * out_starts. Stops at time_limit_s, after max_decodes schedule passes (if > 0), when the best reaches
 * target, or when shared[0] is set. pred/succ are CSR arrays (poff/soff, n + 1 long).
 */
int mmga_solve(int n, int R, int B, const int *nm, const int *moff, const int *dur, const int *dem, const int *cons,
               const int *cap, const int *bcap, const int *poff, const int *pred, const int *soff, const int *succ,
               int horizon, double time_limit_s, long long max_decodes, long long seed, int target,
               volatile int *shared, int *out_modes, int *out_starts, long long *out_decodes) {
    const int P = 80, STALL = 200;
    const double PM = 0.05;
    Ctx c = {0};
    c.n = n, c.R = R, c.B = B, c.H = horizon + 1;
    c.nm = nm, c.moff = moff, c.dur = dur, c.dem = dem, c.cons = cons, c.cap = cap, c.bcap = bcap;
    c.poff = poff, c.pred = pred, c.soff = soff, c.succ = succ;
    c.rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL;
    if (!c.rng) c.rng = 1;
    int total_modes = moff[n];
    c.pairs = (long)(total_modes - n) * (total_modes - n) <= 2 * MAX_PAIRS;
    int *by_dur = malloc(sizeof(int) * (size_t)(total_modes ? total_modes : 1));
    c.use = calloc((size_t)c.H * (R ? R : 1), sizeof(int));
    c.room = calloc((size_t)(R ? R : 1), sizeof(int));
    c.tot = calloc((size_t)(B ? B : 1), sizeof(int));
    int *scratch = malloc(sizeof(int) * (size_t)n * 8 + 1);
    c.count = malloc(sizeof(int) * (size_t)(c.H + 1));
    int *genes = malloc(sizeof(int) * (size_t)n * 2 * (3 * P + 1) + 1);
    Ind *inds = malloc(sizeof(Ind) * (size_t)(3 * P + 1));
    Ind **rank = malloc(sizeof(Ind *) * (size_t)(2 * P));
    if (!by_dur || !c.use || !c.room || !c.tot || !scratch || !c.count || !genes || !inds || !rank) {
        free(by_dur), free(c.use), free(c.room), free(c.tot), free(scratch), free(c.count), free(genes), free(inds), free(rank);
        return -2;
    }
    for (int j = 0; j < n; j++) { /* insertion sort of each task's few modes by duration */
        int *o = by_dur + moff[j];
        for (int k = 0; k < nm[j]; k++) {
            int x = k, i = k;
            while (i > 0 && dur[moff[j] + o[i - 1]] > dur[moff[j] + x]) o[i] = o[i - 1], i--;
            o[i] = x;
        }
    }
    c.by_dur = by_dur;
    int *st = scratch;
    c.bst = scratch + n, c.order = scratch + 2 * n, c.key = scratch + 3 * n;
    c.taken = scratch + 4 * n, c.indeg = scratch + 5 * n, c.ready = scratch + 6 * n;
    for (int i = 0; i < 3 * P + 1; i++) {
        inds[i].list = genes + (size_t)i * 2 * n;
        inds[i].modes = genes + (size_t)i * 2 * n + n;
        inds[i].fit = 0;
    }
    Ind *pop = inds, *kids = inds + P, *next = inds + 2 * P, *tmp = inds + 3 * P;
    Run run = {now_s() + time_limit_s, max_decodes, target, shared, INT_MAX, INT_MAX, out_modes, out_starts};

    for (int i = 0; i < P && !should_stop(&c, &run); i++) {
        random_individual(&c, &pop[i]);
        evaluate(&c, &run, &pop[i], tmp, st);
    }
    int stall = 0, best_seen = run.epoch;
    while (!should_stop(&c, &run)) {
        for (int i = 0; i < P && !should_stop(&c, &run); i++) {
            const Ind *a = &pop[rand_below(&c, P)], *b = &pop[rand_below(&c, P)];
            const Ind *f = a->fit <= b->fit ? a : b;
            a = &pop[rand_below(&c, P)], b = &pop[rand_below(&c, P)];
            const Ind *m = a->fit <= b->fit ? a : b;
            crossover(&c, f, m, &kids[i]);
            mutate(&c, &kids[i], PM);
            evaluate(&c, &run, &kids[i], tmp, st);
        }
        /* survivors: the better half of parents and children, duplicates (same value and modes) renewed */
        for (int i = 0; i < 2 * P; i++) rank[i] = &inds[i];
        qsort(rank, (size_t)(2 * P), sizeof(Ind *), cmp_fit);
        for (int i = 0; i < P; i++) copy_ind(n, &next[i], rank[i]);
        for (int i = 0; i < P; i++) copy_ind(n, &pop[i], &next[i]);
        for (int i = 1; i < P && !should_stop(&c, &run); i++)
            for (int k = 0; k < i; k++)
                if (pop[k].fit == pop[i].fit && !memcmp(pop[k].modes, pop[i].modes, sizeof(int) * (size_t)n)) {
                    random_individual(&c, &pop[i]);
                    evaluate(&c, &run, &pop[i], tmp, st);
                    break;
                }
        if (run.epoch < best_seen) {
            best_seen = run.epoch;
            stall = 0;
        } else if (++stall >= STALL) {
            /* a fresh population: keeping the best would pull it back to the same modes */
            stall = 0;
            run.epoch = best_seen = INT_MAX;
            for (int i = 0; i < P && !should_stop(&c, &run); i++) {
                random_individual(&c, &pop[i]);
                evaluate(&c, &run, &pop[i], tmp, st);
            }
        }
    }
    if (out_decodes) *out_decodes = c.decodes;
    int best = run.best < c.H ? run.best : -1;
    free(by_dur), free(c.use), free(c.room), free(c.tot), free(scratch), free(c.count), free(genes), free(inds), free(rank);
    return best;
}

static struct PyModuleDef mmga_module = {PyModuleDef_HEAD_INIT, "_mmga",
                                         "Genetic search for multi-mode scheduling; loaded with ctypes.", -1, NULL};

PyMODINIT_FUNC PyInit__mmga(void) { return PyModule_Create(&mmga_module); }
