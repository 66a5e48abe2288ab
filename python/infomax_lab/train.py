"""Train the app's AMDIM model in PyTorch, on one process or many (DistributedDataParallel).

  python3 -m infomax_lab.train --config run.json --data ~/photos --steps 1000 --out run1
  python3 -m infomax_lab.train --nproc 2 …          # spawns 2 processes itself (Gloo on CPU, NCCL on GPUs)
  torchrun --nproc_per_node 8 -m infomax_lab.train …  # RANK/WORLD_SIZE/LOCAL_RANK/MASTER_* from torchrun

config.batchSize is the global batch: each of N ranks takes its slice of the same seeded batch, so N processes see
the images one process would. BatchNorm statistics are taken over the global batch (synchronised, as one process
computes them; --local-bn keeps them per rank). Negatives: by default each rank scores its positives against its
own slice only (K = 1 + (B/N − 1)·t² candidates); --gather-negatives all-gathers the target features of every rank
first, so every softmax has the global batch's K = 1 + (B − 1)·t² candidates, and N processes compute the same
loss and gradients as one process with the whole batch (the usual choice of large-batch contrastive training; one
all_gather of the r5/r7 maps per step). Rank 0 writes the bundle (config.json, weights.safetensors,
optimizer.safetensors, README.md) to --out every config.checkpointSec seconds and at the end; --resume BUNDLE
continues a bundle written by the page or by this program.
"""
import argparse
import json
import os
import socket
import sys
import time

import torch
import torch.distributed as dist

from . import dist as D
from .augment import augment_pair, draw_aug_params, normalize_input
from .bundle import load_optimizer, optimizer_tensors, read_bundle, write_bundle
from .config import ConfigError, load_config, validate
from .data import FolderData
from .evaluate import evaluate
from .rng import Rng, rng_for
from .sampler import BatchSampler, shard
from .trainer import Trainer, lr_at


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m infomax_lab.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--config", required=True, help="the app's config JSON (what the page exports, or a bundle's config.json)")
    p.add_argument("--data", required=True, help="photo folder: sub-folders = labels, or flat")
    p.add_argument("--out", required=True, help="output folder: the bundle (config.json, weights.safetensors, …)")
    p.add_argument("--steps", type=int, default=None, help="steps to train in this call (default: config.steps)")
    p.add_argument("--nproc", type=int, default=1, help="processes to spawn on this machine (ignored under torchrun)")
    p.add_argument("--resume", default=None, help="a bundle folder to continue (weights, Adam state, sampler, generators)")
    p.add_argument("--gather-negatives", action="store_true", help="score against every rank's images (all_gather)")
    p.add_argument("--local-bn", action="store_true", help="BatchNorm statistics per rank instead of over the global batch")
    p.add_argument("--amp", action="store_true", help="mixed precision (float16 autocast; GPUs only)")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.steps is not None and a.steps < 0:
        p.error("--steps must be ≥ 0")
    if a.nproc < 1:
        p.error("--nproc must be ≥ 1")
    return a


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_dist(rank, world, device):
    if world == 1:
        return
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, rank=rank, world_size=world)
    D.set_group(dist.new_group(list(range(world)), backend=backend))


