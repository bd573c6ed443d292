export * from './nn.js';
export * from './radial.js';
export * from './heads.js';
export * from './egnn.js';
export * from './baselines.js';
export * from './schnet.js';
export * from './painn.js';
