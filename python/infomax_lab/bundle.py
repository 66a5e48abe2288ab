"""The bundle the page and the twin hand each other (src/lib/model/bundle.ts writes and reads the same files):

  config.json            the app's config
  weights.safetensors    the encoder, by the app's names, in the app's layout (float32)
  optimizer.safetensors  Adam moments per weight (adam.m.<name>, adam.v.<name>), the probe (probe.<name>) and its
                         Adam (probe-adam.m.<name>, …); __metadata__ "state" holds the step counts, sampler and
                         generator states as JSON, so a run continues exactly where it stopped
  README.md              how to continue the run (the exact command line)
"""
import json
import os

import torch

from . import safetensors as st

FORMAT = "infomax-lab-bundle"
VERSION = "1"


def command_line(config_path="config.json", data="PHOTOS", steps=None, nproc=1, out="continued", resume="."):
    parts = ["python3 -m infomax_lab.train"]
    if nproc > 1:
        parts.append(f"--nproc {nproc}")
    parts += [f"--config {config_path}", f"--data {data}", f"--resume {resume}", f"--out {out}"]
    if steps:
        parts.append(f"--steps {steps}")
    return " ".join(parts)


def readme(cfg, step, source):
    return (f"# InfoMax Lab run bundle\n\nWritten by {source} at step {step}: AMDIM, ndf {cfg['ndf']}, nRkhs {cfg['nRkhs']}, "
            f"nDepth {cfg['nDepth']}, {cfg['imageSize']} px, batch {cfg['batchSize']}, seed {cfg['seed']}.\n\n"
            "Continue it in PyTorch (from the repository's `python/` folder, or with `PYTHONPATH=python`):\n\n"
            f"```\ncd THIS_FOLDER && PYTHONPATH=/path/to/infomax-lab/python {command_line(steps=step + 1000)}\n```\n\n"
            "Replace PHOTOS with your photo folder (sub-folders = labels, or flat). Add `--nproc 2` for two processes, "
            "or launch with `torchrun --nproc_per_node 8 -m infomax_lab.train …` on a GPU node. Bring the result back "
            "with the app's Data → Model → Import bundle (select config.json and weights.safetensors, "
            "optionally optimizer.safetensors).\n")


def write_bundle(out, cfg, weights, opt_tensors=None, state=None, source="the PyTorch twin"):
    """weights: name → tensor (app names/layout); opt_tensors: name → tensor; state: JSON-able dict."""
    os.makedirs(out, exist_ok=True)
    tmp = lambda name: os.path.join(out, f".{name}.tmp")  # noqa: E731 (written whole, then renamed)
    with open(tmp("config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2)
    meta = {"format": FORMAT, "version": VERSION,
            "encoder": json.dumps({**{k: cfg[k] for k in ("ndf", "nRkhs", "nDepth", "imageSize")}, "useBn": cfg.get("useBn", 0) == 1})}
    st.save_file(weights, tmp("weights.safetensors"), meta)
    names = ["config.json", "weights.safetensors"]
    if opt_tensors is not None:
        st.save_file(opt_tensors, tmp("optimizer.safetensors"), {**meta, "state": json.dumps(state or {})})
        names.append("optimizer.safetensors")
    with open(tmp("README.md"), "w", encoding="utf-8") as f:
        f.write(readme(cfg, (state or {}).get("step", 0), source))
    names.append("README.md")
    for n in names:
        os.replace(tmp(n), os.path.join(out, n))


def read_bundle(folder):
    """(config dict or None, weights dict, optimizer tensors dict or None, state dict or None)."""
    wpath = os.path.join(folder, "weights.safetensors")
    if not os.path.exists(wpath):
        raise FileNotFoundError(f"--resume: {folder} has no weights.safetensors")
    weights, _ = st.load_file(wpath)
    cfg = None
    if os.path.exists(os.path.join(folder, "config.json")):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
    opt, state = None, None
    opath = os.path.join(folder, "optimizer.safetensors")
    if os.path.exists(opath):
        opt, meta = st.load_file(opath)
        state = json.loads(meta.get("state", "{}"))
    return cfg, weights, opt, state


def optimizer_tensors(trainer):
    """Adam state and classifiers by the app's names (see the module docstring)."""
    out = {}
    params = dict(trainer.encoder.named_parameters())
    for n in trainer.param_names:
        s = trainer.opt.state.get(params[n], {})
        out[f"adam.m.{n}"] = s.get("exp_avg", torch.zeros_like(params[n])).detach().float().cpu()
        out[f"adam.v.{n}"] = s.get("exp_avg_sq", torch.zeros_like(params[n])).detach().float().cpu()
    sd = trainer.probe.state_dict()
    pparams = dict(trainer.probe.named_parameters())
    for n in trainer.probe.names:
        out[f"probe.{n}"] = sd[n].detach().float().cpu()
    for n in trainer.probe.trainable:
        s = trainer.probe_opt.state.get(pparams[n], {})
        out[f"probe-adam.m.{n}"] = s.get("exp_avg", torch.zeros_like(pparams[n])).detach().float().cpu()
        out[f"probe-adam.v.{n}"] = s.get("exp_avg_sq", torch.zeros_like(pparams[n])).detach().float().cpu()
    return out


def load_optimizer(trainer, tensors, state):
    """Puts Adam moments, step counts and the classifiers back (the inverse of optimizer_tensors). Classifiers made
    for another number of classes (another dataset) are left fresh."""
    params = dict(trainer.encoder.named_parameters())
    steps = int(state.get("adamStep", 0))
    for n in trainer.param_names:
        m, v = tensors.get(f"adam.m.{n}"), tensors.get(f"adam.v.{n}")
        if m is None or v is None:
            raise ValueError(f"optimizer.safetensors: missing adam.m.{n} or adam.v.{n}")
        if steps > 0:
            p = params[n]
            trainer.opt.state[p] = {"step": torch.tensor(float(steps)), "exp_avg": m.to(p), "exp_avg_sq": v.to(p)}
    trainer.steps = steps
    sd = trainer.probe.state_dict()
    if not all(f"probe.{n}" in tensors and list(tensors[f"probe.{n}"].shape) == list(sd[n].shape) for n in trainer.probe.names):
        return
    psteps = int(state.get("probeAdamStep", 0))
    trainer.probe_steps = psteps
    pparams = dict(trainer.probe.named_parameters())
    with torch.no_grad():
        for n in trainer.probe.names:
            sd[n].copy_(tensors[f"probe.{n}"])
    if psteps > 0:
        for n in trainer.probe.trainable:
            p = pparams[n]
            trainer.probe_opt.state[p] = {"step": torch.tensor(float(psteps)), "exp_avg": tensors[f"probe-adam.m.{n}"].to(p),
                                          "exp_avg_sq": tensors[f"probe-adam.v.{n}"].to(p)}
