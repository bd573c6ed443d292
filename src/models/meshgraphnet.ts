/**
 * MeshGraphNets for incompressible flow on triangle meshes (Pfaff, Fortunato, Sanchez-Gonzalez
 * & Battaglia 2021, "Learning Mesh-Based Simulation with Graph Networks"; deepmind-research
 * `meshgraphnets/cfd_model.py` and `core_model.py`).
 *
 * ```
 *   node input   x_i  = [u_i (2), onehot(type_i) (9)]                          [N, 11]
 *   edge input   e_ij = [p_s − p_r (2), |p_s − p_r| (1)]  (mesh positions)       [E, 3]
 *   normalise    x̂ = norm_node(x),  ê = norm_edge(e)          (online, OnlineNormalizer)
 *   encode       v = MLPᵛ(x̂),  e = MLPᵉ(ê)                   (2 hidden layers + LayerNorm)
 *   process ×15  e' = e + MLP([e, v_s, v_r]);  v' = v + MLP([v, Σ_{r(k)=i} e'_k])
 *   decode       ŷ = MLPᵈ(v)                                    (no LayerNorm)         [N, 2]
 *   update       u(t+1) = u(t) + norm_out⁻¹(ŷ)
 * ```
 *
 * Every MLP has `mlpLayers` hidden layers of width `latent` with ReLU (core_model's
 * `[latent] * num_layers + [output]`). Aggregation is a sum; processor blocks have
 * residuals on nodes and edges. The processor is PERF's `graphNetwork` with a fused
 * `edgeMlp` (same maths as the concat form).
 *
 * Symmetries: permutation-equivariant over node and edge relabelling and translation-
 * invariant (inputs use only relative positions) by construction; *not* rotation-equivariant
 * (edge inputs and velocities are Cartesian components): the rotation error is measured
 * (test/models/meshgraphnet.test.ts, docs/meshgraphnet.md).
 *
 * Shapes: velocity `[N, 2]`, nodeType `[N]` int (codes 0..nodeTypes−1, trimesh `NodeType`),
 * meshPos `[N, 2]`, senders/receivers `[E]` (both directions of each mesh edge).
 */
import { tf } from '../engine/tf.js';
import { Rng } from '../engine/rng.js';
import { ConfigError, ShapeError, ValueError, describe } from '../util/errors.js';
import { edgeMlp, graphNetwork, type GraphNetwork } from './graph_network.js';
import { mlp, type Mlp } from './layers.js';
import { OnlineNormalizer, type NormalizerState } from './normalizer.js';
import { ParamStore } from './params.js';

/** Options of {@link meshGraphNet}; defaults are the paper's. */
export interface MeshGraphNetOptions {
  /** Latent width (default 128). */
  readonly latent?: number;
  /** Hidden layers per MLP (default 2). */
  readonly mlpLayers?: number;
  /** Processor blocks (default 15). */
  readonly messagePassingSteps?: number;
  /** One-hot width of node types (default 9, MeshGraphNets `NodeType.SIZE`). */
  readonly nodeTypes?: number;
  /** Seed of the parameter initialisation (default 0). */
  readonly seed?: number;
}

export const MGN_DEFAULTS = Object.freeze({ latent: 128, mlpLayers: 2, messagePassingSteps: 15, nodeTypes: 9, seed: 0 });

/** A mesh the model runs on (host arrays; constant over a trajectory). */
export interface MgnMesh {
  /** [N*2] mesh coordinates. */
  readonly meshPos: Float32Array | Float64Array;
  /** [N] node type codes. */
  readonly nodeType: Int32Array;
  /** [E] both directions of every mesh edge. */
  readonly senders: Int32Array;
  readonly receivers: Int32Array;
}

/** Tensors of a mesh, made once per mesh ({@link MeshGraphNet.prepare}). */
export interface PreparedMesh {
  readonly numNodes: number;
  readonly senders: tf.Tensor1D;
  readonly receivers: tf.Tensor1D;
  /** [N, nodeTypes] one-hot node types. */
  readonly oneHot: tf.Tensor2D;
  /** [E, 3] raw edge features (relative position s − r, norm). */
  readonly edgeRaw: Float32Array;
  dispose(): void;
}

