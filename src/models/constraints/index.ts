export * from './antisymmetric.js';
export * from './boundary.js';
export * from './energy.js';
export * from './flux.js';
export * from './momentum.js';
export * from './p1.js';
export * from './positivity.js';
export * from './projection.js';
