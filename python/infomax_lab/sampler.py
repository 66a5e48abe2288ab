"""The app's epoch-wise batch sampler (src/lib/data/batches.ts), sharded across ranks the way DistributedSampler
shards a dataset: every rank draws the same global batch from the seeded generator and keeps its own slice, so
N processes see exactly the images one process would, and a resumed run continues with the same batches."""
from .rng import Rng


class BatchSampler:
    def __init__(self, count, batch, rng):
        if batch > count:
            raise ValueError(f"BatchSampler: batch ({batch}) exceeds the dataset ({count} images)")
        self.count, self.batch, self.rng = count, batch, rng
        self.epoch, self.pos = 0, 0
        self.epoch_rng = self._shuffle()

    @property
    def batches_per_epoch(self):
        return self.count // self.batch

    def _shuffle(self):
        start = self.rng.state
        self.perm = self.rng.shuffle(list(range(self.count)))
        return start

    def next(self):
        if self.pos == self.batches_per_epoch:
            self.epoch += 1
            self.pos = 0
            self.epoch_rng = self._shuffle()
        start = self.pos * self.batch
        self.pos += 1
        return self.perm[start:start + self.batch]

    @property
    def state(self):
        return {"count": self.count, "batch": self.batch, "epoch": self.epoch, "pos": self.pos, "epochRng": list(self.epoch_rng)}

    @staticmethod
    def restore(state):
        s = BatchSampler(state["count"], state["batch"], Rng(state["epochRng"]))
        s.epoch, s.pos = state["epoch"], state["pos"]
        return s


def shard(indices, rank, world):
    """This rank's contiguous slice of a global batch (the batch size divides by the world size)."""
    n = len(indices) // world
    return indices[rank * n:(rank + 1) * n]
