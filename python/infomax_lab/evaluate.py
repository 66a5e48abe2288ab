"""Held-out evaluation as the app reports it: kNN accuracy (cosine, leave-one-out, k = 20, majority vote with ties
to the larger summed similarity; src/lib/embed/knn.ts) of the trained encoder's r1, next to a random encoder from the
same config and raw pixels with the same classifier, and the online probe's accuracy on the held-out images. Before
encoding, every BatchNorm's running statistics are re-estimated on training images (refresh_batchnorm, as bnrefresh.ts
and the official _warmup_batchnorm)."""
import torch

from .augment import test_input, test_view
from .rng import rng_for
from .model import BN_MOMENTUM, BatchNorm, Encoder

REFRESH_IMAGES = 256


def refresh_batches(n_train, batch_size, seed, images=REFRESH_IMAGES):
    """bnrefresh.ts refreshBatches: a seeded sample of the training split, whole batches of the batch size, as many as fit
    in `images`, at most 16, at least one."""
    if n_train < 2:
        return []
    b = max(2, min(batch_size, n_train))
    count = max(1, min(16, images // b, n_train // b))
    all_ = rng_for(seed, "bn-refresh").shuffle(list(range(n_train)))
    return [all_[k * b:(k + 1) * b] for k in range(count)]


@torch.no_grad()
def refresh_batchnorm(encoder, mlp, train_images, cfg, device="cpu"):
    """Trainer.refreshBatchNorm: the refresh batches through the encoder (and the MLP classifier, if given) in training
    mode without gradients; the k-th batch updates with momentum 1/k, so each running statistic ends as the plain
    average of the batches' statistics (mean, unbiased variance) and the old ones are dropped. No weight moves."""
    bns = [m for m in encoder.modules() if isinstance(m, BatchNorm)]
    synced = [b.sync for b in bns]
    for b in bns:
        b.sync = False  # evaluation runs on rank 0 alone: no all-reduce with ranks that are not there
    was = encoder.training
    encoder.train()
    for k, idx in enumerate(refresh_batches(len(train_images), cfg["batchSize"], cfg["seed"])):
        for b in bns:
            b.momentum = 1.0 / (k + 1)
        x = test_input(train_images[torch.tensor(idx)].to(device).to(torch.get_default_dtype()) / 255)
        r1 = encoder(x)["r1"]
        if mlp is not None:
            mlp.bn_momentum = 1.0 / (k + 1)
            mlp(r1, training=True)
    for b, sync in zip(bns, synced):
        b.momentum = BN_MOMENTUM
        b.sync = sync
    if mlp is not None:
        mlp.bn_momentum = BN_MOMENTUM
    encoder.train(was)
from .probes import probe_accuracy


def knn_accuracy(feats, labels, k=20):
    n = feats.shape[0]
    keep = labels >= 0
    if n < 2 or keep.sum() == 0:
        return float("nan")
    x = torch.nn.functional.normalize(feats.double(), dim=1)
    sim = x @ x.t()
    sim.fill_diagonal_(-float("inf"))
    k = min(k, n - 1)
    vals, idx = sim.topk(k, dim=1)
    classes = int(labels.max()) + 1
    correct = scored = 0
    for i in range(n):
        if labels[i] < 0:
            continue
        votes = torch.zeros(classes, dtype=torch.float64)
        weight = torch.zeros(classes, dtype=torch.float64)
        for t in range(k):
            j = int(idx[i, t])
            if labels[j] < 0:
                continue
            votes[labels[j]] += 1
            weight[labels[j]] += vals[i, t]
        win = -1
        for c in range(classes):
            if votes[c] == 0:
                continue
            if win < 0 or votes[c] > votes[win] or (votes[c] == votes[win] and weight[c] > weight[win]):
                win = c
        scored += 1
        correct += int(win == int(labels[i]))
    return correct / scored if scored else float("nan")


def probe_indices(n_test, size, seed):
    """The app's probe set: a fixed, seeded sample of the held-out split (loop.ts probeIndices)."""
    all_ = rng_for(seed, "probe-set").shuffle(list(range(n_test)))
    return sorted(all_[:min(size, n_test)])


@torch.no_grad()
def evaluate(trainer, data, cfg):
    if not data.labeled or len(data.test) < 2:
        return {"note": "no labelled held-out images: nothing to score"}
    idx = torch.tensor(probe_indices(len(data.test), cfg["probeSize"], cfg["seed"]))
    x, y = data.test[idx], data.test_labels[idx]
    # The refreshed statistics serve this evaluation only (it runs on rank 0 alone, after the bundle is saved): the
    # trainer's are put back afterwards, so every rank keeps the same state.
    kept = {k: v.clone() for k, v in list(trainer.encoder.state_dict().items()) + [("mlp." + k, v) for k, v in trainer.probe.mlp.state_dict().items()] if "running_" in k}
    refresh_batchnorm(trainer.encoder, trainer.probe.mlp, data.train, cfg, trainer.device)
    feats = trainer.encode(x)
    rand = Encoder(cfg["ndf"], cfg["nRkhs"], cfg["nDepth"], cfg["imageSize"], rng_for(cfg["seed"], "random-baseline").fork("encoder"),
                   use_bn=cfg.get("useBn", 0) == 1)
    refresh_batchnorm(rand, None, data.train, cfg)
    rand.eval()
    rfeats = torch.cat([rand.embed(test_input(x[i:i + 256].to(torch.get_default_dtype()) / 255)) for i in range(0, len(x), 256)])
    out = {"n": len(x), "knn": knn_accuracy(feats, y), "knnRandom": knn_accuracy(rfeats, y),
           "knnPixels": knn_accuracy(test_view(x.float() / 255).reshape(len(x), -1), y)}
    out["linear"] = float(probe_accuracy(trainer.probe.lin(feats.to(trainer.device)).cpu(), y))
    out["mlp"] = float(probe_accuracy(trainer.probe.mlp(feats.to(trainer.device)).cpu(), y))
    with torch.no_grad():
        for k, v in trainer.encoder.state_dict().items():
            if k in kept:
                v.copy_(kept[k])
        for k, v in trainer.probe.mlp.state_dict().items():
            if "mlp." + k in kept:
                v.copy_(kept["mlp." + k])
    return out