def run(rank, world, local_rank, args, cfg, data, log=print):
    """One rank's training. Returns the metrics of the last step (and writes the bundle on rank 0)."""
    want_cuda = (args.device or ("cuda" if torch.cuda.is_available() else "cpu")) == "cuda"
    device = torch.device(f"cuda:{local_rank}" if want_cuda else "cpu")
    if want_cuda:
        torch.cuda.set_device(device)
    if args.amp and device.type != "cuda":
        raise SystemExit("--amp: mixed precision needs a GPU (float16 autocast on CUDA)")
    B = cfg["batchSize"]
    if B % world:
        raise SystemExit(f"config.batchSize ({B}) must divide by the number of processes ({world})")
    if B // world < 2 and not args.gather_negatives:
        raise SystemExit(f"config.batchSize ({B}) gives {B // world} image(s) per process: need 2 for negatives, or --gather-negatives")
    setup_dist(rank, world, device)
    torch.manual_seed(cfg["seed"])
    n_classes = max(2, len(data.class_names))  # as the app: a 2-way probe that is never trained without labels
    trainer = Trainer(cfg, n_classes, rng_for(cfg["seed"], "model"), device, steps_per_epoch=len(data.train) // B)
    sampler = BatchSampler(len(data.train), B, rng_for(cfg["seed"], "batches"))
    aug_rng, neg_rng = rng_for(cfg["seed"], "augment"), rng_for(cfg["seed"], "src5")
    step, history, t_prev = 0, [], 0.0
    if args.resume:
        _, weights, opt, state = read_bundle(args.resume)
        trainer.encoder.load_app_weights(weights)
        if opt is not None and state:
            load_optimizer(trainer, opt, state)
            step = int(state.get("step", 0))
            t_prev = float(state.get("time", 0.0))
            if state.get("sampler", {}).get("count") == len(data.train) and state["sampler"].get("batch") == B:
                sampler = BatchSampler.restore(state["sampler"])
            if state.get("augRng"):
                aug_rng, neg_rng = Rng(state["augRng"]), Rng(state["negRng"])
        if rank == 0:
            log(f"resumed from {args.resume} at step {step}")
    if world > 1:
        trainer.encoder.set_sync_bn(not args.local_bn)
        trainer.model = torch.nn.parallel.DistributedDataParallel(
            trainer.model, device_ids=[device.index] if device.type == "cuda" else None, broadcast_buffers=args.local_bn)
    gather = D.all_gather_rows if (args.gather_negatives and world > 1) else None
    scaler = torch.cuda.amp.GradScaler() if args.amp else None
    n_steps = cfg["steps"] if args.steps is None else args.steps
    last_ckpt, t0, out = time.time(), time.time(), {}

    def state():
        return {"step": step, "adamStep": trainer.steps, "probeAdamStep": trainer.probe_steps, "time": time.time() - t0 + t_prev,
                "sampler": sampler.state, "augRng": aug_rng.state, "negRng": neg_rng.state, "worldSize": world,
                "gatherNegatives": bool(args.gather_negatives)}

    def save():
        write_bundle(args.out, cfg, trainer.encoder.app_weights(), optimizer_tensors(trainer), state())

    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
    metrics_file = open(os.path.join(args.out, "metrics.jsonl"), "a") if rank == 0 else None
    for _ in range(n_steps):
        idx = sampler.next()
        params = draw_aug_params(cfg, B, cfg["imageSize"], aug_rng)
        src5 = [[neg_rng.int(25) for _ in range(B)] for _ in range(2)]
        xa, xb = augment_pair(data.train[idx].to(device), params)  # (B, S, S, 3) each, the global batch
        # The official 64 px pipeline normalises with the STL-10 statistics (32 px inputs stay in [0, 1]), as loop.ts.
        xa, xb = normalize_input(xa), normalize_input(xb)
        mine = shard(list(range(B)), rank, world)
        sl = slice(mine[0], mine[-1] + 1)
        labels = data.train_labels[idx][sl].to(device) if data.labeled else None
        out = trainer.step(xa[sl], xb[sl], labels, [src5[0][sl], src5[1][sl]], gather, scaler, args.amp)
        if world > 1:  # the mean over ranks: the figures of the global batch
            keys = sorted(out)
            t = torch.tensor([out[k] for k in keys], dtype=torch.float64)
            dist.all_reduce(t, group=D.group())
            out = {k: float(v) / world for k, v in zip(keys, t)}
        step += 1
        if rank == 0:
            out.update(step=step, lr=lr_at(cfg, trainer.steps - 1, trainer.steps_per_epoch), time=time.time() - t0)
            metrics_file.write(json.dumps(out) + "\n")
            history.append(out)
            if not args.quiet and (step % cfg["logEvery"] == 0 or step == 1):
                log(f"step {step}  loss {out['total']:.4f}  NCE estimate 1→5 {out['nceEst1t5']:.3f} 1→7 {out['nceEst1t7']:.3f} "
                    f"5→5 {out['nceEst5t5']:.3f} nats  bound 1→5 {out['bound1t5']:.3f}  lr {out['lr']:.2e}")
            if time.time() - last_ckpt >= cfg["checkpointSec"]:
                save()
                last_ckpt = time.time()
    if rank == 0:
        metrics_file.close()
        save()
        ev = evaluate(trainer, data, cfg)
        ev.update(step=step, worldSize=world, seconds=time.time() - t0, imagesPerSec=(n_steps * B) / max(1e-9, time.time() - t0))
        with open(os.path.join(args.out, "eval.json"), "w") as f:
            json.dump(ev, f, indent=2)
        if not args.quiet:
            log(f"wrote {args.out}: step {step}; held-out kNN {ev.get('knn', float('nan')):.3f} "
                f"(random encoder {ev.get('knnRandom', float('nan')):.3f}, raw pixels {ev.get('knnPixels', float('nan')):.3f})")
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return out, trainer


def _spawned(rank, world, args, cfg, data, threads):
    torch.set_num_threads(threads)
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank))
    run(rank, world, rank, args, cfg, data)


def main(argv=None):
    args = parse_args(argv)
    try:
        cfg = load_config(args.config)
        if args.steps is not None:
            cfg = validate({**cfg, "steps": args.steps})
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    env_world = int(os.environ.get("WORLD_SIZE", "1"))
    if "RANK" in os.environ and env_world > 1:  # under torchrun (or any launcher that sets the variables)
        rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
        data = FolderData(args.data, cfg["imageSize"], cfg["seed"], log=print if rank == 0 else (lambda *_: None))
        run(rank, env_world, local, args, cfg, data)
        return 0
    data = FolderData(args.data, cfg["imageSize"], cfg["seed"])
    print(f"{len(data.train)} training and {len(data.test)} held-out images, {len(data.class_names)} classes, "
          f"{len(data.skipped)} skipped")
    if args.nproc == 1:
        run(0, 1, 0, args, cfg, data)
        return 0
    import torch.multiprocessing as mp
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(free_port())
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    threads = max(1, (os.cpu_count() or 1) // args.nproc)
    data.train.share_memory_()
    mp.spawn(_spawned, args=(args.nproc, args, cfg, data, threads), nprocs=args.nproc, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