export interface MeshGraphNet {
  readonly options: Required<MeshGraphNetOptions>;
  readonly params: ParamStore;
  readonly nodeNormalizer: OnlineNormalizer;
  readonly edgeNormalizer: OnlineNormalizer;
  readonly outputNormalizer: OnlineNormalizer;
  /** Builds the tensors of a mesh; the caller disposes them. */
  prepare(mesh: MgnMesh): PreparedMesh;
  /**
   * Network output (normalised velocity change) `[N, 2]` for velocity `[N, 2]`.
   * With `accumulate`, the node and edge normalisers first add this input to their statistics.
   */
  forward(mesh: PreparedMesh, velocity: tf.Tensor2D, options?: { accumulate?: boolean }): tf.Tensor2D;
  /** Adds one input (velocity `[N*2]` on host) to the node and edge normaliser statistics. */
  accumulate(mesh: PreparedMesh, velocity: ArrayLike<number>): void;
  /** One step u(t) → u(t+1) = u + norm_out⁻¹(forward(u)) `[N, 2]` (boundary handling is the caller's). */
  step(mesh: PreparedMesh, velocity: tf.Tensor2D): tf.Tensor2D;
  /** Normaliser states for checkpoints. */
  normalizerState(): { node: NormalizerState; edge: NormalizerState; output: NormalizerState };
  setNormalizerState(s: { node: NormalizerState; edge: NormalizerState; output: NormalizerState }): void;
  dispose(): void;
}

function positiveInt(what: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) throw new ConfigError(what, 'a positive integer', describe(x));
  return x;
}

/** Raw edge features `[E*3]`: mesh_pos[s] − mesh_pos[r] and its norm (cfd_model.py). */
export function mgnEdgeFeatures(mesh: MgnMesh): Float32Array {
  const E = mesh.senders.length;
  const out = new Float32Array(E * 3);
  const p = mesh.meshPos;
  for (let e = 0; e < E; e++) {
    const s = mesh.senders[e], r = mesh.receivers[e];
    const dx = p[2 * s] - p[2 * r], dy = p[2 * s + 1] - p[2 * r + 1];
    out[3 * e] = dx;
    out[3 * e + 1] = dy;
    out[3 * e + 2] = Math.hypot(dx, dy);
  }
  return out;
}

