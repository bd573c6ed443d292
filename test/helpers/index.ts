export * from './equivariance.js';
export * from './permutation.js';
export * as arb from './arbitraries.js';
export * from './tolerances.js';
