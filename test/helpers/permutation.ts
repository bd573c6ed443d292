/**
 * Permutation equivariance over nodes and over edges.
 *
 * For a node permutation π (new node k is old node π[k]) positions, per-node features and
 * node blocks are reordered and senders/receivers relabelled; for an edge permutation σ the
 * edge list and edge blocks are reordered. Each output declares its axis:
 *
 * ```
 *   'node'   f(πx)[k] = f(x)[π[k]]   rows of width len/N
 *   'edge'   rows follow the edge permutation (node relabelling keeps edge order)
 *   'graph'  invariant (per-graph or global outputs)
 * ```
 * Permutations stay inside each graph of a batch, so batching (nNode/nEdge) is preserved.
 */
import { Rng } from '../../src/engine/rng.js';
import { graphsTuple, numNodes, type Features, type FeatureBlock, type GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { defaultTolerance, type NumArray, type SymmetryFn, type Tolerance } from './equivariance.js';

export type AxisKind = 'node' | 'edge' | 'graph';

export interface PermutationOptions {
  readonly outputs: Readonly<Record<string, AxisKind>>;
  readonly trials?: number;
  readonly seed?: number;
  readonly tolerance?: Tolerance;
  /** Which permutations to try (default both). */
  readonly permute?: readonly ('nodes' | 'edges')[];
}

export interface PermutationInput {
  readonly positions: NumArray;
  readonly dim?: number;
  /** Per-node features: a flat typed array `[N * F]` (permuted by rows) or anything else (passed as is). */
  readonly features?: unknown;
  readonly graph: GraphsTuple;
}

/** Per-graph random permutation of a segmented range (counts per graph). */
function blockPermutation(rng: Rng, counts: Int32Array): Int32Array {
  let total = 0;
  for (const c of counts) total += c;
  const p = new Int32Array(total);
  let off = 0;
  for (const c of counts) {
    const local = rng.permutation(c);
    for (let i = 0; i < c; i++) p[off + i] = off + local[i];
    off += c;
  }
  return p;
}

function permuteRows<T extends NumArray | Int32Array>(a: T, perm: Int32Array): T {
  const n = perm.length;
  const w = n === 0 ? 0 : a.length / n;
  const out = new (a.constructor as { new (n: number): T })(a.length);
  for (let k = 0; k < n; k++) for (let c = 0; c < w; c++) out[k * w + c] = a[perm[k] * w + c];
  return out;
}

function permuteBlocks(f: Features, perm: Int32Array): Features {
  const out: Record<string, FeatureBlock> = {};
  for (const [name, b] of Object.entries(f)) out[name] = { data: permuteRows(b.data, perm), width: b.width };
  return out;
}

/** Relabels nodes: new node k = old node perm[k]. */
export function permuteNodes(g: GraphsTuple, perm: Int32Array): GraphsTuple {
  const inv = new Int32Array(perm.length);
  for (let k = 0; k < perm.length; k++) inv[perm[k]] = k;
  return graphsTuple({
    ...g,
    nodes: permuteBlocks(g.nodes, perm),
    senders: g.senders.map((s) => inv[s]),
    receivers: g.receivers.map((r) => inv[r]),
  });
}

/** Reorders edges: new edge k = old edge perm[k]. */
export function permuteEdges(g: GraphsTuple, perm: Int32Array): GraphsTuple {
  return graphsTuple({
    ...g,
    edges: permuteBlocks(g.edges, perm),
    senders: permuteRows(g.senders, perm),
    receivers: permuteRows(g.receivers, perm),
  });
}

/** Max-abs error of permutation equivariance per (permutation kind, output), over trials. */
export async function permutationError(fn: SymmetryFn, input: PermutationInput, options: PermutationOptions): Promise<Record<string, Record<string, number>>> {
  const rng = new Rng(options.seed ?? 0);
  const trials = options.trials ?? 3;
  const g = input.graph;
  const N = numNodes(g);
  const base = await fn(input.positions, input.features, g);
  const result: Record<string, Record<string, number>> = {};
  for (const kind of options.permute ?? ['nodes', 'edges']) {
    result[kind] = {};
    for (const name of Object.keys(options.outputs)) result[kind][name] = 0;
    for (let t = 0; t < trials; t++) {
      let out: Record<string, NumArray>;
      let perm: Int32Array;
      if (kind === 'nodes') {
        perm = blockPermutation(rng, g.nNode);
        const feats = ArrayBuffer.isView(input.features) && (input.features as NumArray).length % Math.max(N, 1) === 0 && N > 0
          ? permuteRows(input.features as NumArray, perm)
          : input.features;
        out = await fn(permuteRows(input.positions, perm), feats, permuteNodes(g, perm));
      } else {
        perm = blockPermutation(rng, g.nEdge);
        out = await fn(input.positions, input.features, permuteEdges(g, perm));
      }
      for (const [name, axis] of Object.entries(options.outputs)) {
        const f0 = base[name];
        const f1 = out[name];
        if (!f1 || f1.length !== f0.length) throw new Error(`permutationError: output '${name}' changed length under ${kind} permutation`);
        const expected = (axis === 'node' && kind === 'nodes') || (axis === 'edge' && kind === 'edges') ? permuteRows(f0, perm) : f0;
        let err = 0;
        for (let i = 0; i < f0.length; i++) {
          const d = Math.abs(f1[i] - expected[i]);
          err = Number.isNaN(d) ? Infinity : Math.max(err, d);
        }
        result[kind][name] = Math.max(result[kind][name], err);
      }
    }
  }
  return result;
}

/** Asserts permutation equivariance over nodes and edges; throws a readable table on failure. */
export async function assertPermutationEquivariant(fn: SymmetryFn, input: PermutationInput, options: PermutationOptions): Promise<Record<string, Record<string, number>>> {
  const tol = options.tolerance ?? defaultTolerance(input.positions);
  const res = await permutationError(fn, input, options);
  const base = await fn(input.positions, input.features, input.graph);
  const scale = (name: string) => Array.from(base[name] ?? []).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const lines: string[] = [];
  let bad = false;
  for (const [kind, byOut] of Object.entries(res)) {
    for (const [name, err] of Object.entries(byOut)) {
      const ok = err <= tol.atol + tol.rtol * scale(name);
      if (!ok) bad = true;
      lines.push(`  ${kind.padEnd(6)} ${name.padEnd(14)} ${options.outputs[name].padEnd(6)} ${err.toExponential(3).padStart(11)}  ${ok ? 'yes' : 'NO'}`);
    }
  }
  if (bad) throw new Error(`Not permutation equivariant (seed ${options.seed ?? 0}, tolerance ${tol.atol} + ${tol.rtol}·scale):\n${lines.join('\n')}`);
  return res;
}
