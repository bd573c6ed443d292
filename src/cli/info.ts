/** `gnnwb info`: backend in use and why, threads, versions, CPU. */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initBackend, type BackendInfo } from '../engine/backend.js';
import { registerCommand } from './registry.js';

const require = createRequire(import.meta.url);

/** Installed version of a package, read from its package.json (works with strict `exports`). */
export function pkgVersion(name: string): string | null {
  for (const base of require.resolve.paths(name) ?? []) {
    try {
      return (JSON.parse(readFileSync(`${base}/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      // try the next node_modules folder
    }
  }
  return null;
}

/** Machine and software facts recorded in every report. */
export interface EnvironmentInfo {
  readonly gnnwb: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly backend: BackendInfo;
  readonly packages: Readonly<Record<string, string | null>>;
}

export async function environmentInfo(backend?: BackendInfo): Promise<EnvironmentInfo> {
  const b = backend ?? (await initBackend());
  const own = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const cpus = os.cpus();
  return {
    gnnwb: own.version,
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    backend: b,
    packages: Object.fromEntries(
      [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-node',
        '@tensorflow/tfjs-node-gpu',
        'h5wasm',
        'mathjs',
        'ml-matrix',
        'delaunator',
        'plotly.js-dist-min',
        'fast-check',
      ].map((p) => [p, pkgVersion(p)]),
    ),
  };
}

registerCommand({
  name: 'info',
  summary: 'backend in use and why, threads, versions, CPU',
  usage: 'gnnwb info [--json] [--backend auto|tfjs-node-gpu|tfjs-node|wasm|cpu] [--threads N]',
  async run(args, ctx) {
    const backend = await initBackend({
      backend: args.options.backend as never,
      threads: args.options.threads ? Number(args.options.threads) : undefined,
    });
    const env = await environmentInfo(backend);
    if (args.options.json) {
      ctx.out(JSON.stringify(env, null, 2));
      return 0;
    }
    ctx.out(`gnnwb ${env.gnnwb}`);
    ctx.out(`backend   ${backend.name} (${backend.threads} thread${backend.threads > 1 ? 's' : ''})`);
    ctx.out(`  why     ${backend.reason}`);
    for (const a of backend.attempts) ctx.out(`  tried   ${a.name}: ${a.ok ? 'started' : a.reason}`);
    ctx.out(`node      ${env.node} (${env.platform}/${env.arch})`);
    ctx.out(`cpu       ${env.cpu}, ${env.cores} cores, ${env.memoryGiB} GiB`);
    for (const [p, v] of Object.entries(env.packages)) ctx.out(`  ${p.padEnd(30)} ${v ?? '(not installed)'}`);
    return 0;
  },
});
