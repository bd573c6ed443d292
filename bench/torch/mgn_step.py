#!/usr/bin/env python3
"""PyTorch peer of the MeshGraphNets processor step used by `gnnwb native-bench`.

One message-passing step, latent L, 2-layer MLPs (ReLU) with LayerNorm, residuals, sum
aggregation to receivers; loss = mean(nodes^2) + mean(edges^2); forward + backward + Adam.
Random graph: N nodes, E = 6N edges (uniform senders/receivers), seeded.
Prints one JSON line: {"ms_per_step": wall, "cpu_ms_per_step": process CPU time (all threads), ...}.
Run with Debian's python3-torch: /usr/bin/python3 bench/torch/mgn_step.py --nodes 10000
"""
import argparse, json, time
import torch

p = argparse.ArgumentParser()
p.add_argument("--nodes", type=int, default=10000)
p.add_argument("--edges", type=int, default=0, help="default 6*nodes")
p.add_argument("--latent", type=int, default=128)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--mp-steps", type=int, default=1, help="message-passing steps (blocks)")
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
N, L = a.nodes, a.latent
E = a.edges or 6 * N

def mlp(i):
    return torch.nn.Sequential(torch.nn.Linear(i, L), torch.nn.ReLU(), torch.nn.Linear(L, L), torch.nn.LayerNorm(L))

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.edge = mlp(3 * L)
        self.node = mlp(2 * L)
    def forward(self, v, e, s, r):
        e2 = self.edge(torch.cat([e, v[s], v[r]], 1))
        agg = torch.zeros_like(v).index_add_(0, r, e2)
        v2 = self.node(torch.cat([v, agg], 1))
        return v + v2, e + e2

blocks = torch.nn.ModuleList([Block() for _ in range(a.mp_steps)])
opt = torch.optim.Adam(blocks.parameters(), lr=1e-4)
v0 = torch.randn(N, L); e0 = torch.randn(E, L)
s = torch.randint(0, N, (E,)); r = torch.randint(0, N, (E,))

def step():
    opt.zero_grad(set_to_none=True)
    v, e = v0, e0
    for b in blocks:
        v, e = b(v, e, s, r)
    loss = (v * v).mean() + (e * e).mean()
    loss.backward()
    opt.step()
    return loss.item()

step(); step()
t = time.perf_counter(); c = time.process_time()
for _ in range(a.steps):
    step()
ms = (time.perf_counter() - t) / a.steps * 1e3
cpu_ms = (time.process_time() - c) / a.steps * 1e3  # all threads of the process
print(json.dumps({"ms_per_step": ms, "cpu_ms_per_step": cpu_ms, "steps": a.steps, "nodes": N, "edges": E, "latent": L, "mp_steps": a.mp_steps,
                  "torch": torch.__version__, "threads": torch.get_num_threads()}))
