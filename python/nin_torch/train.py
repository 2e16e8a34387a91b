"""The training loop of src/train/engine.ts on PyTorch: the same subset and epoch order, the
same events at the same bounded rate, checkpoints in the engine-neutral layout, stop after the
current batch with a checkpoint. The extension owns the run folder (config.json,
metrics.jsonl, pruning, the exported model); this writes only checkpoints."""
import base64
import math
import os
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoint, data, model, optim
from .devices import DeviceError, pick_device
from .distributed import DistributedError, Group, open_group, slice_bounds
from .dropout import use_global_batch_masks
from .rng import SALT, epoch_order, step_seed, subset_indices

Emit = Callable[[Dict[str, Any]], None]


class TrainError(Exception):
    """A failure the user can act on; becomes an `error` event."""


class SecondsPerImage:
    """src/train/rate.ts: seconds per image smoothed over a time window, the first batch
    (warm-up) replaced by the second."""

    def __init__(self, window_seconds: float = 30.0) -> None:
        self.window = window_seconds
        self.value = 0.0
        self.samples = 0

    def add(self, seconds: float, images: int) -> None:
        if not (seconds > 0) or not (images > 0):
            return
        spi = seconds / images
        self.samples += 1
        if self.samples <= 2:
            self.value = spi
            return
        self.value += (1 - math.exp(-seconds / self.window)) * (spi - self.value)


def _empty_position() -> Dict[str, Any]:
    return {"completedEpochs": 0, "batchesDone": 0,
            "partial": {"lossSum": 0.0, "correct": 0, "seen": 0, "seconds": 0.0}}


def evaluate(net: torch.nn.Module, split: data.Split, ids: np.ndarray, size: int, batch_size: int,
             max_samples: int, should_stop: Callable[[], bool], group: Group) -> Optional[Dict[str, Any]]:
    """Accuracy, confusion and a gallery sample (mistakes first); None when stopped midway.
    With several ranks each takes a contiguous share of `ids` and the results are merged in
    rank order, which is exactly what one process computes."""
    net.eval()
    lo, hi = slice_bounds(len(ids), group.rank, group.world)
    mine = ids[lo:hi]
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    wrong: List[Dict[str, Any]] = []
    right: List[Dict[str, Any]] = []
    # Every rank runs as many rounds as the largest share, so that the stop checks stay in step.
    rounds = math.ceil(math.ceil(len(ids) / group.world) / batch_size)
    with torch.no_grad():
        for r in range(rounds):
            b = r * batch_size
            chunk = mine[b:b + batch_size]
            if len(chunk):
                _evaluate_chunk(net, split, chunk, lo + b, size, max_samples, confusion, wrong, right)
            if should_stop():
                return None
    if group.world > 1:
        confusion = group.sum_tensor(confusion.to(torch.float64)).round().to(torch.int64)
        shares = group.gather((wrong, right))
        wrong = [s for w, _ in shares for s in w][:max_samples]
        right = [s for _, rt in shares for s in rt][:max_samples]
    total = int(confusion.sum())
    acc = float(confusion.diag().sum()) / total if total else 0.0
    return {"testAcc": acc, "confusion": confusion.tolist(), "samples": (wrong + right)[:max_samples]}


def _evaluate_chunk(net: torch.nn.Module, split: data.Split, chunk: np.ndarray, first: int, size: int,
                    max_samples: int, confusion: torch.Tensor, wrong: List[Dict[str, Any]],
                    right: List[Dict[str, Any]]) -> None:
    x, y = split.batch(chunk, size)
    probs = torch.softmax(net(x), dim=1)
    conf, pred = probs.max(dim=1)
    y_c, pred_c = y.cpu(), pred.cpu()
    confusion += torch.bincount(y_c * 10 + pred_c, minlength=100).reshape(10, 10)
    if len(wrong) >= max_samples and len(right) >= max_samples:
        return
    # Plain lists: indexing tensors element by element costs microseconds each.
    labels, preds, confs = y_c.tolist(), pred_c.tolist(), conf.cpu().tolist()
    for k in range(len(chunk)):
        bucket = right if preds[k] == labels[k] else wrong
        if len(bucket) >= max_samples:
            continue
        bucket.append({"index": first + k, "label": labels[k], "predicted": preds[k], "confidence": confs[k],
                       "pixels": base64.b64encode(split.raw[int(chunk[k])].tobytes()).decode("ascii")})


