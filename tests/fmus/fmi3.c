/* FMI 3.0 model exchange and co-simulation interface of Salver's test FMUs (see core.h). */
#include "fmi3Functions.h"
#include "core.h"

typedef struct {
    Instance core;
    fmi3InstanceEnvironment environment;
    fmi3LogMessageCallback log;
} Fmi3;

static fmi3Status fail(fmi3Instance c, const char *message) {
    Fmi3 *x = c;
    if (x && x->log) x->log(x->environment, fmi3Error, "logStatusError", message);
    return fmi3Error;
}

static Fmi3 *create(fmi3InstanceEnvironment environment, fmi3LogMessageCallback log, int cosimulation) {
    Fmi3 *x = calloc(1, sizeof(Fmi3));
    if (!x) return NULL;
    x->environment = environment;
    x->log = log;
    x->core.cosimulation = cosimulation;
    core_reset(&x->core);
    return x;
}

const char *fmi3GetVersion(void) { return fmi3Version; }
fmi3Status fmi3SetDebugLogging(fmi3Instance c, fmi3Boolean on, size_t n, const fmi3String k[]) {
    (void)c; (void)on; (void)n; (void)k;
    return fmi3OK;
}

fmi3Instance fmi3InstantiateModelExchange(fmi3String name, fmi3String token, fmi3String resources, fmi3Boolean visible,
                                          fmi3Boolean logging, fmi3InstanceEnvironment environment,
                                          fmi3LogMessageCallback log) {
    (void)name; (void)token; (void)resources; (void)visible; (void)logging;
    return create(environment, log, 0);
}
fmi3Instance fmi3InstantiateCoSimulation(fmi3String name, fmi3String token, fmi3String resources, fmi3Boolean visible,
                                         fmi3Boolean logging, fmi3Boolean eventModeUsed, fmi3Boolean earlyReturnAllowed,
                                         const fmi3ValueReference required[], size_t nRequired,
                                         fmi3InstanceEnvironment environment, fmi3LogMessageCallback log,
                                         fmi3IntermediateUpdateCallback update) {
    (void)name; (void)token; (void)resources; (void)visible; (void)logging; (void)earlyReturnAllowed;
    (void)required; (void)nRequired; (void)update;
    if (eventModeUsed) return NULL;  /* not offered: hasEventMode is false */
    return create(environment, log, 1);
}
fmi3Instance fmi3InstantiateScheduledExecution(fmi3String name, fmi3String token, fmi3String resources,
                                               fmi3Boolean visible, fmi3Boolean logging,
                                               fmi3InstanceEnvironment environment, fmi3LogMessageCallback log,
                                               fmi3ClockUpdateCallback clock, fmi3LockPreemptionCallback lock,
                                               fmi3UnlockPreemptionCallback unlock) {
    (void)name; (void)token; (void)resources; (void)visible; (void)logging; (void)environment; (void)log;
    (void)clock; (void)lock; (void)unlock;
    return NULL;
}
void fmi3FreeInstance(fmi3Instance c) { free(c); }

fmi3Status fmi3EnterInitializationMode(fmi3Instance c, fmi3Boolean tolDefined, fmi3Float64 tol, fmi3Float64 start,
                                       fmi3Boolean stopDefined, fmi3Float64 stop) {
    Fmi3 *x = c;
    (void)tolDefined; (void)tol;
    x->core.time = start;
    x->core.stop = stopDefined ? stop : INFINITY;
    return fmi3OK;
}
fmi3Status fmi3ExitInitializationMode(fmi3Instance c) {
    Fmi3 *x = c;
    x->core.initialized = 1;
    if (x->core.cosimulation) core_event(&x->core);
    core_values(&x->core);
    return fmi3OK;
}
fmi3Status fmi3EnterEventMode(fmi3Instance c) { (void)c; return fmi3OK; }
fmi3Status fmi3Terminate(fmi3Instance c) { (void)c; return fmi3OK; }
fmi3Status fmi3Reset(fmi3Instance c) {
    core_reset(&((Fmi3 *)c)->core);
    return fmi3OK;
}