/** Builds a MeshGraphNet; options are checked here. */
export function meshGraphNet(options: MeshGraphNetOptions = {}): MeshGraphNet {
  const o: Required<MeshGraphNetOptions> = {
    latent: positiveInt('mgn.latent', options.latent ?? MGN_DEFAULTS.latent),
    mlpLayers: positiveInt('mgn.mlpLayers', options.mlpLayers ?? MGN_DEFAULTS.mlpLayers),
    messagePassingSteps: positiveInt('mgn.messagePassingSteps', options.messagePassingSteps ?? MGN_DEFAULTS.messagePassingSteps),
    nodeTypes: positiveInt('mgn.nodeTypes', options.nodeTypes ?? MGN_DEFAULTS.nodeTypes),
    seed: options.seed ?? MGN_DEFAULTS.seed,
  };
  if (!Number.isInteger(o.seed)) throw new ConfigError('mgn.seed', 'an integer', describe(o.seed));
  const L = o.latent;
  const nodeIn = 2 + o.nodeTypes;
  const edgeIn = 3;
  const params = new ParamStore(new Rng(o.seed));
  const hidden = Array<number>(o.mlpLayers).fill(L);
  const make = (name: string, inDim: number, outDim: number, norm: boolean): Mlp =>
    mlp({ sizes: [inDim, ...hidden, outDim], activation: 'relu', layerNorm: norm, name }, params);
  const encNode = make('mgn/encoder/node', nodeIn, L, true);
  const encEdge = make('mgn/encoder/edge', edgeIn, L, true);
  const blocks: GraphNetwork[] = [];
  for (let k = 0; k < o.messagePassingSteps; k++) {
    const edgeM = make(`mgn/processor/${k}/edge`, 3 * L, L, true);
    const nodeM = make(`mgn/processor/${k}/node`, 2 * L, L, true);
    blocks.push(
      graphNetwork({
        updateEdge: edgeMlp(edgeM, { edgeDim: L, nodeDim: L }),
        // MLP([v, ē]) without building the concat: [v, ē]·W0 = v·W0[:L] + ē·W0[L:] (one
        // fused native op when the native kernels run).
        updateNode: (nodes, agg) => nodeM.applyParts([nodes, agg]),
        aggregate: 'sum',
        residual: true,
      }),
    );
  }
  const decoder = make('mgn/decoder', L, 2, false);
  const nodeNormalizer = new OnlineNormalizer({ size: nodeIn, name: 'mgn/node_normalizer' });
  const edgeNormalizer = new OnlineNormalizer({ size: edgeIn, name: 'mgn/edge_normalizer' });
  const outputNormalizer = new OnlineNormalizer({ size: 2, name: 'mgn/output_normalizer' });

  const prepare = (mesh: MgnMesh): PreparedMesh => {
    const N = mesh.nodeType.length;
    if (mesh.meshPos.length !== 2 * N) throw new ShapeError('mesh.meshPos', `length ${2 * N} (2 per node)`, describe(mesh.meshPos));
    if (mesh.senders.length !== mesh.receivers.length) throw new ShapeError('mesh.receivers', `length ${mesh.senders.length}`, describe(mesh.receivers));
    const oh = new Float32Array(N * o.nodeTypes);
    for (let i = 0; i < N; i++) {
      const t = mesh.nodeType[i];
      if (!(t >= 0 && t < o.nodeTypes)) throw new ValueError(`mesh.nodeType[${i}]`, `a code in [0, ${o.nodeTypes})`, String(t));
      oh[i * o.nodeTypes + t] = 1;
    }
    for (let e = 0; e < mesh.senders.length; e++) {
      const s = mesh.senders[e], r = mesh.receivers[e];
      if (!(s >= 0 && s < N && r >= 0 && r < N)) throw new ValueError(`mesh edge ${e}`, `node indices in [0, ${N})`, `${s} → ${r}`);
    }
    const senders = tf.tensor1d(mesh.senders, 'int32');
    const receivers = tf.tensor1d(mesh.receivers, 'int32');
    const oneHot = tf.tensor2d(oh, [N, o.nodeTypes]);
    return {
      numNodes: N,
      senders,
      receivers,
      oneHot,
      edgeRaw: mgnEdgeFeatures(mesh),
      dispose: () => tf.dispose([senders, receivers, oneHot]),
    };
  };

  const accumulate = (mesh: PreparedMesh, vData: ArrayLike<number>): void => {
    const N = mesh.numNodes;
    if (vData.length !== 2 * N) throw new ShapeError('velocity', `length ${2 * N}`, `length ${vData.length}`);
    const oh = mesh.oneHot.dataSync();
    const x = new Float32Array(N * nodeIn);
    for (let i = 0; i < N; i++) {
      x[i * nodeIn] = vData[2 * i];
      x[i * nodeIn + 1] = vData[2 * i + 1];
      x.set(oh.subarray(i * o.nodeTypes, (i + 1) * o.nodeTypes), i * nodeIn + 2);
    }
    nodeNormalizer.accumulate(x);
    edgeNormalizer.accumulate(mesh.edgeRaw);
  };

  const forward = (mesh: PreparedMesh, velocity: tf.Tensor2D, opts: { accumulate?: boolean } = {}): tf.Tensor2D => {
    const N = mesh.numNodes;
    if (velocity.rank !== 2 || velocity.shape[0] !== N || velocity.shape[1] !== 2) {
      throw new ShapeError('velocity', `a tensor [${N}, 2]`, `shape [${velocity.shape.join(', ')}]`);
    }
    const E = mesh.edgeRaw.length / 3;
    if (opts.accumulate) accumulate(mesh, velocity.dataSync());
    return tf.tidy(() => {
      // [N, 11]
      const x = nodeNormalizer.normalize(tf.concat([velocity, mesh.oneHot], 1) as tf.Tensor2D);
      // [E, 3]
      const e0 = edgeNormalizer.normalize(tf.tensor2d(mesh.edgeRaw, [E, 3]));
      // [N, L], [E, L]
      let nodes = encNode(x);
      let edges = encEdge(e0);
      for (const block of blocks) {
        const out = block({ nodes, edges, senders: mesh.senders, receivers: mesh.receivers, numNodes: N });
        nodes = out.nodes;
        edges = out.edges;
      }
      // [N, 2]
      return decoder(nodes);
    });
  };

  const step = (mesh: PreparedMesh, velocity: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => tf.add(velocity, outputNormalizer.inverse(forward(mesh, velocity))) as tf.Tensor2D);

  return {
    options: o,
    params,
    nodeNormalizer,
    edgeNormalizer,
    outputNormalizer,
    prepare,
    forward,
    accumulate,
    step,
    normalizerState: () => ({ node: nodeNormalizer.toJSON(), edge: edgeNormalizer.toJSON(), output: outputNormalizer.toJSON() }),
    setNormalizerState: (s) => {
      nodeNormalizer.load(s.node);
      edgeNormalizer.load(s.edge);
      outputNormalizer.load(s.output);
    },
    dispose: () => {
      params.dispose();
      nodeNormalizer.dispose();
      edgeNormalizer.dispose();
      outputNormalizer.dispose();
    },
  };
}

