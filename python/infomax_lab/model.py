"""The AMDIM encoder and heads of src/lib/model/{plan,encoder,heads,params}.ts, parameter for parameter.

Every parameter keeps the app's name and the app's (TensorFlow.js) layout, so `state_dict()` *is* the app's
bundle: k×k conv weights are (k, k, in, out), 1×1 conv weights (in, out), BatchNorm has gamma, beta,
running_mean, running_var. The forward pass permutes them to torch's layout on the fly (a free view).
Initial values come from the app's seeded generator in the app's creation order, so one config seed gives the
same starting weights here and in the page.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .dist import all_reduce_sum, world

BN_EPS = 1e-5
BN_MOMENTUM = 0.1
CIFAR_MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
CIFAR_STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]
STL_MEAN = [0.43, 0.42, 0.39]
STL_STD = [0.27, 0.26, 0.27]


# ---------------------------------------------------------------- the plan (plan.ts)

def _out(size, k, s):
    return (size - k) // s + 1


def encoder_plan(ndf, n_rkhs, n_depth, image_size, use_bn=False):
    """plan.ts encoderPlan: residual layers as dicts {name, nIn, nOut, k, s, bn}, grouped as the app groups them."""
    if image_size not in (32, 64):
        raise ValueError(f"encoder: imageSize must be 32 or 64, got {image_size}")

    def res(name, nin, nout, k, s):
        return {"name": name, "nIn": nin, "nOut": nout, "k": k, "s": s, "bn": bool(use_bn)}

    def block(name, nin, nout, k, s):
        return [res(f"{name}.0", nin, nout, k, s)] + [res(f"{name}.{d}", nout, nout, 1, 1) for d in range(1, n_depth)]

    if image_size == 64:
        down = block("block1", ndf, 2 * ndf, 4, 2) + block("block2", 2 * ndf, 4 * ndf, 4, 2) + block("block3", 4 * ndf, 8 * ndf, 2, 2)
    else:
        down = [res("stem.res", ndf, ndf, 1, 1)] + block("block1", ndf, 2 * ndf, 4, 2) + block("block2", 2 * ndf, 4 * ndf, 2, 2)
    w7 = 8 * ndf if image_size == 64 else 4 * ndf
    return {
        "ndf": ndf, "nRkhs": n_rkhs, "useBn": bool(use_bn), "w7": w7, "down": down, "bn7": "bn7" if use_bn else None,
        "to5": block("block5", w7, w7, 3, 1), "to3": block("block3x3", w7, w7, 3, 1), "rkhs": res("rkhs", w7, n_rkhs, 3, 1),
        "heads": [{"name": "head7", "nIn": w7, "nOut": n_rkhs, "bnHid": bool(use_bn)},
                  {"name": "head5", "nIn": w7, "nOut": n_rkhs, "bnHid": bool(use_bn)}],
        "input": (STL_MEAN, STL_STD) if image_size == 64 else (CIFAR_MEAN, CIFAR_STD),
    }


def _u(fan_in):
    return ("uniform", 1 / math.sqrt(fan_in))


_ZERO, _ONE = ("const", 0.0), ("const", 1.0)


def _bn(name, c):
    return [(f"{name}.gamma", [c], _ONE, True), (f"{name}.beta", [c], _ZERO, True),
            (f"{name}.running_mean", [c], _ZERO, False), (f"{name}.running_var", [c], _ONE, False)]


def _res(l):
    w = [(f"{l['name']}.conv1.weight", [l["nIn"], l["nOut"]] if l["k"] == 1 else [l["k"], l["k"], l["nIn"], l["nOut"]],
          _u(l["k"] * l["k"] * l["nIn"]), True),
         (f"{l['name']}.conv2.weight", [l["nOut"], l["nOut"]], _ZERO, True)]
    return w + (_bn(f"{l['name']}.bn1", l["nOut"]) if l["bn"] else [])


def _head(h):
    return ([(f"{h['name']}.conv1.weight", [h["nIn"], h["nOut"]], _u(h["nIn"]), True),
             (f"{h['name']}.conv2.weight", [h["nOut"], h["nOut"]], _ZERO, True)]
            + (_bn(f"{h['name']}.bn_hid", h["nOut"]) if h["bnHid"] else []) + _bn(f"{h['name']}.bn_out", h["nOut"])
            + [(f"{h['name']}.shortcut.weight", [h["nIn"], h["nOut"]], ("eyeNoise", 0.01) if h["nOut"] >= h["nIn"] else _u(h["nIn"]), True),
               (f"{h['name']}.shortcut.bias", [h["nOut"]], _u(h["nIn"]), True)])


def plan_weights(p):
    """[(name, shape, init, trainable)] of every encoder weight in creation order: planWeights() of plan.ts."""
    out = [("stem.conv.weight", [3, 3, 3, p["ndf"]], _u(27), True), ("stem.conv.bias", [p["ndf"]], _u(27), True)]
    for l in p["down"]:
        out += _res(l)
    out += _bn(p["bn7"], p["w7"]) if p["bn7"] else []
    for l in p["to5"] + p["to3"] + [p["rkhs"]]:
        out += _res(l)
    out += _bn("rkhs.bn", p["nRkhs"])
    for h in p["heads"]:
        out += _head(h)
    return out


def weight_shapes(ndf, n_rkhs, n_depth, image_size, use_bn=False):
    """[(name, shape)] in creation (checkpoint) order: weightShapes() of plan.ts."""
    return [(n, s) for n, s, _, _ in plan_weights(encoder_plan(ndf, n_rkhs, n_depth, image_size, use_bn))]


def initial_values(specs, rng):
    """The app's ParamBank.create draws, in creation order: name → tensor (default dtype)."""
    vals = {}
    for name, shape, (kind, arg), _ in specs:
        n = math.prod(shape)
        if kind == "const":
            v = torch.full([n], float(arg), dtype=torch.float64)
        else:
            v = torch.tensor([rng.uniform(-arg, arg) for _ in range(n)], dtype=torch.float64)
            if kind == "eyeNoise":  # identity on the overlapping channels of an (in, out) matrix
                v = v.reshape(shape)
                for c in range(min(shape[0], shape[1])):
                    v[c, c] = 1
        vals[name] = v.reshape(shape).to(torch.get_default_dtype())
    return vals