#define ACCESSORS(T, CAST)                                                                                    \
    fmi3Status fmi3Get##T(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3##T values[], size_t m) { \
        Fmi3 *x = c;                                                                                          \
        if (m != n) return fail(c, "arrays are not supported");                                               \
        core_values(&x->core);                                                                                \
        for (size_t i = 0; i < n; i++) {                                                                      \
            if (vr[i] >= NV) return fail(c, "unknown value reference");                                       \
            values[i] = CAST(x->core.v[vr[i]]);                                                               \
        }                                                                                                     \
        return fmi3OK;                                                                                        \
    }                                                                                                         \
    fmi3Status fmi3Set##T(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3##T values[],    \
                          size_t m) {                                                                         \
        Fmi3 *x = c;                                                                                          \
        if (m != n) return fail(c, "arrays are not supported");                                               \
        for (size_t i = 0; i < n; i++) {                                                                      \
            if (vr[i] >= NV) return fail(c, "unknown value reference");                                       \
            x->core.v[vr[i]] = (double)values[i];                                                             \
        }                                                                                                     \
        return fmi3OK;                                                                                        \
    }
#define AS_FLOAT(v) (v)
#define AS_INT(v) (v)
#define AS_BOOL(v) ((v) != 0.0)
ACCESSORS(Float32, AS_FLOAT)
ACCESSORS(Float64, AS_FLOAT)
ACCESSORS(Int8, AS_INT)
ACCESSORS(UInt8, AS_INT)
ACCESSORS(Int16, AS_INT)
ACCESSORS(UInt16, AS_INT)
ACCESSORS(Int32, AS_INT)
ACCESSORS(UInt32, AS_INT)
ACCESSORS(Int64, AS_INT)
ACCESSORS(UInt64, AS_INT)
ACCESSORS(Boolean, AS_BOOL)

fmi3Status fmi3GetString(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3String v[], size_t m) {
    (void)vr; (void)v; (void)m;
    return n ? fail(c, "no String variables") : fmi3OK;
}
fmi3Status fmi3SetString(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3String v[], size_t m) {
    (void)vr; (void)v; (void)m;
    return n ? fail(c, "no String variables") : fmi3OK;
}
fmi3Status fmi3GetBinary(fmi3Instance c, const fmi3ValueReference vr[], size_t n, size_t s[], fmi3Binary v[], size_t m) {
    (void)vr; (void)s; (void)v; (void)m;
    return n ? fail(c, "no Binary variables") : fmi3OK;
}
fmi3Status fmi3SetBinary(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const size_t s[],
                         const fmi3Binary v[], size_t m) {
    (void)vr; (void)s; (void)v; (void)m;
    return n ? fail(c, "no Binary variables") : fmi3OK;
}
fmi3Status fmi3GetClock(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3Clock v[]) {
    (void)vr; (void)v;
    return n ? fail(c, "no clocks") : fmi3OK;
}
fmi3Status fmi3SetClock(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3Clock v[]) {
    (void)vr; (void)v;
    return n ? fail(c, "no clocks") : fmi3OK;
}

