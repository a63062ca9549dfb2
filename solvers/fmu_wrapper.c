/* The FMI 2.0 co-simulation interface of an exported Salver model (appended to the model's C program,
 * see fmu_export.py; native_driver.c above it gives sv_init, sv_steps, sv_rhs and sv_parameters).
 *
 * Value references 0 .. SV_NPAR - 1 are the model's parameters (and the ones exported as inputs), in
 * the order of the program's parameter table; SV_NPAR .. SV_NPAR + SX_NOUT - 1 are its outputs, the
 * reported values SX_OUT_COLUMN. A communication step is a whole number of the model's time steps,
 * computed by the same integration loop as the native backend, so the FMU's values are Salver's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fmi2Functions.h"

enum { SX_INSTANTIATED, SX_INITIALIZING, SX_STEPPING, SX_TERMINATED, SX_FAILED };

typedef struct {
    fmi2CallbackFunctions cb;
    char *name;
    int state;
    double start, stop, time;
    int64_t n, capacity;
    int dirty;
    double S[SV_NS + 1], M[SV_NM + 1], PAR[SV_NPAR + 1], V[SV_NV + 1], K[5 * SV_NS + SV_NM + 1], D[SV_NS + 1];
    double OUT[SV_NR + 1], HI[SV_NP + 1];
    int64_t HL[SV_NP + 1];
    double *H;
} sx_instance;

static void sx_log(sx_instance *x, fmi2Status status, const char *message) {
    if (x->cb.logger) x->cb.logger(x->cb.componentEnvironment, x->name, status, "logError", "%s", message);
}

static fmi2Status sx_fail(sx_instance *x, const char *message) {
    sx_log(x, fmi2Error, message);
    return fmi2Error;
}

static sv_pipes sx_pipes(sx_instance *x) {
    sv_pipes P = {x->H, x->HL, x->HI, x->capacity};
    return P;
}

/* The values at the current time: parameters into their slots, every variable from the stocks. */
static void sx_values(sx_instance *x) {
    if (!x->dirty) return;
    sv_ctx C = {x->start, SX_DT, x->stop};
    sv_pipes P = sx_pipes(x);
    sv_parameters(x->V, x->PAR);
    sv_rhs(&C, x->time, x->V, x->S, x->M, x->D, &P);
    x->dirty = 0;
}

const char *fmi2GetTypesPlatform(void) { return fmi2TypesPlatform; }
const char *fmi2GetVersion(void) { return fmi2Version; }

fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean on, size_t n, const fmi2String categories[]) {
    (void)c; (void)on; (void)n; (void)categories;
    return fmi2OK;
}

fmi2Component fmi2Instantiate(fmi2String name, fmi2Type type, fmi2String guid, fmi2String resources,
                              const fmi2CallbackFunctions *functions, fmi2Boolean visible, fmi2Boolean logging) {
    (void)resources; (void)visible; (void)logging;
    if (!functions || !functions->allocateMemory || !functions->freeMemory) return NULL;
    sx_instance *x = functions->allocateMemory(1, sizeof(sx_instance));
    if (!x) return NULL;
    x->cb = *functions;
    x->name = functions->allocateMemory(strlen(name ? name : "") + 1, 1);
    if (x->name) strcpy(x->name, name ? name : "");
    if (type != fmi2CoSimulation || !guid || strcmp(guid, SX_GUID) != 0 || !x->name) {
        sx_log(x, fmi2Error, type != fmi2CoSimulation ? "this FMU implements co-simulation only"
                                                      : "the GUID does not match the model description");
        if (x->name) functions->freeMemory(x->name);
        functions->freeMemory(x);
        return NULL;
    }
    memcpy(x->PAR, SX_PAR_DEFAULT, sizeof(double) * SV_NPAR);
    x->start = SX_START;
    x->stop = SX_STOP;
    x->state = SX_INSTANTIATED;
    return x;
}

void fmi2FreeInstance(fmi2Component c) {
    sx_instance *x = c;
    if (!x) return;
    if (x->H) x->cb.freeMemory(x->H);
    x->cb.freeMemory(x->name);
    x->cb.freeMemory(x);
}

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean toleranceDefined, fmi2Real tolerance,
                               fmi2Real startTime, fmi2Boolean stopTimeDefined, fmi2Real stopTime) {
    sx_instance *x = c;
    (void)toleranceDefined; (void)tolerance;
    if (x->state != SX_INSTANTIATED) return sx_fail(x, "fmi2SetupExperiment: illegal call sequence");
    x->start = startTime;
    x->stop = stopTimeDefined ? stopTime : SX_STOP;
    if (x->stop < x->start) return sx_fail(x, "the stop time is before the start time");
    return fmi2OK;
}

