export * from './backend.js';
export * from './rng.js';
export * from './tf.js';