def run(job: Dict[str, Any], emit: Emit, stop: threading.Event) -> str:
    """Run (or resume) a training job to its end; returns done, stopped or error. With
    `processes` > 1 in the job this process leads this machine's ranks and starts the others
    (distributed.py); only a leader emits events and writes checkpoints (on several machines,
    each machine's leader, into its own run folder: every rank holds the same numbers)."""
    config: Dict[str, Any] = job["config"]
    run_dir: str = job["runDir"]
    ck_dir: str = job["checkpointDir"]
    group: Group = Group()
    leader_emit = emit
    kept: Dict[str, Optional[str]] = {"path": job.get("resumeCheckpoint")}
    ok = False
    try:
        threads = int(config["threads"]) or (os.cpu_count() or 1)
        processes = max(1, int(job.get("processes") or 1))
        per_rank = max(1, threads // processes)
        torch.set_num_threads(per_rank)
        device, reason = pick_device(job.get("device", "auto"), per_rank)
        group, device = open_group(job, device, emit, stop, lambda: _kept(kept["path"]))
        if not group.speaks:
            emit = _errors_only(emit)
        elif group.world > 1:
            machines = f" on {group.nnodes} machines" if group.nnodes > 1 else ""
            reason += (f"; data-parallel over {group.world} processes{machines}, one GPU each (nccl)"
                       if device.type == "cuda" else
                       f"; data-parallel: {group.world} processes{machines} x {per_rank} thread"
                       f"{'s' if per_rank != 1 else ''} (gloo)")
        outcome = _run(job, config, run_dir, ck_dir, emit, stop, group, device, reason, kept)
        ok = outcome != "error"
        return outcome
    except (TrainError, DeviceError, DistributedError, data.DataError, checkpoint.CheckpointError, ValueError,
            RuntimeError) as e:
        # A collective that failed: most likely another rank died, and that is the news.
        dead = group.dead_rank() if type(e) is RuntimeError and group.world > 1 else None
        if dead:
            print(f"nin_torch: {type(e).__name__}: {e}", file=sys.stderr)
        message = f"{dead}; the run cannot go on without it; {_kept(kept['path'])}" if dead else str(e)
        leader_emit({"type": "error", "message": message, "runDir": run_dir})
        return "error"
    finally:
        group.close(ok)


def _errors_only(emit: Emit) -> Emit:
    def only(event: Dict[str, Any]) -> None:
        if event.get("type") == "error":
            emit(event)
    return only


def _kept(path: Optional[str]) -> str:
    """What is left to resume from, in words."""
    if path:
        return f"its last checkpoint ({path}) is kept: resume the run to continue"
    return "no checkpoint was written yet"


def _run(job: Dict[str, Any], config: Dict[str, Any], run_dir: str, ck_dir: str, emit: Emit,
         stop: threading.Event, group: Group, device: torch.device, reason: str,
         kept: Dict[str, Optional[str]]) -> str:
    torch.manual_seed(int(config["seed"]))
    net, named, buffers = model.for_job(job)
    masks = use_global_batch_masks(net)
    net.to(device)
    buffers = [(n, b) for n, b in net.named_buffers() if n in dict(buffers)]  # moved with the net
    opt = optim.make(config["optimizer"], [p for _, p in named], float(config["lr"]))
    # Rank 0 reads the checkpoint and hands it to the others (their machine may not have it).
    ck = checkpoint.read(job["resumeCheckpoint"]) if job.get("resumeCheckpoint") and group.rank == 0 else None
    if group.world > 1 and job.get("resumeCheckpoint"):
        ck = group.broadcast(ck)
    iterations = 0
    if ck:
        iterations = _restore(ck, named, opt, config["optimizer"], buffers)
    if group.world > 1:
        net, trained = _data_parallel(net, device)
    else:
        trained = net

    train, test = data.load(job["dataPaths"], device)
    train_ids = subset_indices(train.count, int(config["limitTrain"]), int(config["seed"]), SALT["trainSubset"])
    test_ids = subset_indices(test.count, int(config["limitTest"]), int(config["seed"]), SALT["testSubset"])
    bs = int(config["batchSize"])
    size = int(config["input"])
    per_epoch = math.ceil(len(train_ids) / bs)
    epochs = int(config["epochs"])
    pos = {k: ck[k] for k in ("completedEpochs", "batchesDone", "partial")} if ck else _empty_position()
    last_test_acc: Optional[float] = ck.get("lastTestAcc") if ck else None
    if pos["completedEpochs"] >= epochs:
        raise TrainError(f"the run has already completed {pos['completedEpochs']} of {epochs} epochs; "
                         "ask for more epochs to continue it")
    emit({"type": "start", **job["start"], "backend": "pytorch", "backendReason": reason,
          "trainSize": len(train_ids), "testSize": len(test_ids), "batchesPerEpoch": per_epoch,
          "startEpoch": pos["completedEpochs"] + 1})

    interval = float(job.get("batchEventIntervalMs", 100)) / 1000
    eval_ratio = float(job.get("evalCostRatio", 1 / 3))
    max_samples = int(job.get("maxSamples", 200))
    rate = SecondsPerImage()
    eval_spi = 0.0
    dirty = False

    def eta(epoch: int, batches_done: int) -> float:
        remaining_train = (epochs - epoch) * len(train_ids) + max(0, len(train_ids) - batches_done * bs)
        remaining_eval = (epochs - epoch + 1) * len(test_ids)
        return remaining_train * rate.value + remaining_eval * (eval_spi or rate.value * eval_ratio)

    def save(p: Dict[str, Any]) -> Optional[str]:
        nonlocal dirty
        dirty = False
        if not group.speaks:
            return None
        weights = [(n, model.to_tfjs(t)) for n, t in named + buffers]
        slots = optim.get_slots(opt, config["optimizer"], named, iterations, model.to_tfjs)
        path = checkpoint.write(ck_dir, p, last_test_acc, weights, slots)
        kept["path"] = path
        emit({"type": "checkpoint", "epoch": p["completedEpochs"], "path": path})
        return path

    def stopped(epoch: int, path: Optional[str]) -> str:
        event: Dict[str, Any] = {"type": "stopped", "epoch": epoch, "runDir": run_dir}
        if path:
            event["checkpoint"] = path
        elif job.get("resumeCheckpoint"):
            event["checkpoint"] = job["resumeCheckpoint"]
        emit(event)
        return "stopped"

    def agreed_stop() -> bool:
        # Any rank's stop (the extension's, a signal, a lost parent) stops all after the same batch.
        return group.sum([1.0 if stop.is_set() else 0.0])[0] > 0 if group.world > 1 else stop.is_set()

    seed = int(config["seed"])
    last_path: Optional[str] = None
    for epoch in range(pos["completedEpochs"] + 1, epochs + 1):
        order = epoch_order(train_ids, seed, epoch)
        part = dict(pos["partial"])
        loss_sum, correct, seen, seconds = part["lossSum"], part["correct"], part["seen"], part["seconds"]
        session_seen, session_seconds, last_event = 0, 0.0, 0.0
        net.train()
        for b in range(pos["batchesDone"], per_epoch):
            t0 = time.perf_counter()
            ids = order[b * bs:(b + 1) * bs]
            n = len(ids)
            lo, hi = slice_bounds(n, group.rank, group.world)
            x, y = train.batch(ids[lo:hi], size)
            s_seed = step_seed(seed, epoch, b)
            masks.step(s_seed, n, lo, device)  # the global batch's dropout masks, this rank's rows
            torch.manual_seed(s_seed)  # any other randomness of the step
            logits = trained(x)
            # The sum over this slice, scaled so that DDP's mean over ranks is the global batch's mean.
            slice_loss = F.cross_entropy(logits, y, reduction="sum")
            opt.zero_grad(set_to_none=True)
            (slice_loss * (group.world / n)).backward()
            opt.step()
            iterations += 1
            stats = group.sum([float(slice_loss), float((logits.argmax(1) == y).sum()),
                               1.0 if stop.is_set() else 0.0])
            loss_v, right, stop_now = stats[0] / n, int(round(stats[1])), stats[2] > 0
            if not math.isfinite(loss_v):
                raise TrainError(f"the loss became {loss_v} at epoch {epoch}, batch {b + 1}: lower the learning rate")
            dt = time.perf_counter() - t0
            dirty = True
            loss_sum += loss_v * n
            correct += right
            seen += n
            seconds += dt
            session_seen += n
            session_seconds += dt
            rate.add(dt, n)
            pos = {"completedEpochs": epoch - 1, "batchesDone": b + 1,
                   "partial": {"lossSum": loss_sum, "correct": correct, "seen": seen, "seconds": seconds}}
            now = time.perf_counter()
            if now - last_event >= interval or b == per_epoch - 1:
                emit({"type": "batch", "epoch": epoch, "batch": b + 1, "batchesPerEpoch": per_epoch, "loss": loss_v,
                      "acc": correct / seen, "imagesPerSecond": session_seen / session_seconds,
                      "etaSeconds": eta(epoch, b + 1)})
                last_event = time.perf_counter()
            if stop_now:
                return stopped(epoch, save(pos))

        e0 = time.perf_counter()
        ev = evaluate(net, test, test_ids, size, bs, max_samples, agreed_stop, group)
        if ev is None:
            return stopped(epoch, save(pos) if dirty else last_path)
        eval_spi = (time.perf_counter() - e0) / max(1, len(test_ids))
        last_test_acc = ev["testAcc"]
        emit({"type": "epoch", "epoch": epoch, "trainLoss": loss_sum / seen if seen else 0.0,
              "trainAcc": correct / seen if seen else 0.0, "testAcc": ev["testAcc"], "seconds": seconds,
              "imagesPerSecond": seen / seconds if seconds else 0.0})
        emit({"type": "evaluation", "epoch": epoch, **ev})
        pos = _empty_position()
        pos["completedEpochs"] = epoch
        last_path = save(pos)
        if epoch < epochs and agreed_stop():
            return stopped(epoch + 1, last_path)

    emit({"type": "done", "testAcc": last_test_acc or 0.0, "runDir": run_dir, "modelDir": job["modelDir"]})
    return "done"


def _data_parallel(net: torch.nn.Module, device: torch.device) -> Tuple[torch.nn.Module, torch.nn.Module]:
    """The network (its batch norms synchronised) and it behind DistributedDataParallel, which
    averages the gradients over the ranks in backward."""
    from torch.nn.parallel import DistributedDataParallel
    if any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in net.modules()):
        # Per-slice batch statistics would make N processes another run than one process.
        if device.type != "cuda":
            raise DistributedError("a network with batch norm trains on several processes only on CUDA (torch's "
                                   "SyncBatchNorm needs GPUs): train it with one process, or on CUDA GPUs")
        net = torch.nn.SyncBatchNorm.convert_sync_batchnorm(net)
    return net, DistributedDataParallel(net, device_ids=[device] if device.type == "cuda" else None)


def _restore(ck: Dict[str, Any], named: List[Tuple[str, torch.nn.Parameter]], opt: torch.optim.Optimizer,
             optimizer: str, buffers: List[Tuple[str, torch.Tensor]]) -> int:
    """Load a checkpoint's weights and buffers (by name and shape) and optimizer slots (by position)."""
    weights = ck["weights"]
    if len(weights) != len(named) + len(buffers):
        raise TrainError(f"the checkpoint has {len(weights)} weights, the network {len(named) + len(buffers)}")
    with torch.no_grad():
        for i, ((n, p), (cn, values)) in enumerate(zip(named + buffers, weights)):
            if cn != n:
                raise TrainError(f"weight {i}: the checkpoint has {cn} {list(values.shape)}, the network {n} "
                                 f"{model.tfjs_shape(p)}")
            try:
                p.copy_(model.from_tfjs(values, p))
            except ValueError as e:
                raise TrainError(f"weight {n}: {e}") from e
    try:
        return optim.set_slots(opt, optimizer, named, ck["optimizer"], model.from_tfjs)
    except ValueError as e:
        raise TrainError(f"cannot resume the optimizer: {e}") from e
