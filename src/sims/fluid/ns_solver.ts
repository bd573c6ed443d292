/**
 * Incompressible Navier–Stokes (density 1, kinematic viscosity ν) on an unstructured triangle
 * mesh: P1–P1 finite elements (velocity and pressure at the nodes), incremental
 * pressure-correction projection in rotational form (Goda 1979; Timmermans, Minev & van de
 * Vosse 1996; Guermond, Minev & Shen 2006). Method notes and validation: docs/fluid.md.
 *
 * One step from (uⁿ, pⁿ) at time tⁿ (M_L the lumped mass, K the stiffness matrix,
 * B the discrete divergence `(B u)_i = ∫ φ_i ∇·u_h`, Bᵀ its transpose `∫ p ∇φ_j`):
 *
 * ```
 *  1. predictor  (M_L/Δt + νK) u* = M_L/Δt uⁿ − (3/2 N(uⁿ) − 1/2 N(uⁿ⁻¹)) + Bᵀpⁿ   (each component;
 *                u* = g(tⁿ⁺¹) on Dirichlet nodes)                                AB2 convection)
 *  2. pressure   K φ = −B u* / Δt   (φ = 0 at outflow nodes, or one pinned node in closed domains)
 *  3. correct    uⁿ⁺¹ = u* + Δt M_L⁻¹ Bᵀφ on free nodes,   pⁿ⁺¹ = pⁿ + φ − ν M_L⁻¹ B u*
 *  4. optional   exact projection with L = B_f M_f⁻¹ B_fᵀ (f: free velocity nodes), making the
 *                nodal divergence B uⁿ⁺¹ vanish to the CG tolerance (`exactProjection`)
 * ```
 *
 * Step 2 makes the element-wise velocity w = u* − Δt∇φ_h weakly divergence-free to the CG
 * tolerance (`StepStats.weakDivergenceNorm`, measured every step); the nodal divergence
 * (`divergenceNorm`) is the O(Δt) splitting error unless step 4 runs.
 * N(u)_i = ∫ φ_i (u_h·∇)u_h (Galerkin), plus optional streamline diffusion
 * `τ |T| (ū·∇φ_i)(ū·∇u_h)` with τ = ((2|ū|/h)² + (4ν/h²)²)^(−1/2) for convection-dominated
 * meshes. Outflow: the natural ("do-nothing") condition ν∂u/∂n − p n = 0 with p = 0.
 * All linear systems are SPD and solved with CG on CSR matrices (velocity: Jacobi; pressure:
 * smoothed-aggregation AMG V-cycle, iterations independent of mesh size); all buffers are
 * allocated once, so `step()` allocates nothing.
 *
 * Not supported: moving meshes, variable density, turbulence models, periodic boundaries.
 */
import {
  buildAmg, csrClone, csrFind, csrMatVec, csrPattern, eliminateDirichlet, liftDirichlet, pcg, pcgWorkspace, p1Geometry, stiffnessMatrix, trianglePositions,
  type Amg, type Csr, type P1Geometry, type PcgWorkspace, type TriMesh,
} from '../../geometry/trimesh/index.js';
import { ConfigError, SimulationError } from '../../util/errors.js';

/** Boundary conditions of the solver. */
export interface FluidBoundary {
  /** [N] 1 where the velocity is prescribed (Dirichlet), else 0. */
  readonly velocityFixed: Uint8Array;
  /** [N] 1 where the pressure is prescribed to 0 (outflow); all-zero for closed domains. */
  readonly pressureFixed: Uint8Array;
  /** Writes the prescribed velocity at time t into out [N*2] (only fixed nodes are read). */
  readonly velocity: (t: number, out: Float64Array) => void;
}

