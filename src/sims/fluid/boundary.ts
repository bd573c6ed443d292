/**
 * Boundary conditions for the solver, built from a mesh's boundary tags.
 *
 * - channel: parabolic inflow `u = 4 U_max y (H − y) / H²` on LEFT (optionally ramped in
 *   smoothly over `rampTime`), no-slip on walls and obstacles, do-nothing outflow with p = 0
 *   on RIGHT (corner nodes belong to the walls).
 * - lid-driven cavity: u = (U, 0) on TOP nodes that are not corners, no-slip elsewhere.
 * - exact: every boundary node takes the value of a given velocity field (Taylor–Green tests).
 */
import { Side, type TriMesh } from '../../geometry/trimesh/index.js';
import type { FluidBoundary } from './ns_solver.js';

/** Parabolic inflow profile value at height y. */
export function parabolicInflow(uMax: number, height: number, y: number): number {
  return (4 * uMax * y * (height - y)) / (height * height);
}

/** Smooth ramp 0 → 1 over [0, rampTime] (sin² shape), 1 when rampTime ≤ 0. */
export function ramp(t: number, rampTime: number): number {
  if (rampTime <= 0 || t >= rampTime) return 1;
  return Math.sin((Math.PI * t) / (2 * rampTime)) ** 2;
}

export function channelBoundary(mesh: TriMesh, opts: { uMax: number; rampTime?: number }): FluidBoundary {
  const n = mesh.numNodes, H = mesh.domain.height;
  const velocityFixed = new Uint8Array(n), pressureFixed = new Uint8Array(n);
  const inflow: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = mesh.sides[i];
    if (s & (Side.LEFT | Side.TOP | Side.BOTTOM | Side.OBSTACLE)) velocityFixed[i] = 1;
    if (s & Side.RIGHT) pressureFixed[i] = 1;
    if (s & Side.LEFT && !(s & (Side.TOP | Side.BOTTOM))) inflow.push(i);
  }
  const ids = Int32Array.from(inflow);
  const p = mesh.positions;
  return {
    velocityFixed,
    pressureFixed,
    velocity(t, out) {
      out.fill(0);
      const r = ramp(t, opts.rampTime ?? 0);
      for (const i of ids) out[2 * i] = r * parabolicInflow(opts.uMax, H, p[2 * i + 1]);
    },
  };
}

export function cavityBoundary(mesh: TriMesh, lidSpeed = 1): FluidBoundary {
  const n = mesh.numNodes;
  const velocityFixed = new Uint8Array(n);
  const lid: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = mesh.sides[i];
    if (s !== 0) velocityFixed[i] = 1;
    if (s === Side.TOP) lid.push(i);
  }
  return {
    velocityFixed,
    pressureFixed: new Uint8Array(n),
    velocity(_t, out) {
      out.fill(0);
      for (const i of lid) out[2 * i] = lidSpeed;
    },
  };
}

/** Dirichlet data from an exact velocity field f(x, y, t) → [u, v] on every boundary node. */
export function exactBoundary(mesh: TriMesh, f: (x: number, y: number, t: number) => [number, number]): FluidBoundary {
  const n = mesh.numNodes;
  const velocityFixed = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (mesh.sides[i] !== 0) velocityFixed[i] = 1;
  const p = mesh.positions;
  return {
    velocityFixed,
    pressureFixed: new Uint8Array(n),
    velocity(t, out) {
      for (let i = 0; i < n; i++) if (velocityFixed[i]) {
        const [u, v] = f(p[2 * i], p[2 * i + 1], t);
        out[2 * i] = u;
        out[2 * i + 1] = v;
      }
    },
  };
}
