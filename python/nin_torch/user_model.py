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
from typing import Any, Dict, List, Set, Tuple

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