export interface NsOptions {
  /** Kinematic viscosity ν (length²/time). */
  readonly nu: number;
  /** Time step Δt. */
  readonly dt: number;
  /** Relative CG tolerance of the pressure solve (default 1e-8). */
  readonly pressureRtol?: number;
  /** Relative CG tolerance of the velocity solves (default 1e-10). */
  readonly velocityRtol?: number;
  /**
   * Add the exact discrete projection stage (nodal divergence B u = 0 to the CG tolerance).
   * Default false: L = B M⁻¹ Bᵀ can be near-singular on P1–P1 meshes with inflow (CG stalls).
   */
  readonly exactProjection?: boolean;
  /**
   * Rotational pressure update p += φ − ν∇·u* (default true). Without it the pressure
   * obeys the artificial condition ∂p/∂n = 0 at walls (a numerical boundary layer).
   */
  readonly rotational?: boolean;
  /** Consistent (instead of lumped) mass matrix in the predictor (default false). */
  readonly consistentMass?: boolean;
  /** Preconditioner of the pressure CG: smoothed-aggregation AMG (default) or Jacobi. */
  readonly pressurePreconditioner?: 'amg' | 'jacobi';
  /** Streamline-diffusion factor (0 = pure Galerkin, default 0; 1 for convection-dominated meshes). */
  readonly streamlineDiffusion?: number;
}

/** Per-step solver statistics. */
export interface StepStats {
  readonly velocityIterations: number;
  /** CG iterations of the pressure-Poisson (K) stage. */
  readonly pressureIterations: number;
  /** CG iterations of the exact-projection (L) stage. */
  readonly projectionIterations: number;
  /**
   * ‖B u* + Δt K φ‖₂ over pressure-free nodes: the weak divergence of the element-wise
   * projected velocity w = u* − Δt∇φ_h. Equals Δt × the pressure-CG residual, so it is at or
   * below `weakDivergenceTolerance` every step (measured, not assumed).
   */
  readonly weakDivergenceNorm: number;
  /** Δt × the pressure-CG stopping threshold (rtol·‖b‖). */
  readonly weakDivergenceTolerance: number;
  /**
   * ‖B uⁿ⁺¹‖₂ of the nodal velocity over pressure-free nodes. With `exactProjection` this is at or
   * below `divergenceTolerance`; without it, it is the O(Δt·h) splitting error of P1–P1.
   */
  readonly divergenceNorm: number;
  /** Δt × the exact-projection CG threshold (NaN without exactProjection). */
  readonly divergenceTolerance: number;
}

/** Restartable solver state. */
export interface NsState {
  /** [N*2] velocity. */
  readonly u: Float64Array;
  /** [N] pressure. */
  readonly p: Float64Array;
  /** [N*2] convection term of the previous step (Adams–Bashforth history). */
  readonly convPrev: Float64Array;
  readonly havePrev: boolean;
  readonly time: number;
  readonly steps: number;
}

export class NsSolver {
  readonly mesh: TriMesh;
  readonly geom: P1Geometry;
  readonly nu: number;
  readonly dt: number;
  readonly bc: FluidBoundary;
  /** [N*2] velocity (interleaved), updated in place by step(). */
  readonly u: Float64Array;
  /** [N] pressure (kinematic, p/ρ). */
  readonly p: Float64Array;
  time = 0;
  steps = 0;
  /** [N*2] convection term of the last step (AB2 combination), used by the force evaluation. */
  readonly conv: Float64Array;
  /** [N*2] predictor velocity of the last step. */
  readonly uStar: Float64Array;

  private readonly K: Csr;
  private readonly Aorig: Csr;
  private readonly A: Csr;
  private readonly Aws: PcgWorkspace;
  private readonly exact: boolean;
  private readonly Mc: Csr;
  private readonly consistent: boolean;
  private readonly uPrev: Float64Array;
  private readonly rotational: number;
  private readonly L: Csr | null;
  private readonly Lws: PcgWorkspace | null;
  private readonly tmp: Float64Array;
  private readonly Kp: Csr;
  private readonly Kpws: PcgWorkspace;
  /** Smoothed-aggregation AMG V-cycle preconditioning the pressure solve (null: Jacobi). */
  readonly amg: Amg | null;
  /** Pressure-Dirichlet nodes of the Poisson (K) stage: outflow, or one pinned node. */
  private readonly kpFixed: Uint8Array;
  /** Pressure-Dirichlet nodes of the exact (L) stage: kpFixed plus nodes without free neighbours. */
  private readonly pFixed: Uint8Array;
  private readonly vFixed: Uint8Array;
  private readonly sd: number;
  private readonly prtol: number;
  private readonly vrtol: number;
  // work buffers
  private readonly nNow: Float64Array;
  private readonly nPrev: Float64Array;
  private havePrev = false;
  private readonly g: Float64Array;
  private readonly comp: Float64Array;
  private readonly rhs: Float64Array;
  private readonly gComp: Float64Array;
  private readonly div: Float64Array;
  private readonly phi: Float64Array;
  private readonly btp: Float64Array;

