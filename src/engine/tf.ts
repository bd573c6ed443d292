/**
 * The TensorFlow.js namespace every workbench module imports: `import { tf } from '../engine/tf.js'`.
 *
 * Importing through here guarantees that tfjs's gradient registrations are loaded (tfjs-core's
 * Node entry has none; see scripts/vendor-tfjs-gradients.mjs). Backends are started by
 * `initBackend()` (backend.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
// After tfjs-core, so that core's Engine (whose Tensor class has its chained ops and
// `clone` wired up) is the global one; the bundle's own Tensor class has none, and
// higher-order gradients (which clone) failed with it.
import '../../vendor/tfjs-gradients.mjs';
// Faster gradients for wasm (explicit transposes instead of transposeA/B), registered after.
import './gradients.js';
// A first-order backward pass that frees saved tensors and gradients as it goes.
import './backprop.js';

export { tf };
