/**
 * Dataset generation for `gnnwb simulate` kind `fluid-cylinder`: one HDF5 trajectory file per
 * trajectory (`<out>/traj-000.h5`, …), written through the workbench's resumable
 * TrajectoryWriter, with a solver checkpoint beside it so a killed run resumes bit-exactly.
 *
 * Each file (see docs/fluid.md, reader in dataset.ts):
 * ```
 *   mesh_pos   float32 [N, 2]        node positions
 *   cells      int32   [C, 3]        triangles (CCW)
 *   node_type  int32   [N]           MeshGraphNets NodeType codes
 *   velocity   float32 [T, N, 2]     per saved frame
 *   pressure   float32 [T, N]        kinematic pressure p/ρ (outflow p = 0)
 *   forces     float64 [T, K, 2]     drag and lift coefficients of each obstacle
 *   time       float64 [T, 1]
 *   @attributes: dt (between frames), solverDt, nu, uMax, uMean, reynolds, obstacles, channel, …
 * ```
 * Resume protocol: after computing frame k the solver state is checkpointed (tagged k), then
 * the frame is appended (which commits it). On restart with c committed frames the checkpoint
 * holds frame c−1 (normal) or frame c (killed between the two writes: frame c is appended
 * from the checkpoint); anything else is an error.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpointIfExists, saveCheckpoint } from '../../io/checkpoint.js';
import { TrajectoryWriter } from '../../io/trajectory.js';
import { meshQuality } from '../../geometry/trimesh/index.js';
import { FileFormatError } from '../../util/errors.js';
import { CylinderSim, type CylinderObservables } from './cylinder.js';
import { trajectoryCase, type FluidCylinderConfig } from './config.js';
import { progress } from '../../cli/progress.js';

export interface SimulateOptions {
  readonly out: string;
  readonly resume?: boolean;
  readonly log?: (line: string) => void;
  /** Progress stream (default stderr). */
  readonly stream?: { write(s: string): unknown; isTTY?: boolean };
  /** Stop (as if killed) after this many appended frames in this call — for tests. */
  readonly stopAfterFrames?: number;
}

export interface SimulateResult {
  readonly files: string[];
  /** true when stopped early by stopAfterFrames. */
  readonly stopped: boolean;
}

export function trajectoryPath(out: string, index: number): string {
  return join(out, `traj-${String(index).padStart(3, '0')}.h5`);
}

interface CkptState {
  readonly frame: number;
  readonly time: number;
  readonly steps: number;
  readonly havePrev: boolean;
  readonly drag: number[];
  readonly lift: number[];
}

