"""The app's one configuration object (src/lib/config.ts), key for key: the same defaults, the same checks and the
same messages naming the key. tests/test_parity.py checks DEFAULTS and SCHEMA against the TypeScript ones
(written into the parity fixture), so the two cannot drift apart unnoticed."""
import json
import math
import re

DEFAULTS = {
    "seed": 1, "dataset": "embedded", "imageSize": 32, "trainCount": 2000, "testCount": 500, "method": "amdim",
    "ndf": 32, "nRkhs": 256, "nDepth": 3, "useBn": 0, "tclip": 20, "dimMode": "local", "dimEstimator": "jsd", "dimPrior": 0, "batchSize": 32,
    "steps": 0, "lr": 1e-3, "beta1": 0.8, "beta2": 0.999, "eps": 1e-8, "weightDecay": 1e-5, "warmup": 20, "lrSchedule": "constant",
    "flipP": 0.5, "crop": "auto", "translatePx": 4, "translateP": 0.8, "cropScaleMin": 0.3, "cropScaleMax": 1.0,
    "cropAspectMin": 0.7, "cropAspectMax": 1.4, "brightness": 0.4, "contrast": 0.4, "saturation": 0.4, "hue": 0.2,
    "jitterP": 0.8, "grayP": 0.25, "backend": "auto", "impl": "fast", "logEvery": 5, "probeSize": 500,
    "embedEvery": 50, "evalPace": "auto", "checkpointSec": 60,
}

PRESETS = {
    "tiny": {"ndf": 8, "nRkhs": 32, "nDepth": 1, "batchSize": 4, "trainCount": 400, "testCount": 200, "probeSize": 200,
             "embedEvery": 10, "logEvery": 1, "warmup": 20, "lr": 1e-3},
    "small": {"ndf": 16, "nRkhs": 64, "nDepth": 1, "batchSize": 8},
    "medium": {"ndf": 32, "nRkhs": 128, "nDepth": 2, "batchSize": 16},
    "demo": {"ndf": 32, "nRkhs": 256, "nDepth": 3, "batchSize": 32},
    "large": {"ndf": 64, "nRkhs": 512, "nDepth": 3, "batchSize": 64},
    "paper": {"ndf": 128, "nRkhs": 1024, "nDepth": 3, "batchSize": 200, "trainCount": 20000, "testCount": 2000, "lr": 2e-4,
              "warmup": 500},
}


def _int(lo, hi):
    return {"kind": "int", "min": lo, "max": hi}


def _num(lo, hi):
    return {"kind": "number", "min": lo, "max": hi}


def _enum(*options):
    return {"kind": "enum", "options": list(options)}


SCHEMA = {
    "seed": _int(0, 2 ** 31 - 1), "dataset": {"kind": "string", "pattern": r"^[A-Za-z0-9_-]{1,64}$"},
    "imageSize": _enum(32, 64), "trainCount": _int(16, 100_000), "testCount": _int(16, 20_000),
    "method": _enum("amdim", "dim"), "ndf": _int(2, 512), "nRkhs": _int(4, 4096), "nDepth": _int(1, 8), "useBn": _enum(0, 1),
    "tclip": _num(1, 1000), "dimMode": _enum("global", "local", "both"), "dimEstimator": _enum("jsd", "nce", "dv"), "dimPrior": _num(0, 10),
    "batchSize": _int(2, 1024), "steps": _int(0, 10_000_000), "lr": _num(1e-6, 1), "beta1": _num(0, 0.9999),
    "beta2": _num(0, 0.999999), "eps": _num(1e-12, 1e-2), "weightDecay": _num(0, 1), "warmup": _int(0, 1_000_000), "lrSchedule": _enum("constant", "official"),
    "flipP": _num(0, 1), "crop": _enum("auto", "translate", "resized", "none"), "translatePx": _int(0, 16),
    "translateP": _num(0, 1), "cropScaleMin": _num(0.05, 1), "cropScaleMax": _num(0.05, 1),
    "cropAspectMin": _num(0.2, 5), "cropAspectMax": _num(0.2, 5), "brightness": _num(0, 1), "contrast": _num(0, 1),
    "saturation": _num(0, 1), "hue": _num(0, 0.5), "jitterP": _num(0, 1), "grayP": _num(0, 1),
    "backend": _enum("auto", "webgpu", "webgl", "cpu"), "impl": _enum("fast", "baseline"), "logEvery": _int(1, 1000),
    "probeSize": _int(16, 10_000), "embedEvery": _int(1, 100_000), "evalPace": _enum("auto", "every"), "checkpointSec": _int(5, 86_400),
}


