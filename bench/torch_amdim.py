"""What a user would pick instead: the same AMDIM model and training step in PyTorch on this machine.

Mirrors src/lib/model/{encoder,heads,loss}.ts and src/lib/train/optim.ts (valid convs, ResNxN with avg-pool
shortcuts, 1x1 heads, BatchNorm over both views, multi-scale NCE with soft clip and score regulariser,
Adam with L2 decay) on random images; prints one JSON line: images/s, steps/s, ms/step (median of reps).
  /usr/bin/python3 bench/torch_amdim.py --ndf 8 --n-rkhs 32 --n-depth 1 --batch 4 --size 32 --steps 10
"""
import argparse, json, math, os, platform, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResNxN(nn.Module):
    def __init__(self, cin, cout, k, s):
        super().__init__()
        self.k, self.s, self.cin, self.cout = k, s, cin, cout
        self.conv1 = nn.Conv2d(cin, cout, k, s)
        self.conv2 = nn.Conv2d(cout, cout, 1)
        nn.init.zeros_(self.conv2.weight); nn.init.zeros_(self.conv2.bias)

    def forward(self, x):
        h = self.conv2(F.relu(self.conv1(x)))
        sc = F.avg_pool2d(x, self.k, self.s) if (self.k > 1 or self.s > 1) else x
        if self.cout > self.cin: sc = F.pad(sc, (0, 0, 0, 0, 0, self.cout - self.cin))
        elif self.cout < self.cin: sc = sc[:, : self.cout]
        return h + sc


def block(cin, cout, k, s, depth):
    return [ResNxN(cin, cout, k, s)] + [ResNxN(cout, cout, 1, 1) for _ in range(depth - 1)]


class Head(nn.Module):
    def __init__(self, cin, d):
        super().__init__()
        self.c1, self.c2, self.sc = nn.Conv2d(cin, d, 1, bias=False), nn.Conv2d(d, d, 1, bias=False), nn.Conv2d(cin, d, 1, bias=False)
        nn.init.zeros_(self.c2.weight)
        self.bn = nn.BatchNorm2d(d)

    def forward(self, x):
        return self.bn(self.c2(F.relu(self.c1(x))) + self.sc(x))


class Encoder(nn.Module):
    def __init__(self, ndf, d, depth, size):
        super().__init__()
        big = size == 64
        w = [ndf, 2 * ndf, 4 * ndf, 8 * ndf] if big else [ndf, 2 * ndf, 4 * ndf]
        ks = [4, 4, 2] if big else [4, 2]
        self.stem = nn.Conv2d(3, ndf, 3)
        layers = [ResNxN(ndf, ndf, 1, 1)]
        for i, k in enumerate(ks): layers += block(w[i], w[i + 1], k, 2, depth)
        self.down = nn.Sequential(*layers)
        w7 = w[-1]
        self.to5, self.to3 = nn.Sequential(*block(w7, w7, 3, 1, depth)), nn.Sequential(*block(w7, w7, 3, 1, depth))
        self.to1, self.bn1 = ResNxN(w7, d, 3, 1), nn.BatchNorm2d(d)
        self.head7, self.head5 = Head(w7, d), Head(w7, d)

    def forward(self, x):
        m7 = self.down(F.relu(self.stem(x)))
        m5 = self.to5(m7)
        r1 = self.bn1(self.to1(self.to3(m5)))
        return r1.flatten(1), self.head5(m5).flatten(2).transpose(1, 2), self.head7(m7).flatten(2).transpose(1, 2)


def nce(u, v, tclip):  # u (B, D), v (B, T, D)
    B, T, D = v.shape
    s = (u @ v.reshape(B * T, D).t()).reshape(B, B, T) / math.sqrt(D)
    reg = 0.05 * s.pow(2).mean()
    s = tclip * torch.tanh(s / tclip)
    eye = torch.eye(B, device=u.device).unsqueeze(-1)
    pos = (s * eye).sum(1)
    neg = torch.logsumexp((s - 1e9 * eye).reshape(B, B * T), 1, keepdim=True)
    return F.softplus(neg - pos).mean(), reg


def step(enc, opt, xa, xb, tclip=20.0):
    B = xa.shape[0]
    r1, r5, r7 = enc(torch.cat([xa, xb]))
    (u1a, u1b), (m5a, m5b), (m7a, m7b) = r1.split(B), r5.split(B), r7.split(B)
    idx = torch.randint(0, 25, (2, B))
    u5a, u5b = m5a[torch.arange(B), idx[0]], m5b[torch.arange(B), idx[1]]
    terms = [nce(u1a, m5b, tclip), nce(u1b, m5a, tclip), nce(u1a, m7b, tclip), nce(u1b, m7a, tclip), nce(u5a, m5b, tclip), nce(u5b, m5a, tclip)]
    loss = 0.5 * sum(l for l, _ in terms) + 0.5 * sum(r for _, r in terms)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def main():
    p = argparse.ArgumentParser()
    for k, v in [("ndf", 8), ("n-rkhs", 32), ("n-depth", 1), ("batch", 4), ("size", 32), ("steps", 10), ("reps", 3), ("threads", 0)]:
        p.add_argument(f"--{k}", type=int, default=v)
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    enc = Encoder(a.ndf, a.n_rkhs, a.n_depth, a.size).to(dev)
    opt = torch.optim.Adam(enc.parameters(), lr=2e-4, betas=(0.8, 0.999), eps=1e-8, weight_decay=1e-5)
    xa, xb = torch.rand(a.batch, 3, a.size, a.size, device=dev), torch.rand(a.batch, 3, a.size, a.size, device=dev)
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    t0 = time.perf_counter(); step(enc, opt, xa, xb).item(); first = time.perf_counter() - t0
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        for _ in range(a.steps): loss = step(enc, opt, xa, xb)
        loss.item(); sync()
        times.append((time.perf_counter() - t) / a.steps)
    sec = statistics.median(times)
    print(json.dumps({"torch": torch.__version__, "device": dev, "threads": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
                      "ndf": a.ndf, "nRkhs": a.n_rkhs, "nDepth": a.n_depth, "batch": a.batch, "imageSize": a.size,
                      "msPerStep": sec * 1000, "stepsPerSec": 1 / sec, "imagesPerSec": a.batch / sec, "firstStepSec": first}))


if __name__ == "__main__":
    main()
