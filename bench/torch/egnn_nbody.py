#!/usr/bin/env python3
"""PyTorch peer of the EGNN N-body training epoch used by `gnnwb bench-native`.

EGNN_vel (Satorras et al. 2021, reference code vgsatorras/egnn E_GCL_vel): hidden 64, 4 layers,
SiLU MLPs, coordinate MLP ending in a bias-free linear layer, mean coordinate aggregation,
velocity term, residual node update; inputs h0 = |v|, edge attributes (q_i q_j, |x_i - x_j|^2),
fully connected 5-particle systems, batch 100, MSE on positions, Adam lr 5e-4. One epoch =
`--train / --batch` steps over synthetic data of the paper's shapes (timing only).
`--warmup` untimed epochs, then `--epochs` timed ones. Prints one JSON line:
{"ms_per_epoch": median, "epochs_ms": [...], "cpu_ms_per_epoch": median, ...}.
"""
import argparse, json, time
import torch
from torch import nn

p = argparse.ArgumentParser()
p.add_argument("--train", type=int, default=3000)
p.add_argument("--batch", type=int, default=100)
p.add_argument("--hidden", type=int, default=64)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--warmup", type=int, default=1, help="untimed epochs first")
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
H, n = a.hidden, 5
SiLU = nn.SiLU

class GCL(nn.Module):
    def __init__(self):
        super().__init__()
        self.edge = nn.Sequential(nn.Linear(2 * H + 1 + 2, H), SiLU(), nn.Linear(H, H), SiLU())
        self.node = nn.Sequential(nn.Linear(2 * H, H), SiLU(), nn.Linear(H, H))
        last = nn.Linear(H, 1, bias=False)
        nn.init.xavier_uniform_(last.weight, gain=0.001)
        self.coord = nn.Sequential(nn.Linear(H, H), SiLU(), last)
        self.vel = nn.Sequential(nn.Linear(H, H), SiLU(), nn.Linear(H, 1))
    def forward(self, h, x, v, s, r, ea, inv_deg):
        diff = x[r] - x[s]
        radial = (diff * diff).sum(1, keepdim=True)
        m = self.edge(torch.cat([h[r], h[s], radial, ea], 1))
        trans = (diff * self.coord(m)).clamp(-100, 100)
        x = x + torch.zeros_like(x).index_add_(0, r, trans) * inv_deg
        x = x + self.vel(h) * v
        agg = torch.zeros_like(h).index_add_(0, r, m)
        h = h + self.node(torch.cat([h, agg], 1))
        return h, x

class EGNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(1, H)
        self.layers = nn.ModuleList([GCL() for _ in range(a.layers)])
    def forward(self, h0, x, v, s, r, ea, inv_deg):
        h = self.embed(h0)
        for l in self.layers:
            h, x = l(h, x, v, s, r, ea, inv_deg)
        return x

B = a.batch
N = B * n
ii, jj = zip(*[(b * n + i, b * n + j) for b in range(B) for i in range(n) for j in range(n) if i != j])
r = torch.tensor(ii); s = torch.tensor(jj)
inv_deg = torch.full((N, 1), 1.0 / (n - 1))
model = EGNN()
opt = torch.optim.Adam(model.parameters(), lr=5e-4)
steps = a.train // B
data = [(torch.randn(N, 3), torch.randn(N, 3), torch.sign(torch.randn(N)), torch.randn(N, 3)) for _ in range(steps)]

def epoch():
    for x, v, q, t in data:
        h0 = v.norm(dim=1, keepdim=True)
        d = x[r] - x[s]
        ea = torch.stack([q[r] * q[s], (d * d).sum(1)], 1)
        opt.zero_grad(set_to_none=True)
        loss = ((model(h0, x, v, s, r, ea, inv_deg) - t) ** 2).mean()
        loss.backward()
        opt.step()

for _ in range(a.warmup):
    epoch()
walls, cpus = [], []
for _ in range(a.epochs):
    t0 = time.perf_counter(); c0 = time.process_time()
    epoch()
    walls.append((time.perf_counter() - t0) * 1e3)
    cpus.append((time.process_time() - c0) * 1e3)  # all threads of the process
med = lambda xs: sorted(xs)[len(xs) // 2] if len(xs) % 2 else sum(sorted(xs)[len(xs) // 2 - 1:len(xs) // 2 + 1]) / 2
print(json.dumps({"ms_per_epoch": med(walls), "cpu_ms_per_epoch": med(cpus), "epochs_ms": walls, "warmup": a.warmup, "steps_per_epoch": steps,
                  "batch": B, "hidden": H, "layers": a.layers, "torch": torch.__version__, "threads": torch.get_num_threads()}))
