"""The child process: `python -u -m nin_torch` (with this package's parent folder on
PYTHONPATH). stdin, one JSON object per line: first the job, {"type": "train", ...},
{"type": "calibrate", ...}, {"type": "probe"}, or a model from code's
{"type": "export"} / {"type": "eval"} (user_jobs.py); later {"type": "stop"} (EOF on stdin also
stops: the parent is gone). stdout: one JSON event per line, the fields of src/protocol's
TrainEvent / CalibrationEvent (and the probe's answer); nothing else is ever written there.
stderr: diagnostics. SIGINT / SIGTERM stop after the current batch with a checkpoint; a second
one exits at once."""
import json
import signal
import sys
import threading
import traceback
from typing import Any, Dict, TextIO

_out: TextIO = sys.stdout
_lock = threading.Lock()


def emit(event: Dict[str, Any]) -> None:
    line = json.dumps(event, separators=(",", ":"), allow_nan=False)
    with _lock:
        _out.write(line + "\n")
        _out.flush()


def _watch_stdin(stop: threading.Event) -> None:
    for line in sys.stdin:
        try:
            msg = json.loads(line)
        except ValueError:
            print(f"nin_torch: ignored a line on stdin that is not JSON: {line[:80]!r}", file=sys.stderr)
            continue
        if isinstance(msg, dict) and msg.get("type") == "stop":
            stop.set()
    stop.set()  # EOF: nobody is listening any more


def _on_signal(stop: threading.Event):
    def handler(signum: int, _frame: Any) -> None:
        if stop.is_set():
            sys.exit(128 + signum)
        stop.set()
        print("nin_torch: stopping after this batch", file=sys.stderr)
    return handler


def _probe() -> int:
    """Answer what this interpreter offers; a missing, old or broken torch is an answer, not a crash."""
    answer: Dict[str, Any] = {"type": "probe", "python": sys.executable,
                              "pythonVersion": ".".join(map(str, sys.version_info[:3])), "torch": None}
    try:
        import torch
        answer["torch"] = str(getattr(torch, "__version__", "unknown"))
        from . import devices
        answer.update(devices.probe())
    except Exception as e:  # ImportError, or a torch that fails to initialise
        answer["error"] = f"{type(e).__name__}: {e}"
    emit(answer)
    return 0


def main() -> int:
    global _out
    # Whatever else prints (a library warning on stdout) must not corrupt the event stream.
    _out, sys.stdout = sys.stdout, sys.stderr
    first = sys.stdin.readline()
    try:
        job = json.loads(first)
        kind = job["type"]
    except (ValueError, KeyError, TypeError):
        emit({"type": "error", "message": f"nin_torch: the first line on stdin must be a JSON job, got {first[:80]!r}"})
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGINT, _on_signal(stop))
    signal.signal(signal.SIGTERM, _on_signal(stop))
    if kind == "probe":
        return _probe()
    try:
        threading.Thread(target=_watch_stdin, args=(stop,), daemon=True).start()
        if kind == "calibrate":
            from .calibrate import calibrate
            emit(calibrate(job))
            return 0
        if kind in ("export", "eval"):
            from . import user_jobs
            emit(user_jobs.export(job) if kind == "export" else user_jobs.evaluate(job))
            return 0
        if kind == "train":
            from .train import run
            return 0 if run(job, emit, stop) != "error" else 1
        emit({"type": "error", "message": f"nin_torch: unknown job type {kind!r}"})
        return 2
    except Exception as e:  # the last resort: every failure is an event, the trace on stderr
        traceback.print_exc()
        plain = type(e).__name__ in ("DeviceError", "UserModelError", "ExportError", "CheckpointError", "DataError")
        message = str(e) if plain else f"{type(e).__name__}: {e}"
        event: Dict[str, Any] = {"type": "error", "message": message}
        if isinstance(job, dict) and isinstance(job.get("runDir"), str):
            event["runDir"] = job["runDir"]
        emit(event)
        return 1


if __name__ == "__main__":
    sys.exit(main())
