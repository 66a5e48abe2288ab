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
INPUT_MEAN = [125.3 / 255, 123.0 / 255, 113.9 / 255]
INPUT_STD = [63.0 / 255, 62.1 / 255, 66.7 / 255]


# ---------------------------------------------------------------- the plan (plan.ts)

def _block(name, nin, nout, k, s, depth):
    return [(f"{name}.0", nin, nout, k, s)] + [(f"{name}.{d}", nout, nout, 1, 1) for d in range(1, depth)]


def encoder_plan(ndf, n_rkhs, n_depth, image_size):
    """Residual layers as (name, nIn, nOut, k, s), grouped as plan.ts groups them."""
    w7 = 8 * ndf if image_size == 64 else 4 * ndf
    down = [("stem.res", ndf, ndf, 1, 1)]
    if image_size == 64:
        down += _block("block1", ndf, 2 * ndf, 4, 2, n_depth) + _block("block2", 2 * ndf, 4 * ndf, 4, 2, n_depth) \
            + _block("block3", 4 * ndf, 8 * ndf, 2, 2, n_depth)
    else:
        down += _block("block1", ndf, 2 * ndf, 4, 2, n_depth) + _block("block2", 2 * ndf, 4 * ndf, 2, 2, n_depth)
    return {
        "w7": w7, "down": down, "to5": _block("block5", w7, w7, 3, 1, n_depth),
        "to3": _block("block3x3", w7, w7, 3, 1, n_depth), "rkhs": ("rkhs", w7, n_rkhs, 3, 1),
        "heads": [("head7", w7, n_rkhs), ("head5", w7, n_rkhs)],
    }


def weight_shapes(ndf, n_rkhs, n_depth, image_size):
    """[(name, shape)] of every encoder weight in creation (checkpoint) order: weightShapes() of plan.ts."""
    p = encoder_plan(ndf, n_rkhs, n_depth, image_size)
    out = [("stem.conv.weight", [3, 3, 3, ndf]), ("stem.conv.bias", [ndf])]
    for name, nin, nout, k, _ in p["down"] + p["to5"] + p["to3"] + [p["rkhs"]]:
        out += [(f"{name}.conv1.weight", [nin, nout] if k == 1 else [k, k, nin, nout]), (f"{name}.conv1.bias", [nout]),
                (f"{name}.conv2.weight", [nout, nout]), (f"{name}.conv2.bias", [nout])]
    out += [(f"rkhs.bn.{p_}", [n_rkhs]) for p_ in ("gamma", "beta", "running_mean", "running_var")]
    for name, nin, nout in p["heads"]:
        out += [(f"{name}.conv1.weight", [nin, nout]), (f"{name}.conv2.weight", [nout, nout]),
                (f"{name}.shortcut.weight", [nin, nout])]
        out += [(f"{name}.bn_out.{p_}", [nout]) for p_ in ("gamma", "beta", "running_mean", "running_var")]
    return out


def he_bound(fan_in):
    return math.sqrt(6 / fan_in)