  constructor(mesh: TriMesh, bc: FluidBoundary, o: NsOptions) {
    if (!(o.nu > 0) || !Number.isFinite(o.nu)) throw new ConfigError('nu', 'a finite number > 0', String(o.nu));
    if (!(o.dt > 0) || !Number.isFinite(o.dt)) throw new ConfigError('dt', 'a finite number > 0', String(o.dt));
    const n = mesh.numNodes;
    if (bc.velocityFixed.length !== n || bc.pressureFixed.length !== n) throw new ConfigError('bc', `masks of length ${n}`, `${bc.velocityFixed.length}, ${bc.pressureFixed.length}`);
    this.mesh = mesh;
    this.nu = o.nu;
    this.dt = o.dt;
    this.bc = bc;
    this.sd = o.streamlineDiffusion ?? 0;
    this.prtol = o.pressureRtol ?? 1e-8;
    this.vrtol = o.velocityRtol ?? 1e-10;
    this.geom = p1Geometry(mesh);
    const g = this.geom;
    this.vFixed = bc.velocityFixed;
    // pressure: Dirichlet at outflow; closed domain → pin one node (a velocity-Dirichlet node)
    this.pFixed = Uint8Array.from(bc.pressureFixed);
    if (!this.pFixed.some((x) => x === 1)) {
      let pin = this.vFixed.indexOf(1);
      if (pin < 0) pin = 0;
      this.pFixed[pin] = 1;
    }
    this.K = stiffnessMatrix(g);
    this.kpFixed = Uint8Array.from(this.pFixed);
    this.Kp = csrClone(this.K);
    eliminateDirichlet(this.Kp, this.kpFixed);
    this.Kpws = pcgWorkspace(this.Kp);
    this.amg = (o.pressurePreconditioner ?? 'amg') === 'amg' ? buildAmg(this.Kp) : null;
    // A = M/dt + νK
    // consistent mass M_c (|T|/12 (1 + δ_ij)) on K's pattern, used in the predictor when enabled
    this.Mc = csrClone(this.K);
    this.Mc.values.fill(0);
    const tpos = trianglePositions(g, this.K);
    for (let t = 0; t < g.area.length; t++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      this.Mc.values[tpos[9 * t + 3 * a + b]] += (g.area[t] / 12) * (a === b ? 2 : 1);
    }
    this.consistent = o.consistentMass ?? false;
    this.Aorig = csrClone(this.K);
    for (let i = 0; i < n; i++) for (let k = this.Aorig.rowPtr[i]; k < this.Aorig.rowPtr[i + 1]; k++) {
      this.Aorig.values[k] = o.nu * this.K.values[k] + (this.consistent ? this.Mc.values[k] / o.dt : this.Aorig.colIdx[k] === i ? g.lumpedMass[i] / o.dt : 0);
    }
    this.A = csrClone(this.Aorig);
    eliminateDirichlet(this.A, this.vFixed);
    this.Aws = pcgWorkspace(this.A);
    this.exact = o.exactProjection ?? false;
    this.rotational = (o.rotational ?? true) ? 1 : 0;
    if (this.exact) {
      const L = buildProjectionMatrix(g, this.K, this.vFixed);
      // a node none of whose neighbours has a free velocity cannot be corrected: its
      // divergence is set by boundary data alone, so its pressure increment is fixed to 0
      for (let i = 0; i < n; i++) if (L.values[csrFind(L, i, i)] === 0) this.pFixed[i] = 1;
      eliminateDirichlet(L, this.pFixed);
      this.L = L;
      this.Lws = pcgWorkspace(L);
    } else {
      this.L = null;
      this.Lws = null;
    }
    this.tmp = new Float64Array(n);
    this.uPrev = new Float64Array(2 * n);
    this.u = new Float64Array(2 * n);
    this.p = new Float64Array(n);
    this.conv = new Float64Array(2 * n);
    this.uStar = new Float64Array(2 * n);
    this.nNow = new Float64Array(2 * n);
    this.nPrev = new Float64Array(2 * n);
    this.g = new Float64Array(2 * n);
    this.comp = new Float64Array(n);
    this.rhs = new Float64Array(n);
    this.gComp = new Float64Array(n);
    this.div = new Float64Array(n);
    this.phi = new Float64Array(n);
    this.btp = new Float64Array(2 * n);
    bc.velocity(0, this.g);
    for (let i = 0; i < n; i++) if (this.vFixed[i]) {
      this.u[2 * i] = this.g[2 * i];
      this.u[2 * i + 1] = this.g[2 * i + 1];
    }
  }

