"""Throughput of the twin's real training step (augmentation, encoder, NCE loss, Adam, probe), on 1 or N processes.

  python3 -m infomax_lab.bench --preset tiny --nproc 2 --steps 20

Random images of the preset's size, the global batch split across processes (DDP, Gloo on CPU, NCCL on GPU),
negatives gathered across ranks when --gather-negatives. Prints one JSON line: images/s and steps/s (median of
--reps timed blocks after one warm-up step), with the machine it ran on.
"""
import argparse
import json
import os
import platform
import socket
import statistics
import sys
import time

import torch
import torch.distributed as dist

from . import dist as D
from .augment import augment_pair, draw_aug_params
from .config import validate
from .rng import rng_for
from .sampler import shard
from .trainer import Trainer


def _bench(rank, world, a, cfg, port, out_q):
    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        if sys.platform.startswith("linux"):
            os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // world))
    dev = torch.device(f"cuda:{rank}" if torch.cuda.is_available() and a.device != "cpu" else "cpu")
    if world > 1:
        backend = "nccl" if dev.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=rank, world_size=world)
        D.set_group(dist.new_group(list(range(world)), backend=backend))
    B, S = cfg["batchSize"], cfg["imageSize"]
    tr = Trainer(cfg, 2, rng_for(cfg["seed"], "model"), dev, steps_per_epoch=1000)
    if world > 1:
        tr.encoder.set_sync_bn(True)
        tr.model = torch.nn.parallel.DistributedDataParallel(tr.model, device_ids=[dev.index] if dev.type == "cuda" else None,
                                                             broadcast_buffers=False)
    gather = D.all_gather_rows if (a.gather_negatives and world > 1) else None
    g = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (B, S, S, 3), dtype=torch.uint8, generator=g).to(dev)
    labels = (torch.arange(B) % 2).to(dev)
    aug, neg = rng_for(1, "augment"), rng_for(1, "src5")
    mine = shard(list(range(B)), rank, world)
    sl = slice(mine[0], mine[-1] + 1)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)

    def one():
        p = draw_aug_params(cfg, B, S, aug)
        src5 = [[neg.int(25) for _ in range(B)] for _ in range(2)]
        xa, xb = augment_pair(images, p)
        return tr.step(xa[sl], xb[sl], labels[sl], [src5[0][sl], src5[1][sl]], gather)

    t0 = time.perf_counter()
    one()
    sync()
    first = time.perf_counter() - t0
    times = []
    for _ in range(a.reps):
        if world > 1:
            dist.barrier()
        t = time.perf_counter()
        for _ in range(a.steps):
            one()
        sync()
        times.append((time.perf_counter() - t) / a.steps)
    if rank == 0:
        sec = statistics.median(times)
        out_q.put({"what": "infomax_lab twin: Trainer.step with augmentation, DDP when processes > 1", "torch": torch.__version__,
                   "device": dev.type, "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
                   "processes": world, "threadsPerProcess": torch.get_num_threads(), "cpu": platform.processor() or platform.machine(),
                   "cores": os.cpu_count(), "loadAverage1m": os.getloadavg()[0], "preset": a.preset, "batch": B, "gatherNegatives": bool(gather),
                   "msPerStep": sec * 1000, "stepsPerSec": 1 / sec, "imagesPerSec": B / sec, "firstStepSec": first})
    if world > 1:
        dist.destroy_process_group()


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m infomax_lab.bench")
    p.add_argument("--preset", default="tiny", choices=["tiny", "demo", "paper"])
    p.add_argument("--nproc", type=int, default=1)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default=None)
    p.add_argument("--gather-negatives", action="store_true")
    a = p.parse_args(argv)
    cfg = validate({}, a.preset)
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.nproc == 1:
        import queue
        q = queue.Queue()
        _bench(0, 1, a, cfg, 0, q)
    else:
        import torch.multiprocessing as mp
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        q = mp.get_context("spawn").SimpleQueue()
        mp.spawn(_bench, args=(a.nproc, a, cfg, port, q), nprocs=a.nproc, join=True)
    print(json.dumps(q.get()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
