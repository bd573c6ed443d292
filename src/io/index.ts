export * from './atomic.js';
export * from './checkpoint.js';
export * from './dataset.js';
export * from './h5.js';
export * from './trajectory.js';
export * from './version.js';
