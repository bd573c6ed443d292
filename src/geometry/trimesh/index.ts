export * from './types.js';
export * from './channel.js';
export * from './validate.js';
export * from './edges.js';
export * from './sparse.js';
export * from './operators.js';
export * from './locate.js';
export * from './amg.js';
