/* A counter (Integer output) that starts at 1 and counts up by one at every full second: time events
 * only. Value references: counter 0, the time of the next step 1 (local). */
#define NV 2
#define NX 0
#define NZ 0
#define FIXED_STEP 1e-2
static const double START[NV] = {1.0, 1.0};
static const int STATES[1] = {0};
static const int DERS[1] = {0};

static void model_values(double *v, double t) { (void)v; (void)t; }
static void model_indicators(const double *v, double *z) { (void)v; (void)z; }
static int model_event(double *v, double t) {
    while (t >= v[1] - 1e-9) {
        v[0] += 1.0;
        v[1] += 1.0;
    }
    return 0;
}
static double model_next_event(const double *v) { return v[1]; }