# ---------------------------------------------------------------- layers

def conv_kxk(x, w, s):
    """x (N, C, H, W); w in the app's layout (k, k, in, out)."""
    return F.conv2d(x, w.permute(3, 2, 0, 1), stride=s)


def conv_1x1(x, w, b=None):
    """w in the app's layout (in, out): a matmul over channels."""
    return F.conv2d(x, w.t()[:, :, None, None], b)


class BatchNorm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(c))
        self.beta = nn.Parameter(torch.zeros(c))
        self.register_buffer("running_mean", torch.zeros(c))
        self.register_buffer("running_var", torch.ones(c))
        self.sync = False
        self.momentum = BN_MOMENTUM  # evaluate.refresh_batchnorm sets 1/k for an exact average of k batches

    def forward(self, x):
        # training: batch statistics (biased variance), running averages with the unbiased one, as the app
        if not (self.training and self.sync and world() > 1):
            return F.batch_norm(x, self.running_mean, self.running_var, self.gamma, self.beta, self.training, self.momentum, BN_EPS)
        # statistics over the global batch (every rank's images), so N ranks normalise as one process would
        n = all_reduce_sum(torch.tensor(float(x.numel() // x.shape[1]), device=x.device))
        mean = all_reduce_sum(x.sum(dim=(0, 2, 3))) / n
        xc = x - mean[None, :, None, None]
        var = all_reduce_sum(xc.pow(2).sum(dim=(0, 2, 3))) / n
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * n / (n - 1).clamp(min=1))
        return xc * torch.rsqrt(var + BN_EPS)[None, :, None, None] * self.gamma[None, :, None, None] + self.beta[None, :, None, None]


class Conv(nn.Module):
    def __init__(self, wshape, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(wshape))
        self.bias = nn.Parameter(torch.zeros(wshape[-1])) if bias else None


class ResNxN(nn.Module):
    """ConvResNxN: conv2_1×1(ReLU([bn1](conv1_k×k,s(x)))) + shortcut(x), no biases; shortcut = avg-pool, zero-padded
    or cut in channels."""

    def __init__(self, l):
        super().__init__()
        self.nin, self.nout, self.k, self.s = l["nIn"], l["nOut"], l["k"], l["s"]
        self.conv1 = Conv([self.nin, self.nout] if self.k == 1 else [self.k, self.k, self.nin, self.nout], False)
        self.conv2 = Conv([self.nout, self.nout], False)
        self.bn1 = BatchNorm(self.nout) if l["bn"] else None

    def forward(self, x):
        a = conv_1x1(x, self.conv1.weight) if self.k == 1 else conv_kxk(x, self.conv1.weight, self.s)
        if self.bn1 is not None:
            a = self.bn1(a)
        h = conv_1x1(F.relu(a), self.conv2.weight)
        sc = F.avg_pool2d(x, self.k, self.s) if (self.k > 1 or self.s > 1) else x
        if self.nout > self.nin:
            sc = F.pad(sc, (0, 0, 0, 0, 0, self.nout - self.nin))
        elif self.nout < self.nin:
            sc = sc[:, : self.nout]
        return h + sc


class Head(nn.Module):
    """AMDIM's FakeRKHSConvNet: bn_out(conv2(ReLU([bn_hid](conv1 x))) + shortcut(x) + b_sc), all 1×1."""

    def __init__(self, h):
        super().__init__()
        nin, nout = h["nIn"], h["nOut"]
        self.conv1 = Conv([nin, nout], False)
        self.conv2 = Conv([nout, nout], False)
        self.bn_hid = BatchNorm(nout) if h["bnHid"] else None
        self.bn_out = BatchNorm(nout)
        self.shortcut = Conv([nin, nout], True)

    def forward(self, x):
        a = conv_1x1(x, self.conv1.weight)
        if self.bn_hid is not None:
            a = self.bn_hid(a)
        res = conv_1x1(F.relu(a), self.conv2.weight)
        return self.bn_out(res + conv_1x1(x, self.shortcut.weight, self.shortcut.bias))


class Stem(nn.Module):
    def __init__(self, ndf, res):
        super().__init__()
        self.conv = Conv([3, 3, 3, ndf], True)
        if res is not None:
            self.res = ResNxN(res)


class Rkhs(ResNxN):
    def __init__(self, l):
        super().__init__(l)
        self.bn = BatchNorm(l["nOut"])


class Encoder(nn.Module):
    """forward(x): x (N, S, S, 3) RGB in [0, 1] (the app's layout) → dict r1 (N, D), r5 (N, D, 5, 5), r7 (N, D, 7, 7).
    One call per view, as the app and the official Model.forward: BatchNorm statistics are per call."""

    def __init__(self, ndf, n_rkhs, n_depth, image_size, seed_rng=None, use_bn=False):
        super().__init__()
        self.opts = {"ndf": ndf, "nRkhs": n_rkhs, "nDepth": n_depth, "imageSize": image_size, "useBn": bool(use_bn)}
        p = self.plan = encoder_plan(ndf, n_rkhs, n_depth, image_size, use_bn)
        stem_res = p["down"][0] if p["down"][0]["name"] == "stem.res" else None
        self.stem = Stem(ndf, stem_res)
        groups = {}
        for l in [l for l in p["down"] if l is not stem_res] + p["to5"] + p["to3"]:
            groups.setdefault(l["name"].split(".")[0], nn.ModuleList()).append(ResNxN(l))
        for block, layers in groups.items():
            self.add_module(block, layers)
        self.down_names = list(dict.fromkeys(l["name"].split(".")[0] for l in p["down"] if l is not stem_res))
        self.bn7 = BatchNorm(p["w7"]) if p["bn7"] else None
        self.rkhs = Rkhs(p["rkhs"])
        self.head7 = Head(p["heads"][0])
        self.head5 = Head(p["heads"][1])
        mean, std = p["input"]
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("inv_std", 1 / torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        specs = plan_weights(p)
        self.names = [n for n, *_ in specs]
        self.trainable = [n for n, _, _, t in specs if t]
        if set(self.names) != set(self.state_dict().keys()):
            raise AssertionError(f"plan and module disagree: {sorted(set(self.names) ^ set(self.state_dict().keys()))[:3]}")
        if seed_rng is not None:
            self.load_app_weights(initial_values(specs, seed_rng))

    def set_sync_bn(self, on):
        for m in self.modules():
            if isinstance(m, BatchNorm):
                m.sync = on

    def load_app_weights(self, weights):
        """Weights by the app's names and shapes (a bundle's weights.safetensors); checks every name and shape."""
        own = self.state_dict()
        missing = [n for n in own if n not in weights]
        extra = [n for n in weights if n not in own]
        if missing:
            raise ValueError(f"weights: missing tensor {missing[0]}")
        if extra:
            raise ValueError(f"weights: unexpected tensor {extra[0]}")
        for n, t in own.items():
            if list(weights[n].shape) != list(t.shape):
                raise ValueError(f"weights: {n}: expected {list(t.shape)}, got {list(weights[n].shape)}")
        with torch.no_grad():
            for n, t in own.items():
                t.copy_(weights[n].to(t.dtype))

    def app_weights(self):
        """name → float32 CPU tensor in the app's order, names and layout."""
        sd = self.state_dict()
        return {n: sd[n].detach().float().cpu().contiguous() for n in self.names}

    def trunk(self, x):
        h = (x.permute(0, 3, 1, 2) - self.mean) * self.inv_std  # (N, 3, S, S)
        h = F.relu(conv_kxk(h, self.stem.conv.weight, 1) + self.stem.conv.bias[None, :, None, None])
        if hasattr(self.stem, "res"):
            h = self.stem.res(h)
        for name in self.down_names:
            for layer in getattr(self, name):
                h = layer(h)
        if self.bn7 is not None:
            h = self.bn7(h)
        m7 = h  # (N, w7, 7, 7)
        for layer in self.block5:
            h = layer(h)
        m5 = h  # (N, w7, 5, 5)
        for layer in self.block3x3:
            h = layer(h)
        r1 = self.rkhs.bn(self.rkhs(h))  # (N, D, 1, 1)
        return m7, m5, r1.flatten(1)

    def forward(self, x):
        m7, m5, r1 = self.trunk(x)
        return {"r1": r1, "r7": self.head7(m7), "r5": self.head5(m5)}

    def embed(self, x):
        return self.trunk(x)[2]


def trainable_names(encoder):
    """Trainable parameters in the app's creation order (the order of the app's flat Adam moments)."""
    return list(encoder.trainable)
