"""A photo folder laid out as the app imports it (src/lib/data/importer.ts planFolder): the first sub-folder below
the picked one is the class, files at the top level of a labelled folder get label −1, a flat folder is unlabelled;
hidden and system files are skipped; per class a seeded ~10% is held out (at least 5, 20 for a flat folder, at most a third). Photos are
centre-cropped to a square and resized to imageSize. A file that cannot be used is skipped with a reason, as the
app does, and the rest load."""
import math
import os
import re

import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from .rng import rng_for

MIN_SIDE = 8
MAX_PIXELS = 64_000_000
TEST_FRACTION = 0.1
MIN_HELD_OUT_PER_CLASS = 5
MIN_HELD_OUT_UNLABELED = 20
SYSTEM_FILES = {"thumbs.db", "desktop.ini", "icon\r"}


def _natural(s):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", s)]


def held_out_count(n, fraction, minimum):
    """~fraction of a group, raised to `minimum` for small groups, never more than a third, at least one from 2 on."""
    if n < 2 or fraction <= 0:
        return 0
    want = max(math.floor(n * fraction + 0.5), minimum)
    return min(n - 1, max(1, min(want, n // 3)))


def plan_folder(root, seed, test_fraction=TEST_FRACTION):
    """(items [(path, label, split)], class_names, skipped [(path, reason)])."""
    rels, skipped = [], []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for f in files:
            full = os.path.join(d, f)
            rel = os.path.relpath(full, root).split(os.sep)
            if any(p.startswith(".") or p == "__MACOSX" for p in rel) or f.lower() in SYSTEM_FILES:
                skipped.append((full, "hidden or system file"))
            elif os.path.getsize(full) == 0:
                skipped.append((full, "empty file (0 bytes)"))
            else:
                rels.append(rel)
    rels.sort(key=lambda r: (_natural("/".join(r)), "/".join(r)))
    labeled = any(len(r) >= 2 for r in rels)
    classes = sorted({r[0] for r in rels if len(r) >= 2}, key=_natural) if labeled else []
    cls = {c: k for k, c in enumerate(classes)}
    items = [[os.path.join(root, *r), cls[r[0]] if len(r) >= 2 else -1, "train"] for r in rels]
    rng = rng_for(seed, "import-split")
    groups = {}
    for it in items:
        groups.setdefault(it[1], []).append(it)
    for label in sorted(groups):
        g = groups[label]
        n_test = held_out_count(len(g), test_fraction, MIN_HELD_OUT_PER_CLASS if labeled else MIN_HELD_OUT_UNLABELED)
        if n_test == 0:
            continue
        order = rng.shuffle(list(range(len(g))))
        for k in range(n_test):
            g[order[k]][2] = "test"
    return [tuple(i) for i in items], classes, skipped


def load_image(path, size):
    """(size, size, 3) uint8 tensor, or a reason string why the file cannot be used."""
    try:
        with Image.open(path) as im:
            w, h = im.size
            if min(w, h) < MIN_SIDE:
                return f"too small: {w}×{h} px (need at least {MIN_SIDE} px on the shorter side)"
            if w * h > MAX_PIXELS:
                return f"too large: {w}×{h} px ({round(w * h / 1e6)} megapixels; the limit is {MAX_PIXELS // 1_000_000} MP)"
            fmt = (im.format or "image").upper()
            try:
                im = ImageOps.exif_transpose(im).convert("RGB")
            except Exception:
                return f"corrupt or truncated {fmt} (could not be decoded)"
    except UnidentifiedImageError:
        return "not an image (content is not JPEG, PNG, WebP, GIF, BMP or AVIF)"
    except (FileNotFoundError, PermissionError) as e:
        return f"could not be read ({e.strerror or e})"
    except (OSError, SyntaxError, ValueError):
        return "corrupt or truncated image (could not be decoded)"
    w, h = im.size
    side = min(w, h)
    sx, sy = (w - side) // 2, (h - side) // 2
    im = im.crop((sx, sy, sx + side, sy + side)).resize((size, size), Image.LANCZOS)
    return torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).reshape(size, size, 3)


class FolderData:
    """train/test images as uint8 (N, S, S, 3) tensors with labels (N) (−1 unknown)."""

    def __init__(self, root, size, seed, log=print):
        if not os.path.isdir(root):
            raise FileNotFoundError(f"--data: {root} is not a folder")
        items, self.class_names, skipped = plan_folder(root, seed)
        imgs = {"train": [], "test": []}
        labels = {"train": [], "test": []}
        for path, label, split in items:
            r = load_image(path, size)
            if isinstance(r, str):
                skipped.append((path, r))
                continue
            imgs[split].append(r)
            labels[split].append(label)
        self.skipped = skipped
        for path, reason in skipped:
            log(f"skipped {os.path.relpath(path, root)}: {reason}")
        if not imgs["train"]:
            raise ValueError(f"--data: no usable images in {root} ({len(skipped)} skipped)")
        empty = torch.zeros(0, size, size, 3, dtype=torch.uint8)
        self.train = torch.stack(imgs["train"]) if imgs["train"] else empty
        self.test = torch.stack(imgs["test"]) if imgs["test"] else empty
        self.train_labels = torch.tensor(labels["train"], dtype=torch.long)
        self.test_labels = torch.tensor(labels["test"], dtype=torch.long)
        self.labeled = len(self.class_names) >= 2
