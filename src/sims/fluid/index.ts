export * from './ns_solver.js';
export * from './boundary.js';
export * from './observables.js';
export * from './cylinder.js';
export * from './config.js';
export * from './simulate.js';
export * from './dataset.js';
export * from './bench.js';
