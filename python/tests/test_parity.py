"""The twin against the TypeScript core: fixtures/parity.json is what the app's code computes (tfjs CPU backend,
float32; regenerate with `npx tsx python/tests/fixtures/make_parity.ts`).

Stated tolerances: loss terms, NCE estimates and every gradient agree to 1e-4 (absolute, or relative to the
largest entry of the tensor when that exceeds 1; the twin runs float64 here, so the difference is the app's float32
rounding).

A 20-step run from the same seed, batches and augmentation: at a fresh init many gradients are zero in exact
arithmetic (every residual branch starts as the identity, and biases feed BatchNorm through linear paths), and
Adam's first steps move a weight by ±lr whatever the gradient's size, so float32 rounding decides those signs and
two correct implementations drift apart at the scale of lr. The yardstick is the app itself: its fast and baseline
steps (same maths, other rounding) run the same 20 steps in the fixture. The twin must stay within twice their
distance: per-step loss terms (measured: app vs app 5.1e-3, twin vs app 1.6e-3 nats) and final weights, largest
and 99th-percentile difference (app vs app 1.0e-2 / 1.6e-3, twin vs app 7.7e-3 / 1.6e-3)."""
import base64
import json
import math
import os
import unittest

import torch

from infomax_lab import config as C
from infomax_lab.augment import augment_pair, draw_aug_params
from infomax_lab.loss import amdim_loss, info_nce_bound
from infomax_lab.model import Encoder, initial_values, weight_shapes
from infomax_lab.rng import Rng, rng_for
from infomax_lab.sampler import BatchSampler
from infomax_lab.trainer import Trainer

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "fixtures", "parity.json")) as f:
    FX = json.load(f)
CFG = C.validate(FX["config"])


def f32(s, shape=None):
    t = torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.float32).clone()
    return t.reshape(shape) if shape is not None else t


def u8(s):
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8).clone()


SHAPES = dict((n, s) for n, s in FX["weightShapes"])


def app_weights(d):
    return {n: f32(d[n], SHAPES[n]) for n in SHAPES}


def close(test, got, want, tol, what):
    got, want = got.double().flatten(), want.double().flatten()
    scale = max(1.0, float(want.abs().max())) if want.numel() else 1.0
    err = float((got - want).abs().max()) if want.numel() else 0.0
    test.assertLessEqual(err, tol * scale, f"{what}: max |Δ| = {err:.3g} (tolerance {tol * scale:.3g})")


class ConfigParity(unittest.TestCase):
    def test_defaults_presets_and_schema_match_the_app(self):
        self.assertEqual(C.DEFAULTS, FX["defaults"])
        self.assertEqual(C.PRESETS, FX["presets"])
        self.assertEqual(set(C.SCHEMA), set(FX["schema"]))
        for k, s in FX["schema"].items():
            mine = C.SCHEMA[k]
            self.assertEqual(mine["kind"], s["kind"], k)
            for f in ("min", "max", "options"):
                if f in s:
                    self.assertEqual(mine[f], s[f], f"{k}.{f}")
            if s["kind"] == "string":
                self.assertEqual(mine["pattern"], s["pattern"].strip("/"), k)

    def test_bad_configs_give_the_apps_messages(self):
        for case in FX["badConfigs"]:
            if case["message"] is None:
                C.validate(case["input"])
                continue
            with self.assertRaises(C.ConfigError) as cm:
                C.validate(case["input"])
            self.assertEqual(str(cm.exception), case["message"])


class ModelParity(unittest.TestCase):
    def test_generator_plan_and_initial_weights(self):
        r = Rng(CFG["seed"])
        f = r.fork("encoder")
        got = {"uint32": [r.uint32(), r.uint32()], "uniform": f.uniform(-1, 1), "int": f.int(25),
               "rngFor": rng_for(3, "batches").uint32()}
        self.assertEqual(got, FX["rng"])
        shapes = weight_shapes(CFG["ndf"], CFG["nRkhs"], CFG["nDepth"], CFG["imageSize"])
        self.assertEqual([[n, s] for n, s in shapes], FX["weightShapes"])
        init = initial_values(shapes, rng_for(CFG["seed"], "model").fork("encoder"))
        for n, want in app_weights(FX["initWeights"]).items():
            self.assertTrue(torch.equal(init[n].float(), want), f"initial {n} differs")

    def test_augmentation_draws_and_pixels(self):
        B, S = CFG["batchSize"], CFG["imageSize"]
        p = draw_aug_params(CFG, B, S, rng_for(CFG["seed"], "augment"))
        want = FX["batch"]["aug"]
        self.assertEqual(p["flip"], want["flip"])
        self.assertEqual(p["gray"], want["gray"])
        for k in ("boxes", "brightness", "contrast", "saturation", "hue"):
            self.assertTrue(torch.equal(torch.tensor(p[k], dtype=torch.float32), f32(want[k])), k)
        x = u8(FX["batch"]["bytes"]).reshape(B, S, S, 3)
        xa, xb = augment_pair(x, p)
        close(self, xa, f32(FX["batch"]["xa"]), 1e-5, "view a")
        close(self, xb, f32(FX["batch"]["xb"]), 1e-5, "view b")


class LossAndGradientParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_default_dtype(torch.float64)
        try:
            B, S = CFG["batchSize"], CFG["imageSize"]
            enc = Encoder(CFG["ndf"], CFG["nRkhs"], CFG["nDepth"], S)
            enc.load_app_weights({k: v.double() for k, v in app_weights(FX["weights"]).items()})
            xa = f32(FX["batch"]["xa"], [B, S, S, 3]).double()
            xb = f32(FX["batch"]["xb"], [B, S, S, 3]).double()
            enc.train()
            f = enc(torch.cat([xa, xb]))
            cls.L = amdim_loss({k: v[:B] for k, v in f.items()}, {k: v[B:] for k, v in f.items()}, CFG["tclip"], FX["batch"]["src5"])
            cls.L["total"].backward()
            cls.grads = {n: p.grad for n, p in enc.named_parameters()}
            cls.f = {k: v.detach() for k, v in f.items()}
        finally:
            torch.set_default_dtype(torch.float32)

    def test_loss_terms_and_estimates(self):
        for k in ("loss1t5", "loss1t7", "loss5t5", "reg", "total", "mi1t5", "mi1t7", "mi5t5"):
            close(self, torch.tensor(float(self.L[k])), torch.tensor(FX["terms"][k]), 1e-4, k)
        for k in ("bound1t5", "bound1t7", "bound5t5"):  # the app's bound, once loss.ts reports one
            if k in FX["terms"]:
                close(self, torch.tensor(float(self.L[k])), torch.tensor(FX["terms"][k]), 1e-4, k)

    def test_every_gradient(self):
        self.assertEqual(set(self.grads), set(FX["grads"]))
        for n, g in self.grads.items():
            close(self, g, f32(FX["grads"][n]), 1e-4, f"∂total/∂{n}")

    def test_bound_against_a_slow_reference(self):
        """The bound from the same scores, computed with plain loops: f_ij = log mean_l e^{ŝ_ijl}."""
        B, D = self.f["r1"].shape
        ua, m5b = self.f["r1"][:B // 2], self.f["r5"][B // 2:]
        n = ua.shape[0]
        s = torch.einsum("id,jdl->ijl", ua, m5b.flatten(2)) / math.sqrt(D)
        c = CFG["tclip"] * torch.tanh(s / CFG["tclip"])
        fast = float(info_nce_bound(c, torch.arange(n)))
        total = 0.0
        for i in range(n):
            fij = [math.log(sum(math.exp(float(c[i, j, l])) for l in range(c.shape[2])) / c.shape[2]) for j in range(n)]
            total += fij[i] - math.log(sum(math.exp(x) for x in fij) / n)
        self.assertAlmostEqual(fast, total / n, places=9)
        self.assertLessEqual(fast, math.log(n) + 1e-12)


LOSS_KEYS = ("loss1t5", "loss1t7", "loss5t5", "reg", "total", "probeLoss")


def drift(steps_a, steps_b, w_a, w_b):
    """(largest per-step loss difference, largest and 99th-percentile final weight difference)."""
    loss = max(abs(x[k] - y[k]) for x, y in zip(steps_a, steps_b) for k in LOSS_KEYS)
    d = torch.cat([(w_a[n].double() - w_b[n].double()).abs().flatten() for n in w_b])
    return loss, float(d.max()), float(d.quantile(0.99))


class TwentySteps(unittest.TestCase):
    def test_same_seed_same_batches_same_run(self):
        B, S = CFG["batchSize"], CFG["imageSize"]
        data = u8(FX["run"]["images"]).reshape(-1, S, S, 3)
        labels = torch.tensor(FX["run"]["labels"])
        torch.set_default_dtype(torch.float64)
        try:
            tr = Trainer(CFG, 2, rng_for(CFG["seed"], "model"))
            sampler = BatchSampler(len(data), B, rng_for(CFG["seed"], "batches"))
            aug, neg = rng_for(CFG["seed"], "augment"), rng_for(CFG["seed"], "src5")
            steps = []
            for _ in FX["run"]["steps"]:
                idx = sampler.next()
                p = draw_aug_params(CFG, B, S, aug)
                src5 = [[neg.int(25) for _ in range(B)] for _ in range(2)]
                xa, xb = augment_pair(data[idx], p)
                steps.append(tr.step(xa, xb, labels[idx], src5))
            final = tr.encoder.state_dict()
        finally:
            torch.set_default_dtype(torch.float32)
        app, base = FX["run"], FX["run"]["baseline"]
        yard = drift(app["steps"], base["steps"], app_weights(app["finalWeights"]), app_weights(base["finalWeights"]))
        twin = drift(steps, app["steps"], final, app_weights(app["finalWeights"]))
        for what, t, y in zip(("loss terms", "largest weight", "99th-percentile weight"), twin, yard):
            self.assertLessEqual(t, 2 * y, f"{what}: twin vs app {t:.3g}, app fast vs baseline {y:.3g}")
        self.assertLess(yard[0], 0.05, "the yardstick itself is too loose to mean anything")
        self.assertGreater(abs(steps[-1]["total"] - steps[0]["total"]), 10 * yard[0], "the run did not move")


if __name__ == "__main__":
    unittest.main()
