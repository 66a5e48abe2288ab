"""safetensors read and write, by hand (Debian ships no safetensors package and the twin depends on torch and
Pillow only). Same rules as src/lib/model/safetensors.ts: 8-byte little-endian header length, a JSON header of
name → {dtype, shape, data_offsets} plus an optional "__metadata__" of strings, header padded with spaces so the
buffer starts 8-aligned, byte ranges that tile the buffer. Files written here load with `safetensors.torch`."""
import json
import struct

import torch

_DTYPES = {
    "F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16, "I32": torch.int32,
    "I64": torch.int64, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
MAX_HEADER = 100_000_000


class SafetensorsError(ValueError):
    pass


def dumps(tensors, metadata=None):
    header = {}
    if metadata:
        if not all(isinstance(v, str) for v in metadata.values()):
            raise SafetensorsError("safetensors: metadata values must be strings")
        header["__metadata__"] = dict(metadata)
    blobs, off = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        if t.dtype not in _NAMES:
            raise SafetensorsError(f"safetensors: {name}: dtype {t.dtype} is not supported")
        b = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""  # (bytes, little-endian hosts)
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def save_file(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(dumps(tensors, metadata))


def loads(data):
    """bytes → (dict name → tensor in file order, metadata dict)."""
    def fail(m):
        raise SafetensorsError(f"safetensors: {m}")
    if len(data) < 8:
        fail(f"file too short ({len(data)} bytes): needs an 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER:
        fail(f"header length {n} exceeds the 100 MB limit")
    if 8 + n > len(data):
        fail(f"header length {n} runs past the end of the file ({len(data)} bytes)")
    raw = data[8:8 + n]
    if not raw.startswith(b"{"):
        fail('header must start with "{"')
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"header is not valid UTF-8 JSON ({e})")
    if not isinstance(header, dict):
        fail("header must be a JSON object")
    buf = data[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        fail("__metadata__ must be an object of strings")
    entries = []
    for name, e in header.items():
        if not isinstance(e, dict) or e.get("dtype") not in _DTYPES:
            fail(f"{name}: unknown dtype {json.dumps(e.get('dtype') if isinstance(e, dict) else None)}")
        shape, off = e.get("shape"), e.get("data_offsets")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            fail(f"{name}: shape must be a list of non-negative integers")
        if not isinstance(off, list) or len(off) != 2 or not all(isinstance(d, int) and d >= 0 for d in off) or off[1] < off[0]:
            fail(f"{name}: data_offsets must be [begin, end] with 0 <= begin <= end")
        count = 1
        for d in shape:
            count *= d
        need = count * torch.empty((), dtype=_DTYPES[e["dtype"]]).element_size()
        if off[1] - off[0] != need:
            fail(f"{name}: data_offsets span {off[1] - off[0]} bytes, dtype {e['dtype']} and shape {shape} need {need}")
        entries.append((off[0], off[1], name, e["dtype"], shape))
    entries.sort()
    at = 0
    for b, e, name, _, _ in entries:
        if b != at:
            fail(f"hole in the byte buffer before {name}" if b > at else f"{name} overlaps the tensor before it")
        at = e
    if at != len(buf):
        fail(f"the tensors cover {at} bytes but the buffer holds {len(buf)}")
    out = {}
    for b, e, name, dt, shape in entries:
        chunk = bytearray(buf[b:e])
        t = torch.frombuffer(chunk, dtype=torch.uint8) if chunk else torch.empty(0, dtype=torch.uint8)
        out[name] = t.view(_DTYPES[dt]).reshape(shape).clone()
    return out, meta


def load_file(path):
    with open(path, "rb") as f:
        return loads(f.read())
