"""One training step as src/lib/train/step.ts takes it: each view through the encoder in its own call (BatchNorm
statistics per view, as the official Model.forward), the multi-scale NCE loss, Adam with linear warm-up (and the
official step decay when config.lrSchedule is 'official') on the encoder, the online linear and MLP classifiers on
detached r1 of both views with one Adam of the same options, BatchNorm running averages. Random streams are forked
from the app's generator in the app's order, so the same seed starts the same model."""
import torch
import torch.nn as nn

from .augment import test_input
from .loss import amdim_loss
from .model import Encoder
from .probes import Evaluator, probe_accuracy, probe_loss

METRIC_KEYS = ["loss1t5", "loss1t7", "loss5t5", "reg", "total", "nceEst1t5", "nceEst1t7", "nceEst5t5",
               "bound1t5", "bound1t7", "bound5t5", "probeLoss", "probeAcc", "probeMlpAcc"]
OFFICIAL_LR_MILESTONE_EPOCHS = [250, 280]
OFFICIAL_LR_GAMMA = 0.2


def lr_at(cfg, step, steps_per_epoch=None):
    """The app's rate for update `step` (0-based): lr · min(1, (t + 1)/warmup) · γ^#{milestones ≤ t}; the official
    milestones are (m + 1)·E updates for epochs m = 250, 280 of E = ⌊N/B⌋ updates."""
    warm = min(1.0, (step + 1) / cfg["warmup"]) if cfg["warmup"] > 0 else 1.0
    drops = 0
    if cfg.get("lrSchedule", "constant") == "official":
        if not steps_per_epoch:
            raise ValueError("lrSchedule 'official' needs the steps per epoch of the training set")
        drops = sum(1 for m in OFFICIAL_LR_MILESTONE_EPOCHS if (m + 1) * steps_per_epoch <= step)
    return cfg["lr"] * warm * OFFICIAL_LR_GAMMA ** drops


class TwoViews(nn.Module):
    """Both views' encoder calls in one module call, so DistributedDataParallel sees one forward per backward."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, xa, xb):
        return self.encoder(xa), self.encoder(xb)


class Trainer:
    def __init__(self, cfg, n_classes, rng, device="cpu", steps_per_epoch=None):
        if cfg["method"] != "amdim":
            raise ValueError(f'config.method: the PyTorch twin trains "amdim"; got "{cfg["method"]}"')
        self.cfg, self.device, self.steps_per_epoch = cfg, torch.device(device), steps_per_epoch
        self.encoder = Encoder(cfg["ndf"], cfg["nRkhs"], cfg["nDepth"], cfg["imageSize"], rng.fork("encoder"),
                               use_bn=cfg.get("useBn", 0) == 1).to(self.device)
        self.probe = Evaluator(cfg["nRkhs"], max(2, n_classes), rng.fork("probe")).to(self.device)
        self.src5_rng = rng.fork("src5")
        params = dict(self.encoder.named_parameters())
        self.param_names = list(self.encoder.trainable)
        adam = dict(lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], weight_decay=cfg["weightDecay"])
        self.opt = torch.optim.Adam([params[n] for n in self.param_names], **adam)
        self.probe_opt = torch.optim.Adam(self.probe.ordered_parameters(), **adam)
        self.steps = 0  # encoder updates taken (the app's adamStep)
        self.probe_steps = 0  # classifier updates (the app's probeAdamStep; none without labels)
        self.model = TwoViews(self.encoder)  # wrapped in DistributedDataParallel when distributed

    def step(self, xa, xb, labels=None, src5=None, gather=None, scaler=None, autocast=False):
        """xa, xb (B, S, S, 3) in [0, 1]; labels (B) int with −1 for unknown, or None. Returns float metrics."""
        cfg = self.cfg
        for g in self.opt.param_groups:
            g["lr"] = lr_at(cfg, self.steps, self.steps_per_epoch)
        self.encoder.train()
        with torch.autocast(self.device.type, enabled=autocast):
            fa, fb = self.model(xa, xb)
        dt = torch.get_default_dtype()
        fa = {k: v.to(dt) for k, v in fa.items()}  # float16 under autocast
        fb = {k: v.to(dt) for k, v in fb.items()}
        L = amdim_loss(fa, fb, cfg["tclip"], src5, gather)
        self.opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(L["total"]).backward()
            scaler.step(self.opt)
            scaler.update()
        else:
            L["total"].backward()
            self.opt.step()
        self.steps += 1
        out = {k: float(v) for k, v in L.items()}
        out["probeLoss"], out["probeAcc"], out["probeMlpAcc"] = 0.0, float("nan"), float("nan")
        if labels is not None:
            r1 = torch.cat([fa["r1"], fb["r1"]]).detach()
            labs = torch.cat([labels, labels]).to(self.device)
            for g in self.probe_opt.param_groups:
                g["lr"] = lr_at(cfg, self.probe_steps, self.steps_per_epoch)
            self.probe.train()
            with torch.no_grad():
                acc = probe_accuracy(self.probe.lin(r1), labs)  # before the update: the online accuracy
            zm = self.probe.mlp(r1, training=True)
            pl = probe_loss(self.probe.lin(r1, training=True), labs) + probe_loss(zm, labs)
            self.probe_opt.zero_grad(set_to_none=True)
            pl.backward()
            self.probe_opt.step()
            self.probe_steps += 1
            out["probeLoss"], out["probeAcc"], out["probeMlpAcc"] = float(pl), float(acc), float(probe_accuracy(zm.detach(), labs))
        return out

    @torch.no_grad()
    def encode(self, x, chunk=256):
        """r1 in eval mode (running BatchNorm statistics), in chunks: (N, D). 64 px images get the official test view
        (Resize(70) + CenterCrop(64)) and the STL-10 normalisation, as heldout.ts."""
        self.encoder.eval()
        outs = [self.encoder.embed(test_input(x[i:i + chunk].to(self.device).to(torch.get_default_dtype()) / 255)) for i in range(0, len(x), chunk)]
        self.encoder.train()
        return torch.cat(outs).cpu()
