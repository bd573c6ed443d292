// Side-effect module: registers TensorFlow.js gradients (generated; see scripts/vendor-tfjs-gradients.mjs).
export {};
