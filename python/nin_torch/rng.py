"""The seeded subset and epoch order of src/data/batches.ts, bit for bit (mulberry32 and the
same seed mixing), so a run sees the same images in the same order on every engine."""
from typing import Callable

import numpy as np

M32 = 0xFFFFFFFF
SALT = {"trainSubset": 101, "testSubset": 202, "epoch": 1000, "step": 7919}


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def mix_seed(a: int, b: int) -> int:
    """mixSeed: two integers into one 32-bit seed."""
    h = _imul((a ^ 0x9E3779B9) & M32, 0x85EBCA6B) ^ _imul((b + 0x7F4A7C15) & M32, 0xC2B2AE35)
    h ^= h >> 16
    return h & M32


def rng(seed: int) -> Callable[[], float]:
    """mulberry32: floats in [0, 1)."""
    state = seed & M32

    def nxt() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296

    return nxt


def permutation(n: int, seed: int) -> np.ndarray:
    """A seeded Fisher-Yates permutation of 0..n-1."""
    p = list(range(n))
    r = rng(seed)
    for i in range(n - 1, 0, -1):
        j = int(r() * (i + 1))
        p[i], p[j] = p[j], p[i]
    return np.array(p, dtype=np.int64)


def subset_indices(count: int, limit: int, seed: int, salt: int) -> np.ndarray:
    """All images in file order when `limit` is 0 or covers the split, else a seeded subset."""
    if limit <= 0 or limit >= count:
        return np.arange(count, dtype=np.int64)
    return permutation(count, mix_seed(seed, salt))[:limit]


def epoch_order(subset: np.ndarray, seed: int, epoch: int) -> np.ndarray:
    """The order of `subset` for one epoch (1-based)."""
    return subset[permutation(len(subset), mix_seed(seed, SALT["epoch"] + epoch))]


def step_seed(seed: int, epoch: int, batch: int) -> int:
    """The seed of one step's dropout masks."""
    return mix_seed(mix_seed(seed, SALT["step"] + epoch), batch)
