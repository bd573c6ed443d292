/** Shallow water on the sphere: solver, Williamson test cases, observables, datasets. */
export * from './units.js';
export * from './voronoi.js';
export * from './swe.js';
export * from './observables.js';
export * from './williamson.js';
export * from './cases.js';
export * from './initial_states.js';
export * from './dataset.js';
export * from './bench.js';
