/* Inputs passed straight to outputs: a Real, an Integer and a Boolean, and a Real parameter added to the
 * Real one. Value references: real_in 0, int_in 1, bool_in 2, offset 3, real_out 4, int_out 5,
 * bool_out 6. */
#define NV 7
#define NX 0
#define NZ 0
#define FIXED_STEP 1e-2
static const double START[NV] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
static const int STATES[1] = {0};
static const int DERS[1] = {0};

static void model_values(double *v, double t) {
    (void)t;
    v[4] = v[0] + v[3];
    v[5] = v[1];
    v[6] = v[2];
}
static void model_indicators(const double *v, double *z) { (void)v; (void)z; }
static int model_event(double *v, double t) { (void)v; (void)t; return 0; }
static double model_next_event(const double *v) { (void)v; return INFINITY; }
