"""The command line as the outside check uses it, photo folders as the app reads them, bundles and resume."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import torch
from PIL import Image

from infomax_lab import safetensors as st
from infomax_lab.config import ConfigError, load_config
from infomax_lab.data import FolderData, plan_folder
from infomax_lab.model import weight_shapes
from infomax_lab.train import main

PY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photos(root, labeled=True, n=6):
    g = torch.Generator().manual_seed(1)
    for c in (["cats", "dogs"] if labeled else [""]):
        os.makedirs(os.path.join(root, c), exist_ok=True)
        for i in range(n):
            arr = torch.randint(0, 256, (40 + i, 48, 3), dtype=torch.uint8, generator=g).numpy()
            Image.fromarray(arr).save(os.path.join(root, c, f"img{i}.{'png' if i % 2 else 'jpg'}"))
    with open(os.path.join(root, "cats" if labeled else "", "broken.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 truncated")
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("not a photo")
    Image.new("RGB", (4, 30)).save(os.path.join(root, "cats" if labeled else "", "tiny.png"))
    os.makedirs(os.path.join(root, ".thumbs"), exist_ok=True)
    Image.new("RGB", (40, 40)).save(os.path.join(root, ".thumbs", "x.png"))


CONFIG = {"ndf": 4, "nRkhs": 16, "nDepth": 1, "batchSize": 4, "lr": 1e-3, "warmup": 5, "seed": 2,
          "trainCount": 16, "testCount": 16, "probeSize": 16, "logEvery": 1}


class FoldersAndConfig(unittest.TestCase):
    def test_labelled_folder_skips_bad_files_with_reasons(self):
        with tempfile.TemporaryDirectory() as d:
            photos(d)
            logs = []
            data = FolderData(d, 32, 1, log=logs.append)
            self.assertEqual(data.class_names, ["cats", "dogs"])
            self.assertEqual(len(data.train) + len(data.test), 12)
            self.assertEqual(len(data.test), 4)  # a third of each class of six (at least 5 wanted, at most a third)
            self.assertEqual(tuple(data.train.shape[1:]), (32, 32, 3))
            reasons = dict((os.path.basename(p), r) for p, r in data.skipped)
            self.assertIn("not an image", reasons["notes.txt"])
            self.assertIn("too small: 4×30 px", reasons["tiny.png"])
            self.assertIn("x.png", reasons)  # hidden folder
            self.assertIn("corrupt or truncated", reasons["broken.jpg"])
            self.assertTrue(any("broken.jpg" in line for line in logs))

    def test_flat_folder_is_unlabelled(self):
        with tempfile.TemporaryDirectory() as d:
            photos(d, labeled=False)
            items, classes, _ = plan_folder(d, 1)
            self.assertEqual(classes, [])
            self.assertTrue(all(label == -1 for _, label, _ in items))
            self.assertFalse(FolderData(d, 32, 1, log=lambda *_: None).labeled)

    def test_config_file_errors_name_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "c.json")
            for raw, msg in [({"ndf": "wide"}, 'config.ndf: expected a finite number, got "wide"'),
                             ({"batchsize": 4}, 'config: unknown key "batchsize"')]:
                with open(p, "w") as f:
                    json.dump(raw, f)
                with self.assertRaises(ConfigError) as cm:
                    load_config(p)
                self.assertEqual(str(cm.exception), msg)
            with open(p, "w") as f:
                f.write("{nope")
            with self.assertRaisesRegex(ConfigError, "not valid JSON"):
                load_config(p)
            with open(p, "w") as f:
                json.dump({"config": {"ndf": 4}}, f)  # a run export holding the config
            self.assertEqual(load_config(p)["ndf"], 4)


class CommandLine(unittest.TestCase):
    def test_two_processes_then_resume_in_one(self):
        with tempfile.TemporaryDirectory() as d:
            photos(os.path.join(d, "photos"))
            cfg = os.path.join(d, "run.json")
            with open(cfg, "w") as f:
                json.dump(CONFIG, f)
            out = os.path.join(d, "out")
            env = {**os.environ, "PYTHONPATH": PY}
            r = subprocess.run([sys.executable, "-m", "infomax_lab.train", "--nproc", "2", "--config", cfg, "--data",
                                os.path.join(d, "photos"), "--steps", "2", "--out", out], env=env, capture_output=True,
                               text=True, timeout=300)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertIn("skipped cats/broken.jpg", r.stdout)
            with open(os.path.join(out, "config.json")) as f:
                saved = json.load(f)
            self.assertEqual({k: saved[k] for k in CONFIG}, CONFIG)
            self.assertEqual(saved["steps"], 2)
            weights, meta = st.load_file(os.path.join(out, "weights.safetensors"))
            want = weight_shapes(4, 16, 1, 32)
            self.assertEqual([(n, list(t.shape)) for n, t in weights.items()], [(n, s) for n, s in want])
            self.assertEqual(meta["format"], "infomax-lab-bundle")
            _, ometa = st.load_file(os.path.join(out, "optimizer.safetensors"))
            self.assertEqual(json.loads(ometa["state"])["step"], 2)
            with open(os.path.join(out, "README.md")) as f:
                self.assertIn("--resume", f.read())

            # resume the two-process run in this process for one more step
            out2 = os.path.join(d, "out2")
            self.assertEqual(main(["--config", os.path.join(out, "config.json"), "--data", os.path.join(d, "photos"),
                                   "--steps", "1", "--resume", out, "--out", out2, "--quiet"]), 0)
            _, ometa = st.load_file(os.path.join(out2, "optimizer.safetensors"))
            state = json.loads(ometa["state"])
            self.assertEqual((state["step"], state["adamStep"]), (3, 3))
            w2, _ = st.load_file(os.path.join(out2, "weights.safetensors"))
            self.assertGreater(max(float((w2[n] - weights[n]).abs().max()) for n in w2), 0)

    def test_bad_config_exits_with_the_message(self):
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "run.json")
            with open(cfg, "w") as f:
                json.dump({"tclip": -1}, f)
            r = subprocess.run([sys.executable, "-m", "infomax_lab.train", "--config", cfg, "--data", d, "--out", d],
                               env={**os.environ, "PYTHONPATH": PY}, capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 2)
            self.assertIn("config.tclip: -1 is out of range [1, 1000]", r.stderr)


if __name__ == "__main__":
    unittest.main()