  /** Sets the state (velocity [N*2], pressure [N], time); resets the AB2 history. */
  setState(u: ArrayLike<number>, p: ArrayLike<number>, time: number, steps = 0): void {
    this.u.set(u);
    this.p.set(p);
    this.time = time;
    this.steps = steps;
    this.havePrev = false;
  }

  /** Full solver state for an exact (bit-identical) restart: copies of u, p and the AB2 history. */
  exportState(): NsState {
    return { u: Float64Array.from(this.u), p: Float64Array.from(this.p), convPrev: Float64Array.from(this.nPrev), havePrev: this.havePrev, time: this.time, steps: this.steps };
  }

  /** Restores a state from {@link exportState} (same mesh and options). */
  importState(s: NsState): void {
    const n = this.mesh.numNodes;
    if (s.u.length !== 2 * n || s.p.length !== n || s.convPrev.length !== 2 * n) throw new ConfigError('state', `arrays for ${n} nodes`, `u ${s.u.length}, p ${s.p.length}, convPrev ${s.convPrev.length}`);
    this.u.set(s.u);
    this.p.set(s.p);
    this.nPrev.set(s.convPrev);
    this.havePrev = s.havePrev;
    this.time = s.time;
    this.steps = s.steps;
  }

  /** Advances one step Δt; throws SimulationError on non-finite values or CG failure. */
  step(): StepStats {
    const n = this.mesh.numNodes, dt = this.dt, g = this.geom;
    const m = g.lumpedMass;
    this.uPrev.set(this.u);
    convection(g, this.u, this.nu, this.sd, this.nNow);
    const a = this.havePrev ? 1.5 : 1, b = this.havePrev ? -0.5 : 0;
    for (let k = 0; k < 2 * n; k++) this.conv[k] = a * this.nNow[k] + b * this.nPrev[k];
    this.nPrev.set(this.nNow);
    this.havePrev = true;
    applyBt(g, this.p, this.btp);
    this.bc.velocity(this.time + dt, this.g);
    let vIt = 0;
    for (let d = 0; d < 2; d++) {
      for (let i = 0; i < n; i++) this.gComp[i] = this.u[2 * i + d];
      if (this.consistent) csrMatVec(this.Mc, this.gComp, this.tmp);
      for (let i = 0; i < n; i++) {
        const mu = this.consistent ? this.tmp[i] : m[i] * this.u[2 * i + d];
        this.rhs[i] = mu / dt - this.conv[2 * i + d] + this.btp[2 * i + d];
        this.gComp[i] = this.g[2 * i + d];
        this.comp[i] = this.vFixed[i] ? this.g[2 * i + d] : this.u[2 * i + d];
      }
      liftDirichlet(this.Aorig, this.vFixed, this.gComp, this.rhs);
      const r = pcg(this.A, this.rhs, this.comp, this.Aws, this.vrtol, 1e-300);
      if (!r.converged) throw new SimulationError(`velocity CG did not converge at step ${this.steps} (residual ${r.residual.toExponential(2)}, ‖b‖ ${r.rhsNorm.toExponential(2)})`);
      vIt += r.iterations;
      for (let i = 0; i < n; i++) this.uStar[2 * i + d] = this.comp[i];
    }
    // stage 1: projection with the P1 Laplacian K: K φ = −B u*/Δt (stable pressure)
    divergenceInto(g, this.uStar, this.div);
    for (let i = 0; i < n; i++) {
      this.rhs[i] = this.kpFixed[i] ? 0 : -this.div[i] / dt;
      this.phi[i] = 0;
    }
    const r1 = pcg(this.Kp, this.rhs, this.phi, this.Kpws, this.prtol, 1e-300, 10 * n, this.amg?.apply);
    if (!r1.converged) throw new SimulationError(`pressure CG did not converge at step ${this.steps} (residual ${r1.residual.toExponential(2)})`);
    // weak divergence of the element-wise projected velocity w = u* − Δt ∇φ_h, measured:
    // (B u* + Δt K φ)_i = −∫ ∇φ_i · w  (+ boundary flux of u*), at pressure-free nodes
    csrMatVec(this.Kp, this.phi, this.tmp);
    let weak = 0;
    for (let i = 0; i < n; i++) if (!this.kpFixed[i]) weak += (this.div[i] + dt * this.tmp[i]) ** 2;
    applyBt(g, this.phi, this.btp);
    for (let i = 0; i < n; i++) {
      // rotational form (Timmermans, Minev & van de Vosse 1996): p += φ − ν ∇·u*
      this.p[i] += this.kpFixed[i] ? this.phi[i] : this.phi[i] - (this.rotational * this.nu * this.div[i]) / m[i];
      if (this.vFixed[i]) {
        this.u[2 * i] = this.uStar[2 * i];
        this.u[2 * i + 1] = this.uStar[2 * i + 1];
      } else {
        const s = dt / m[i];
        this.u[2 * i] = this.uStar[2 * i] + s * this.btp[2 * i];
        this.u[2 * i + 1] = this.uStar[2 * i + 1] + s * this.btp[2 * i + 1];
      }
    }
    let projIt = 0, lTol = NaN;
    if (this.exact) {
      // stage 2: exact discrete projection L = B_f M_f⁻¹ B_fᵀ removes the nodal divergence
      divergenceInto(g, this.u, this.div);
      for (let i = 0; i < n; i++) {
        this.rhs[i] = this.pFixed[i] ? 0 : -this.div[i] / dt;
        this.phi[i] = 0;
      }
      const r = pcg(this.L!, this.rhs, this.phi, this.Lws!, this.prtol, 1e-300, 4 * n);
      if (!r.converged) throw new SimulationError(`exact-projection CG did not converge at step ${this.steps} (residual ${r.residual.toExponential(2)} vs ${(this.prtol * r.rhsNorm).toExponential(2)}): L = B M⁻¹ Bᵀ is near-singular on this mesh (P1–P1 pressure modes); run without exactProjection`);
      projIt = r.iterations;
      lTol = dt * this.prtol * r.rhsNorm;
      applyBt(g, this.phi, this.btp);
      for (let i = 0; i < n; i++) if (!this.vFixed[i]) {
        const s = dt / m[i];
        this.u[2 * i] += s * this.btp[2 * i];
        this.u[2 * i + 1] += s * this.btp[2 * i + 1];
      }
    }
    this.time += dt;
    this.steps++;
    const dn = this.divergenceNorm();
    if (!Number.isFinite(dn) || !Number.isFinite(this.u[0] + this.p[0])) throw new SimulationError(`non-finite velocity or pressure at step ${this.steps} (t = ${this.time})`);
    return {
      velocityIterations: vIt,
      pressureIterations: r1.iterations,
      projectionIterations: projIt,
      weakDivergenceNorm: Math.sqrt(weak),
      weakDivergenceTolerance: dt * this.prtol * r1.rhsNorm,
      divergenceNorm: dn,
      divergenceTolerance: lTol,
    };
  }

