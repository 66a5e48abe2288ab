"""BatchNorm re-estimation before evaluation (evaluate.refresh_batchnorm, the twin of src/lib/train/bnrefresh.ts)."""
import unittest

import torch

from infomax_lab.augment import test_input
from infomax_lab.evaluate import refresh_batches, refresh_batchnorm
from infomax_lab.model import BN_MOMENTUM, BatchNorm, Encoder
from infomax_lab.rng import Rng

CFG = {"batchSize": 8, "seed": 3}


class RefreshBatchNorm(unittest.TestCase):
    def setUp(self):
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 256, (40, 32, 32, 3), dtype=torch.uint8, generator=g)

    def test_batches_are_whole_seeded_and_capped(self):
        b = refresh_batches(40, 8, 3)
        self.assertEqual([len(x) for x in b], [8] * 5)
        self.assertEqual(len({i for x in b for i in x}), 40)
        self.assertEqual(refresh_batches(40, 8, 3), b)
        self.assertEqual([len(x) for x in refresh_batches(40, 12, 3)], [12] * 3)  # the remainder left out
        self.assertEqual([len(x) for x in refresh_batches(1000, 100, 1)], [100, 100])  # ≤ 256 images
        self.assertEqual(len(refresh_batches(1000, 4, 1)), 16)  # ≤ 16 batches
        self.assertEqual([len(x) for x in refresh_batches(1000, 400, 1)], [400])  # at least one batch

    def _check(self, use_bn):
        enc = Encoder(4, 16, 1, 32, Rng(5), use_bn=use_bn)
        bns = {n: m for n, m in enc.named_modules() if isinstance(m, BatchNorm)}
        with torch.no_grad():
            for m in bns.values():  # stale statistics the refresh must drop
                m.running_mean.add_(5.0)
                m.running_var.mul_(3.0)
        weights = {n: p.detach().clone() for n, p in enc.named_parameters()}
        # Reference: each BatchNorm's input on each batch (forward hooks on an identical encoder), float64 statistics.
        ref = Encoder(4, 16, 1, 32, Rng(5), use_bn=use_bn)
        seen = {n: [] for n in bns}
        hooks = [m.register_forward_hook(lambda mod, inp, out, n=n: seen[n].append(inp[0].detach().double()))
                 for n, m in ref.named_modules() if isinstance(m, BatchNorm)]
        batches = refresh_batches(40, CFG["batchSize"], CFG["seed"])
        with torch.no_grad():
            for idx in batches:
                ref(test_input(self.images[torch.tensor(idx)].float() / 255))
        for h in hooks:
            h.remove()
        refresh_batchnorm(enc, None, self.images, CFG)
        for n, m in bns.items():
            means = [x.mean(dim=(0, 2, 3)) if x.dim() == 4 else x.mean(0) for x in seen[n]]
            vars_ = [x.var(dim=(0, 2, 3), unbiased=True) if x.dim() == 4 else x.var(0, unbiased=True) for x in seen[n]]
            self.assertEqual(len(means), len(batches))
            torch.testing.assert_close(m.running_mean.double(), torch.stack(means).mean(0), rtol=1e-4, atol=1e-5, msg=n)
            torch.testing.assert_close(m.running_var.double(), torch.stack(vars_).mean(0), rtol=1e-4, atol=1e-5, msg=n)
            self.assertEqual(m.momentum, BN_MOMENTUM)
        for n, p in enc.named_parameters():
            self.assertTrue(torch.equal(p, weights[n]), n)
        return set(bns)

    def test_use_bn_off_refreshes_only_the_terminal_batchnorms_to_the_batch_average(self):
        names = self._check(False)
        self.assertEqual(len(names), 3)  # r1's and the two heads' output BatchNorms

    def test_use_bn_on_refreshes_the_body_too(self):
        names = self._check(True)
        self.assertGreater(len(names), 3)


if __name__ == "__main__":
    unittest.main()
