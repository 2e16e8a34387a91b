"""One-answer jobs on a model from the reader's code (trusted workspaces only, as training):

- {"type": "export", "userModel", "checkpoint", "out"}: the model rebuilt from its code, the
  checkpoint's weights and buffers loaded by name, its state dict saved (torch.save) to `out`
  (the extension then places it in the run's model folder atomically, with its SHA-256).
  Answer: {"type": "exported", "path", "parameters"}.
- {"type": "eval", "userModel", "stateDict" | "checkpoint", "dataPaths", "input", "limitTest",
  "seed", "batchSize", "device", "threads"}: test accuracy and confusion on the run's test
  subset. Answer: {"type": "evaluated", "testAcc", "confusion", "testSize", "backendReason"}.
Failures are {"type": "error", "message"}."""
import os
from typing import Any, Dict

import torch

from . import checkpoint, data, model
from .rng import SALT, subset_indices
from .user_model import _build


class ExportError(ValueError):
    """The weights do not fit the model rebuilt from its code."""


def _load_checkpoint(net: torch.nn.Module, path: str) -> None:
    ck = checkpoint.read(path)
    state = net.state_dict()
    weights = dict(ck["weights"])
    missing = [k for k in state if k not in weights]
    if missing:
        raise ExportError(f"{path}: no weights for {', '.join(missing[:3])} (the checkpoint has "
                          f"{', '.join(list(weights)[:3])}, ...): it is not this model's")
    net.load_state_dict({k: model.from_tfjs(weights[k], v) for k, v in state.items()})


def _net(job: Dict[str, Any], device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)  # the weights are loaded over whatever the code initialises
    net = _build(job["userModel"])
    if job.get("stateDict"):
        try:
            state = torch.load(job["stateDict"], map_location="cpu")
            net.load_state_dict(state)
        except (RuntimeError, OSError, KeyError) as e:
            raise ExportError(f"{job['stateDict']}: cannot load it into {job['userModel']['name']}: {e}") from e
    else:
        _load_checkpoint(net, job["checkpoint"])
    return net.to(device)


def export(job: Dict[str, Any]) -> Dict[str, Any]:
    net = _net(job, torch.device("cpu"))
    out = str(job["out"])
    tmp = f"{out}.tmp-{os.getpid()}"
    torch.save(net.state_dict(), tmp)
    os.replace(tmp, out)
    return {"type": "exported", "path": out, "parameters": sum(p.numel() for p in net.parameters())}


def _confusion(net: torch.nn.Module, split: data.Split, ids: Any, size: int, batch_size: int) -> torch.Tensor:
    """Rows: true class, columns: predicted (as train.evaluate counts them, in one process)."""
    net.eval()
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    with torch.no_grad():
        for b in range(0, len(ids), batch_size):
            x, y = split.batch(ids[b:b + batch_size], size)
            pred = net(x).argmax(dim=1)
            confusion += torch.bincount(y.cpu() * 10 + pred.cpu(), minlength=100).reshape(10, 10)
    return confusion


def evaluate(job: Dict[str, Any]) -> Dict[str, Any]:
    from .devices import pick_device
    threads = int(job.get("threads", 0)) or (os.cpu_count() or 1)
    torch.set_num_threads(threads)
    device, reason = pick_device(job.get("device", "auto"), threads)
    net = _net(job, device)
    _, test = data.load(job["dataPaths"], device)
    ids = subset_indices(test.count, int(job["limitTest"]), int(job["seed"]), SALT["testSubset"])
    confusion = _confusion(net, test, ids, int(job["input"]), int(job["batchSize"]))
    total = int(confusion.sum())
    acc = float(confusion.diag().sum()) / total if total else 0.0
    return {"type": "evaluated", "testAcc": acc, "confusion": confusion.tolist(), "testSize": len(ids),
            "backendReason": reason}
