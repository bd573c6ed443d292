/**
 * GraphCast-style spherical-grid GNN (Lam et al. 2023, "Learning skillful medium-range global
 * weather forecasting"; google-deepmind/graphcast `graphcast.py`, `deep_typed_graph_net.py`).
 *
 * ```
 *   grid nodes ──grid2mesh──▶ mesh nodes ──multimesh × K──▶ mesh nodes ──mesh2grid──▶ grid nodes
 *     [Ng, Fg]    encoder       [Nm, L]      processor        [Nm, L]     decoder      [Ng, out]
 * ```
 *
 * Every block is an interaction network with residuals (the typed graph network of GraphCast):
 *
 *   e'_k = e_k + φᵉ([e_k, v^s_{s(k)}, v^r_{r(k)}])          edge update (MLP + LayerNorm)
 *   v'_i = v_i + φᵛ([v_i, Σ_{k: r(k)=i} (e'_k − e_k)])     receiver update (sum aggregation)
 *
 * - Embedders: one MLP each for grid nodes, mesh nodes and the three edge sets → latent L.
 * - Encoder: one bipartite block grid → mesh; grid latents get their own residual MLP.
 * - Processor: K unshared blocks on the multimesh.
 * - Decoder: one bipartite block mesh → grid, then an output MLP without LayerNorm.
 * MLPs have one hidden layer of width L with SiLU ("swish"), LayerNorm at their output (all
 * but the final output MLP), as in GraphCast.
 *
 * Fast edge MLPs: the first layer's product on `[e, v_s, v_r]` is split into
 * `e·W_e + gather(v_s·W_s) + gather(v_r·W_r)` (the node parts are projected on node rows
 * before being gathered onto edges): same parameters and result as the concatenation.
 *
 * Shapes: grid inputs `[Ng, gridInDim]` → outputs `[Ng, gridOutDim]`; the static graph is
 * a {@link GraphCastGraph}. Not supported: multiple mesh resolutions in one batch, attention.
 */
import { tf } from '../engine/tf.js';
import { fusedMlpEnabled } from '../engine/native_fused.js';
import type { Rng } from '../engine/rng.js';
import { ConfigError, ShapeError, describe } from '../util/errors.js';
import { mlp, type Activation, type Mlp } from './layers.js';
import type { ParamStore } from './params.js';
import { gatherRows, segmentSum } from './segment.js';

/** Options of {@link graphCast}; every field is checked when the model is built. */
export interface GraphCastOptions {
  /** Width of per-grid-node inputs (state + static features). */
  readonly gridInDim: number;
  /** Width of per-grid-node outputs (e.g. normalised increments of h, u, v). */
  readonly gridOutDim: number;
  /** Width of static mesh-node features. */
  readonly meshInDim: number;
  /** Width of edge features (all three edge sets; 4 for local-frame features). */
  readonly edgeDim: number;
  /** Latent width L (default 64). */
  readonly latent?: number;
  /** Processor depth K, unshared layers (default 8). */
  readonly processorLayers?: number;
  /** Hidden activation (default 'silu'). */
  readonly activation?: Activation;
  /** Parameter name prefix (default 'graphcast'). */
  readonly name?: string;
}

/** Default latent width and processor depth (small: CPU training; GraphCast uses 512 and 16). */
export const GRAPHCAST_DEFAULT_LATENT = 64;
export const GRAPHCAST_DEFAULT_LAYERS = 8;

/** One set of directed edges between two node sets, as tensors. */
export interface EdgeSetTensors {
  /** [E] int32, indices into the sender node set. */
  readonly senders: tf.Tensor1D;
  /** [E] int32, indices into the receiver node set. */
  readonly receivers: tf.Tensor1D;
  /** [E, edgeDim] edge features. */
  readonly features: tf.Tensor2D;
}

/** The static graph of a GraphCast model: grid2mesh, multimesh and mesh2grid edges. */
export interface GraphCastGraph {
  readonly numGrid: number;
  readonly numMesh: number;
  /** [Nm, meshInDim] static mesh node features. */
  readonly meshFeatures: tf.Tensor2D;
  /** grid (senders) → mesh (receivers). */
  readonly g2m: EdgeSetTensors;
  /** mesh → mesh (the multimesh). */
  readonly m2m: EdgeSetTensors;
  /** mesh (senders) → grid (receivers). */
  readonly m2g: EdgeSetTensors;
}

