/* Run-time support of the C programs Salver generates (solvers/native_code.py includes this file in each).
 *
 * Every function computes exactly what its Python counterpart in solvers/runtime.py computes for
 * Python floats, with the same operations in the same order, so that both backends give the same
 * numbers. The generated code follows, then solvers/native_driver.c.
 */
#include <math.h>
#include <stdint.h>

typedef struct { double start, dt, stop; } sv_ctx;
typedef struct { const double *xs; const double *ys; int64_t n; } sv_table;
typedef struct { double *history; int64_t *length; double *initial; int64_t capacity; } sv_pipes;

#define SV_TIME_EPS 1e-9

enum { SV_CONTINUOUS, SV_DISCRETE, SV_FORWARD, SV_EXTRAPOLATE, SV_INTERPOLATE };

/* Python's float % (the result takes the sign of the divisor). */
static double sv_mod(double a, double b) {
    double mod = fmod(a, b);
    if (mod != 0.0) {  /* true for NaN too, like Python's test of the remainder */
        if ((b < 0) != (mod < 0)) mod += b;
    } else {
        mod = copysign(0.0, b);
    }
    return mod;
}

/* Python's min(a, b) and max(a, b): the first argument unless the second is strictly beyond it. */
static double sv_min(double a, double b) { return b < a ? b : a; }
static double sv_max(double a, double b) { return b > a ? b : a; }

static double sv_sign(double x) { return (double)((x > 0) - (x < 0)); }
static double sv_xidz(double a, double b, double x) { return b == 0 ? x : a / b; }
static double sv_quantum(double a, double b) { return b <= 0 ? a : b * trunc(a / b); }
static double sv_log(double x, double base) { return log(x) / log(base); }

static double sv_step(double t, double height, double start) { return t + SV_TIME_EPS >= start ? height : 0.0; }

static double sv_ramp(double t, double slope, double start) { return t <= start ? 0.0 : slope * (t - start); }

static double sv_ramp_end(double t, double slope, double start, double end) {
    if (t <= start) return 0.0;
    return slope * (sv_min(t, end) - start);
}

static double sv_pulse(double t, double dt, double magnitude, double first, double interval) {
    double since = t - first;
    if (since < -SV_TIME_EPS) return 0.0;
    if (interval > 0) return sv_mod(since + SV_TIME_EPS, interval) < dt - SV_TIME_EPS ? magnitude / dt : 0.0;
    return fabs(since) < dt - SV_TIME_EPS ? magnitude / dt : 0.0;
}

static double sv_vensim_pulse(double t, double dt, double start, double width) {
    double span = sv_max(width, dt);
    return (start <= t + SV_TIME_EPS && t + SV_TIME_EPS < start + span) ? 1.0 : 0.0;
}

static double sv_pulse_train(double t, double dt, double start, double width, double interval, double end) {
    double since = t - start, phase;
    if (since < -SV_TIME_EPS || t > end + SV_TIME_EPS) return 0.0;
    phase = interval > 0 ? sv_mod(since + SV_TIME_EPS, interval) : since;
    return phase < sv_max(width, dt) ? 1.0 : 0.0;
}

/* -- graphical functions (runtime.Lookup) ------------------------------------------------------------ */
/* Index of the first x greater than (right) or not less than (left) the key; NaN sorts last, as numpy. */
static int64_t sv_bisect(const double *xs, int64_t n, double x, int right) {
    int64_t lo = 0, hi = n;
    if (x != x) return n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (right ? x < xs[mid] : x <= xs[mid]) hi = mid; else lo = mid + 1;
    }
    return lo;
}

/* numpy.interp(x, xs, ys) with the default ends (clamped). */
static double sv_interp(const sv_table *tb, double x) {
    const double *xs = tb->xs, *ys = tb->ys;
    int64_t n = tb->n, j;
    double slope, result;
    if (n == 1) return ys[0];
    if (x != x) return x;
    if (x > xs[n - 1]) return ys[n - 1];
    if (x < xs[0]) return ys[0];
    j = sv_bisect(xs, n, x, 1) - 1;
    if (j == n - 1 || xs[j] == x) return ys[j];
    slope = (ys[j + 1] - ys[j]) / (xs[j + 1] - xs[j]);
    result = slope * (x - xs[j]) + ys[j];
    if (result != result) {
        result = slope * (x - xs[j + 1]) + ys[j + 1];
        if (result != result && ys[j] == ys[j + 1]) result = ys[j];
    }
    return result;
}

static double sv_lookup(const sv_table *tb, double x, int kind) {
    const double *xs = tb->xs, *ys = tb->ys;
    int64_t n = tb->n, i;
    double result;
    switch (kind) {
    case SV_CONTINUOUS:  /* Lookup._scalar */
        if (x != x) return x;
        if (x <= xs[0]) return ys[0];
        if (x >= xs[n - 1]) return ys[n - 1];
        i = sv_bisect(xs, n, x, 1);
        if (xs[i] == xs[i - 1]) return ys[i - 1];
        return ys[i - 1] + (ys[i] - ys[i - 1]) * (x - xs[i - 1]) / (xs[i] - xs[i - 1]);
    case SV_DISCRETE:
        i = sv_bisect(xs, n, x, 1) - 1;
        return ys[i < 0 ? 0 : (i > n - 1 ? n - 1 : i)];
    case SV_FORWARD:
        i = sv_bisect(xs, n, x, 0);
        return ys[i > n - 1 ? n - 1 : i];
    case SV_EXTRAPOLATE:
        result = sv_interp(tb, x);
        if (n > 1) {
            if (x < xs[0]) result = ys[0] + (x - xs[0]) * (xs[1] != xs[0] ? (ys[1] - ys[0]) / (xs[1] - xs[0]) : 0.0);
            if (x > xs[n - 1]) result = ys[n - 1] + (x - xs[n - 1]) * (xs[n - 1] != xs[n - 2]
                ? (ys[n - 1] - ys[n - 2]) / (xs[n - 1] - xs[n - 2]) : 0.0);
        }
        return result;
    default:
        return sv_interp(tb, x);
    }
}

/* -- pipelines (runtime.PipelineState): each main step pushes the input; reads look back ------------ */
static double sv_pipe_read(const sv_ctx *C, const sv_pipes *P, int64_t p, double t, double delay) {
    double now = nearbyint((t - C->start) / C->dt), back = nearbyint(delay / C->dt);
    int64_t index;
    if (!isfinite(now) || !isfinite(back)) return P->initial[p];
    index = (int64_t)now - (int64_t)back;
    if (index < 0 || index >= P->length[p]) return P->initial[p];
    return P->history[p * P->capacity + index];
}

static void sv_pipe_push(sv_pipes *P, int64_t p, double value) {
    if (P->length[p] < P->capacity) P->history[p * P->capacity + P->length[p]++] = value;
}
