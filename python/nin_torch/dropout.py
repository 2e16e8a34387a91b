"""Dropout whose masks do not depend on how many processes share a batch: each step draws the
masks of the whole global batch from one generator seeded by the step (rng.step_seed), in the
network's layer order, and a process keeps the rows of its own slice. One process and N
processes therefore drop the same units of the same images, and training is the same run."""
from typing import Optional

import torch
from torch import nn


class StepMasks:
    """This step's mask source, shared by every dropout layer of one network."""

    def __init__(self) -> None:
        self.generator: Optional[torch.Generator] = None
        self.device: Optional[torch.device] = None
        # Where masks are drawn: the training device when torch has a generator there, else the CPU.
        self.draw_on = torch.device("cpu")
        self.global_rows = 0
        self.first_row = 0

    def step(self, seed: int, global_rows: int, first_row: int, device: torch.device) -> None:
        """Start a step: the global batch has `global_rows` images, this process's slice begins at `first_row`."""
        if self.generator is None or self.device != device:
            self.device = device
            self.draw_on = device if device.type in ("cpu", "cuda") else torch.device("cpu")
            # A CUDA tensor's masks come from a CUDA generator; other devices (MPS) take the CPU's masks.
            self.generator = torch.Generator(device=self.draw_on)
        self.generator.manual_seed(seed)
        self.global_rows = global_rows
        self.first_row = first_row


class GlobalBatchDropout(nn.Module):
    """nn.Dropout's inverted dropout, its mask cut from the global batch's."""

    def __init__(self, p: float, masks: StepMasks) -> None:
        super().__init__()
        self.p = p
        self.masks = masks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        m = self.masks
        if m.generator is None or m.first_row + x.shape[0] > m.global_rows:
            raise RuntimeError("dropout in training without this step's masks (StepMasks.step was not called)")
        keep = 1.0 - self.p
        if keep <= 0:
            return x * 0  # nn.Dropout(1.0): every unit dropped
        full = torch.empty((m.global_rows, *x.shape[1:]), device=m.draw_on, dtype=x.dtype)
        full.bernoulli_(keep, generator=m.generator)
        mask = full[m.first_row:m.first_row + x.shape[0]].to(x.device)
        return x * mask / keep

    def extra_repr(self) -> str:
        return f"p={self.p}"


def use_global_batch_masks(net: nn.Module) -> StepMasks:
    """Replace every nn.Dropout in `net` (at any depth) by a GlobalBatchDropout; returns their mask source."""
    masks = StepMasks()
    # Collected first: replacing children while walking the tree would change what is walked.
    targets = [(parent, name, child) for parent in net.modules() for name, child in parent.named_children()
               if type(child) is nn.Dropout]
    for parent, name, child in targets:
        setattr(parent, name, GlobalBatchDropout(float(child.p), masks))
    return masks
