"""The app's seeded generator (src/lib/rng.ts: sfc32 seeded through splitmix32), bit for bit, so that one config
seed gives the twin the same initial weights, augmentation draws, batches and 5→5 source locations as the page."""

M = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M


def _splitmix32(seed):
    s = seed & M

    def nxt():
        nonlocal s
        s = (s + 0x9E3779B9) & M
        z = s
        z = _imul(z ^ (z >> 16), 0x85EBCA6B)
        z = _imul(z ^ (z >> 13), 0xC2B2AE35)
        return (z ^ (z >> 16)) & M

    return nxt


def hash_string(s):
    """FNV-1a over UTF-16 code units, as the app's hashString (labels are ASCII)."""
    h = 0x811C9DC5
    b = s.encode("utf-16-le")
    for u in (int.from_bytes(b[i:i + 2], "little") for i in range(0, len(b), 2)):
        h ^= u
        h = _imul(h, 0x01000193)
    return h


class Rng:
    def __init__(self, seed):
        if isinstance(seed, (list, tuple)):
            self.a, self.b, self.c, self.d = (int(v) & M for v in seed)
        else:
            sm = _splitmix32(int(seed))
            self.a, self.b, self.c, self.d = sm(), sm(), sm(), sm()
            for _ in range(12):
                self.uint32()
        self._spare = None

    def uint32(self):
        t = (((self.a + self.b) & M) + self.d) & M
        self.d = (self.d + 1) & M
        self.a = self.b ^ (self.b >> 9)
        self.b = (self.c + (self.c << 3)) & M
        self.c = ((self.c << 21) | (self.c >> 11)) & M
        self.c = (self.c + t) & M
        return t

    def next(self):
        return self.uint32() / 4294967296

    def uniform(self, lo, hi):
        return lo + (hi - lo) * self.next()

    def int(self, n):
        return int(self.next() * n)

    def bernoulli(self, p):
        return self.next() < p

    def shuffle(self, arr):
        for i in range(len(arr) - 1, 0, -1):
            j = self.int(i + 1)
            arr[i], arr[j] = arr[j], arr[i]
        return arr

    def fork(self, label):
        return Rng((self.uint32() ^ hash_string(label)) & M)

    @property
    def state(self):
        return [self.a, self.b, self.c, self.d]


def rng_for(seed, label):
    return Rng((seed ^ hash_string(label)) & M)
