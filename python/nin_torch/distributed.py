"""Data-parallel training with torch.distributed, launched as torchrun would but by this
package (Debian's torchrun is broken): the process the extension started is rank 0, the
leader; it starts the other ranks as `python -m nin_torch.distributed` children, each reading
its job on stdin. Only the leader talks to the extension (events on stdout, checkpoints); the
other ranks write diagnostics on stderr and nothing on stdout.

No orphans: a rank whose stdin reaches EOF (its leader is gone, even by SIGKILL) exits; the
leader watches its ranks, and one that dies ends the run with an error event (the last
checkpoint is kept), whatever the leader was doing.

Rendezvous on one machine: loopback and a free port. Several machines (torchrun's names):
MASTER_ADDR, MASTER_PORT, NNODES and NODE_RANK in the environment; see the README."""
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.distributed as dist

Emit = Callable[[Dict[str, Any]], None]

# How long the leader waits for its main thread to report a dead rank before it reports it itself.
_REPORT_GRACE_S = 10.0
# How long ranks may take to leave after the run ended before they are killed.
_EXIT_GRACE_S = 30.0


class DistributedError(Exception):
    """A data-parallel setup the user can fix (too many processes for the GPUs, a bad variable)."""


def slice_bounds(rows: int, rank: int, world: int) -> Tuple[int, int]:
    """This rank's rows [lo, hi) of a batch of `rows`: contiguous, in rank order, sizes differing by at most one."""
    base, extra = divmod(rows, world)
    lo = rank * base + min(rank, extra)
    return lo, lo + base + (1 if rank < extra else 0)


class Group:
    """The ranks of one run as the training loop sees them; one process is a group of one."""

    rank = 0
    world = 1
    nnodes = 1
    # Whether this process talks to the extension (events, checkpoints): one per machine.
    speaks = True

    def sum(self, values: Sequence[float]) -> List[float]:
        """The sum over ranks of each value (float64)."""
        return [float(v) for v in values]

    def sum_tensor(self, t: torch.Tensor) -> torch.Tensor:
        """The sum over ranks of `t`."""
        return t

    def gather(self, obj: Any) -> List[Any]:
        """Every rank's `obj`, in rank order."""
        return [obj]

    def broadcast(self, obj: Any) -> Any:
        """Rank 0's `obj` on every rank."""
        return obj

    def dead_rank(self) -> Optional[str]:
        """A sentence about a rank that died, if one did."""
        return None

    def close(self, ok: bool) -> None:
        """End the group; `ok` False ends the other ranks at once."""


class TorchGroup(Group):
    """A torch.distributed process group (gloo on the CPU, NCCL on CUDA)."""

    def __init__(self, rank: int, world: int, device: torch.device, leader: Optional["Leader"]) -> None:
        self.rank = rank
        self.world = world
        self.device = device
        self.leader = leader
        self.speaks = leader is not None
        self.nnodes = leader.meet["nnodes"] if leader else 1

    def sum(self, values: Sequence[float]) -> List[float]:
        t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return [float(v) for v in t.cpu().tolist()]

    def sum_tensor(self, t: torch.Tensor) -> torch.Tensor:
        on = t.to(self.device)  # NCCL reduces only tensors on the rank's GPU
        dist.all_reduce(on)
        return on.to(t.device)

    def gather(self, obj: Any) -> List[Any]:
        out: List[Any] = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def dead_rank(self) -> Optional[str]:
        return self.leader.dead_rank(wait_s=3.0) if self.leader else None

    def close(self, ok: bool) -> None:
        if self.leader:
            self.leader.finish(ok)
        if dist.is_initialized():
            try:
                dist.destroy_process_group()
            except RuntimeError:
                pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise DistributedError(f"{name}={raw!r} is not a whole number") from None
    if v < minimum:
        raise DistributedError(f"{name}={v} must be at least {minimum}")
    return v


def rendezvous(processes: int) -> Dict[str, Any]:
    """Where the ranks meet and which ranks this machine runs, from torchrun's variables when set."""
    nnodes = _env_int("NNODES", 1, 1)
    node_rank = _env_int("NODE_RANK", 0, 0)
    if node_rank >= nnodes:
        raise DistributedError(f"NODE_RANK={node_rank} must be below NNODES={nnodes}")
    addr = os.environ.get("MASTER_ADDR") or "127.0.0.1"
    if nnodes > 1 and not os.environ.get("MASTER_ADDR"):
        raise DistributedError("NNODES > 1 needs MASTER_ADDR (and MASTER_PORT): the address of node 0")
    port = _env_int("MASTER_PORT", 0, 0) if os.environ.get("MASTER_PORT") else 0
    if nnodes > 1 and not port:
        raise DistributedError("NNODES > 1 needs MASTER_PORT: a port that node 0 can open and the others reach")
    world = nnodes * processes
    return {"addr": addr, "port": port or (_free_port() if world > 1 else 0), "nnodes": nnodes,
            "nodeRank": node_rank, "local": processes, "world": world}