/* -- model exchange --------------------------------------------------------------------------------- */
fmi3Status fmi3UpdateDiscreteStates(fmi3Instance c, fmi3Boolean *needed, fmi3Boolean *terminate,
                                    fmi3Boolean *nominals, fmi3Boolean *values, fmi3Boolean *defined,
                                    fmi3Float64 *next) {
    Fmi3 *x = c;
    int changed = core_event(&x->core);
    double when = model_next_event(x->core.v);
    *needed = fmi3False;
    *terminate = fmi3False;
    *nominals = fmi3False;
    *values = changed ? fmi3True : fmi3False;
    *defined = isfinite(when) ? fmi3True : fmi3False;
    *next = isfinite(when) ? when : 0.0;
    return fmi3OK;
}
fmi3Status fmi3EnterContinuousTimeMode(fmi3Instance c) { (void)c; return fmi3OK; }
fmi3Status fmi3CompletedIntegratorStep(fmi3Instance c, fmi3Boolean noSet, fmi3Boolean *enter, fmi3Boolean *stop) {
    (void)c; (void)noSet;
    *enter = fmi3False;
    *stop = fmi3False;
    return fmi3OK;
}
fmi3Status fmi3SetTime(fmi3Instance c, fmi3Float64 t) {
    ((Fmi3 *)c)->core.time = t;
    return fmi3OK;
}
fmi3Status fmi3SetContinuousStates(fmi3Instance c, const fmi3Float64 s[], size_t n) {
    return core_set_states(&((Fmi3 *)c)->core, s, n) ? fmi3OK : fail(c, "wrong number of states");
}
fmi3Status fmi3GetContinuousStateDerivatives(fmi3Instance c, fmi3Float64 d[], size_t n) {
    return core_get_derivatives(&((Fmi3 *)c)->core, d, n) ? fmi3OK : fail(c, "wrong number of states");
}
fmi3Status fmi3GetEventIndicators(fmi3Instance c, fmi3Float64 z[], size_t n) {
    return core_get_indicators(&((Fmi3 *)c)->core, z, n) ? fmi3OK : fail(c, "wrong number of event indicators");
}
fmi3Status fmi3GetContinuousStates(fmi3Instance c, fmi3Float64 s[], size_t n) {
    return core_get_states(&((Fmi3 *)c)->core, s, n) ? fmi3OK : fail(c, "wrong number of states");
}
fmi3Status fmi3GetNominalsOfContinuousStates(fmi3Instance c, fmi3Float64 s[], size_t n) {
    (void)c;
    core_nominals(s, n);
    return fmi3OK;
}
fmi3Status fmi3GetNumberOfEventIndicators(fmi3Instance c, size_t *n) { (void)c; *n = NZ; return fmi3OK; }
fmi3Status fmi3GetNumberOfContinuousStates(fmi3Instance c, size_t *n) { (void)c; *n = NX; return fmi3OK; }

/* -- co-simulation ---------------------------------------------------------------------------------- */
fmi3Status fmi3DoStep(fmi3Instance c, fmi3Float64 t, fmi3Float64 h, fmi3Boolean noSet, fmi3Boolean *event,
                      fmi3Boolean *terminate, fmi3Boolean *early, fmi3Float64 *last) {
    Fmi3 *x = c;
    (void)noSet;
    *event = fmi3False;
    *terminate = fmi3False;
    *early = fmi3False;
    if (fabs(t - x->core.time) > 1e-9 * (fabs(t) + 1.0)) return fail(c, "the communication point is not the FMU's time");
    if (h <= 0.0) return fail(c, "the communication step must be positive");
    core_do_step(&x->core, h);
    *last = x->core.time;
    return fmi3OK;
}
fmi3Status fmi3EnterStepMode(fmi3Instance c) { (void)c; return fmi3OK; }

