"""Fashion-MNIST from the IDX files the extension found: gzip or raw, verified by the SHA-256
of the decompressed bytes (the same table as src/data/fashionMnist.ts), batches resized per
batch with half-pixel-centre bilinear sampling (as the tfjs engine does)."""
import gzip
import hashlib
from typing import Dict, Tuple

import numpy as np
import torch
import torch.nn.functional as F

# name -> (sha256 of the decompressed bytes, dims)
FILES: Dict[str, Tuple[str, Tuple[int, ...]]] = {
    "trainImages": ("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", (60000, 28, 28)),
    "trainLabels": ("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", (60000,)),
    "testImages": ("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", (10000, 28, 28)),
    "testLabels": ("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", (10000,)),
}


class DataError(Exception):
    """A dataset file that is missing, damaged or not the official one; names the file."""


def read_idx(path: str, key: str) -> np.ndarray:
    """Read one verified IDX file as uint8 with its dims."""
    sha, dims = FILES[key]
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e})") from e
    if hashlib.sha256(raw).hexdigest() != sha:
        raise DataError(f"{path}: SHA-256 of the decompressed bytes does not match the official {key} file")
    nd = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd))
    if shape != dims:
        raise DataError(f"{path}: dims {shape}, expected {dims}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


class Split:
    """One split on the training device: uint8 images [N, 28, 28], int64 labels."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, device: torch.device) -> None:
        self.raw = images  # host copy, for the gallery's pixels
        self.images = torch.from_numpy(images.copy()).to(device)
        self.labels = torch.from_numpy(labels.astype(np.int64)).to(device)
        self.count = images.shape[0]
        self.device = device

    def batch(self, ids: np.ndarray, size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """NCHW floats in [0, 1] at size x size, and the labels."""
        idx = torch.from_numpy(ids).to(self.device)
        x = self.images.index_select(0, idx).to(torch.float32).div_(255).unsqueeze(1)
        if size != x.shape[-1]:
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
        return x, self.labels.index_select(0, idx)


def load(paths: Dict[str, str], device: torch.device) -> Tuple[Split, Split]:
    """The train and test splits from the four files' paths."""
    for key in FILES:
        if key not in paths:
            raise DataError(f"no path for the {key} file")
    train = Split(read_idx(paths["trainImages"], "trainImages"), read_idx(paths["trainLabels"], "trainLabels"), device)
    test = Split(read_idx(paths["testImages"], "testImages"), read_idx(paths["testLabels"], "testLabels"), device)
    return train, test
