"""AMDIM augmentation as src/lib/data/augment.ts does it: every random number drawn from the app's generator in the
app's order (draw_aug_params), then deterministic batched ops (augment_pair): shared horizontal flip → reflect pad →
both views' crops (TensorFlow's crop_and_resize sampling: nearest for translations, bilinear for resized crops) →
brightness → contrast → one 3×3 colour matrix per image (saturation, hue, grayscale) → clip to [0, 1]."""
import math
import struct

import torch
import torch.nn.functional as F

LUMA = [0.299, 0.587, 0.114]
_YIQ = [LUMA, [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]]


def _mul3(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def _inv3(m):
    (a, b, c), (d, e, f), (g, h, i) = m
    A, B, C = e * i - f * h, f * g - d * i, d * h - e * g
    det = a * A + b * B + c * C
    return [[A / det, (c * h - b * i) / det, (b * f - c * e) / det],
            [B / det, (a * i - c * g) / det, (c * d - a * f) / det],
            [C / det, (b * g - a * h) / det, (a * e - b * d) / det]]


_YIQ_INV = _inv3(_YIQ)


def color_matrix(saturation, hue, gray):
    s = saturation
    m = [[s * (1 if i == j else 0) + (1 - s) * LUMA[j] for j in range(3)] for i in range(3)]
    if hue != 0:
        t = 2 * math.pi * hue
        c, sn = math.cos(t), math.sin(t)
        m = _mul3(_mul3(_mul3(_YIQ_INV, [[1, 0, 0], [0, c, -sn], [0, sn, c]]), _YIQ), m)
    return _mul3([list(LUMA)] * 3, m) if gray else m


def _resized_crop_box(cfg, size, rng):
    area = size * size
    la, lb = math.log(cfg["cropAspectMin"]), math.log(cfg["cropAspectMax"])
    for _ in range(10):
        target = area * rng.uniform(cfg["cropScaleMin"], cfg["cropScaleMax"])
        aspect = math.exp(rng.uniform(la, lb))
        w, h = math.sqrt(target * aspect), math.sqrt(target / aspect)
        if w <= size and h <= size:
            return rng.uniform(0, size - h), rng.uniform(0, size - w), h, w
    w = h = size
    if cfg["cropAspectMin"] > 1:
        h = w / cfg["cropAspectMin"]
    elif cfg["cropAspectMax"] < 1:
        w = h * cfg["cropAspectMax"]
    return (size - h) / 2, (size - w) / 2, h, w


def _f32(x):
    """Rounded to float32, as the app stores its draws in Float32Arrays."""
    return struct.unpack("f", struct.pack("f", x))[0]


def draw_aug_params(cfg, batch, size, rng):
    """Every random number of one augmented batch, in the app's draw order (drawAugParams)."""
    # 'auto' is the app's default: the official crop for the image size (translate at 32 px, resized at 64 px).
    cfg = {**cfg, "crop": ("resized" if size >= 64 else "translate") if cfg["crop"] == "auto" else cfg["crop"]}
    P = cfg["translatePx"] if cfg["crop"] == "translate" else 0
    pad = 0 if cfg["crop"] == "none" else P + 1
    if pad >= size:
        raise ValueError(f"augment: translatePx ({cfg['translatePx']}) must be below image size − 1 ({size - 1})")
    n, Sp = 2 * batch, size + 2 * pad
    last = Sp - 1
    p = {"batch": batch, "size": size, "crop": cfg["crop"], "pad": pad, "flip": [0] * batch, "boxes": [0.0] * (4 * n),
         "brightness": [1.0] * n, "contrast": [1.0] * n, "saturation": [1.0] * n, "hue": [0.0] * n, "gray": [0] * n}
    for i in range(batch):
        p["flip"][i] = 1 if rng.bernoulli(cfg["flipP"]) else 0

    def factor(r):
        return rng.uniform(max(0, 1 - r), 1 + r)

    for r in range(n):
        y0, x0, y1, x1 = pad, pad, pad + size - 1, pad + size - 1
        if cfg["crop"] == "translate" and rng.bernoulli(cfg["translateP"]):
            dy, dx = rng.int(2 * P + 1) - P, rng.int(2 * P + 1) - P
            y0, x0, y1, x1 = y0 - dy, x0 - dx, y1 - dy, x1 - dx
        elif cfg["crop"] == "resized":
            top, left, h, w = _resized_crop_box(cfg, size, rng)
            y0 = pad + top + (0.5 * h) / size - 0.5
            y1 = pad + top + ((size - 0.5) * h) / size - 0.5
            x0 = pad + left + (0.5 * w) / size - 0.5
            x1 = pad + left + ((size - 0.5) * w) / size - 0.5
        p["boxes"][4 * r:4 * r + 4] = [_f32(y0 / last), _f32(x0 / last), _f32(y1 / last), _f32(x1 / last)]
        if rng.bernoulli(cfg["jitterP"]):
            p["brightness"][r] = _f32(factor(cfg["brightness"]))
            p["contrast"][r] = _f32(factor(cfg["contrast"]))
            p["saturation"][r] = _f32(factor(cfg["saturation"]))
            p["hue"][r] = _f32(rng.uniform(-cfg["hue"], cfg["hue"]))
        p["gray"][r] = 1 if rng.bernoulli(cfg["grayP"]) else 0
    return p


def _crop_and_resize(img, boxes, size, nearest):
    """tf.image.cropAndResize with box r reading image r: img (n, C, H, W), boxes (n, 4) float32 normalised
    [y1, x1, y2, x2] → (n, C, size, size). Samples outside the image read 0, as TensorFlow's extrapolation."""
    n, C, H, W = img.shape
    b = boxes.double()
    k = torch.arange(size, dtype=torch.float64, device=img.device)
    ys = b[:, 0:1] * (H - 1) + k * ((b[:, 2:3] - b[:, 0:1]) * (H - 1) / (size - 1))  # (n, size)
    xs = b[:, 1:2] * (W - 1) + k * ((b[:, 3:4] - b[:, 1:2]) * (W - 1) / (size - 1))
    flat = img.reshape(n, C, H * W)

    def take(yi, xi):
        idx = (yi.clamp(0, H - 1)[:, :, None] * W + xi.clamp(0, W - 1)[:, None, :]).reshape(n, 1, size * size)
        return flat.gather(2, idx.expand(n, C, size * size)).reshape(n, C, size, size)

    inside = ((ys >= 0) & (ys <= H - 1))[:, None, :, None] & ((xs >= 0) & (xs <= W - 1))[:, None, None, :]
    if nearest:
        out = take(torch.floor(ys + 0.5).long(), torch.floor(xs + 0.5).long())  # JavaScript's Math.round
    else:
        y0, x0 = torch.floor(ys), torch.floor(xs)
        yl = (ys - y0).to(img.dtype)[:, None, :, None]
        xl = (xs - x0).to(img.dtype)[:, None, None, :]
        y0l, x0l, y1l, x1l = y0.long(), x0.long(), torch.ceil(ys).long(), torch.ceil(xs).long()
        tl, tr, bl, br = take(y0l, x0l), take(y0l, x1l), take(y1l, x0l), take(y1l, x1l)
        top = tl + (tr - tl) * xl
        bottom = bl + (br - bl) * xl
        out = top + (bottom - top) * yl
    return torch.where(inside, out, torch.zeros((), dtype=out.dtype, device=out.device))


def augment_pair(x, p):
    """x: (B, S, S, 3) uint8 or float in [0, 1]. Returns the two views, each (B, S, S, 3) in [0, 1] (the default dtype)."""
    B, S, pad = p["batch"], p["size"], p["pad"]
    if tuple(x.shape) != (B, S, S, 3):
        raise ValueError(f"augmentPair: input shape {tuple(x.shape)} does not match the params ({B}, {S}, {S}, 3)")
    dev = x.device
    dt = torch.get_default_dtype()  # float32 as the app; the tests run float64 too
    f32 = lambda v: torch.tensor(v, dtype=dt, device=dev)  # noqa: E731 (values already rounded to float32)
    xf = x.to(dt) / 255 if x.dtype == torch.uint8 else x.to(dt)
    xf = xf.permute(0, 3, 1, 2)  # (B, 3, S, S)
    flip = torch.tensor(p["flip"], dtype=torch.bool, device=dev)[:, None, None, None]
    flipped = torch.where(flip, xf.flip(3), xf)
    n = 2 * B
    if p["crop"] == "none":
        v = torch.cat([flipped, flipped])
    else:
        padded = F.pad(flipped, (pad, pad, pad, pad), mode="reflect")
        both = torch.cat([padded, padded])  # (2B, 3, S+2p, S+2p)
        v = _crop_and_resize(both, f32(p["boxes"]).reshape(n, 4), S, p["crop"] == "translate")
    per = lambda k: f32(p[k]).reshape(n, 1, 1, 1)  # noqa: E731
    v = (v * per("brightness")).clamp(0, 1)
    mean_gray = (v.mean(dim=(2, 3)) @ f32(LUMA)).reshape(n, 1, 1, 1)
    ctr = per("contrast")
    v = (v * ctr + mean_gray * (1 - ctr)).clamp(0, 1)
    mats = f32([color_matrix(p["saturation"][r], p["hue"][r], p["gray"][r] == 1) for r in range(n)])  # (n, 3, 3)
    v = torch.einsum("nij,njhw->nihw", mats, v).clamp(0, 1)
    v = v.permute(0, 2, 3, 1).contiguous()  # (2B, S, S, 3)
    return v[:B], v[B:]
