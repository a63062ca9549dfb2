/* FMI 2.0 model exchange and co-simulation interface of Salver's test FMUs (see core.h). */
#include "fmi2Functions.h"
#include "core.h"

typedef struct {
    Instance core;
    fmi2CallbackFunctions cb;
    char name[64];
} Fmi2;

static fmi2Status fail(fmi2Component c, const char *message) {
    Fmi2 *x = c;
    if (x && x->cb.logger) x->cb.logger(x->cb.componentEnvironment, x->name, fmi2Error, "logStatusError", "%s", message);
    return fmi2Error;
}

const char *fmi2GetTypesPlatform(void) { return fmi2TypesPlatform; }
const char *fmi2GetVersion(void) { return fmi2Version; }
fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean on, size_t n, const fmi2String k[]) {
    (void)c; (void)on; (void)n; (void)k;
    return fmi2OK;
}

fmi2Component fmi2Instantiate(fmi2String name, fmi2Type type, fmi2String guid, fmi2String resources,
                              const fmi2CallbackFunctions *cb, fmi2Boolean visible, fmi2Boolean logging) {
    (void)guid; (void)resources; (void)visible; (void)logging;
    Fmi2 *x = calloc(1, sizeof(Fmi2));
    if (!x) return NULL;
    x->cb = *cb;
    snprintf(x->name, sizeof x->name, "%s", name ? name : "");
    x->core.cosimulation = type == fmi2CoSimulation;
    core_reset(&x->core);
    return x;
}

void fmi2FreeInstance(fmi2Component c) { free(c); }

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean tolDefined, fmi2Real tol, fmi2Real start,
                               fmi2Boolean stopDefined, fmi2Real stop) {
    Fmi2 *x = c;
    (void)tolDefined; (void)tol;
    x->core.time = start;
    x->core.stop = stopDefined ? stop : INFINITY;
    return fmi2OK;
}
fmi2Status fmi2EnterInitializationMode(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2ExitInitializationMode(fmi2Component c) {
    Fmi2 *x = c;
    x->core.initialized = 1;
    if (x->core.cosimulation) core_event(&x->core);
    core_values(&x->core);
    return fmi2OK;
}
fmi2Status fmi2Terminate(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2Reset(fmi2Component c) {
    core_reset(&((Fmi2 *)c)->core);
    return fmi2OK;
}

static fmi2Status check(fmi2Component c, const fmi2ValueReference vr[], size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (vr[i] >= NV) return fail(c, "unknown value reference");
    }
    return fmi2OK;
}

fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Real value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    core_values(&x->core);
    for (size_t i = 0; i < n; i++) value[i] = x->core.v[vr[i]];
    return fmi2OK;
}
fmi2Status fmi2GetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Integer value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    core_values(&x->core);
    for (size_t i = 0; i < n; i++) value[i] = (fmi2Integer)x->core.v[vr[i]];
    return fmi2OK;
}
fmi2Status fmi2GetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2Boolean value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    core_values(&x->core);
    for (size_t i = 0; i < n; i++) value[i] = x->core.v[vr[i]] != 0.0;
    return fmi2OK;
}
fmi2Status fmi2GetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, fmi2String value[]) {
    (void)vr; (void)value;
    return n ? fail(c, "no String variables") : fmi2OK;
}
fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Real value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    for (size_t i = 0; i < n; i++) x->core.v[vr[i]] = value[i];
    return fmi2OK;
}
fmi2Status fmi2SetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Integer value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    for (size_t i = 0; i < n; i++) x->core.v[vr[i]] = value[i];
    return fmi2OK;
}
fmi2Status fmi2SetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2Boolean value[]) {
    Fmi2 *x = c;
    if (check(c, vr, n) != fmi2OK) return fmi2Error;
    for (size_t i = 0; i < n; i++) x->core.v[vr[i]] = value[i] ? 1.0 : 0.0;
    return fmi2OK;
}
fmi2Status fmi2SetString(fmi2Component c, const fmi2ValueReference vr[], size_t n, const fmi2String value[]) {
    (void)vr; (void)value;
    return n ? fail(c, "no String variables") : fmi2OK;
}