/** A built model: the pure function and what it was built with. */
export interface GraphCastModel {
  /** `grid [Ng, gridInDim]` → `[Ng, gridOutDim]`. */
  (grid: tf.Tensor2D, graph: GraphCastGraph): tf.Tensor2D;
  readonly options: Required<GraphCastOptions>;
}

function checkPositiveInt(path: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new ConfigError(path, 'a positive integer', describe(x));
  return x;
}

/** An interaction-network block between a sender and a receiver node set (see module doc). */
interface Interaction {
  (edges: tf.Tensor2D, senders: tf.Tensor2D, receivers: tf.Tensor2D, set: EdgeSetTensors): { edges: tf.Tensor2D; nodes: tf.Tensor2D };
}

function interaction(prefix: string, L: number, activation: Activation, params: ParamStore, rng?: Rng): Interaction {
  // φᵉ on [e, v_s, v_r] (3L) and φᵛ on [v, agg] (2L), both [in, L, L] with LayerNorm.
  const edgeMlp = mlp({ sizes: [3 * L, L, L], activation, layerNorm: true, name: `${prefix}/edge` }, params, rng);
  const nodeMlp = mlp({ sizes: [2 * L, L, L], activation, layerNorm: true, name: `${prefix}/node` }, params, rng);
  const first = edgeMlp.layers[0];
  const nodeFirst = nodeMlp.layers[0];
  return (edges, senders, receivers, set) => {
    const numReceivers = receivers.shape[0];
    if (fusedMlpEnabled()) {
      // The same MLPs as one fused native op each (src/engine/native_fused.ts).
      const msg = edgeMlp.applyGathered([{ x: edges }, { x: senders, idx: set.senders }, { x: receivers, idx: set.receivers }]);
      const agg = segmentSum(msg, set.receivers, numReceivers);
      const upd = nodeMlp.applyParts([receivers, agg]);
      return { edges: tf.add(edges, msg) as tf.Tensor2D, nodes: tf.add(receivers, upd) as tf.Tensor2D };
    }
    // [E, L] = e·W_e + gather(v_s·W_s, s) + gather(v_r·W_r, r)
    const z0 = tf.addN([
      first.partialProduct(edges, 0),
      gatherRows(first.partialProduct(senders, L), set.senders),
      gatherRows(first.partialProduct(receivers, 2 * L), set.receivers),
    ]) as tf.Tensor2D;
    // [E, L]
    const messages = edgeMlp.fromFirstProduct(z0);
    // [Nr, L]
    const aggregated = segmentSum(messages, set.receivers, numReceivers);
    // [Nr, L]
    const update = nodeMlp.fromFirstProduct(tf.add(nodeFirst.partialProduct(receivers, 0), nodeFirst.partialProduct(aggregated, L)) as tf.Tensor2D);
    return { edges: tf.add(edges, messages) as tf.Tensor2D, nodes: tf.add(receivers, update) as tf.Tensor2D };
  };
}

function checkEdgeSet(what: string, set: EdgeSetTensors, numSenders: number, numReceivers: number, edgeDim: number): void {
  const E = set.senders.shape[0];
  if (set.senders.dtype !== 'int32' || set.receivers.dtype !== 'int32' || set.receivers.shape[0] !== E) {
    throw new ShapeError(`${what}.senders/receivers`, `int32 tensors of equal length`, `${set.senders.dtype}[${set.senders.shape}] and ${set.receivers.dtype}[${set.receivers.shape}]`);
  }
  if (set.features.rank !== 2 || set.features.shape[0] !== E || set.features.shape[1] !== edgeDim) {
    throw new ShapeError(`${what}.features`, `[${E}, ${edgeDim}]`, `[${set.features.shape.join(', ')}]`);
  }
  void numSenders;
  void numReceivers;
}

/**
 * Builds a GraphCast-style model; its parameters are created in `params` under `name/…`.
 *
 * ```ts
 * const model = graphCast({ gridInDim: 9, gridOutDim: 3, meshInDim: 3, edgeDim: 4 }, params);
 * const increments = model(gridInputs, graph); // [Ng, 3]
 * ```
 */
