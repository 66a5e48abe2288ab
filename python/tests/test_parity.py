"""The twin against the TypeScript core: fixtures/parity.json is what the app's code computes (tfjs CPU backend,
float32; regenerate with `npx tsx python/tests/fixtures/make_parity.ts`).

Stated tolerances: loss terms, NCE estimates and every gradient agree to 1e-4 (absolute, or relative to the
largest entry of the tensor when that exceeds 1; the twin runs float64 here, so the difference is the app's float32
rounding).

A 20-step run from the same seed, batches and augmentation (twin in float64, app in float32): every step's loss
terms and online linear-probe accuracy within 1e-4 (measured 3e-6), and after 20 steps every weight within 1e-4
(measured 2e-6) except the heads' shortcut biases and the running means they feed: their exact gradient is zero
(a per-channel constant in front of a BatchNorm), so Adam moves them by up to lr per step in directions float32
rounding picks, in the app too (its fast and baseline steps end 5.7e-3 apart there); they are only held to
20 steps × lr. The MLP classifier's loss is left out: its dropout masks come from each side's own generator.
"""
import base64
import json
import math
import os
import re
import unittest

import torch

from infomax_lab import config as C
from infomax_lab.augment import augment_pair, draw_aug_params
from infomax_lab.loss import amdim_loss, info_nce_bound
from infomax_lab.model import Encoder, encoder_plan, initial_values, plan_weights, weight_shapes
from infomax_lab.rng import Rng, rng_for
from infomax_lab.sampler import BatchSampler
from infomax_lab.trainer import Trainer, lr_at

HERE = os.path.dirname(__file__)
with open(os.path.join(HERE, "fixtures", "parity.json")) as f:
    FX = json.load(f)
CFG = C.validate(FX["config"])  # the 20-step run's config (32 px, useBn 0)


def f32(s, shape=None):
    t = torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.float32).clone()
    return t.reshape(shape) if shape is not None else t


def u8(s):
    return torch.frombuffer(bytearray(base64.b64decode(s)), dtype=torch.uint8).clone()


CASES = FX["cases"]  # 32 px, 32 px with useBn, 64 px with resized crops
SHAPES = dict((n, s) for n, s in CASES[0]["weightShapes"])


def app_weights(d, shapes=SHAPES):
    return {n: f32(d[n], shapes[n]) for n in shapes}


def use_bn(c):
    return c.get("useBn", 0) == 1


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
    def test_generator(self):
        r = Rng(CFG["seed"])
        f = r.fork("encoder")
        got = {"uint32": [r.uint32(), r.uint32()], "uniform": f.uniform(-1, 1), "int": f.int(25),
               "rngFor": rng_for(3, "batches").uint32()}
        self.assertEqual(got, FX["rng"])

    def test_plan_and_initial_weights(self):
        for case in CASES:
            c = case["config"]
            with self.subTest(imageSize=c["imageSize"], useBn=c.get("useBn")):
                specs = plan_weights(encoder_plan(c["ndf"], c["nRkhs"], c["nDepth"], c["imageSize"], use_bn(c)))
                self.assertEqual([[n, s] for n, s, _, _ in specs], case["weightShapes"])
                init = initial_values(specs, rng_for(c["seed"], "model").fork("encoder"))
                shapes = dict((n, s) for n, s in case["weightShapes"])
                for n, want in app_weights(case["initWeights"], shapes).items():
                    self.assertTrue(torch.equal(init[n].float(), want), f"initial {n} differs")

    def test_augmentation_draws_and_pixels(self):
        for case in CASES:
            c = C.validate(case["config"])
            B, S = c["batchSize"], c["imageSize"]
            with self.subTest(crop=c["crop"], size=S):
                p = draw_aug_params(c, B, S, rng_for(c["seed"], "augment"))
                want = case["batch"]["aug"]
                self.assertEqual(p["flip"], want["flip"])
                self.assertEqual(p["gray"], want["gray"])
                for k in ("boxes", "brightness", "contrast", "saturation", "hue"):
                    self.assertTrue(torch.equal(torch.tensor(p[k], dtype=torch.float32), f32(want[k])), k)
                x = u8(case["batch"]["bytes"]).reshape(B, S, S, 3)
                xa, xb = augment_pair(x, p)
                close(self, xa, f32(case["batch"]["xa"]), 1e-5, "view a")
                close(self, xb, f32(case["batch"]["xb"]), 1e-5, "view b")

    def test_learning_rate_schedule(self):
        L = FX["lrSchedule"]
        cfg = {**L["config"]}
        for t, want in enumerate(L["lrs"]):
            self.assertAlmostEqual(lr_at(cfg, t, L["stepsPerEpoch"]), want, places=12, msg=f"update {t}")