/* -- model exchange --------------------------------------------------------------------------------- */
fmi2Status fmi2EnterEventMode(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2NewDiscreteStates(fmi2Component c, fmi2EventInfo *info) {
    Fmi2 *x = c;
    int changed = core_event(&x->core);
    double next = model_next_event(x->core.v);
    info->newDiscreteStatesNeeded = fmi2False;
    info->terminateSimulation = fmi2False;
    info->nominalsOfContinuousStatesChanged = fmi2False;
    info->valuesOfContinuousStatesChanged = changed ? fmi2True : fmi2False;
    info->nextEventTimeDefined = isfinite(next) ? fmi2True : fmi2False;
    info->nextEventTime = isfinite(next) ? next : 0.0;
    return fmi2OK;
}
fmi2Status fmi2EnterContinuousTimeMode(fmi2Component c) { (void)c; return fmi2OK; }
fmi2Status fmi2CompletedIntegratorStep(fmi2Component c, fmi2Boolean noSet, fmi2Boolean *enter, fmi2Boolean *stop) {
    (void)c; (void)noSet;
    *enter = fmi2False;
    *stop = fmi2False;
    return fmi2OK;
}
fmi2Status fmi2SetTime(fmi2Component c, fmi2Real t) {
    ((Fmi2 *)c)->core.time = t;
    return fmi2OK;
}
fmi2Status fmi2SetContinuousStates(fmi2Component c, const fmi2Real s[], size_t n) {
    return core_set_states(&((Fmi2 *)c)->core, s, n) ? fmi2OK : fail(c, "wrong number of states");
}
fmi2Status fmi2GetDerivatives(fmi2Component c, fmi2Real d[], size_t n) {
    return core_get_derivatives(&((Fmi2 *)c)->core, d, n) ? fmi2OK : fail(c, "wrong number of states");
}
fmi2Status fmi2GetEventIndicators(fmi2Component c, fmi2Real z[], size_t n) {
    return core_get_indicators(&((Fmi2 *)c)->core, z, n) ? fmi2OK : fail(c, "wrong number of event indicators");
}
fmi2Status fmi2GetContinuousStates(fmi2Component c, fmi2Real s[], size_t n) {
    return core_get_states(&((Fmi2 *)c)->core, s, n) ? fmi2OK : fail(c, "wrong number of states");
}
fmi2Status fmi2GetNominalsOfContinuousStates(fmi2Component c, fmi2Real s[], size_t n) {
    (void)c;
    core_nominals(s, n);
    return fmi2OK;
}

/* -- co-simulation ---------------------------------------------------------------------------------- */
fmi2Status fmi2DoStep(fmi2Component c, fmi2Real t, fmi2Real h, fmi2Boolean noSet) {
    Fmi2 *x = c;
    (void)noSet;
    if (fabs(t - x->core.time) > 1e-9 * (fabs(t) + 1.0)) return fail(c, "the communication point is not the FMU's time");
    if (h <= 0.0) return fail(c, "the communication step must be positive");
    core_do_step(&x->core, h);
    return fmi2OK;
}
fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                       const fmi2Integer order[], const fmi2Real value[]) {
    (void)vr; (void)n; (void)order; (void)value;
    return fail(c, "input derivatives are not supported");
}
fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t n,
                                        const fmi2Integer order[], fmi2Real value[]) {
    (void)vr; (void)n; (void)order; (void)value;
    return fail(c, "output derivatives are not supported");
}
fmi2Status fmi2CancelStep(fmi2Component c) { return fail(c, "no step to cancel"); }
fmi2Status fmi2GetStatus(fmi2Component c, const fmi2StatusKind s, fmi2Status *v) { (void)s; (void)v; return fail(c, "no status"); }
fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind s, fmi2Real *v) { (void)s; (void)v; return fail(c, "no status"); }
fmi2Status fmi2GetIntegerStatus(fmi2Component c, const fmi2StatusKind s, fmi2Integer *v) { (void)s; (void)v; return fail(c, "no status"); }
fmi2Status fmi2GetBooleanStatus(fmi2Component c, const fmi2StatusKind s, fmi2Boolean *v) { (void)s; (void)v; return fail(c, "no status"); }
fmi2Status fmi2GetStringStatus(fmi2Component c, const fmi2StatusKind s, fmi2String *v) { (void)s; (void)v; return fail(c, "no status"); }

/* -- not offered ------------------------------------------------------------------------------------- */
fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *s) { (void)s; return fail(c, "no FMU state"); }
fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate s) { (void)s; return fail(c, "no FMU state"); }
fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *s) { (void)s; return fail(c, "no FMU state"); }
fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate s, size_t *n) { (void)s; (void)n; return fail(c, "no FMU state"); }
fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate s, fmi2Byte b[], size_t n) { (void)s; (void)b; (void)n; return fail(c, "no FMU state"); }
fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte b[], size_t n, fmi2FMUstate *s) { (void)s; (void)b; (void)n; return fail(c, "no FMU state"); }
fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference u[], size_t nu,
                                        const fmi2ValueReference k[], size_t nk, const fmi2Real dk[], fmi2Real du[]) {
    (void)u; (void)nu; (void)k; (void)nk; (void)dk; (void)du;
    return fail(c, "no directional derivatives");
}