/* -- not offered ------------------------------------------------------------------------------------- */
#define NOT_OFFERED(what) return fail(c, what " is not offered")
fmi3Status fmi3GetOutputDerivatives(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3Int32 o[],
                                    fmi3Float64 v[], size_t m) {
    (void)vr; (void)n; (void)o; (void)v; (void)m;
    NOT_OFFERED("output derivatives");
}
fmi3Status fmi3ActivateModelPartition(fmi3Instance c, fmi3ValueReference r, fmi3Float64 t) {
    (void)r; (void)t;
    NOT_OFFERED("scheduled execution");
}
fmi3Status fmi3EvaluateDiscreteStates(fmi3Instance c) { NOT_OFFERED("evaluateDiscreteStates"); }
fmi3Status fmi3GetNumberOfVariableDependencies(fmi3Instance c, fmi3ValueReference r, size_t *n) {
    (void)r; (void)n;
    NOT_OFFERED("variable dependencies");
}
fmi3Status fmi3GetVariableDependencies(fmi3Instance c, fmi3ValueReference d, size_t e[], fmi3ValueReference i[],
                                       size_t ei[], fmi3DependencyKind k[], size_t n) {
    (void)d; (void)e; (void)i; (void)ei; (void)k; (void)n;
    NOT_OFFERED("variable dependencies");
}
fmi3Status fmi3GetFMUState(fmi3Instance c, fmi3FMUState *s) { (void)s; NOT_OFFERED("FMU state"); }
fmi3Status fmi3SetFMUState(fmi3Instance c, fmi3FMUState s) { (void)s; NOT_OFFERED("FMU state"); }
fmi3Status fmi3FreeFMUState(fmi3Instance c, fmi3FMUState *s) { (void)s; NOT_OFFERED("FMU state"); }
fmi3Status fmi3SerializedFMUStateSize(fmi3Instance c, fmi3FMUState s, size_t *n) { (void)s; (void)n; NOT_OFFERED("FMU state"); }
fmi3Status fmi3SerializeFMUState(fmi3Instance c, fmi3FMUState s, fmi3Byte b[], size_t n) {
    (void)s; (void)b; (void)n;
    NOT_OFFERED("FMU state");
}
fmi3Status fmi3DeserializeFMUState(fmi3Instance c, const fmi3Byte b[], size_t n, fmi3FMUState *s) {
    (void)s; (void)b; (void)n;
    NOT_OFFERED("FMU state");
}
fmi3Status fmi3GetDirectionalDerivative(fmi3Instance c, const fmi3ValueReference u[], size_t nu,
                                        const fmi3ValueReference k[], size_t nk, const fmi3Float64 s[], size_t ns,
                                        fmi3Float64 r[], size_t nr) {
    (void)u; (void)nu; (void)k; (void)nk; (void)s; (void)ns; (void)r; (void)nr;
    NOT_OFFERED("directional derivatives");
}
fmi3Status fmi3GetAdjointDerivative(fmi3Instance c, const fmi3ValueReference u[], size_t nu,
                                    const fmi3ValueReference k[], size_t nk, const fmi3Float64 s[], size_t ns,
                                    fmi3Float64 r[], size_t nr) {
    (void)u; (void)nu; (void)k; (void)nk; (void)s; (void)ns; (void)r; (void)nr;
    NOT_OFFERED("adjoint derivatives");
}
fmi3Status fmi3EnterConfigurationMode(fmi3Instance c) { NOT_OFFERED("configuration mode"); }
fmi3Status fmi3ExitConfigurationMode(fmi3Instance c) { NOT_OFFERED("configuration mode"); }
fmi3Status fmi3GetIntervalDecimal(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3Float64 i[],
                                  fmi3IntervalQualifier q[]) {
    (void)vr; (void)n; (void)i; (void)q;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3GetIntervalFraction(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3UInt64 k[],
                                   fmi3UInt64 r[], fmi3IntervalQualifier q[]) {
    (void)vr; (void)n; (void)k; (void)r; (void)q;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3GetShiftDecimal(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3Float64 s[]) {
    (void)vr; (void)n; (void)s;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3GetShiftFraction(fmi3Instance c, const fmi3ValueReference vr[], size_t n, fmi3UInt64 k[],
                                fmi3UInt64 r[]) {
    (void)vr; (void)n; (void)k; (void)r;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3SetIntervalDecimal(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3Float64 i[]) {
    (void)vr; (void)n; (void)i;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3SetIntervalFraction(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3UInt64 k[],
                                   const fmi3UInt64 r[]) {
    (void)vr; (void)n; (void)k; (void)r;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3SetShiftDecimal(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3Float64 s[]) {
    (void)vr; (void)n; (void)s;
    NOT_OFFERED("clocks");
}
fmi3Status fmi3SetShiftFraction(fmi3Instance c, const fmi3ValueReference vr[], size_t n, const fmi3UInt64 k[],
                                const fmi3UInt64 r[]) {
    (void)vr; (void)n; (void)k; (void)r;
    NOT_OFFERED("clocks");
}