def initial_values(shapes, rng):
    """The app's ParamBank draws, in creation order: name → tensor (default dtype)."""
    vals = {}
    for name, shape in shapes:
        n = math.prod(shape)
        last = name.rsplit(".", 1)[-1]
        if name == "stem.conv.weight":
            bound = he_bound(27)
        elif name.endswith("conv1.weight") and ".bn" not in name:
            fan_in = shape[0] if len(shape) == 2 else shape[0] * shape[1] * shape[2]
            bound = he_bound(fan_in)
        else:
            bound = None
        if bound is not None:
            v = torch.tensor([rng.uniform(-bound, bound) for _ in range(n)], dtype=torch.float64)
        elif name.endswith("shortcut.weight"):
            v = torch.tensor([rng.uniform(-0.01, 0.01) for _ in range(n)], dtype=torch.float64).reshape(shape)
            for c in range(min(shape)):
                v[c, c] = 1
        elif last in ("gamma", "running_var"):
            v = torch.ones(n, dtype=torch.float64)
        else:  # biases, the zero-initialised second convs, beta, running_mean
            v = torch.zeros(n, dtype=torch.float64)
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

    def forward(self, x):
        # training: batch statistics (biased variance), running averages with the unbiased one, as the app
        if not (self.training and self.sync and world() > 1):
            return F.batch_norm(x, self.running_mean, self.running_var, self.gamma, self.beta, self.training, BN_MOMENTUM, BN_EPS)
        # statistics over the global batch (every rank's images), so N ranks normalise as one process would
        n = all_reduce_sum(torch.tensor(float(x.numel() // x.shape[1]), device=x.device))
        mean = all_reduce_sum(x.sum(dim=(0, 2, 3))) / n
        xc = x - mean[None, :, None, None]
        var = all_reduce_sum(xc.pow(2).sum(dim=(0, 2, 3))) / n
        with torch.no_grad():
            self.running_mean.mul_(1 - BN_MOMENTUM).add_(BN_MOMENTUM * mean)
            self.running_var.mul_(1 - BN_MOMENTUM).add_(BN_MOMENTUM * var * n / (n - 1).clamp(min=1))
        return xc * torch.rsqrt(var + BN_EPS)[None, :, None, None] * self.gamma[None, :, None, None] + self.beta[None, :, None, None]


class Conv(nn.Module):
    def __init__(self, wshape, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(wshape))
        self.bias = nn.Parameter(torch.zeros(wshape[-1])) if bias else None


class ResNxN(nn.Module):
    """h = conv1×1(ReLU(conv_k×k,s(x))) + shortcut(x); shortcut = avg-pool, zero-padded or cut in channels."""

    def __init__(self, nin, nout, k, s):
        super().__init__()
        self.nin, self.nout, self.k, self.s = nin, nout, k, s
        self.conv1 = Conv([nin, nout] if k == 1 else [k, k, nin, nout], True)
        self.conv2 = Conv([nout, nout], True)

    def forward(self, x):
        a = conv_1x1(x, self.conv1.weight, self.conv1.bias) if self.k == 1 else \
            conv_kxk(x, self.conv1.weight, self.s) + self.conv1.bias[None, :, None, None]
        h = conv_1x1(F.relu(a), self.conv2.weight, self.conv2.bias)
        sc = F.avg_pool2d(x, self.k, self.s) if (self.k > 1 or self.s > 1) else x
        if self.nout > self.nin:
            sc = F.pad(sc, (0, 0, 0, 0, 0, self.nout - self.nin))
        elif self.nout < self.nin:
            sc = sc[:, : self.nout]
        return h + sc


class Head(nn.Module):
    """AMDIM's FakeRKHSConvNet: BN(conv1×1(ReLU(conv1×1 x)) + W_sc x)."""

    def __init__(self, nin, nout):
        super().__init__()
        self.conv1 = Conv([nin, nout], False)
        self.conv2 = Conv([nout, nout], False)
        self.shortcut = Conv([nin, nout], False)
        self.bn_out = BatchNorm(nout)

    def forward(self, x):
        res = conv_1x1(F.relu(conv_1x1(x, self.conv1.weight)), self.conv2.weight)
        return self.bn_out(res + conv_1x1(x, self.shortcut.weight))


class Stem(nn.Module):
    def __init__(self, ndf):
        super().__init__()
        self.conv = Conv([3, 3, 3, ndf], True)
        self.res = ResNxN(ndf, ndf, 1, 1)


class Rkhs(ResNxN):
    def __init__(self, nin, nout):
        super().__init__(nin, nout, 3, 1)
        self.bn = BatchNorm(nout)


class Encoder(nn.Module):
    """forward(x): x (N, S, S, 3) RGB in [0, 1] (the app's layout) → dict r1 (N, D), r5 (N, D, 5, 5), r7 (N, D, 7, 7)."""

    def __init__(self, ndf, n_rkhs, n_depth, image_size, seed_rng=None):
        super().__init__()
        if image_size not in (32, 64):
            raise ValueError(f"encoder: imageSize must be 32 or 64, got {image_size}")
        self.opts = {"ndf": ndf, "nRkhs": n_rkhs, "nDepth": n_depth, "imageSize": image_size}
        p = encoder_plan(ndf, n_rkhs, n_depth, image_size)
        self.stem = Stem(ndf)
        groups = {}
        for name, nin, nout, k, s in p["down"][1:] + p["to5"] + p["to3"]:
            block, idx = name.split(".")
            groups.setdefault(block, nn.ModuleList()).append(ResNxN(nin, nout, k, s))
        for block, layers in groups.items():
            self.add_module(block, layers)
        self.down_names = list(dict.fromkeys(n.split(".")[0] for n, *_ in p["down"][1:]))
        self.rkhs = Rkhs(p["w7"], n_rkhs)
        self.head7 = Head(p["w7"], n_rkhs)
        self.head5 = Head(p["w7"], n_rkhs)
        self.register_buffer("mean", torch.tensor(INPUT_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("inv_std", 1 / torch.tensor(INPUT_STD).view(1, 3, 1, 1), persistent=False)
        names = [n for n, _ in weight_shapes(ndf, n_rkhs, n_depth, image_size)]
        assert names == list(self.state_dict().keys()) or set(names) == set(self.state_dict().keys()), "plan and module disagree"
        self.names = names
        if seed_rng is not None:
            self.load_app_weights(initial_values(weight_shapes(ndf, n_rkhs, n_depth, image_size), seed_rng))

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
        h = self.stem.res(h)
        for name in self.down_names:
            for layer in getattr(self, name):
                h = layer(h)
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
    params = dict(encoder.named_parameters())
    return [n for n in encoder.names if n in params]
