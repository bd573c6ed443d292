/**
 * EGNN against an independent PyTorch implementation of the reference layer (`E_GCL_vel` of
 * vgsatorras/egnn as the N-body experiment configures it: recurrent residual, mean coordinate
 * aggregation, no tanh/attention/normalised differences, velocity MLP, edge attributes
 * [q_i q_j, ‖x_i − x_j‖²], node input ‖v‖): same weights, same batch of 100 N-body samples →
 * the MSE loss and the gradient of every parameter agree. This pins the whole forward and
 * backward pass (gathers, segment sums, SiLU, clamp, residuals), not only the symmetries.
 *
 * Needs `/usr/bin/python3` with torch (Debian `python3-torch`); without it the test says NOT RUN.
 * A deliberately wrong variant (sum instead of mean coordinate aggregation on the torch side)
 * must disagree, so the comparison can fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { generateNBodyDataset } from '../../src/train/nbody_data.js';
import { createNBodyModel, makeBatch, validateNBodyTrainConfig } from '../../src/train/nbody.js';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/** PyTorch EGNN_vel (written for this test from the paper's equations and the reference configuration). */
const SCRIPT = String.raw`
import json, sys, torch
from torch import nn
torch.set_num_threads(1)
d = json.load(open(sys.argv[1])); variant = sys.argv[2]
P = d['params']; H = d['hidden']; L = d['layers']; n = 5
def lin(name, bias=True):
    W = torch.tensor(P[name + '/W']['data'], dtype=torch.float32).view(*P[name + '/W']['shape'])
    m = nn.Linear(W.shape[0], W.shape[1], bias=bias); m.weight.data = W.t().contiguous()
    if bias: m.bias.data = torch.tensor(P[name + '/b']['data'], dtype=torch.float32)
    return m
def two(name, act_last=False, last_bias=True):
    mods = [lin(name + '/0'), nn.SiLU(), lin(name + '/1', last_bias)]
    if act_last: mods.append(nn.SiLU())
    return nn.Sequential(*mods)
emb = lin('egnn/embed')
layers = [dict(edge=two(f'egnn/gcl{l}/edge', True), node=two(f'egnn/gcl{l}/node'),
               coord=two(f'egnn/gcl{l}/coord', last_bias=False), vel=two(f'egnn/gcl{l}/vel')) for l in range(L)]
x = torch.tensor(d['x']).view(-1, 3); v = torch.tensor(d['v']).view(-1, 3)
q = torch.tensor(d['q']).view(-1, 1); y = torch.tensor(d['y']).view(-1, 3)
N = x.shape[0]; B = N // n
r = torch.tensor([i for i in range(n) for j in range(n) if i != j]); c = torch.tensor([j for i in range(n) for j in range(n) if i != j])
off = (torch.arange(B) * n).repeat_interleave(n * (n - 1)); r = r.repeat(B) + off; c = c.repeat(B) + off
def seg(a): return torch.zeros(N, a.shape[1]).index_add_(0, r, a)
h = emb(v.norm(dim=1, keepdim=True))
ea = torch.cat([q[r] * q[c], ((x[r] - x[c]) ** 2).sum(1, keepdim=True)], 1)
for Ly in layers:
    diff = x[r] - x[c]
    m = Ly['edge'](torch.cat([h[r], h[c], (diff ** 2).sum(1, keepdim=True), ea], 1))
    trans = torch.clamp(diff * Ly['coord'](m), -100, 100)
    agg = seg(trans) if variant == 'sum' else seg(trans) / seg(torch.ones_like(trans)).clamp(min=1)
    x = x + agg + Ly['vel'](h) * v
    h = h + Ly['node'](torch.cat([h, seg(m)], 1))
loss = ((x - y) ** 2).mean(); loss.backward()
mods = {'egnn/embed': emb}
for l, Ly in enumerate(layers):
    for k in ['edge', 'node', 'coord', 'vel']:
        mods[f'egnn/gcl{l}/{k}/0'] = Ly[k][0]; mods[f'egnn/gcl{l}/{k}/1'] = Ly[k][2]
worst = 0.0; missing = []
for name, g in d['grads'].items():
    base, kind = name.rsplit('/', 1)
    t = mods[base].weight if kind == 'W' else mods[base].bias
    tg = None if t.grad is None else (t.grad.t() if kind == 'W' else t.grad)
    if g is None or tg is None:
        if (g is None) != (tg is None): missing.append(name)
        continue
    g = torch.tensor(g).view(*tg.shape)
    worst = max(worst, ((g - tg).norm() / (tg.norm() + 1e-30)).item())
print(json.dumps({'loss': loss.item(), 'worst': worst, 'missing': missing}))
`;

describe('EGNN vs PyTorch (same weights, one batch of 100 N-body samples)', () => {
  if (!hasTorch) {
    it('NOT RUN: /usr/bin/python3 with torch is not available (install python3-torch)', () => {
      expect(hasTorch).toBe(false);
    });
    return;
  }
  let dir = '';
  let file = '';
  let tfLoss = 0;
  beforeAll(async () => {
    await initBackend();
    const data = generateNBodyDataset({ numTrain: 100, numVal: 1, numTest: 1, rng: 'gnnwb', seed: 9 });
    const cfg = validateNBodyTrainConfig({ model: 'egnn', hidden: 32, layers: 3, seed: 4 });
    const model = createNBodyModel(cfg);
    const b = makeBatch(data.train, Array.from({ length: 100 }, (_, i) => i), 'egnn');
    const vars = model.params.list();
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(model.predict(b), b.target))) as tf.Scalar, vars);
    tfLoss = value.dataSync()[0];
    const out = {
      hidden: 32, layers: 3, x: Array.from(data.train.x0), v: Array.from(data.train.v0), q: Array.from(data.train.charges), y: Array.from(data.train.xT),
      params: {} as Record<string, { shape: number[]; data: number[] }>, grads: {} as Record<string, number[] | null>,
    };
    model.params.names().forEach((n, i) => {
      out.params[n] = { shape: vars[i].shape, data: Array.from(vars[i].dataSync()) };
      const g = grads[vars[i].name];
      out.grads[n] = g ? Array.from(g.dataSync()) : null;
    });
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    for (const t of Object.values(b)) (t as tf.Tensor).dispose();
    model.params.dispose();
    dir = mkdtempSync(join(tmpdir(), 'gnnwb-egnn-torch-'));
    file = join(dir, 'egnn.json');
    writeFileSync(file, JSON.stringify(out));
    writeFileSync(join(dir, 'egnn_torch.py'), SCRIPT);
  }, 120_000);

  const runTorch = (variant: string): { loss: number; worst: number; missing: string[] } => {
    const p = spawnSync(PY, [join(dir, 'egnn_torch.py'), file, variant], { encoding: 'utf8', timeout: 120_000 });
    if (p.status !== 0) throw new Error(`python failed: ${p.stderr.slice(-600)}`);
    return JSON.parse(p.stdout.trim().split('\n').pop()!);
  };

  it('loss and every parameter gradient agree (relative error < 1e-4)', () => {
    try {
      const r = runTorch('mean');
      expect(Math.abs(r.loss - tfLoss) / r.loss).toBeLessThan(1e-5);
      expect(r.missing).toEqual([]);
      expect(r.worst).toBeLessThan(1e-4);
      // A reference with summed (not averaged) coordinate messages is a different function.
      const wrong = runTorch('sum');
      expect(Math.abs(wrong.loss - tfLoss) / wrong.loss).toBeGreaterThan(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