fmi2Status fmi2EnterInitializationMode(fmi2Component c) {
    sx_instance *x = c;
    if (x->state != SX_INSTANTIATED) return sx_fail(x, "fmi2EnterInitializationMode: illegal call sequence");
    x->state = SX_INITIALIZING;
    return fmi2OK;
}

fmi2Status fmi2ExitInitializationMode(fmi2Component c) {
    sx_instance *x = c;
    if (x->state != SX_INITIALIZING) return sx_fail(x, "fmi2ExitInitializationMode: illegal call sequence");
    x->capacity = SV_NP ? (int64_t)((x->stop - x->start) / SX_DT + 1.5) + 1 : 0;
    if (SV_NP) {
        x->H = x->cb.allocateMemory((size_t)(SV_NP * x->capacity), sizeof(double));
        if (!x->H) return sx_fail(x, "out of memory for the delays' history");
    }
    sv_init(1, x->S, x->M, x->PAR, x->V, x->HI, x->HL, x->capacity, x->start, SX_DT, x->stop);
    x->time = x->start;
    x->n = 0;
    x->dirty = 1;
    x->state = SX_STEPPING;
    return fmi2OK;
}

fmi2Status fmi2Terminate(fmi2Component c) {
    sx_instance *x = c;
    x->state = SX_TERMINATED;
    return fmi2OK;
}

fmi2Status fmi2Reset(fmi2Component c) {
    sx_instance *x = c;
    if (x->H) x->cb.freeMemory(x->H);
    x->H = NULL;
    memcpy(x->PAR, SX_PAR_DEFAULT, sizeof(double) * SV_NPAR);
    x->start = SX_START;
    x->stop = SX_STOP;
    x->state = SX_INSTANTIATED;
    return fmi2OK;
}

fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Real value[]) {
    sx_instance *x = c;
    if (x->state == SX_INSTANTIATED || x->state == SX_FAILED) return sx_fail(x, "fmi2GetReal: illegal call sequence");
    int outputs = 0;
    for (size_t i = 0; i < nvr; i++) {
        if (vr[i] >= SV_NPAR + SX_NOUT) return sx_fail(x, "fmi2GetReal: unknown value reference");
        if (vr[i] >= SV_NPAR) outputs = 1;
    }
    if (outputs && x->state == SX_INITIALIZING) {
        return sx_fail(x, "fmi2GetReal: outputs are known after fmi2ExitInitializationMode");
    }
    if (outputs) sx_values(x);
    for (size_t i = 0; i < nvr; i++) {
        value[i] = vr[i] < SV_NPAR ? x->PAR[vr[i]] : x->V[SV_REPORTED[SX_OUT_COLUMN[vr[i] - SV_NPAR]]];
    }
    return fmi2OK;
}

fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Real value[]) {
    sx_instance *x = c;
    for (size_t i = 0; i < nvr; i++) {
        if (vr[i] >= SV_NPAR) return sx_fail(x, "fmi2SetReal: only parameters and inputs can be set");
        if (x->state == SX_STEPPING && !SX_IS_INPUT[vr[i]]) {
            return sx_fail(x, "fmi2SetReal: a parameter is fixed once initialisation has ended");
        }
        if (x->state != SX_INSTANTIATED && x->state != SX_INITIALIZING && x->state != SX_STEPPING) {
            return sx_fail(x, "fmi2SetReal: illegal call sequence");
        }
    }
    for (size_t i = 0; i < nvr; i++) x->PAR[vr[i]] = value[i];
    x->dirty = 1;
    return fmi2OK;
}

fmi2Status fmi2DoStep(fmi2Component c, fmi2Real t, fmi2Real h, fmi2Boolean noSetPrior) {
    sx_instance *x = c;
    (void)noSetPrior;
    if (x->state != SX_STEPPING) return sx_fail(x, "fmi2DoStep: illegal call sequence");
    double steps = h / SX_DT;
    int64_t k = (int64_t)(steps + 0.5);
    if (k < 1 || fabs(steps - (double)k) > 1e-6) {
        return sx_fail(x, "fmi2DoStep: the communication step must be a whole number of the model's time step");
    }
    if (fabs(t - x->time) > 1e-9 * (SX_DT > 1.0 ? SX_DT : 1.0) + 1e-12 * fabs(t)) {
        return sx_fail(x, "fmi2DoStep: the communication point is not the FMU's time");
    }
    if (SV_NP && x->n + k >= x->capacity) return sx_fail(x, "fmi2DoStep: past the stop time");
    sv_pipes P = sx_pipes(x);
    sv_steps(1, x->S, x->M, x->PAR, x->V, P.history, x->HL, x->HI, x->capacity, x->K, x->n, x->n + k,
             INT64_MAX, x->start, SX_DT, x->stop, INT64_MAX, SX_METHOD, x->OUT, 0, 1);
    x->n += k;
    x->time = x->start + (double)x->n * SX_DT;
    x->dirty = 1;
    return fmi2OK;
}

