"""One training step as src/lib/train/step.ts takes it: both views through the encoder as one batch (BatchNorm
statistics over both views), the multi-scale NCE loss, Adam with linear warm-up on the encoder, the online linear
probe on detached r1 of both views with its own Adam, BatchNorm running averages. Random streams are forked from
the app's generator in the app's order, so the same seed starts the same model."""
import torch

from .loss import amdim_loss
from .model import Encoder, trainable_names
from .probes import Probe, probe_accuracy, probe_loss

PROBE_LR = 2e-4 * 5  # AMDIM trains its classifiers with a larger rate and no warm-up
METRIC_KEYS = ["loss1t5", "loss1t7", "loss5t5", "reg", "total", "mi1t5", "mi1t7", "mi5t5",
               "bound1t5", "bound1t7", "bound5t5", "probeLoss", "probeAcc"]


def lr_at(cfg, step):
    """lr(t) = lr · min(1, (t + 1)/warmup): the app's warm-up, t = updates taken so far."""
    return cfg["lr"] * (min(1.0, (step + 1) / cfg["warmup"]) if cfg["warmup"] > 0 else 1.0)


class Trainer:
    def __init__(self, cfg, n_classes, rng, device="cpu"):
        if cfg["method"] != "amdim":
            raise ValueError(f'config.method: the PyTorch twin trains "amdim"; got "{cfg["method"]}"')
        self.cfg, self.device = cfg, torch.device(device)
        self.encoder = Encoder(cfg["ndf"], cfg["nRkhs"], cfg["nDepth"], cfg["imageSize"], rng.fork("encoder")).to(self.device)
        probe_rng = rng.fork("probe")
        self.probe = Probe(cfg["nRkhs"], n_classes, probe_rng).to(self.device) if n_classes >= 2 else None
        self.src5_rng = rng.fork("src5")
        params = dict(self.encoder.named_parameters())
        self.param_names = trainable_names(self.encoder)
        adam = dict(betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"], weight_decay=cfg["weightDecay"])
        self.opt = torch.optim.Adam([params[n] for n in self.param_names], lr=cfg["lr"], **adam)
        self.probe_opt = torch.optim.Adam(self.probe.parameters(), lr=PROBE_LR, **adam) if self.probe else None
        self.steps = 0  # encoder updates taken (the app's adamStep)
        self.probe_steps = 0  # probe updates (the app's probeAdamStep; none without labels)
        self.model = self.encoder  # the DDP wrapper when distributed

    def step(self, xa, xb, labels=None, src5=None, gather=None, scaler=None, autocast=False):
        """xa, xb (B, S, S, 3) in [0, 1]; labels (B) int with −1 for unknown, or None. Returns float metrics."""
        cfg = self.cfg
        B = xa.shape[0]
        for g in self.opt.param_groups:
            g["lr"] = lr_at(cfg, self.steps)
        self.encoder.train()
        with torch.autocast(self.device.type, enabled=autocast):
            f = self.model(torch.cat([xa, xb]))
        f = {k: v.to(torch.get_default_dtype()) for k, v in f.items()}  # float16 under autocast
        fa = {k: v[:B] for k, v in f.items()}
        fb = {k: v[B:] for k, v in f.items()}
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
        out["probeLoss"], out["probeAcc"] = 0.0, float("nan")  # no labels: nothing trained, accuracy undefined
        if self.probe is not None and labels is not None:
            r1 = f["r1"].detach()
            labs = torch.cat([labels, labels]).to(self.device)
            z = self.probe(r1)
            acc = probe_accuracy(z.detach(), labs)
            pl = probe_loss(z, labs)
            self.probe_opt.zero_grad(set_to_none=True)
            pl.backward()
            self.probe_opt.step()
            self.probe_steps += 1
            out["probeLoss"], out["probeAcc"] = float(pl), float(acc)
        return out

    @torch.no_grad()
    def encode(self, x, chunk=256):
        """r1 in eval mode (running BatchNorm statistics), in chunks: (N, D)."""
        self.encoder.eval()
        outs = [self.encoder.embed(x[i:i + chunk].to(self.device).to(torch.get_default_dtype()) / 255) for i in range(0, len(x), chunk)]
        self.encoder.train()
        return torch.cat(outs).cpu()
