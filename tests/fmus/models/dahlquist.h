/* Dahlquist's test equation x' = -k x. Value references: x 0, k 1, der(x) 2. */
#define NV 3
#define NX 1
#define NZ 0
#define FIXED_STEP 1e-5
static const double START[NV] = {1.0, 1.0, 0.0};
static const int STATES[NX] = {0};
static const int DERS[NX] = {2};

static void model_values(double *v, double t) { (void)t; v[2] = -v[1] * v[0]; }
static void model_indicators(const double *v, double *z) { (void)v; (void)z; }
static int model_event(double *v, double t) { (void)v; (void)t; return 0; }
static double model_next_event(const double *v) { (void)v; return INFINITY; }