class ConfigError(ValueError):
    def __init__(self, key, message):
        super().__init__(message)
        self.key = key


def _fmt(v):
    """A number as JavaScript's String() prints it, so messages match the app's."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e21:
        return str(int(v))
    if isinstance(v, float):
        r = repr(v)
        return re.sub(r"e([+-])0*(\d)", r"e\1\2", r)
    return str(v)


def _describe(v):
    if isinstance(v, str):
        return json.dumps(v[:40] + "…" if len(v) > 40 else v, ensure_ascii=False)
    if v is None:
        return "null"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, bool):
        return f"boolean {_fmt(v)}"
    if isinstance(v, (int, float)):
        return f"number {_fmt(v)}"
    return f"{type(v).__name__} {v}"


def _check(key, value):
    spec = SCHEMA[key]
    kind = spec["kind"]
    if kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError(key, f"config.{key}: expected a finite number, got {_describe(value)}")
        if kind == "int" and not float(value).is_integer():
            raise ConfigError(key, f"config.{key}: expected an integer, got {_fmt(value)}")
        if value < spec["min"] or value > spec["max"]:
            raise ConfigError(key, f"config.{key}: {_fmt(value)} is out of range [{_fmt(spec['min'])}, {_fmt(spec['max'])}]")
    elif kind == "enum":
        ok = any(type(value) is type(o) and value == o or (isinstance(o, int) and isinstance(value, float) and value == o)
                 for o in spec["options"]) and not isinstance(value, bool)
        if not ok:
            opts = ", ".join(_fmt(o) for o in spec["options"])
            raise ConfigError(key, f"config.{key}: expected one of {opts}, got {_describe(value)}")
    elif kind == "string":
        if not isinstance(value, str) or not re.fullmatch(spec["pattern"][1:-1], value):
            raise ConfigError(key, f"config.{key}: expected a name of letters, digits, - or _, got {_describe(value)}")


def validate(overrides=None, preset=None):
    """Merge overrides over DEFAULTS (and a preset) and check everything; ConfigError names the first bad key."""
    overrides = {} if overrides is None else overrides
    if not isinstance(overrides, dict):
        raise ConfigError("", f"config: expected an object of settings, got {_describe(overrides)}")
    if preset is not None and preset not in PRESETS:
        raise ConfigError("preset", f'config: unknown preset "{preset}"')
    out = dict(DEFAULTS)
    out.update(PRESETS[preset] if preset else {})
    for key, value in overrides.items():
        if key not in SCHEMA:
            raise ConfigError(key, f'config: unknown key "{key[:40]}"')
        out[key] = value
    for key in SCHEMA:
        _check(key, out[key])
    for key in SCHEMA:  # integers stay integers (JSON 32.0 → 32)
        if SCHEMA[key]["kind"] == "int" or (SCHEMA[key]["kind"] == "enum" and isinstance(SCHEMA[key]["options"][0], int)):
            out[key] = int(out[key])
    if out["cropScaleMin"] > out["cropScaleMax"]:
        raise ConfigError("cropScaleMin", f"config.cropScaleMin ({_fmt(out['cropScaleMin'])}) must not exceed cropScaleMax ({_fmt(out['cropScaleMax'])})")
    if out["cropAspectMin"] > out["cropAspectMax"]:
        raise ConfigError("cropAspectMin", f"config.cropAspectMin ({_fmt(out['cropAspectMin'])}) must not exceed cropAspectMax ({_fmt(out['cropAspectMax'])})")
    if out["probeSize"] > out["testCount"] and out["dataset"] == "embedded":
        raise ConfigError("probeSize", f"config.probeSize ({_fmt(out['probeSize'])}) exceeds the held-out split (testCount {_fmt(out['testCount'])})")
    return out


def load_config(path):
    """The app's config JSON (what the page exports, or a bundle's config.json): a plain config object, or a run
    export holding one under "config". Raises ConfigError naming the file and the first bad key."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except OSError as e:
        raise ConfigError("", f"config: cannot read {path} ({e.strerror})") from None
    except json.JSONDecodeError as e:
        raise ConfigError("", f"config: {path} is not valid JSON ({e.msg} at line {e.lineno})") from None
    if isinstance(raw, dict) and isinstance(raw.get("config"), dict) and not (set(raw) & set(SCHEMA)):
        raw = raw["config"]
    return validate(raw)