/** Runs every trajectory of the config (skipping finished files); returns the files. */
export async function simulateFluidCylinder(c: FluidCylinderConfig, o: SimulateOptions): Promise<SimulateResult> {
  mkdirSync(o.out, { recursive: true });
  const files: string[] = [];
  let budget = o.stopAfterFrames ?? Infinity;
  for (let ti = 0; ti < c.trajectories; ti++) {
    const path = trajectoryPath(o.out, ti);
    files.push(path);
    if (existsSync(path)) {
      o.log?.(`fluid-cylinder: ${path} exists, skipped`);
      continue;
    }
    const cs = trajectoryCase(c, ti);
    const sim = new CylinderSim(cs);
    const { mesh, solver } = sim;
    const n = mesh.numNodes, k = cs.obstacles.length;
    const q = meshQuality(mesh);
    const uMean = (2 / 3) * cs.uMax;
    const ob = cs.obstacles[0];
    const writer = await TrajectoryWriter.open(
      path,
      {
        simulator: 'fluid-cylinder',
        config: { config: c, trajectory: ti },
        seed: c.seed,
        frameArrays: {
          velocity: { dtype: 'float32', shape: [n, 2] },
          pressure: { dtype: 'float32', shape: [n] },
          forces: { dtype: 'float64', shape: [k, 2] },
          time: { dtype: 'float64', shape: [1] },
        },
        staticArrays: {
          mesh_pos: { data: new Float32Array(mesh.positions), shape: [n, 2] },
          cells: { data: mesh.triangles, shape: [mesh.numTriangles, 3] },
          node_type: { data: mesh.nodeTypes, shape: [n] },
        },
        attributes: {
          trajectory: ti,
          dt: c.dt * c.saveEvery,
          solverDt: c.dt,
          saveEvery: c.saveEvery,
          warmupSteps: c.warmupSteps,
          nu: c.nu,
          density: 1,
          uMax: cs.uMax,
          uMean,
          reynolds: (uMean * 2 * ob.radius) / c.nu,
          obstacles: cs.obstacles,
          channel: { length: cs.length, height: cs.height },
          inflow: 'parabolic u = 4 uMax y (H - y) / H^2, ramped over rampTime',
          rampTime: c.rampTime,
          forceCoefficients: 'c = 2 F / (uMean^2 D), columns [drag, lift]',
          meshQuality: q,
          solver: 'P1-P1 incremental pressure correction, K + exact projection (docs/fluid.md)',
          note: c.note,
        },
      },
      { resume: !!o.resume },
    );
    const ckptPath = `${path}.solver.ckpt`;
    const frame = (obs: { drag: ArrayLike<number>; lift: ArrayLike<number>; time: number }) => {
      const forces = new Float64Array(2 * k);
      for (let j = 0; j < k; j++) {
        forces[2 * j] = obs.drag[j];
        forces[2 * j + 1] = obs.lift[j];
      }
      return { velocity: new Float32Array(solver.u), pressure: new Float32Array(solver.p), forces, time: Float64Array.of(obs.time) };
    };
    const checkpoint = (f: number, obs: CylinderObservables) => {
      const s = solver.exportState();
      const st: CkptState = { frame: f, time: s.time, steps: s.steps, havePrev: s.havePrev, drag: Array.from(obs.drag), lift: Array.from(obs.lift) };
      saveCheckpoint(ckptPath, st, { u: { data: s.u, shape: [n, 2] }, p: { data: s.p, shape: [n] }, convPrev: { data: s.convPrev, shape: [n, 2] } });
    };
    let committed = writer.committedFrames;
    if (committed === 0) {
      rmSync(ckptPath, { force: true });
      for (let s = 0; s < c.warmupSteps; s++) solver.step();
      const obs = sim.observe(solver.steps > 0 ? solver.step() : zeroStats());
      checkpoint(0, obs);
      writer.append(frame(obs), { frame: 0 });
      committed = 1;
      budget--;
    } else {
      const ck = loadCheckpointIfExists<CkptState>(ckptPath);
      if (!ck || (ck.state.frame !== committed - 1 && ck.state.frame !== committed)) {
        throw new FileFormatError(ckptPath, `a solver checkpoint of frame ${committed - 1} or ${committed}`, ck ? `frame ${ck.state.frame}` : 'no checkpoint', `delete ${path}.partial to restart this trajectory`);
      }
      solver.importState({
        u: ck.arrays.u.data as Float64Array,
        p: ck.arrays.p.data as Float64Array,
        convPrev: ck.arrays.convPrev.data as Float64Array,
        havePrev: ck.state.havePrev,
        time: ck.state.time,
        steps: ck.state.steps,
      });
      if (ck.state.frame === committed) {
        writer.append(frame({ drag: ck.state.drag, lift: ck.state.lift, time: ck.state.time }), { frame: committed });
        committed++;
      }
      o.log?.(`fluid-cylinder: resuming ${path} at frame ${committed}/${c.frames}`);
    }
    const bar = progress({ label: `traj ${ti + 1}/${c.trajectories} (${n} nodes, Re ${((uMean * 2 * ob.radius) / c.nu).toFixed(0)})`, total: c.frames, start: committed, stream: o.stream });
    while (committed < c.frames) {
      if (budget <= 0) {
        writer.close?.();
        return { files, stopped: true };
      }
      let obs: CylinderObservables | undefined;
      for (let s = 0; s < c.saveEvery; s++) {
        const st = solver.step();
        if (s === c.saveEvery - 1) obs = sim.observe(st);
      }
      checkpoint(committed, obs!);
      writer.append(frame(obs!), { frame: committed });
      committed++;
      budget--;
      bar.update(committed, `t=${solver.time.toFixed(3)} cD=${obs!.drag[0].toFixed(3)} cL=${obs!.lift[0].toFixed(3)}`);
    }
    bar.done();
    await writer.finalize();
    rmSync(ckptPath, { force: true });
    o.log?.(`fluid-cylinder: wrote ${path}`);
  }
  return { files, stopped: false };
}

function zeroStats(): import("./ns_solver.js").StepStats {
  return { velocityIterations: 0, pressureIterations: 0, projectionIterations: 0, weakDivergenceNorm: 0, weakDivergenceTolerance: 0, divergenceNorm: 0, divergenceTolerance: NaN };
}