  /** ‖B u‖₂ over pressure-free nodes (the constraint the projection enforces). */
  divergenceNorm(): number {
    divergenceInto(this.geom, this.u, this.div);
    let s = 0;
    for (let i = 0; i < this.mesh.numNodes; i++) if (!this.pFixed[i]) s += this.div[i] * this.div[i];
    return Math.sqrt(s);
  }

  /** Kinetic energy ½ Σ m_i |u_i|² (lumped mass). */
  kineticEnergy(): number {
    const m = this.geom.lumpedMass;
    let e = 0;
    for (let i = 0; i < this.mesh.numNodes; i++) e += m[i] * (this.u[2 * i] ** 2 + this.u[2 * i + 1] ** 2);
    return 0.5 * e;
  }

  /**
   * Force of the fluid on the nodes selected by `mask` (e.g. one obstacle's surface), from the
   * residual of the discrete momentum equation at those Dirichlet nodes (the consistent
   * "reaction force", equivalent to ∮ σ·n with a test function that is 1 on the body):
   * `F = −Σ_{j∈body} [m_j (u_j − u_j^prev)/Δt + N_j + ν (K u*)_j − (Bᵀ p)_j]`. The body is at
   * rest, so the first term is 0. Returns [Fx, Fy] per unit depth (density 1).
   */
  force(mask: (i: number) => boolean): [number, number] {
    applyBt(this.geom, this.p, this.btp);
    const K = this.K;
    let fx = 0, fy = 0;
    for (let j = 0; j < this.mesh.numNodes; j++) {
      if (!mask(j)) continue;
      let kx = 0, ky = 0;
      for (let k = K.rowPtr[j]; k < K.rowPtr[j + 1]; k++) {
        const c = K.colIdx[k];
        kx += K.values[k] * this.uStar[2 * c];
        ky += K.values[k] * this.uStar[2 * c + 1];
        if (this.consistent) {
          // consistent-mass acceleration of the neighbours (Mc shares K's pattern)
          const w = this.Mc.values[k] / this.dt;
          kx += (w * (this.uStar[2 * c] - this.uPrev[2 * c])) / this.nu;
          ky += (w * (this.uStar[2 * c + 1] - this.uPrev[2 * c + 1])) / this.nu;
        }
      }
      fx -= this.conv[2 * j] + this.nu * kx - this.btp[2 * j];
      fy -= this.conv[2 * j + 1] + this.nu * ky - this.btp[2 * j + 1];
    }
    return [fx, fy];
  }
}

