export * from './expr.js';
export * from './hash.js';
export * from './load.js';
export * from './schema.js';
export * from './sweep.js';
