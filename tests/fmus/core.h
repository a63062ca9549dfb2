/* The model-independent part of Salver's test FMUs: one instance holds every variable as a double,
 * indexed by value reference (Integer and Boolean variables too). A model header (MODEL_HEADER) gives:
 *   NV, NX, NZ            variables, continuous states, event indicators
 *   START[NV]             start values
 *   STATES[NX], DERS[NX]  value references of the states and of their derivatives
 *   FIXED_STEP            the internal Euler step of the co-simulation interface
 *   model_values(v, t)    the values that follow from states, inputs and parameters (derivatives, outputs)
 *   model_indicators(v, z)
 *   model_event(v, t)     the event update; returns 1 when it changed a continuous state
 *   model_next_event(v)   the time of the next time event, or INFINITY
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include MODEL_HEADER

#if NX == 0
#define NXA 1
#else
#define NXA NX
#endif
#if NZ == 0
#define NZA 1
#else
#define NZA NZ
#endif

typedef struct {
    double v[NV];
    double time, stop;
    double z[NZA];
    int cosimulation;
    int initialized;
    void *environment;
    void (*log)(void *environment, const char *message);
} Instance;

static void core_reset(Instance *x) {
    memcpy(x->v, START, sizeof(double) * NV);
    x->time = 0.0;
    x->stop = INFINITY;
    x->initialized = 0;
}

static void core_values(Instance *x) { model_values(x->v, x->time); }

static void core_indicators(Instance *x, double *z) {
    core_values(x);
    model_indicators(x->v, z);
}

/* The continuous states in or out, their derivatives, the event indicators, the states' nominals: 0 when
 * the caller's count is not the model's. */
static int core_set_states(Instance *x, const double *s, size_t n) {
    if (n != NX) return 0;
    for (size_t i = 0; i < n; i++) x->v[STATES[i]] = s[i];
    return 1;
}
static int core_get_states(const Instance *x, double *s, size_t n) {
    if (n != NX) return 0;
    for (size_t i = 0; i < n; i++) s[i] = x->v[STATES[i]];
    return 1;
}
static int core_get_derivatives(Instance *x, double *d, size_t n) {
    if (n != NX) return 0;
    core_values(x);
    for (size_t i = 0; i < n; i++) d[i] = x->v[DERS[i]];
    return 1;
}
static int core_get_indicators(Instance *x, double *z, size_t n) {
    if (n != NZ) return 0;
    if (n) core_indicators(x, z);
    return 1;
}
static void core_nominals(double *s, size_t n) {
    for (size_t i = 0; i < n; i++) s[i] = 1.0;
}

/* Event iteration at the current time; returns 1 when a continuous state changed. */
static int core_event(Instance *x) {
    core_values(x);
    int changed = model_event(x->v, x->time);
    core_values(x);
    return changed;
}

/* Co-simulation: Euler steps of FIXED_STEP (shorter to land on the communication point), events
 * handled at the end of the step in which an indicator changes sign or a time event falls. */
static void core_do_step(Instance *x, double h) {
    const double end = x->time + h;
    double z[NZA] = {0.0};
    core_indicators(x, x->z);
    while (x->time < end - 1e-12 * (fabs(end) + 1.0)) {
        double step = FIXED_STEP;
        const double next = model_next_event(x->v);
        if (x->time + step > end) step = end - x->time;
        if (next < x->time + step) step = next - x->time;
        if (step < 0.0) step = 0.0;
        core_values(x);
        for (int i = 0; i < NX; i++) x->v[STATES[i]] += step * x->v[DERS[i]];
        x->time += step;
        core_indicators(x, z);
        int crossed = 0;
        for (int i = 0; i < NZ; i++) crossed |= (x->z[i] > 0) != (z[i] > 0);
        if (crossed || x->time >= model_next_event(x->v) - 1e-12) {
            core_event(x);
            core_indicators(x, z);
        }
        memcpy(x->z, z, sizeof(double) * NZA);
    }
    x->time = end;
    core_values(x);
}
