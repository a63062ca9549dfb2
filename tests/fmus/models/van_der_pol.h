/* The Van der Pol oscillator: x0' = x1, x1' = mu (1 - x0^2) x1 - x0.
 * Value references: x0 0, x1 1, mu 2, der(x0) 3, der(x1) 4. */
#define NV 5
#define NX 2
#define NZ 0
#define FIXED_STEP 1e-5
static const double START[NV] = {2.0, 0.0, 1.0, 0.0, 0.0};
static const int STATES[NX] = {0, 1};
static const int DERS[NX] = {3, 4};

static void model_values(double *v, double t) {
    (void)t;
    v[3] = v[1];
    v[4] = v[2] * (1.0 - v[0] * v[0]) * v[1] - v[0];
}
static void model_indicators(const double *v, double *z) { (void)v; (void)z; }
static int model_event(double *v, double t) { (void)v; (void)t; return 0; }
static double model_next_event(const double *v) { (void)v; return INFINITY; }
