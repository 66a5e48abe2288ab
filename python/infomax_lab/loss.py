"""AMDIM's multi-scale NCE cost (SCIENCE.md §4; src/lib/model/loss.ts), its NCE estimate and the valid InfoNCE bound.

Scores s_ijl = <u_i, v_jl>/√D for every source i, target image j and location l; regulariser 0.05·mean(s²) on the
unclipped scores; soft clip c·tanh(s/c); each positive (i, l) competes with the other images' locations only, so
each softmax has K = 1 + (B−1)·t² candidates. With `gather`, the candidates j run over the images of every rank
(all_gather of the targets, as large-batch contrastive training does); the positives stay local.
"""
import math

import torch
import torch.nn.functional as F

REG_WEIGHT = 0.05


def nce_direction(u, v, tclip, v_all=None, offset=0):
    """u (B, D) sources, v (B, T, D) targets of the other view. v_all (B', T, D) ⊇ v as rows offset..offset+B−1
    when negatives are gathered across ranks. Returns loss, reg, the clipped scores (B, B', T) and the index of
    each source's own image in them."""
    B, D = u.shape
    va = v if v_all is None else v_all
    Bv, T, _ = va.shape
    s = torch.einsum("id,jld->ijl", u, va) / math.sqrt(D)  # (B, B', T)
    reg = REG_WEIGHT * s.pow(2).mean()
    c = tclip * torch.tanh(s / tclip) if math.isfinite(tclip) else s
    own = torch.arange(B, device=u.device) + offset
    pos = c[torch.arange(B, device=u.device), own]  # (B, T)
    self_mask = torch.zeros(B, Bv, 1, dtype=torch.bool, device=u.device)
    self_mask[torch.arange(B, device=u.device), own] = True
    neg = c.masked_fill(self_mask, float("-inf")).reshape(B, Bv * T)
    neg_lse = torch.logsumexp(neg, dim=1, keepdim=True)  # (B, 1)
    loss = F.softplus(neg_lse - pos).mean()  # −log(e^pos / (e^pos + e^negLse))
    return loss, reg, c, own


def info_nce_bound(c, own):
    """The valid bound from the same clipped scores c (B, B', T): critic f_ij = log mean_l e^{c_ijl},
    bound = mean_i [f_ii − log((1/B') Σ_j e^{f_ij})] ≤ log B'. Per image, so the t² correlated locations of one
    image count as one candidate (SCIENCE.md §4)."""
    B, Bv, T = c.shape
    f = torch.logsumexp(c, dim=2) - math.log(T)  # (B, B')
    fii = f[torch.arange(B, device=c.device), own]
    return (fii - (torch.logsumexp(f, dim=1) - math.log(Bv))).mean()


def sample_src5(rng, batch, locations=25):
    a = [rng.int(locations) for _ in range(batch)]
    b = [rng.int(locations) for _ in range(batch)]
    return a, b


def _flat(m):
    """(B, D, t, t) → (B, t², D), locations row-major as the app's NHWC reshape."""
    return m.flatten(2).transpose(1, 2)


def amdim_loss(fa, fb, tclip=20.0, src5=None, gather=None):
    """fa, fb: the two views' features {r1 (B, D), r5 (B, D, 5, 5), r7 (B, D, 7, 7)}. src5: two lists of B
    locations in 0..24. gather: None, or a function (B, T, D) → ((B', T, D), offset of this rank's rows).
    Returns a dict of scalars: loss1t5, loss1t7, loss5t5, reg, total, the NCE estimates nceEst1t5… and the bounds
    bound1t5…, each averaged over both directions (a→b and b→a)."""
    B, D = fa["r1"].shape
    if B < 2:
        raise ValueError(f"amdimLoss: needs a batch of at least 2 images (negatives come from other images), got {B}")
    m5a, m5b, m7a, m7b = _flat(fa["r5"]), _flat(fb["r5"]), _flat(fa["r7"]), _flat(fb["r7"])
    T5, T7 = m5a.shape[1], m7a.shape[1]
    ar = torch.arange(B, device=m5a.device)
    u5a = m5a[ar, torch.as_tensor(src5[0], device=m5a.device)]
    u5b = m5b[ar, torch.as_tensor(src5[1], device=m5b.device)]

    def direction(u, v):
        if gather is None:
            return nce_direction(u, v, tclip)
        v_all, offset = gather(v)
        return nce_direction(u, v, tclip, v_all, offset)

    pairs = {"1t5": [(fa["r1"], m5b), (fb["r1"], m5a)], "1t7": [(fa["r1"], m7b), (fb["r1"], m7a)],
             "5t5": [(u5a, m5b), (u5b, m5a)]}
    out, regs = {}, []
    for key, dirs in pairs.items():
        res = [direction(u, v) for u, v in dirs]
        out[f"loss{key}"] = 0.5 * (res[0][0] + res[1][0])
        regs += [res[0][1], res[1][1]]
        with torch.no_grad():
            out[f"bound{key}"] = 0.5 * (info_nce_bound(res[0][2], res[0][3]) + info_nce_bound(res[1][2], res[1][3]))
        Bv = res[0][2].shape[1]
        T = T5 if key != "1t7" else T7
        out[f"nceEst{key}"] = math.log(1 + (Bv - 1) * T) - out[f"loss{key}"].detach()
    out["reg"] = 0.5 * sum(regs)
    out["total"] = out["loss1t5"] + out["loss1t7"] + out["loss5t5"] + out["reg"]
    return out