/** out[i] = ∫ φ_i ∇·u_h (the discrete divergence B u). */
function divergenceInto(g: P1Geometry, u: Float64Array, out: Float64Array): void {
  const t = g.triangles, gx = g.gx, gy = g.gy;
  out.fill(0);
  for (let k = 0; k < g.area.length; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const d =
      gx[3 * k] * u[2 * a] + gx[3 * k + 1] * u[2 * b] + gx[3 * k + 2] * u[2 * c] +
      gy[3 * k] * u[2 * a + 1] + gy[3 * k + 1] * u[2 * b + 1] + gy[3 * k + 2] * u[2 * c + 1];
    const w = (g.area[k] / 3) * d;
    out[a] += w;
    out[b] += w;
    out[c] += w;
  }
}

/** out[(j,d)] = (Bᵀ p)_(j,d) = Σ_T |T| ∂_d φ_j p̄_T  ([N*2]). */
function applyBt(g: P1Geometry, p: Float64Array, out: Float64Array): void {
  const t = g.triangles, gx = g.gx, gy = g.gy;
  out.fill(0);
  for (let k = 0; k < g.area.length; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const w = (g.area[k] * (p[a] + p[b] + p[c])) / 3;
    out[2 * a] += w * gx[3 * k];
    out[2 * a + 1] += w * gy[3 * k];
    out[2 * b] += w * gx[3 * k + 1];
    out[2 * b + 1] += w * gy[3 * k + 1];
    out[2 * c] += w * gx[3 * k + 2];
    out[2 * c + 1] += w * gy[3 * k + 2];
  }
}

