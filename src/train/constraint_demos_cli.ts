/**
 * CLI kinds of the issue-9 demonstrations (a) trained and (c):
 *
 * - `gnnwb rollout cfg.json` with `{"kind": "constraints-flux-weather", …}` (fields and defaults:
 *   `FLUX_WEATHER_DEFAULTS` in constraint_demos_weather.ts): generates the low-resolution
 *   shallow-water datasets when missing, trains the GraphCast-style model with and without the
 *   flux head, rolls both out 10 days, writes `out` (default results/constraints_flux_weather.json).
 * - `gnnwb rollout cfg.json` with `{"kind": "constraints-momentum-trained", …}` (fields and
 *   defaults: `MOMENTUM_DEMO_DEFAULTS` in constraint_demos_particles.ts): simulates charged N-body
 *   trajectories, trains the particle surrogate plain and with momentum-conserving messages, rolls
 *   both out, writes `out` (default results/constraints_momentum.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import { registerKind } from '../cli/registry.js';
import { initBackend } from '../engine/backend.js';
import { ConfigError, describe } from '../util/errors.js';
import { fluxWeatherDemo, type FluxWeatherDemoConfig } from './constraint_demos_weather.js';
import { momentumTrainedDemo, type MomentumDemoConfig } from './constraint_demos_particles.js';

function writeJson(path: string, obj: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(obj, null, 2) + '\n');
}

function environment(backend: { name: string; threads: number }): Record<string, unknown> {
  return { backend: backend.name, threads: backend.threads, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadavg1: os.loadavg()[0], date: new Date().toISOString() };
}

registerKind('rollout', 'constraints-flux-weather', 'issue 9 (c): GraphCast-style model with/without the mass-conserving flux head — mass drift and height RMSE over 10 days', async (raw, _a, ctx) => {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('config', 'an object', describe(raw));
  const { kind: _k, ...cfg } = raw as Record<string, unknown>;
  const info = await initBackend();
  const t0 = performance.now();
  const r = await fluxWeatherDemo(cfg as Partial<FluxWeatherDemoConfig>, ctx.log);
  const out = r.config.out;
  writeJson(out, { ...r, wallSeconds: (performance.now() - t0) / 1000, environment: environment(info) });
  const L = r.leadHours.length - 1;
  ctx.log(`mass drift at ${r.leadHours[L]} h: plain ${r.plain.massDrift[L].toExponential(3)}, flux ${r.flux.massDrift[L].toExponential(3)}; RMSE_h / persistence: plain ${r.ratioToPersistence.plain[L].toFixed(3)}, flux ${r.ratioToPersistence.flux[L].toFixed(3)}`);
  ctx.out(JSON.stringify({ out }));
  return 0;
});

registerKind('rollout', 'constraints-momentum-trained', 'issue 9 (a): trained particle surrogate with/without momentum-conserving messages — momentum drift and MSE over a rollout', async (raw, _a, ctx) => {
  if (typeof raw !== 'object' || raw === null) throw new ConfigError('config', 'an object', describe(raw));
  const { kind: _k, ...cfg } = raw as Record<string, unknown>;
  const info = await initBackend();
  const t0 = performance.now();
  const r = momentumTrainedDemo(cfg as Partial<MomentumDemoConfig>, ctx.log);
  const out = r.config.out;
  writeJson(out, { ...r, wallSeconds: (performance.now() - t0) / 1000, environment: environment(info) });
  const L = r.steps;
  ctx.log(`momentum drift (max over rollouts): plain ${r.plain.maxAbsDrift.toExponential(3)}, conserving ${r.conserving.maxAbsDrift.toExponential(3)}, simulator ${r.reference.maxAbsDrift.toExponential(3)}; position MSE at step ${L}: plain ${r.plain.mse[L].toExponential(3)} (${r.plain.alive[L]} not diverged), conserving ${r.conserving.mse[L].toExponential(3)} (${r.conserving.alive[L]}), constant velocity ${r.constantVelocity.mse[L].toExponential(3)}`);
  ctx.out(JSON.stringify({ out }));
  return 0;
});
