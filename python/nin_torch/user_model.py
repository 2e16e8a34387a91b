"""Build the reader's model from their file without running the rest of it.

A d2l-style file or notebook trains at top level (`d2l.train_ch6(net, ...)`, `train(net)`),
so importing it would start that training. Instead the source is parsed (`ast`), and only the
top-level statements the model needs are kept: the imports, functions, classes and
assignments its name reaches, transitively, plus statements that build or change those
variables in place (`blks.append(...)`, `net.apply(init_weights)`, a loop filling a list).
Calls that merely pass the model to something else, `if __name__ == "__main__":` blocks and
everything else never run. Only ever called for a trusted workspace.

Model names are the analyser's: `net` (a global), `make()` (a function called without
arguments), `Net()` (a class instantiated without arguments).
"""
import ast
from typing import Any, Dict, List, Optional, Set, Tuple

import torch
from torch import nn


class ModelNotFound(ValueError):
    """The file has no model of that name, or it is not an nn.Module."""


def _bound(stmt: ast.stmt) -> Set[str]:
    """Names a top-level statement binds."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    names: Set[str] = set()
    targets: List[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    for t in targets:
        names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _used(stmt: ast.stmt) -> Set[str]:
    """Names a statement reads (anywhere inside it, function bodies included)."""
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If):
        return False
    return any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(stmt.test))


def _base_name(e: ast.expr) -> str:
    """`blks` for `blks`, `blks[i]`, `net.fc`: the variable an assignment target writes into."""
    while isinstance(e, (ast.Subscript, ast.Attribute)):
        e = e.value
    return e.id if isinstance(e, ast.Name) else ""


def _changes(stmt: ast.stmt, variables: Set[str]) -> bool:
    """True when a statement, or one nested in it (a loop's body), assigns into one of
    `variables` or is a method call on one (`blks.append(b)`, `net.apply(init_weights)`).
    A call that passes a variable to something else (`train(net)`, `d2l.train_ch6(net, ...)`)
    does not count: that is using the model, not building it."""
    for n in ast.walk(stmt):
        if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            if any(_base_name(t) in variables for t in targets):
                return True
        elif isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and isinstance(n.value.func, ast.Attribute):
            if _base_name(n.value.func.value) in variables:
                return True
    return False


_DEFINERS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def needed_statements(tree: ast.Module, target: str) -> List[ast.stmt]:
    """The top-level statements building `target`, in file order: those that bind a name it
    needs (transitively), and those that build a needed variable in place."""
    body = [s for s in tree.body if not _is_main_guard(s)]
    keep: Set[int] = set()
    needed = {target}
    changed = True
    while changed:
        changed = False
        # Variables are names bound by assignments (not imports or definitions).
        variables = {n for i, s in enumerate(body) if i in keep and not isinstance(s, _DEFINERS) for n in _bound(s)}
        for i, s in enumerate(body):
            if i in keep:
                continue
            if _bound(s) & needed or (not isinstance(s, _DEFINERS) and _changes(s, variables)):
                keep.add(i)
                needed |= _used(s) | _bound(s)
                changed = True
    return [s for i, s in enumerate(body) if i in keep]


def _split(name: str) -> Tuple[str, bool]:
    return (name[:-2], True) if name.endswith("()") else (name, False)


def load_model(source: str, filename: str, name: str) -> nn.Module:
    """The model `name` of `source`, built by running only what it needs."""
    target, called = _split(name)
    tree = ast.parse(source, filename)
    kept = needed_statements(tree, target)
    if not any(target in _bound(s) for s in kept):
        raise ModelNotFound(f"{filename}: no top-level {target!r} to build the model {name} from")
    module = ast.Module(body=kept, type_ignores=[])
    scope: Dict[str, Any] = {"__name__": "nin_user_model", "__file__": filename}
    exec(compile(module, filename, "exec"), scope)
    value = scope[target]() if called else scope[target]
    if not isinstance(value, nn.Module):
        raise ModelNotFound(f"{filename}: {name} is a {type(value).__name__}, not a torch.nn.Module")
    return value


def describe(model: nn.Module, input_shape: List[int]) -> Dict[str, Any]:
    """The model's output shape for one image and its parameter count (a cheap check)."""
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, *input_shape))
    return {"output": list(out.shape[1:]), "params": sum(p.numel() for p in model.parameters())}


class UserModelError(ValueError):
    """The reader's model cannot be built or trained as it is; the message says why."""


def _build(user: Dict[str, Any]) -> nn.Module:
    name, file = str(user["name"]), str(user["file"])
    try:
        return load_model(str(user["source"]), file, name)
    except ModelNotFound as e:
        raise UserModelError(str(e)) from e
    except Exception as e:  # the reader's code may raise anything; say where it came from
        raise UserModelError(f"building {name} from {file} failed: {type(e).__name__}: {e}") from e


def check_output(net: nn.Module, name: str, input_shape: List[int]) -> None:
    """Refuse a model that does not map a batch of images to ten class scores each."""
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            out = net(torch.zeros(2, *input_shape))
    except Exception as e:
        shape = "x".join(map(str, input_shape))
        raise UserModelError(f"{name} fails on a {shape} input: {type(e).__name__}: {e}") from e
    finally:
        net.train(was_training)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, 10):
        got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UserModelError(f"{name}: its output for a batch of 2 images of {'x'.join(map(str, input_shape))} is "
                             f"{got}; training needs [N, 10] (ten Fashion-MNIST class scores)")


def _tfjs_names(net: nn.Module, job: Dict[str, Any], input_shape: List[int]) -> Optional[List[str]]:
    """The TensorFlow.js weight names for the reader's parameters when the analysis's spec is the
    same network (same parameters in order and shape, same outputs on a probe), else None: then
    the run exports a PyTorch state dict instead of a TensorFlow.js model."""
    from . import model
    spec = job.get("spec")
    if not spec or any(True for _ in net.buffers()):
        return None
    try:
        ref, named = model.build(spec, job["rowNames"])
    except ValueError:
        return None
    mine = list(net.parameters())
    if len(mine) != len(named) or any(p.shape != q.shape for p, (_, q) in zip(mine, named)):
        return None
    with torch.no_grad():
        for p, (_, q) in zip(mine, named):
            q.copy_(p)
        x = torch.rand(2, *input_shape, generator=torch.Generator().manual_seed(0))
        ref.eval()
        was_training = net.training
        net.eval()
        same = torch.allclose(net(x), ref(x), rtol=1e-4, atol=1e-5)
        net.train(was_training)
    return [n for n, _ in named] if same else None


def build_for_job(job: Dict[str, Any]) -> Tuple[nn.Module, List[Tuple[str, nn.Parameter]], List[Tuple[str, torch.Tensor]]]:
    """model.for_job for a model from code: built, checked ([N, 10] out), its parameters named by
    TensorFlow.js (when the spec is the same network) or by PyTorch (state dict keys), and its
    persistent buffers. The start event's parameter count becomes the built model's own."""
    user = job["userModel"]
    input_shape = [int(d) for d in user["input"]]
    net = _build(user)
    check_output(net, str(user["name"]), input_shape)
    kept = set(net.state_dict().keys())
    tfjs = _tfjs_names(net, job, input_shape)
    params = list(net.named_parameters())
    named = list(zip(tfjs, (p for _, p in params))) if tfjs else params
    buffers = [(n, b) for n, b in net.named_buffers() if n in kept]
    if isinstance(job.get("start"), dict):
        job["start"]["params"] = sum(p.numel() for _, p in params)
    return net, named, buffers
