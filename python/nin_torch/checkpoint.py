"""NINCKPT1 checkpoint files, as src/train/checkpoint.ts writes and reads them:
"NINCKPT1", uint32 LE header length, header JSON (UTF-8), float32 LE payload (weights, then
optimizer slots, in header order), SHA-256 of the payload in the header. Written atomically
(temp file + rename). File names: epoch-EEEE.ckpt at an epoch boundary, else
epoch-EEEE-batch-BBBBBB.ckpt."""
import hashlib
import json
import os
import struct
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

MAGIC = b"NINCKPT1"
Named = Tuple[str, torch.Tensor]


class CheckpointError(Exception):
    """A checkpoint that cannot be used; the message starts with its path."""


def checkpoint_name(completed_epochs: int, batches_done: int) -> str:
    e = f"{completed_epochs:04d}"
    return f"epoch-{e}.ckpt" if batches_done == 0 else f"epoch-{e}-batch-{batches_done:06d}.ckpt"


def write(directory: str, position: Dict[str, Any], last_test_acc: Optional[float],
          weights: List[Named], optimizer: List[Named]) -> str:
    """Write a checkpoint atomically; returns its path."""
    os.makedirs(directory, exist_ok=True)
    arrays = [(n, t.detach().to("cpu", torch.float32).contiguous()) for n, t in weights + optimizer]
    payload = b"".join(t.numpy().astype("<f4", copy=False).tobytes() for _, t in arrays)
    now = datetime.now(timezone.utc)
    header: Dict[str, Any] = {
        "version": 1,
        "createdAt": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
        "completedEpochs": position["completedEpochs"],
        "batchesDone": position["batchesDone"],
        "partial": position["partial"],
        "weights": [{"name": n, "shape": list(t.shape)} for n, t in arrays[:len(weights)]],
        "optimizer": [{"name": n, "shape": list(t.shape)} for n, t in arrays[len(weights):]],
        "payloadBytes": len(payload),
        "sha256": hashlib.sha256(payload).hexdigest(),
    }
    if last_test_acc is not None:
        header["lastTestAcc"] = last_test_acc
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    path = os.path.join(directory, checkpoint_name(position["completedEpochs"], position["batchesDone"]))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(MAGIC + struct.pack("<I", len(head)) + head + payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def read(path: str) -> Dict[str, Any]:
    """Read and verify a checkpoint: header fields plus `weights` and `optimizer` as lists of
    (name, tensor in tfjs layout)."""
    def fail(what: str) -> CheckpointError:
        return CheckpointError(f"{path}: {what}")

    try:
        with open(path, "rb") as f:
            buf = f.read()
    except OSError as e:
        raise fail(f"cannot read checkpoint ({e.strerror})") from e
    if len(buf) < 12 or buf[:8] != MAGIC:
        raise fail("not a NiN checkpoint (bad magic)")
    (hlen,) = struct.unpack("<I", buf[8:12])
    if 12 + hlen > len(buf):
        raise fail(f"truncated checkpoint (header of {hlen} bytes, file of {len(buf)})")
    try:
        h = json.loads(buf[12:12 + hlen].decode("utf-8"))
    except ValueError as e:
        raise fail(f"corrupt checkpoint header ({e})") from e
    if h.get("version") != 1 or not isinstance(h.get("weights"), list) or not isinstance(h.get("optimizer"), list):
        raise fail("unsupported checkpoint header")
    payload = buf[12 + hlen:]
    if len(payload) != h["payloadBytes"]:
        raise fail(f"truncated checkpoint: {len(payload)} payload bytes, the header says {h['payloadBytes']}")
    if hashlib.sha256(payload).hexdigest() != h["sha256"]:
        raise fail("corrupt checkpoint: payload checksum mismatch")
    flat = torch.from_numpy(np.frombuffer(payload, dtype="<f4").astype(np.float32))
    at = 0

    def take(m: Dict[str, Any]) -> Named:
        nonlocal at
        n = int(np.prod(m["shape"])) if m["shape"] else 1
        t = flat[at:at + n].reshape(m["shape"])
        at += n
        return m["name"], t

    h["weights"] = [take(m) for m in h["weights"]]
    h["optimizer"] = [take(m) for m in h["optimizer"]]
    return h
