export * from './graphs_tuple.js';
export * from './space.js';
export * from './neighbor_list.js';
export * from './rotation.js';
export * from './lattice.js';
export * from './trimesh/index.js';
export * from './sphere/index.js';
