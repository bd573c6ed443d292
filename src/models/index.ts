export * from './segment.js';
export * from './params.js';
export * from './layers.js';
export * from './tensors.js';
export * from './graph_network.js';
export * from './optim.js';
export * as equivariant from './equivariant/index.js';
