"""Runs the twin's tests (unittest discovery in this folder) and writes their counts as JSON for .ci/count.mjs:
  PYTHONPATH=python /usr/bin/python3 python/tests/run.py [test-results/py.json]"""
import json
import os
import sys
import time
import unittest



def main():  # guarded: spawned DDP processes import this module again as __mp_main__
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else None
    t0 = time.time()
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=os.path.dirname(here))
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    counts = {"passed": result.testsRun - failed - len(result.skipped), "failed": failed, "skipped": len(result.skipped),
              "seconds": round(time.time() - t0, 1)}
    print(f"python: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped ({counts['seconds']} s)")
    if out:
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with open(out, "w") as f:
            json.dump(counts, f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
