/** Registers the workbench's commands (one import line in main.ts). */
import './simulate.js';
import './train.js';
import './rollout.js';
import './merge.js';
import './report.js';
import './quickstart.js';
import './inspect.js';
