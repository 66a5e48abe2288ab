"""Online evaluation classifiers on detached r1 (src/lib/model/probes.ts; the official AMDIM Evaluator): a linear
classifier and an MLP (Dropout 0.2 → Linear(D, 1024, no bias) → BatchNorm1d → ReLU → Dropout 0.2 → Linear(1024, C)),
fed the r1 of both views and trained by one Adam on the sum of their losses CE(10·tanh(z/10)) + 1e-3·mean(z²);
labels < 0 are left out of the cross-entropy. Weights by the app's names and layouts (lin.fc.weight (D, C), …).
The dropout masks come from torch's generator seeded from the app's stream (the page draws them with tfjs), the
one random choice the twin does not share with the page bit for bit."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LOGIT_CLIP = 10.0
LOGIT_REG = 1e-3
MLP_HIDDEN = 1024
MLP_DROPOUT = 0.2
BN_EPS, BN_MOMENTUM = 1e-5, 0.1


def probe_loss(z, labels):
    valid = (labels >= 0).to(z.dtype)
    logp = F.log_softmax(LOGIT_CLIP * torch.tanh(z / LOGIT_CLIP), dim=1)
    ce = -logp.gather(1, labels.clamp(min=0).long()[:, None])[:, 0]
    xent = (ce * valid).sum() / valid.sum().clamp(min=1)
    return xent + LOGIT_REG * z.pow(2).mean()


def probe_accuracy(z, labels):
    valid = (labels >= 0).float()
    hit = (z.argmax(1) == labels).float()
    return (hit * valid).sum() / valid.sum().clamp(min=1)


class _Linear(nn.Module):
    def __init__(self, weight, bias):
        super().__init__()
        self.weight = nn.Parameter(weight)
        if bias is not None:
            self.bias = nn.Parameter(bias)


class Probe(nn.Module):
    """createProbe: 'linear' (fc.weight, fc.bias) or 'mlp' (fc1.weight, bn.*, fc2.weight, fc2.bias)."""

    def __init__(self, dim, n_classes, rng, kind="linear", hidden=MLP_HIDDEN, p=MLP_DROPOUT):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"probe: needs at least 2 classes, got {n_classes}")
        self.kind, self.p = kind, p
        dt = torch.get_default_dtype()

        def u(shape, fan_in):
            b = 1 / math.sqrt(fan_in)
            return torch.tensor([rng.uniform(-b, b) for _ in range(math.prod(shape))], dtype=torch.float64).reshape(shape).to(dt)

        if kind == "linear":
            w = u([dim, n_classes], dim)
            self.fc = _Linear(w, u([n_classes], dim))
        else:
            self.fc1 = _Linear(u([dim, hidden], dim), None)
            self.bn = nn.Module()
            self.bn.gamma = nn.Parameter(torch.ones(hidden))
            self.bn.beta = nn.Parameter(torch.zeros(hidden))
            self.bn.register_buffer("running_mean", torch.zeros(hidden))
            self.bn.register_buffer("running_var", torch.ones(hidden))
            w2 = u([hidden, n_classes], hidden)
            self.fc2 = _Linear(w2, u([n_classes], hidden))
        self.bn_momentum = BN_MOMENTUM  # evaluate.refresh_batchnorm sets 1/k for an exact average of k batches
        self.drop_rng = rng.fork("dropout")
        self.gen = torch.Generator()

    def _dropout(self, h):
        self.gen.manual_seed(self.drop_rng.int(2 ** 31))
        keep = (torch.rand(h.shape, generator=self.gen, dtype=h.dtype) >= self.p).to(h.device, h.dtype)
        return h * keep / (1 - self.p)

    def forward(self, feat, training=False):
        h = feat.detach()
        if self.kind == "linear":
            return h @ self.fc.weight + self.fc.bias
        if training and self.p > 0:
            h = self._dropout(h)
        a = h @ self.fc1.weight
        a = F.batch_norm(a, self.bn.running_mean, self.bn.running_var, self.bn.gamma, self.bn.beta, training, self.bn_momentum, BN_EPS)
        h = F.relu(a)
        if training and self.p > 0:
            h = self._dropout(h)
        return h @ self.fc2.weight + self.fc2.bias


class Evaluator(nn.Module):
    """createEvaluator: the MLP drawn from rng.fork('mlp') first, then the linear one from rng.fork('linear');
    names lin.… and mlp.…, linear first in the optimiser's order."""

    def __init__(self, dim, n_classes, rng):
        super().__init__()
        mlp = Probe(dim, n_classes, rng.fork("mlp"), "mlp")
        self.lin = Probe(dim, n_classes, rng.fork("linear"), "linear")
        self.mlp = mlp
        self.names = ["lin.fc.weight", "lin.fc.bias", "mlp.fc1.weight", "mlp.bn.gamma", "mlp.bn.beta",
                      "mlp.bn.running_mean", "mlp.bn.running_var", "mlp.fc2.weight", "mlp.fc2.bias"]
        self.trainable = [n for n in self.names if "running_" not in n]

    def ordered_parameters(self):
        params = dict(self.named_parameters())
        return [params[n] for n in self.trainable]
