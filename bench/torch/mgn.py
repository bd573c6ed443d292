#!/usr/bin/env python3
"""PyTorch peer of `gnnwb bench mgn`: one full MeshGraphNets training step on a given mesh.

Same model as src/models/meshgraphnet.ts (Pfaff et al. 2021): node/edge encoders
MLP [in, L, L, L] + LayerNorm, `mp_steps` processor blocks (edge MLP on [e, v_s, v_r] and node
MLP on [v, sum of incoming edges], each [., L, L, L] + LayerNorm, residuals), decoder
MLP [L, L, L, 2] without LayerNorm; ReLU. Inputs are normalised with fixed mean/std (the online
normalisers' statistics), the loss is the mean over masked nodes of the squared error summed
over the 2 components, then backward and Adam (lr 1e-4). The graph and features are read from
the JSON file written by the TypeScript bench, so both sides run the same mesh.

Prints one JSON line: {"ms_per_step": median, "steps_ms": [...], "threads": T, "torch": version}.
Run with Debian's python3-torch: /usr/bin/python3 bench/torch/mgn.py --graph g.json --threads 1
"""
import argparse, json, time, statistics
import torch

p = argparse.ArgumentParser()
p.add_argument("--graph", required=True)
p.add_argument("--steps", type=int, default=5)
p.add_argument("--warmup", type=int, default=2)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
g = json.load(open(a.graph))
L, MP, H = g["latent"], g["mp_steps"], g["mlp_layers"]
N = g["num_nodes"]
s = torch.tensor(g["senders"], dtype=torch.long)
r = torch.tensor(g["receivers"], dtype=torch.long)
x = torch.tensor(g["node_features"], dtype=torch.float32).view(N, -1)
e = torch.tensor(g["edge_features"], dtype=torch.float32).view(len(g["senders"]), 3)
y = torch.tensor(g["target"], dtype=torch.float32).view(N, 2)
mask = torch.tensor(g["loss_mask"], dtype=torch.float32).view(N, 1)

def mlp(i, o, norm):
    layers, w = [], i
    for _ in range(H):
        layers += [torch.nn.Linear(w, L), torch.nn.ReLU()]
        w = L
    layers.append(torch.nn.Linear(w, o))
    if norm:
        layers.append(torch.nn.LayerNorm(o))
    return torch.nn.Sequential(*layers)

class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.edge = mlp(3 * L, L, True)
        self.node = mlp(2 * L, L, True)
    def forward(self, v, e):
        e2 = self.edge(torch.cat([e, v[s], v[r]], 1))
        agg = torch.zeros(v.shape[0], L).index_add_(0, r, e2)
        v2 = self.node(torch.cat([v, agg], 1))
        return v + v2, e + e2

class MGN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc_node = mlp(x.shape[1], L, True)
        self.enc_edge = mlp(3, L, True)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(MP)])
        self.dec = mlp(L, 2, False)
    def forward(self, xn, en):
        v, ee = self.enc_node(xn), self.enc_edge(en)
        for b in self.blocks:
            v, ee = b(v, ee)
        return self.dec(v)

model = MGN()
opt = torch.optim.Adam(model.parameters(), lr=1e-4)
xm, xs = x.mean(0), x.std(0, unbiased=False).clamp_min(1e-8)
em, es = e.mean(0), e.std(0, unbiased=False).clamp_min(1e-8)
ym, ys = y.mean(0), y.std(0, unbiased=False).clamp_min(1e-8)
count = mask.sum()

def step():
    opt.zero_grad(set_to_none=True)
    pred = model((x - xm) / xs, (e - em) / es)
    err = ((pred - (y - ym) / ys) ** 2).sum(1, keepdim=True)
    loss = (err * mask).sum() / count
    loss.backward()
    opt.step()
    return loss.item()

for _ in range(a.warmup):
    step()
times = []
for _ in range(a.steps):
    t = time.perf_counter()
    step()
    times.append((time.perf_counter() - t) * 1e3)
print(json.dumps({"ms_per_step": statistics.median(times), "steps_ms": times, "threads": a.threads, "torch": torch.__version__,
                  "num_params": sum(p.numel() for p in model.parameters())}))
