"""The tfjs engine's optimizers in PyTorch, and their state in tfjs's slot layout so that a
checkpoint resumes on either engine.

tfjs (src/train/tfjsTrainer.ts, makeOptimizer): sgd(lr); momentum(lr, 0.9) with
accum = 0.9 * accum + g, w -= lr * accum (PyTorch's SGD momentum, dampening 0, the first buffer
being g either way); adam(lr) with beta1 0.9, beta2 0.999 and epsilon 1e-7 (tfjs's float32
backend epsilon; PyTorch's default is 1e-8, so it is set here), same bias correction.

Slots (tfjs Optimizer.getWeights order): "iter" (a scalar: steps taken), then for momentum
"<weight>/momentum" per trainable weight in weight order, for adam every "<weight>/m" and then
every "<weight>/v". Only "iter" before the first step. Readers match slots by position (tfjs may
add a uniquifying suffix to weight names) and check shapes."""
from typing import List, Tuple

import torch

Named = Tuple[str, torch.Tensor]

ADAM_EPSILON = 1e-7


def make(name: str, params: List[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=ADAM_EPSILON)
    raise ValueError(f"unknown optimizer {name!r}")


def _slot_keys(name: str) -> List[Tuple[str, str]]:
    """(state key, tfjs suffix) per group of slots, in tfjs order."""
    if name == "momentum":
        return [("momentum_buffer", "momentum")]
    if name == "adam":
        return [("exp_avg", "m"), ("exp_avg_sq", "v")]
    return []


def get_slots(opt: torch.optim.Optimizer, name: str, named: List[Tuple[str, torch.nn.Parameter]],
              iterations: int, to_tfjs) -> List[Named]:
    """The optimizer's state as tfjs slots (tfjs layout, CPU)."""
    slots: List[Named] = [("iter", torch.tensor(float(iterations)))]
    for key, suffix in _slot_keys(name):
        for n, p in named:
            value = opt.state.get(p, {}).get(key)
            if value is None:
                return slots[:1]  # no step yet: tfjs has only "iter" then
            slots.append((f"{n}/{suffix}", to_tfjs(value)))
    return slots


def set_slots(opt: torch.optim.Optimizer, name: str, named: List[Tuple[str, torch.nn.Parameter]],
              slots: List[Named], from_tfjs) -> int:
    """Restore tfjs slots into the optimizer; returns the iteration count. Raises ValueError
    naming the first slot that does not fit."""
    if not slots:
        return 0
    if slots[0][0] != "iter" or slots[0][1].numel() != 1:
        raise ValueError(f"the first optimizer slot is {slots[0][0]!r}, expected the scalar 'iter'")
    iterations = int(round(float(slots[0][1].reshape(-1)[0])))
    groups = _slot_keys(name)
    rest = slots[1:]
    if not rest:
        return iterations
    if len(rest) != len(groups) * len(named):
        raise ValueError(f"{len(rest)} optimizer slots after 'iter', the {name} optimizer of this network has "
                         f"{len(groups) * len(named)}")
    opt.state.clear()
    for g, (key, _) in enumerate(groups):
        for i, (n, p) in enumerate(named):
            slot_name, values = rest[g * len(named) + i]
            try:
                state = opt.state[p]
                state[key] = from_tfjs(values, p)
            except ValueError as e:
                raise ValueError(f"optimizer slot {slot_name} (for {n}): {e}") from e
    if name == "adam":
        for _, p in named:
            opt.state[p]["step"] = torch.tensor(float(iterations))
    return iterations