export function graphCast(options: GraphCastOptions, params: ParamStore, rng?: Rng): GraphCastModel {
  const o: Required<GraphCastOptions> = {
    gridInDim: checkPositiveInt('graphCast.gridInDim', options.gridInDim),
    gridOutDim: checkPositiveInt('graphCast.gridOutDim', options.gridOutDim),
    meshInDim: checkPositiveInt('graphCast.meshInDim', options.meshInDim),
    edgeDim: checkPositiveInt('graphCast.edgeDim', options.edgeDim),
    latent: checkPositiveInt('graphCast.latent', options.latent ?? GRAPHCAST_DEFAULT_LATENT),
    processorLayers: checkPositiveInt('graphCast.processorLayers', options.processorLayers ?? GRAPHCAST_DEFAULT_LAYERS),
    activation: options.activation ?? 'silu',
    name: options.name ?? 'graphcast',
  };
  const L = o.latent;
  const act = o.activation;
  const n = o.name;
  const embed = (what: string, inDim: number): Mlp => mlp({ sizes: [inDim, L, L], activation: act, layerNorm: true, name: `${n}/embed/${what}` }, params, rng);
  const embedGrid = embed('grid', o.gridInDim);
  const embedMesh = embed('mesh', o.meshInDim);
  const embedG2m = embed('g2m', o.edgeDim);
  const embedM2m = embed('m2m', o.edgeDim);
  const embedM2g = embed('m2g', o.edgeDim);
  const encoder = interaction(`${n}/encoder`, L, act, params, rng);
  const gridSelf = mlp({ sizes: [L, L, L], activation: act, layerNorm: true, name: `${n}/encoder/grid` }, params, rng);
  const processor: Interaction[] = [];
  for (let k = 0; k < o.processorLayers; k++) processor.push(interaction(`${n}/processor${k}`, L, act, params, rng));
  const decoder = interaction(`${n}/decoder`, L, act, params, rng);
  const output = mlp({ sizes: [L, L, o.gridOutDim], activation: act, layerNorm: false, name: `${n}/output` }, params, rng);

  const model = ((grid: tf.Tensor2D, graph: GraphCastGraph): tf.Tensor2D => {
    if (grid.rank !== 2 || grid.shape[0] !== graph.numGrid || grid.shape[1] !== o.gridInDim) {
      throw new ShapeError('grid inputs', `[${graph.numGrid}, ${o.gridInDim}]`, `[${grid.shape.join(', ')}]`);
    }
    if (graph.meshFeatures.shape[0] !== graph.numMesh || graph.meshFeatures.shape[1] !== o.meshInDim) {
      throw new ShapeError('graph.meshFeatures', `[${graph.numMesh}, ${o.meshInDim}]`, `[${graph.meshFeatures.shape.join(', ')}]`);
    }
    checkEdgeSet('graph.g2m', graph.g2m, graph.numGrid, graph.numMesh, o.edgeDim);
    checkEdgeSet('graph.m2m', graph.m2m, graph.numMesh, graph.numMesh, o.edgeDim);
    checkEdgeSet('graph.m2g', graph.m2g, graph.numMesh, graph.numGrid, o.edgeDim);
    return tf.tidy(() => {
      // Embed: [Ng, L], [Nm, L], [E*, L]
      const vg = embedGrid(grid);
      const vm = embedMesh(graph.meshFeatures);
      // Encoder: grid → mesh, plus a residual MLP on the grid latents.
      const enc = encoder(embedG2m(graph.g2m.features), vg, vm, graph.g2m);
      let mesh = enc.nodes;
      const gridLatent = tf.add(vg, gridSelf(vg)) as tf.Tensor2D;
      // Processor: K unshared blocks on the multimesh.
      let edges = embedM2m(graph.m2m.features);
      for (const block of processor) {
        const out = block(edges, mesh, mesh, graph.m2m);
        edges = out.edges;
        mesh = out.nodes;
      }
      // Decoder: mesh → grid, then the output MLP. [Ng, out]
      const dec = decoder(embedM2g(graph.m2g.features), mesh, gridLatent, graph.m2g);
      return output(dec.nodes);
    });
  }) as GraphCastModel;
  return Object.assign(model, { options: o });
}