/* -- what this FMU does not offer ------------------------------------------------------------------ */
static fmi2Status sx_unsupported(fmi2Component c, const char *what) {
    char message[160];
    snprintf(message, sizeof message, "%s is not supported by this FMU", what);
    return sx_fail(c, message);
}

fmi2Status fmi2GetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Integer value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2GetInteger (the FMU has no Integer variables)") : fmi2OK;
}
fmi2Status fmi2GetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Boolean value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2GetBoolean (the FMU has no Boolean variables)") : fmi2OK;
}
fmi2Status fmi2GetString(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2String value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2GetString (the FMU has no String variables)") : fmi2OK;
}
fmi2Status fmi2SetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Integer value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2SetInteger (the FMU has no Integer variables)") : fmi2OK;
}
fmi2Status fmi2SetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Boolean value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2SetBoolean (the FMU has no Boolean variables)") : fmi2OK;
}
fmi2Status fmi2SetString(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2String value[]) {
    (void)vr; (void)value;
    return nvr ? sx_unsupported(c, "fmi2SetString (the FMU has no String variables)") : fmi2OK;
}
fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *state) {
    (void)state;
    return sx_unsupported(c, "fmi2GetFMUstate");
}
fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate state) {
    (void)state;
    return sx_unsupported(c, "fmi2SetFMUstate");
}
fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *state) {
    (void)state;
    return sx_unsupported(c, "fmi2FreeFMUstate");
}
fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate state, size_t *size) {
    (void)state; (void)size;
    return sx_unsupported(c, "fmi2SerializedFMUstateSize");
}
fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate state, fmi2Byte data[], size_t size) {
    (void)state; (void)data; (void)size;
    return sx_unsupported(c, "fmi2SerializeFMUstate");
}
fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte data[], size_t size, fmi2FMUstate *state) {
    (void)data; (void)size; (void)state;
    return sx_unsupported(c, "fmi2DeSerializeFMUstate");
}
fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference unknown[], size_t nUnknown,
                                        const fmi2ValueReference known[], size_t nKnown, const fmi2Real dvKnown[],
                                        fmi2Real dvUnknown[]) {
    (void)unknown; (void)nUnknown; (void)known; (void)nKnown; (void)dvKnown; (void)dvUnknown;
    return sx_unsupported(c, "fmi2GetDirectionalDerivative");
}
fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                       const fmi2Integer order[], const fmi2Real value[]) {
    (void)vr; (void)nvr; (void)order; (void)value;
    return sx_unsupported(c, "fmi2SetRealInputDerivatives");
}
fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                        const fmi2Integer order[], fmi2Real value[]) {
    (void)vr; (void)nvr; (void)order; (void)value;
    return sx_unsupported(c, "fmi2GetRealOutputDerivatives");
}
fmi2Status fmi2CancelStep(fmi2Component c) { return sx_unsupported(c, "fmi2CancelStep"); }
fmi2Status fmi2GetStatus(fmi2Component c, const fmi2StatusKind s, fmi2Status *value) {
    (void)s; (void)value;
    return sx_unsupported(c, "fmi2GetStatus");
}
fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind s, fmi2Real *value) {
    (void)s; (void)value;
    return sx_unsupported(c, "fmi2GetRealStatus");
}
fmi2Status fmi2GetIntegerStatus(fmi2Component c, const fmi2StatusKind s, fmi2Integer *value) {
    (void)s; (void)value;
    return sx_unsupported(c, "fmi2GetIntegerStatus");
}
fmi2Status fmi2GetBooleanStatus(fmi2Component c, const fmi2StatusKind s, fmi2Boolean *value) {
    (void)s; (void)value;
    return sx_unsupported(c, "fmi2GetBooleanStatus");
}
fmi2Status fmi2GetStringStatus(fmi2Component c, const fmi2StatusKind s, fmi2String *value) {
    (void)s; (void)value;
    return sx_unsupported(c, "fmi2GetStringStatus");
}