/** out[(i,d)] = ∫ φ_i (u_h·∇)u_h [+ streamline diffusion]  ([N*2]). */
export function convection(g: P1Geometry, u: Float64Array, nu: number, sd: number, out: Float64Array): void {
  const t = g.triangles, gx = g.gx, gy = g.gy;
  out.fill(0);
  for (let k = 0; k < g.area.length; k++) {
    const a = t[3 * k], b = t[3 * k + 1], c = t[3 * k + 2];
    const uax = u[2 * a], uay = u[2 * a + 1], ubx = u[2 * b], uby = u[2 * b + 1], ucx = u[2 * c], ucy = u[2 * c + 1];
    const gxa = gx[3 * k], gxb = gx[3 * k + 1], gxc = gx[3 * k + 2], gya = gy[3 * k], gyb = gy[3 * k + 1], gyc = gy[3 * k + 2];
    // ∇u on T: Jxy = ∂u_x/∂y etc.
    const Jxx = gxa * uax + gxb * ubx + gxc * ucx, Jxy = gya * uax + gyb * ubx + gyc * ucx;
    const Jyx = gxa * uay + gxb * uby + gxc * ucy, Jyy = gya * uay + gyb * uby + gyc * ucy;
    const sx = uax + ubx + ucx, sy = uay + uby + ucy;
    const w = g.area[k] / 12;
    // ∫ φ_i u_h = |T|/12 (Σ u + u_i)
    let wx = w * (sx + uax), wy = w * (sy + uay);
    out[2 * a] += wx * Jxx + wy * Jxy;
    out[2 * a + 1] += wx * Jyx + wy * Jyy;
    wx = w * (sx + ubx);
    wy = w * (sy + uby);
    out[2 * b] += wx * Jxx + wy * Jxy;
    out[2 * b + 1] += wx * Jyx + wy * Jyy;
    wx = w * (sx + ucx);
    wy = w * (sy + ucy);
    out[2 * c] += wx * Jxx + wy * Jxy;
    out[2 * c + 1] += wx * Jyx + wy * Jyy;
    if (sd > 0) {
      const ux = sx / 3, uy = sy / 3;
      const speed = Math.hypot(ux, uy);
      if (speed === 0) continue;
      const da = ux * gxa + uy * gya, db = ux * gxb + uy * gyb, dc = ux * gxc + uy * gyc;
      const h = (2 * speed) / (Math.abs(da) + Math.abs(db) + Math.abs(dc));
      const tau = sd / Math.sqrt(((2 * speed) / h) ** 2 + ((4 * nu) / (h * h)) ** 2);
      // streamline derivative of u on T
      const dux = ux * Jxx + uy * Jxy, duy = ux * Jyx + uy * Jyy;
      const s = tau * g.area[k];
      out[2 * a] += s * da * dux;
      out[2 * a + 1] += s * da * duy;
      out[2 * b] += s * db * dux;
      out[2 * b + 1] += s * db * duy;
      out[2 * c] += s * dc * dux;
      out[2 * c + 1] += s * dc * duy;
    }
  }
}

/**
 * L = B_f M_f⁻¹ B_fᵀ over pressure nodes (2-ring pattern), f the velocity-free nodes.
 * B is stored through K's pattern: entry (row j, col i) holds B_{i,(j,d)} = Σ_T |T|/3 ∂_d φ_j.
 */
function buildProjectionMatrix(g: P1Geometry, K: Csr, vFixed: Uint8Array): Csr {
  const n = g.numNodes;
  const pos = trianglePositions(g, K);
  const bx = new Float64Array(K.values.length), by = new Float64Array(K.values.length);
  for (let k = 0; k < g.area.length; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) {
    const e = pos[9 * k + 3 * j + i];
    bx[e] += (g.area[k] / 3) * g.gx[3 * k + j];
    by[e] += (g.area[k] / 3) * g.gy[3 * k + j];
  }
  let count = n;
  for (let j = 0; j < n; j++) if (!vFixed[j]) count += (K.rowPtr[j + 1] - K.rowPtr[j]) ** 2;
  const rows = new Int32Array(count), cols = new Int32Array(count);
  let q = 0;
  for (let i = 0; i < n; i++) {
    // every diagonal is in the pattern (rows of nodes without free neighbours stay empty)
    rows[q] = i;
    cols[q++] = i;
  }
  for (let j = 0; j < n; j++) {
    if (vFixed[j]) continue;
    for (let e1 = K.rowPtr[j]; e1 < K.rowPtr[j + 1]; e1++) for (let e2 = K.rowPtr[j]; e2 < K.rowPtr[j + 1]; e2++) {
      rows[q] = K.colIdx[e1];
      cols[q++] = K.colIdx[e2];
    }
  }
  const L = csrPattern(n, rows, cols);
  // values: walk the same pairs; each row's entries are found by a merge over sorted columns
  for (let j = 0; j < n; j++) {
    if (vFixed[j]) continue;
    const mj = g.lumpedMass[j];
    for (let e1 = K.rowPtr[j]; e1 < K.rowPtr[j + 1]; e1++) {
      const i = K.colIdx[e1];
      let e = L.rowPtr[i];
      for (let e2 = K.rowPtr[j]; e2 < K.rowPtr[j + 1]; e2++) {
        const kcol = K.colIdx[e2];
        while (L.colIdx[e] !== kcol) e++;
        L.values[e] += (bx[e1] * bx[e2] + by[e1] * by[e2]) / mj;
      }
    }
  }
  return L;
}
