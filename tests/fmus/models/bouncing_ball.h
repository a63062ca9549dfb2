/* A ball dropped from 1 m: h' = v, v' = g; at h = 0 falling, v = -e v; it stops once the rebound is slower
 * than 0.1 m/s. Value references: h 0, v 1, g 2, e 3, der(h) 4, der(v) 5. */
#define NV 6
#define NX 2
#define NZ 1
#define FIXED_STEP 1e-5
#define V_MIN 0.1
static const double START[NV] = {1.0, 0.0, -9.81, 0.7, 0.0, 0.0};
static const int STATES[NX] = {0, 1};
static const int DERS[NX] = {4, 5};

static void model_values(double *v, double t) {
    (void)t;
    v[4] = v[1];
    v[5] = v[2];
}
static void model_indicators(const double *v, double *z) { z[0] = v[0]; }
static int model_event(double *v, double t) {
    (void)t;
    if (v[0] <= 0.0 && v[1] < 0.0) {
        v[0] = 1e-300; /* just above the floor, so the indicator is positive again */
        v[1] = -v[3] * v[1];
        if (v[1] < V_MIN) {
            v[1] = 0.0;
            v[2] = 0.0;
        }
        return 1;
    }
    return 0;
}
static double model_next_event(const double *v) { (void)v; return INFINITY; }
