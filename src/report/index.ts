export * from './figures.js';
export * from './report.js';
export * from './types.js';
export * from './notebook.js';
export * from './adapters.js';
export * from './results.js';
export * from './constraints.js';
export * from './sources.js';
