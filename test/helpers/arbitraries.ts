/**
 * fast-check arbitraries for geometry and graphs.
 *
 * Every arbitrary draws plain numbers from fast-check (so shrinking works) and builds flat
 * typed arrays from them. Random matrices are built from a shrinkable integer seed through
 * the workbench's Rng (uniform on O(d)).
 */
import fc from 'fast-check';
import { Rng } from '../../src/engine/rng.js';
import { block, graphsTuple, type GraphsTuple } from '../../src/geometry/graphs_tuple.js';
import { randomOrthogonal, randomRotation } from '../../src/geometry/rotation.js';

/** A point cloud `[N * dim]` Float64Array with coordinates in [-scale, scale]. */
export function pointCloud(opts: { minPoints?: number; maxPoints?: number; dim?: number; scale?: number } = {}): fc.Arbitrary<Float64Array> {
  const dim = opts.dim ?? 3;
  const scale = opts.scale ?? 5;
  return fc
    .array(fc.array(fc.double({ min: -scale, max: scale, noNaN: true }), { minLength: dim, maxLength: dim }), {
      minLength: opts.minPoints ?? 0,
      maxLength: opts.maxPoints ?? 40,
    })
    .map((pts) => Float64Array.from(pts.flat()));
}

/** Periodic box lengths `[dim]`, each in [min, max]. */
export function periodicBox(opts: { dim?: number; min?: number; max?: number } = {}): fc.Arbitrary<Float64Array> {
  const dim = opts.dim ?? 3;
  return fc
    .array(fc.double({ min: opts.min ?? 4, max: opts.max ?? 12, noNaN: true }), { minLength: dim, maxLength: dim })
    .map((L) => Float64Array.from(L));
}

/**
 * A periodic box with points: coordinates drawn in box units and mapped into
 * [-0.5 L, 1.5 L) (so some lie outside the fundamental cell, as unwrapped MD positions do).
 */
export function pointsInBox(opts: { minPoints?: number; maxPoints?: number; dim?: number; minBox?: number; maxBox?: number; outside?: boolean } = {}): fc.Arbitrary<{ box: Float64Array; positions: Float64Array }> {
  const dim = opts.dim ?? 3;
  const outside = opts.outside ?? true;
  return fc
    .record({
      box: periodicBox({ dim, min: opts.minBox, max: opts.maxBox }),
      frac: fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { minLength: dim, maxLength: dim }), {
        minLength: opts.minPoints ?? 0,
        maxLength: opts.maxPoints ?? 60,
      }),
    })
    .map(({ box, frac }) => {
      const positions = new Float64Array(frac.length * dim);
      frac.forEach((p, i) => p.forEach((u, k) => (positions[i * dim + k] = (outside ? 2 * u - 0.5 : u) * box[k])));
      return { box, positions };
    });
}

/** A uniform random element of SO(dim) (or O(dim) with `reflections`), from a shrinkable seed. */
export function rotation(opts: { dim?: number; reflections?: boolean } = {}): fc.Arbitrary<Float64Array> {
  const dim = opts.dim ?? 3;
  return fc
    .integer({ min: 0, max: 2 ** 31 - 1 })
    .map((seed) => (opts.reflections ? randomOrthogonal(new Rng(seed), dim) : randomRotation(new Rng(seed), dim)));
}

/**
 * A single graph with `0..maxNodes` nodes (isolated nodes allowed, empty graphs allowed),
 * `0..maxEdges` edges (self-loops and duplicates allowed), a Float32 node block `x`
 * (width `nodeWidth`) and edge block `e` (width `edgeWidth`).
 */
export function graph(opts: { maxNodes?: number; maxEdges?: number; nodeWidth?: number; edgeWidth?: number; globalWidth?: number } = {}): fc.Arbitrary<GraphsTuple> {
  const nw = opts.nodeWidth ?? 2;
  const ew = opts.edgeWidth ?? 1;
  const gw = opts.globalWidth ?? 1;
  return fc.integer({ min: 0, max: opts.maxNodes ?? 8 }).chain((n) =>
    fc
      .record({
        pairs: n === 0 ? fc.constant([] as [number, number][]) : fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: opts.maxEdges ?? 16 }),
        x: fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: n * nw, maxLength: n * nw }),
        seed: fc.nat(),
        u: fc.array(fc.float({ min: -10, max: 10, noNaN: true }), { minLength: gw, maxLength: gw }),
      })
      .map(({ pairs, x, seed, u }) => {
        const rng = new Rng(seed);
        const E = pairs.length;
        return graphsTuple({
          nodes: { x: block(Float32Array.from(x), nw) },
          edges: { e: block(Float32Array.from({ length: E * ew }, () => rng.uniform()), ew) },
          globals: { u: block(Float32Array.from(u), gw) },
          senders: Int32Array.from(pairs, (p) => p[0]),
          receivers: Int32Array.from(pairs, (p) => p[1]),
          nNode: Int32Array.of(n),
          nEdge: Int32Array.of(E),
        });
      }),
  );
}

/** A list of 1..maxGraphs graphs with identical feature layouts (for batch tests). */
export function graphList(opts: { maxGraphs?: number; maxNodes?: number; maxEdges?: number } = {}): fc.Arbitrary<GraphsTuple[]> {
  return fc.array(graph({ maxNodes: opts.maxNodes, maxEdges: opts.maxEdges }), { minLength: 1, maxLength: opts.maxGraphs ?? 5 });
}
