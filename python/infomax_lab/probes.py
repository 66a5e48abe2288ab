"""Online evaluation classifiers on detached r1 (src/lib/model/probes.ts): loss CE(10·tanh(z/10)) + 1e-3·mean(z²),
labels < 0 left out of the cross-entropy. Weights in the app's layout: fc.weight (D, C), fc.bias (C)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

LOGIT_CLIP = 10.0
LOGIT_REG = 1e-3


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


class Probe(nn.Module):
    def __init__(self, dim, n_classes, rng, kind="linear", hidden=256):
        super().__init__()
        if n_classes < 2:
            raise ValueError(f"probe: needs at least 2 classes, got {n_classes}")
        self.kind = kind

        def uniform(shape, bound):
            n = math.prod(shape)
            return nn.Parameter(torch.tensor([rng.uniform(-bound, bound) for _ in range(n)]).reshape(shape).to(torch.get_default_dtype()))

        if kind == "linear":
            self.fc = nn.Module()
            self.fc.weight = uniform([dim, n_classes], 1 / math.sqrt(dim))
            self.fc.bias = uniform([n_classes], 1 / math.sqrt(dim))
            self.layers = [self.fc]
        else:
            self.fc1, self.fc2 = nn.Module(), nn.Module()
            self.fc1.weight = uniform([dim, hidden], math.sqrt(6 / dim))
            self.fc1.bias = nn.Parameter(torch.zeros(hidden))
            self.fc2.weight = uniform([hidden, n_classes], 1 / math.sqrt(hidden))
            self.fc2.bias = uniform([n_classes], 1 / math.sqrt(hidden))
            self.layers = [self.fc1, self.fc2]

    def forward(self, feat):
        h = feat.detach()
        for k, layer in enumerate(self.layers):
            h = h @ layer.weight + layer.bias
            if k < len(self.layers) - 1:
                h = F.relu(h)
        return h