class Leader:
    """Rank 0's side of the other local ranks: starts them, watches them, ends them."""

    def __init__(self, job: Dict[str, Any], meet: Dict[str, Any], emit: Emit, stop: threading.Event,
                 kept: Callable[[], str]) -> None:
        self.emit = emit
        self.kept = kept
        self.run_dir = job.get("runDir")
        self.stop = stop
        self.meet = meet
        self.children: List[Tuple[int, subprocess.Popen]] = []
        self.dead: Optional[str] = None
        self.reported = threading.Event()
        self.ended = threading.Event()
        self.lock = threading.Lock()
        first = meet["nodeRank"] * meet["local"]
        for local in range(1, meet["local"]):
            worker_job = {**job, "type": "worker", "rank": first + local, "localRank": local, "meet": meet}
            child = subprocess.Popen([sys.executable, "-u", "-m", "nin_torch.distributed"],
                                     stdin=subprocess.PIPE, stdout=sys.stderr.fileno(), stderr=None,
                                     env=os.environ.copy())
            assert child.stdin is not None
            child.stdin.write((json.dumps(worker_job) + "\n").encode("utf-8"))
            child.stdin.flush()
            self.children.append((first + local, child))
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self.ended.is_set():
            for rank, child in self.children:
                code = child.poll()
                if code is not None and code != 0 and not self.ended.is_set():
                    how = f"was killed ({signal.Signals(-code).name})" if code < 0 else f"exited with code {code}"
                    with self.lock:
                        if self.dead is None:
                            self.dead = f"rank {rank} of {self.meet['world']} (pid {child.pid}) {how}"
                    self.stop.set()
                    self._report_if_stuck()
                    return
            time.sleep(0.2)

    def _report_if_stuck(self) -> None:
        # gloo notices a dead peer at the next collective; NCCL may wait forever. Either way the run is over.
        if self.reported.wait(_REPORT_GRACE_S) or self.ended.is_set():
            return
        event: Dict[str, Any] = {"type": "error", "message": f"{self.dead}; the run cannot go on without it; {self.kept()}"}
        if isinstance(self.run_dir, str):
            event["runDir"] = self.run_dir
        self.emit(event)
        self.kill_all()
        os._exit(1)

    def dead_rank(self, wait_s: float) -> Optional[str]:
        """The dead rank's sentence (waiting a little: the collective may fail before the exit is seen)."""
        deadline = time.monotonic() + wait_s
        while self.dead is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.dead is not None:
            self.reported.set()
        return self.dead

    def kill_all(self) -> None:
        for _, child in self.children:
            if child.poll() is None:
                child.kill()
        for _, child in self.children:
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def finish(self, ok: bool) -> None:
        """Let the ranks leave after a run that ended (or end them now)."""
        self.ended.set()
        self.reported.set()
        if ok:
            deadline = time.monotonic() + _EXIT_GRACE_S
            for _, child in self.children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    pass
        self.kill_all()
        for _, child in self.children:
            if child.stdin:
                try:
                    child.stdin.close()
                except OSError:
                    pass


def open_group(job: Dict[str, Any], device: torch.device, emit: Emit, stop: threading.Event,
               kept: Callable[[], str]) -> Tuple[Group, torch.device]:
    """The group this process trains in and its device: a group of one unless the job asks for
    processes > 1 (or NNODES > 1). `kept` says in words what the run can resume from."""
    processes = int(job.get("processes") or 1)
    worker = job.get("type") == "worker"
    meet: Dict[str, Any] = job["meet"] if worker else rendezvous(processes)
    if not meet or meet["world"] <= 1:
        return Group(), device
    local = int(job.get("localRank", 0))
    rank = int(job["rank"]) if worker else meet["nodeRank"] * meet["local"]
    if device.type == "cuda":
        if meet["local"] > torch.cuda.device_count():
            raise DistributedError(f"{meet['local']} processes need as many CUDA GPUs; this machine has "
                                   f"{torch.cuda.device_count()} (one process per GPU)")
        device = torch.device(f"cuda:{local}")
        torch.cuda.set_device(device)
        backend = "nccl"
    elif device.type == "cpu":
        backend = "gloo"
    else:
        raise DistributedError(f"torch.distributed has no backend for {device.type}: train on several processes "
                               "with device cpu or cuda, or with one process on this device")
    leader = None if worker else Leader(job, meet, emit, stop, kept)
    try:
        dist.init_process_group(backend, init_method=f"tcp://{meet['addr']}:{meet['port']}", rank=rank,
                                world_size=meet["world"], timeout=datetime.timedelta(minutes=30))
    except Exception:
        if leader:
            leader.finish(False)
        raise
    return TorchGroup(rank, meet["world"], device, leader), device


def _worker_stdin(stop: threading.Event) -> None:
    for line in sys.stdin:
        if '"stop"' in line:
            stop.set()
    # EOF: the leader is gone (or done). Leave without waiting on peers that will never answer.
    stop.set()
    time.sleep(2.0)
    os._exit(1)


def worker_main() -> int:
    """A rank other than the leader: its job on stdin, diagnostics (and any error) on stderr."""
    sys.stdout = sys.stderr  # nothing of a worker's may reach the extension as an event
    job = json.loads(sys.stdin.readline())
    rank = job.get("rank")
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    threading.Thread(target=_worker_stdin, args=(stop,), daemon=True).start()

    def emit(event: Dict[str, Any]) -> None:
        if event.get("type") == "error":
            print(f"nin_torch rank {rank}: {event.get('message')}", file=sys.stderr, flush=True)

    from .train import run
    outcome = run(job, emit, stop)
    return 1 if outcome == "error" else 0


if __name__ == "__main__":
    sys.exit(worker_main())
