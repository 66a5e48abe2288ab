"""Two Gloo processes on the CPU against one process with the same global batch.

With --gather-negatives (and BatchNorm over the global batch, the default) the two ranks compute the loss and
gradients of the one-process run, so after a few steps their weights agree with each other bit for bit (DDP
averages the gradients; the same update runs on both) and with the one-process weights to max |Δw| ≤ 1e-6, a
thousandth of one step (stated tolerance; measured 2.5e-7) after 3 Adam steps at lr 1e-3. The runs use float64:
at a fresh init several biases have a gradient that is zero in exact arithmetic (they feed BatchNorm through linear
paths), and Adam moves a weight by lr·g/(|g| + ε), so in float32 the rounding noise in g (~1e-9, above ε = 1e-8's
reach) would decide the sign of a full ±lr step; in float64 the noise is ~1e-12 and moves weights by ~1e-7. Without the flag each
rank scores against its own half only: the ranks still agree with each other, and the run differs from one
process's.
"""
import os
import socket
import tempfile
import types
import unittest

import torch
import torch.multiprocessing as mp

from infomax_lab.config import validate
from infomax_lab.train import run

CFG = validate({"ndf": 4, "nRkhs": 16, "nDepth": 1, "batchSize": 8, "lr": 1e-3, "warmup": 2, "seed": 3,
                "probeSize": 16, "testCount": 16, "checkpointSec": 86400})
STEPS = 3
TOL = 1e-6


def fake_data(seed=0, n=24):
    g = torch.Generator().manual_seed(seed)
    return types.SimpleNamespace(
        train=torch.randint(0, 256, (n, 32, 32, 3), dtype=torch.uint8, generator=g),
        test=torch.randint(0, 256, (8, 32, 32, 3), dtype=torch.uint8, generator=g),
        train_labels=torch.arange(n) % 2, test_labels=torch.arange(8) % 2, class_names=["a", "b"], labeled=True)


def args(out, gather):
    return types.SimpleNamespace(device="cpu", amp=False, gather_negatives=gather, local_bn=False, resume=None,
                                 steps=STEPS, out=out, quiet=True)


def _worker(rank, world, port, out, gather, data):
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), GLOO_SOCKET_IFNAME="lo")
    os.makedirs(out, exist_ok=True)
    _, trainer = run(rank, world, rank, args(out, gather), dict(CFG), data, log=lambda *_: None)
    torch.save(trainer.encoder.state_dict(), os.path.join(out, f"rank{rank}.pt"))


def two_ranks(out, gather, data):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mp.spawn(_worker, args=(2, port, out, gather, data), nprocs=2, join=True)
    return [torch.load(os.path.join(out, f"rank{r}.pt")) for r in range(2)]


class DdpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.data = fake_data()
        cls.tmp = tempfile.TemporaryDirectory()
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
        try:
            _, single = run(0, 1, 0, args(os.path.join(cls.tmp.name, "one"), False), dict(CFG), cls.data, log=lambda *_: None)
        finally:
            torch.set_default_dtype(torch.float32)
        cls.single = single.encoder.state_dict()
        torch.set_num_threads(max(1, os.cpu_count() or 1))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def max_diff(self, a, b):
        return max(float((a[k] - b[k]).abs().max()) for k in a)

    def test_gathered_negatives_equal_one_process(self):
        r0, r1 = two_ranks(os.path.join(self.tmp.name, "gather"), True, self.data)
        self.assertEqual(self.max_diff(r0, r1), 0.0, "ranks disagree")
        moved = self.max_diff(r0, fake_start())
        self.assertGreater(moved, 1e-4, "training did not move the weights")
        d = self.max_diff(r0, self.single)
        self.assertLessEqual(d, TOL, f"2 ranks vs 1 process: max |Δw| = {d:.3g}")

    def test_local_negatives_ranks_agree_but_differ_from_one_process(self):
        r0, r1 = two_ranks(os.path.join(self.tmp.name, "local"), False, self.data)
        self.assertEqual(self.max_diff(r0, r1), 0.0, "ranks disagree")
        self.assertGreater(self.max_diff(r0, self.single), 1e-4, "local negatives should change the run")


def fake_start():
    from infomax_lab.model import Encoder
    from infomax_lab.rng import rng_for
    e = Encoder(CFG["ndf"], CFG["nRkhs"], CFG["nDepth"], CFG["imageSize"], rng_for(CFG["seed"], "model").fork("encoder"))
    return {k: v.double() for k, v in e.state_dict().items()}


if __name__ == "__main__":
    unittest.main()
