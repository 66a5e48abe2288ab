"""AMDIM augmentation as src/lib/data/augment.ts does it: every random number drawn from the app's generator in the
app's order (draw_aug_params), then deterministic batched ops (augment_pair): shared horizontal flip → reflect pad →
both views' crops (translate: TensorFlow's crop_and_resize, nearest; resized: torchvision's integer boxes resampled
bicubically as PIL, resample.ts) → colour jitter as torchvision's ColorJitter (brightness, contrast, saturation and
hue in a random order per image, clamped to [0, 1] after each) → grayscale."""
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


def _jsround(x):
    """JavaScript's Math.round (halves up)."""
    return math.floor(x + 0.5)


def _resized_crop_box(cfg, size, rng):
    """torchvision RandomResizedCrop.get_params: an integer box (top, left, height, width) (resizedCropBox)."""
    area = size * size
    la, lb = math.log(cfg["cropAspectMin"]), math.log(cfg["cropAspectMax"])
    for _ in range(10):
        target = area * rng.uniform(cfg["cropScaleMin"], cfg["cropScaleMax"])
        aspect = math.exp(rng.uniform(la, lb))
        w, h = _jsround(math.sqrt(target * aspect)), _jsround(math.sqrt(target / aspect))
        if 0 < w <= size and 0 < h <= size:
            return rng.int(size - h + 1), rng.int(size - w + 1), h, w
    w = h = size
    if 1 < cfg["cropAspectMin"]:
        h = _jsround(w / cfg["cropAspectMin"])
    elif 1 > cfg["cropAspectMax"]:
        w = _jsround(h * cfg["cropAspectMax"])
    return (size - h) // 2, (size - w) // 2, h, w


def cubic(x):
    """PIL's bicubic kernel (a = -0.5)."""
    a = -0.5
    x = abs(x)
    if x < 1:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    if x < 2:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def bicubic_rows(src_size, start, length, out_size, skip=0, out_count=None):
    """resample.ts bicubicRows: (out_count, src_size) rows resampling [start, start + length) to out_size pixels
    as PIL's precompute_coeffs, keeping output pixels [skip, skip + out_count). Entries rounded to float32."""
    out_count = out_size if out_count is None else out_count
    if not (length >= 1 and start >= 0 and start + length <= src_size):
        raise ValueError(f"bicubicRows: window [{start}, {start + length}) outside [0, {src_size})")
    scale = length / out_size
    fs = max(scale, 1)
    support = 2 * fs
    m = [[0.0] * src_size for _ in range(out_count)]
    for k in range(out_count):
        center = (k + skip + 0.5) * scale
        lo, hi = max(math.trunc(center - support + 0.5), 0), min(math.trunc(center + support + 0.5), length)
        w = [cubic((x - center + 0.5) / fs) for x in range(lo, hi)]
        tot = 0.0
        for v in w:
            tot += v
        if tot != 0:
            for x in range(lo, hi):
                m[k][start + x] = _f32(w[x - lo] / tot)
    return m


def resample_batch(x, ry, rx):
    """resample.ts resampleBatch on (n, C, S, S): horizontal pass first, clamped, then vertical, clamped."""
    h = torch.einsum("nchx,nox->ncho", x, rx).clamp(0, 1)
    return torch.einsum("ncyo,npy->ncpo", h, ry).clamp(0, 1)


def test_view(x):
    """The official test-time view of 64 px images x (n, S, S, 3) in [0, 1] (STL-10: Resize(70) then CenterCrop(64),
    bicubic, as resample.ts testView); other sizes come back as they are."""
    n, S = x.shape[0], x.shape[1]
    if S != 64:
        return x
    big = 70
    skip = _jsround((big - S) / 2)
    r = torch.tensor(bicubic_rows(S, 0, S, big, skip, S), dtype=x.dtype, device=x.device).expand(n, S, S)
    return resample_batch(x.permute(0, 3, 1, 2), r, r).permute(0, 2, 3, 1).contiguous()


STL10_MEAN = [0.43, 0.42, 0.39]
STL10_STD = [0.27, 0.26, 0.27]


def normalize_input(x):
    """STL-10 normalisation of 64 px inputs (B, S, S, 3) as resample.ts normalizeInput; 32 px ones stay in [0, 1]."""
    if x.shape[1] != 64:
        return x
    return (x - torch.tensor(STL10_MEAN, dtype=x.dtype, device=x.device)) / torch.tensor(STL10_STD, dtype=x.dtype, device=x.device)


def _f32(x):
    """Rounded to float32, as the app stores its draws in Float32Arrays."""
    return struct.unpack("f", struct.pack("f", x))[0]


