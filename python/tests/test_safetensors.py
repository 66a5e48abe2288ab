"""The twin's safetensors reader/writer against the reference implementation's examples (as the TypeScript tests)."""
import unittest

import torch

from infomax_lab import safetensors as st


class Safetensors(unittest.TestCase):
    def test_reference_example_bytes(self):
        out = st.dumps({"test": torch.zeros(2, 2, dtype=torch.int32)})
        self.assertEqual(out, b'@\x00\x00\x00\x00\x00\x00\x00{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    '
                         + b"\x00" * 16)

    def test_reads_metadata_and_trailing_spaces(self):
        h = b'{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       '
        t, meta = st.loads(len(h).to_bytes(8, "little") + h + b"\x00" * 16)
        self.assertEqual(meta, {"framework": "pt"})
        self.assertTrue(torch.equal(t["test1"], torch.zeros(2, 2, dtype=torch.int32)))

    def test_round_trip(self):
        w = {"a.weight": torch.randn(3, 2), "step": torch.tensor(5, dtype=torch.int32), "h": torch.randn(4).half()}
        t, meta = st.loads(st.dumps(w, {"x": "1"}))
        self.assertEqual(list(t), ["a.weight", "step", "h"])
        for k in w:
            self.assertTrue(torch.equal(t[k], w[k]), k)
        self.assertEqual(meta, {"x": "1"})

    def test_refuses_bad_files(self):
        def f(h, buf):
            h = h.encode()
            return len(h).to_bytes(8, "little") + h + buf
        for data, msg in [(b"\x01", "too short"),
                          (f('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)), "hole"),
                          (f('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', bytes(8)), "need 12"),
                          (f('{"a":{"dtype":"X1","shape":[2],"data_offsets":[0,8]}}', bytes(8)), "unknown dtype"),
                          (f('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', bytes(12)), "cover 8 bytes")]:
            with self.assertRaisesRegex(st.SafetensorsError, msg):
                st.loads(data)


if __name__ == "__main__":
    unittest.main()
