/**
 * One tolerance table for the whole test suite, keyed by dtype and backend (e3nn style).
 *
 * ```
 *   value      comparisons of computed values against an oracle      |a − b| ≤ atol + rtol·|b|
 *   gradient   analytic vs central finite differences (float32: the difference quotient loses
 *              ~log10(|f|/h·ε) digits, so the step is large and the tolerance loose)
 * ```
 * float64 rows describe host-side (Float64Array) geometry and oracle code.
 */
export type Dtype = 'float32' | 'float64';
export type BackendId = 'wasm' | 'cpu' | 'tensorflow';

export interface ToleranceRow {
  /** Value comparisons. */
  readonly rtol: number;
  readonly atol: number;
  /** Central-difference step for gradient checks. */
  readonly fdStep: number;
  /** Gradient comparisons (analytic vs finite differences). */
  readonly gradRtol: number;
  readonly gradAtol: number;
}

export const TOLERANCES: Readonly<Record<Dtype, Readonly<Record<BackendId, ToleranceRow>>>> = {
  float32: {
    // wasm's SIMD matMul sums in a different order from the cpu backend: same rows.
    wasm: { rtol: 1e-5, atol: 1e-5, fdStep: 1e-2, gradRtol: 2e-2, gradAtol: 2e-3 },
    cpu: { rtol: 1e-5, atol: 1e-5, fdStep: 1e-2, gradRtol: 2e-2, gradAtol: 2e-3 },
    tensorflow: { rtol: 1e-5, atol: 1e-5, fdStep: 1e-2, gradRtol: 2e-2, gradAtol: 2e-3 },
  },
  float64: {
    wasm: { rtol: 1e-12, atol: 1e-12, fdStep: 1e-5, gradRtol: 1e-6, gradAtol: 1e-8 },
    cpu: { rtol: 1e-12, atol: 1e-12, fdStep: 1e-5, gradRtol: 1e-6, gradAtol: 1e-8 },
    tensorflow: { rtol: 1e-12, atol: 1e-12, fdStep: 1e-5, gradRtol: 1e-6, gradAtol: 1e-8 },
  },
};

/** The row for a dtype on a backend (tfjs backend id: `wasm`, `cpu`, `tensorflow`). */
export function tolerance(dtype: Dtype, backend: string): ToleranceRow {
  const row = TOLERANCES[dtype][backend as BackendId];
  if (!row) throw new Error(`No tolerance row for dtype ${dtype} on backend '${backend}' (known: ${Object.keys(TOLERANCES[dtype]).join(', ')})`);
  return row;
}
