/* The integration loop of Salver's generated C programs (after the generated code, see native_code.py).
 *
 * It does what solvers/integrators.py does for one run in Python floats (ScalarEuler, ScalarStages),
 * run after run: the same steps, stages, clipping and saving, in the same order and arithmetic.
 * Values live in V (one slot per quantity); parameters are loaded into their slots once per run.
 */

void sv_sizes(int64_t *out) {
    out[0] = SV_NS; out[1] = SV_NM; out[2] = SV_NP; out[3] = SV_NPAR; out[4] = SV_NR; out[5] = SV_NV;
}

static void sv_parameters(double *V, const double *par) {
    for (int64_t i = 0; i < SV_NPAR; i++) V[SV_PARAM_SLOT[i]] = par[i];
}

/* Every value at time t from the stocks S and memories M; the rates into D. */
static void sv_rhs(const sv_ctx *C, double t, double *V, double *S, double *M, double *D, sv_pipes *P) {
    for (int64_t i = 0; i < SV_NS; i++) V[SV_STOCK_SLOT[i]] = S[i];
    for (int64_t i = 0; i < SV_NM; i++) V[SV_MEMORY_SLOT[i]] = M[i];
    sv_rhs_parts(C, t, V, S, M, D, 0, P);
}

void sv_init(int64_t runs, double *S, double *M, const double *PAR, double *V, double *HI, int64_t *HL,
             int64_t capacity, double start, double dt, double stop) {
    sv_ctx C = {start, dt, stop};
    for (int64_t r = 0; r < runs; r++) {
        sv_pipes P = {0, HL + r * SV_NP, HI + r * SV_NP, capacity};
        for (int64_t p = 0; p < SV_NP; p++) P.length[p] = 0;
        sv_parameters(V, PAR + r * SV_NPAR);
        sv_init_parts(&C, start, V, S + r * SV_NS, M + r * SV_NM, 0, 0, &P);
    }
}

/* Steps n0 .. n1 - 1 of every run (method 0 Euler, 1 RK2, 2 RK4); the saved ones into OUT, shaped
 * (runs, rows, SV_NR) from saved row first_row. K is scratch of 5 * SV_NS + SV_NM values. */
void sv_steps(int64_t runs, double *S, double *M, const double *PAR, double *V, double *H, int64_t *HL,
              double *HI, int64_t capacity, double *K, int64_t n0, int64_t n1, int64_t last, double start,
              double dt, double stop, int64_t every, int method, double *OUT, int64_t first_row, int64_t rows) {
    sv_ctx C = {start, dt, stop};
    double *D = K, *k2 = K + SV_NS, *k3 = K + 2 * SV_NS, *k4 = K + 3 * SV_NS, *y = K + 4 * SV_NS;
    double *U = K + 5 * SV_NS;
    for (int64_t r = 0; r < runs; r++) {
        double *s = S + r * SV_NS, *m = M + r * SV_NM;
        sv_pipes P = {H + r * SV_NP * capacity, HL + r * SV_NP, HI + r * SV_NP, capacity};
        sv_parameters(V, PAR + r * SV_NPAR);
        for (int64_t n = n0; n < n1; n++) {
            double t = start + (double)n * dt;
            sv_rhs(&C, t, V, s, m, D, &P);
            if (n % every == 0) {
                double *row = OUT + (r * rows + n / every - first_row) * SV_NR;
                for (int64_t c = 0; c < SV_NR; c++) row[c] = V[SV_REPORTED[c]];
            }
            sv_update_parts(&C, t, V, s, m, D, U, &P);
            for (int64_t j = 0; j < SV_NM; j++) m[j] = U[j];
            if (n == last) break;
            if (method == 0) {
                for (int64_t i = 0; i < SV_NS; i++) s[i] = s[i] + dt * D[i];
            } else if (method == 1) {
                for (int64_t i = 0; i < SV_NS; i++) y[i] = s[i] + dt * D[i];
                sv_rhs(&C, t + dt, V, y, m, k2, &P);
                for (int64_t i = 0; i < SV_NS; i++) s[i] = s[i] + dt / 2 * (D[i] + k2[i]);
            } else {
                for (int64_t i = 0; i < SV_NS; i++) y[i] = s[i] + dt / 2 * D[i];
                sv_rhs(&C, t + dt / 2, V, y, m, k2, &P);
                for (int64_t i = 0; i < SV_NS; i++) y[i] = s[i] + dt / 2 * k2[i];
                sv_rhs(&C, t + dt / 2, V, y, m, k3, &P);
                for (int64_t i = 0; i < SV_NS; i++) y[i] = s[i] + dt * k3[i];
                sv_rhs(&C, t + dt, V, y, m, k4, &P);
                for (int64_t i = 0; i < SV_NS; i++) s[i] = s[i] + dt / 6 * (D[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
            for (int64_t q = 0; q < SV_NNEG; q++) {
                if (s[SV_NONNEG[q]] < 0.0) s[SV_NONNEG[q]] = 0.0;
            }
        }
    }
}