def draw_aug_params(cfg, batch, size, rng):
    """Every random number of one augmented batch, in the app's draw order (drawAugParams)."""
    # 'auto' is the app's default: the official crop for the image size (translate at 32 px, resized at 64 px).
    crop = ("resized" if size >= 64 else "translate") if cfg["crop"] == "auto" else cfg["crop"]
    P = cfg["translatePx"] if crop == "translate" else 0
    pad = P + 1 if crop == "translate" else 0
    if pad >= size:
        raise ValueError(f"augment: translatePx ({cfg['translatePx']}) must be below image size − 1 ({size - 1})")
    n, Sp = 2 * batch, size + 2 * pad
    last = Sp - 1
    p = {"batch": batch, "size": size, "crop": crop, "pad": pad, "flip": [0] * batch, "boxes": [0.0] * (4 * n),
         "region": [0.0] * (4 * n), "brightness": [1.0] * n, "contrast": [1.0] * n, "saturation": [1.0] * n,
         "hue": [0.0] * n, "order": [0, 1, 2, 3] * n, "gray": [0] * n}
    for i in range(batch):
        p["flip"][i] = 1 if rng.bernoulli(cfg["flipP"]) else 0

    def factor(r):
        return rng.uniform(max(0, 1 - r), 1 + r)

    for r in range(n):
        y0, x0, y1, x1 = pad, pad, pad + size - 1, pad + size - 1
        p["region"][4 * r:4 * r + 4] = [0, 0, size, size]
        if crop == "translate" and rng.bernoulli(cfg["translateP"]):
            dy, dx = rng.int(2 * P + 1) - P, rng.int(2 * P + 1) - P
            p["region"][4 * r:4 * r + 4] = [-dy, -dx, size, size]
            y0, x0, y1, x1 = y0 - dy, x0 - dx, y1 - dy, x1 - dx
        elif crop == "resized":
            p["region"][4 * r:4 * r + 4] = list(_resized_crop_box(cfg, size, rng))
        p["boxes"][4 * r:4 * r + 4] = [_f32(y0 / last), _f32(x0 / last), _f32(y1 / last), _f32(x1 / last)]
        if rng.bernoulli(cfg["jitterP"]):
            # torchvision: fn_idx = randperm(4), then the four factors.
            p["order"][4 * r:4 * r + 4] = rng.shuffle([0, 1, 2, 3])
            p["brightness"][r] = _f32(factor(cfg["brightness"]))
            p["contrast"][r] = _f32(factor(cfg["contrast"]))
            p["saturation"][r] = _f32(factor(cfg["saturation"]))
            p["hue"][r] = _f32(rng.uniform(-cfg["hue"], cfg["hue"]))
        p["gray"][r] = 1 if rng.bernoulli(cfg["grayP"]) else 0
    return p


def _hue_matrix(hue):
    if hue == 0:
        return [[1.0 if i == j else 0.0 for j in range(3)] for i in range(3)]
    t = 2 * math.pi * hue
    c, sn = math.cos(t), math.sin(t)
    return _mul3(_mul3(_YIQ_INV, [[1, 0, 0], [0, c, -sn], [0, sn, c]]), _YIQ)


def jitter_step(op, p, r):
    """augment.ts jitterStep: one adjustment of image r as v' = m·v + (1 − keep)·meanGray(v)."""
    eye = [[1.0 if i == j else 0.0 for j in range(3)] for i in range(3)]
    if op == 0:
        return [[v * p["brightness"][r] for v in row] for row in eye], 1.0
    if op == 1:
        return [[v * p["contrast"][r] for v in row] for row in eye], p["contrast"][r]
    if op == 2:
        s = p["saturation"][r]
        return [[s * v + (1 - s) * LUMA[j] for j, v in enumerate(row)] for row in eye], 1.0
    return _hue_matrix(p["hue"][r]), 1.0


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
    elif p["crop"] == "resized":
        reg = p["region"]
        ry = f32([bicubic_rows(S, int(reg[4 * r]), int(reg[4 * r + 2]), S) for r in range(n)])  # (n, S, S)
        rx = f32([bicubic_rows(S, int(reg[4 * r + 1]), int(reg[4 * r + 3]), S) for r in range(n)])
        v = resample_batch(torch.cat([flipped, flipped]), ry, rx)
    else:
        padded = F.pad(flipped, (pad, pad, pad, pad), mode="reflect")
        both = torch.cat([padded, padded])  # (2B, 3, S+2p, S+2p)
        v = _crop_and_resize(both, f32(p["boxes"]).reshape(n, 4), S, True)
    # Colour jitter in each image's own random order, clamped after every adjustment (as torchvision).
    luma = f32(LUMA)
    for slot in range(4):
        steps = [jitter_step(p["order"][4 * r + slot], p, r) for r in range(n)]
        mats = f32([m for m, _ in steps])  # (n, 3, 3)
        keep = f32([k for _, k in steps]).reshape(n, 1, 1, 1)
        mean_gray = (v.mean(dim=(2, 3)) @ luma).reshape(n, 1, 1, 1)
        v = (torch.einsum("nij,njhw->nihw", mats, v) + mean_gray * (1 - keep)).clamp(0, 1)
    if any(g == 1 for g in p["gray"]):
        eye = [[1.0 if i == j else 0.0 for j in range(3)] for i in range(3)]
        gm = f32([[list(LUMA)] * 3 if p["gray"][r] == 1 else eye for r in range(n)])
        v = torch.einsum("nij,njhw->nihw", gm, v).clamp(0, 1)
    v = v.permute(0, 2, 3, 1).contiguous()  # (2B, S, S, 3)
    return v[:B], v[B:]


def test_input(x):
    """What an encoder sees of held-out images x (n, S, S, 3) in [0, 1]: the test view, then the STL-10 normalisation
    at 64 px (heldout.ts: normalizeInput(testView(x)))."""
    return normalize_input(test_view(x))