def case_outputs(case):
    """The twin on a case's weights and views (float64): loss dict, gradients by name, features."""
    c = C.validate(case["config"])
    B, S = c["batchSize"], c["imageSize"]
    shapes = dict((n, s) for n, s in case["weightShapes"])
    torch.set_default_dtype(torch.float64)
    try:
        enc = Encoder(c["ndf"], c["nRkhs"], c["nDepth"], S, use_bn=use_bn(c))
        enc.load_app_weights({k: v.double() for k, v in app_weights(case["weights"], shapes).items()})
        xa = f32(case["batch"]["xa"], [B, S, S, 3]).double()
        xb = f32(case["batch"]["xb"], [B, S, S, 3]).double()
        enc.train()
        fa, fb = enc(xa), enc(xb)  # one call per view, as the app
        L = amdim_loss(fa, fb, c["tclip"], case["batch"]["src5"])
        L["total"].backward()
        return L, {n: p.grad for n, p in enc.named_parameters()}, fa
    finally:
        torch.set_default_dtype(torch.float32)


class LossAndGradientParity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = [case_outputs(case) for case in CASES]

    def test_loss_terms_estimates_and_bound(self):
        for case, (L, _, _) in zip(CASES, self.out):
            for k in ("loss1t5", "loss1t7", "loss5t5", "reg", "total", "nceEst1t5", "nceEst1t7", "nceEst5t5", "bound1t5", "bound1t7", "bound5t5"):
                if k.startswith("bound") and k not in case["terms"]:
                    continue  # an app without the bound (before loss.ts reported it)
                close(self, torch.tensor(float(L[k])), torch.tensor(case["terms"][k]), 1e-4, f"{case['config']['imageSize']} px useBn {case['config'].get('useBn')}: {k}")

    def test_every_gradient(self):
        for case, (_, grads, _) in zip(CASES, self.out):
            self.assertEqual(set(grads), set(case["grads"]))
            shapes = dict((n, s) for n, s in case["weightShapes"])
            for n, g in grads.items():
                close(self, g, f32(case["grads"][n], shapes[n]), 1e-4, f"{case['config']['imageSize']} px useBn {case['config'].get('useBn')}: ∂total/∂{n}")

    def test_bound_against_a_slow_reference(self):
        """The bound from the same scores, computed with plain loops: f_ij = log mean_l e^{ŝ_ijl}."""
        f = self.out[0][2]
        ua, m5 = f["r1"].detach(), f["r5"].detach()
        n, D = ua.shape
        s = torch.einsum("id,jdl->ijl", ua, m5.flatten(2)) / math.sqrt(D)
        c = CFG["tclip"] * torch.tanh(s / CFG["tclip"])
        fast = float(info_nce_bound(c, torch.arange(n)))
        total = 0.0
        for i in range(n):
            fij = [math.log(sum(math.exp(float(c[i, j, l])) for l in range(c.shape[2])) / c.shape[2]) for j in range(n)]
            total += fij[i] - math.log(sum(math.exp(x) for x in fij) / n)
        self.assertAlmostEqual(fast, total / n, places=9)
        self.assertLessEqual(fast, math.log(n) + 1e-12)


# probeLoss is left out: it includes the MLP classifier, whose dropout masks come from each side's own generator
LOSS_KEYS = ("loss1t5", "loss1t7", "loss5t5", "reg", "total", "probeAcc")


class TwentySteps(unittest.TestCase):
    def test_same_seed_same_batches_same_run(self):
        B, S = CFG["batchSize"], CFG["imageSize"]
        data = u8(FX["run"]["images"]).reshape(-1, S, S, 3)
        labels = torch.tensor(FX["run"]["labels"])
        torch.set_default_dtype(torch.float64)
        try:
            tr = Trainer(CFG, 2, rng_for(CFG["seed"], "model"), steps_per_epoch=len(data) // B)
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
        app = FX["run"]
        for step, (got, want) in enumerate(zip(steps, app["steps"])):
            for k in LOSS_KEYS:
                self.assertLessEqual(abs(got[k] - want[k]), 1e-4, f"step {step + 1} {k}: twin {got[k]}, app {want[k]}")
        self.assertGreater(abs(steps[-1]["total"] - steps[0]["total"]), 1e-2, "the run did not move")
        zero_grad = re.compile(r"head\d\.(shortcut\.bias|bn_out\.running_mean)$")
        for n, w in app_weights(app["finalWeights"]).items():
            tol = 20 * CFG["lr"] if zero_grad.search(n) else 1e-4
            err = float((final[n].double() - w.double()).abs().max())
            self.assertLessEqual(err, tol, f"after 20 steps {n}: max |Δ| = {err:.3g}")


if __name__ == "__main__":
    unittest.main()
