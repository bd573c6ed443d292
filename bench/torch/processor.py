#!/usr/bin/env python3
"""PyTorch peer of `gnnwb bench processor` (src/bench/processor.ts): the same
MeshGraphNets-style processor step, forward + backward + Adam, on the same graph sizes.

    e' = LN(W2 relu(W1 [e, v_s, v_r] + b1) + b2)     edge MLP  [E, 3L] -> L -> L
    a  = scatter_add(e', receivers)                   [N, L]
    v' = LN(W4 relu(W3 [v, a] + b3) + b4)            node MLP  [N, 2L] -> L -> L
    e <- e + e', v <- v + v'; loss = mean((v - target)^2); Adam(lr 1e-4)

Variants: 'concat' (the textbook form: materialise [e, v_s, v_r]) and 'split' (same
parameters: e W_e + (v W_s)[s] + (v W_r)[r], fewer FLOPs when E > N).

Usage: /usr/bin/python3 bench/torch/processor.py --threads 1 --sizes 2000x12000,10000x60000
       [--steps 5] [--warmup 2] [--variants concat,split]
Prints one JSON object on stdout.
"""
import argparse
import json
import statistics
import time

import torch


class Mlp(torch.nn.Module):
    def __init__(self, d_in, latent):
        super().__init__()
        self.l1 = torch.nn.Linear(d_in, latent)
        self.l2 = torch.nn.Linear(latent, latent)
        self.norm = torch.nn.LayerNorm(latent)

    def from_first(self, z0):
        return self.norm(self.l2(torch.relu(z0)))

    def forward(self, x):
        return self.from_first(self.l1(x))


class Processor(torch.nn.Module):
    def __init__(self, latent, variant):
        super().__init__()
        self.latent = latent
        self.variant = variant
        self.edge = Mlp(3 * latent, latent)
        self.node = Mlp(2 * latent, latent)

    def forward(self, v, e, s, r):
        L = self.latent
        if self.variant == 'concat':
            e_new = self.edge(torch.cat([e, v[s], v[r]], dim=1))
        else:
            w = self.edge.l1.weight  # [L, 3L]
            z = e @ w[:, :L].t() + (v @ w[:, L:2 * L].t())[s] + (v @ w[:, 2 * L:].t())[r] + self.edge.l1.bias
            e_new = self.edge.from_first(z)
        agg = torch.zeros(v.shape[0], L, dtype=v.dtype).index_add_(0, r, e_new)
        v_new = self.node(torch.cat([v, agg], dim=1))
        return v + v_new, e + e_new


def bench(n, m, latent, steps, warmup, variant, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randint(0, n, (m,), generator=g)
    r = torch.randint(0, n, (m,), generator=g)
    v = torch.randn(n, latent, generator=g)
    e = torch.randn(m, latent, generator=g)
    target = torch.randn(n, latent, generator=g)
    torch.manual_seed(seed)
    model = Processor(latent, variant)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        v_out, _ = model(v, e, s, r)
        loss = ((v_out - target) ** 2).mean()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(warmup):
        step()
    times = []
    cpu = []
    for _ in range(steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {'numNodes': n, 'numEdges': m, 'variant': variant, 'msPerStep': round(statistics.median(times), 1),
            'stepsMs': [round(t, 1) for t in times], 'cpuMsPerStep': round(statistics.median(cpu), 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--sizes', default='2000x12000,10000x60000')
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--latent', type=int, default=128)
    ap.add_argument('--variants', default='concat,split')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    results = []
    for size in a.sizes.split(','):
        n, m = (int(x) for x in size.split('x'))
        for variant in a.variants.split(','):
            results.append(bench(n, m, a.latent, a.steps, a.warmup, variant))
    cfg = torch.__config__.show()
    blas = 'openblas' if 'openblas' in cfg.lower() else 'unknown'
    print(json.dumps({'torch': torch.__version__, 'threads': a.threads, 'blas': blas, 'results': results}))


if __name__ == '__main__':
    main()
