/**
 * The TensorFlow.js namespace every workbench module imports: `import { tf } from '../engine/tf.js'`.
 *
 * Importing through here guarantees that tfjs's gradient registrations are loaded (tfjs-core's
 * Node entry has none; see scripts/vendor-tfjs-gradients.mjs). Backends are started by
 * `initBackend()` (backend.ts).
 */
import '../../vendor/tfjs-gradients.mjs';
import * as tf from '@tensorflow/tfjs-core';

export { tf };
