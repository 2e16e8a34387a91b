"""The NiN network of a spec (src/model/spec.ts, passed in by the extension), initialised as
the article's code does, and its weights in the engine-neutral layout: named and shaped as the
TensorFlow.js model's (see src/train/checkpoint.ts, "Engine-neutral layout").

tfjs conv kernels are HWIO [kh, kw, in, out]; PyTorch's are OIHW [out, in, kh, kw]."""
from typing import Any, Dict, List, Tuple

import torch
from torch import nn


def _nin_block(cin: int, cout: int, k: int, s: int, p: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, s, p), nn.ReLU(),
        nn.Conv2d(cout, cout, 1), nn.ReLU(),
        nn.Conv2d(cout, cout, 1), nn.ReLU(),
    )


def build(spec: Dict[str, Any], row_names: List[str]) -> Tuple[nn.Sequential, List[Tuple[str, nn.Parameter]]]:
    """The network and its parameters in tfjs weight order, each with its tfjs name.

    Biases keep PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and kernels are
    Xavier-uniform: d2l's init_weights, and what the tfjs engine draws (seedWeights)."""
    cin = int(spec["input"][0])
    layers: List[nn.Module] = []
    named: List[Tuple[str, nn.Parameter]] = []
    for row, name in zip(spec["layers"], row_names):
        kind = row["kind"]
        if kind == "nin_block":
            block = _nin_block(cin, row["outChannels"], row["kernel"], row["stride"], row["padding"])
            for conv, part in zip((block[0], block[2], block[4]), ("conv", "mlp1", "mlp2")):
                named.append((f"{name}_{part}/kernel", conv.weight))
                named.append((f"{name}_{part}/bias", conv.bias))
            layers.append(block)
            cin = row["outChannels"]
        elif kind == "maxpool":
            if row["padding"] != 0:
                raise ValueError(f"{name}: padded max pooling is not supported (the tfjs builder refuses it too)")
            layers.append(nn.MaxPool2d(row["kernel"], row["stride"]))
        elif kind == "dropout":
            layers.append(nn.Dropout(row["rate"]))
        elif kind == "gap":
            layers.append(nn.AdaptiveAvgPool2d((1, 1)))
        elif kind == "flatten":
            layers.append(nn.Flatten())
        else:
            raise ValueError(f"{name}: unknown layer kind {kind!r}")
    net = nn.Sequential(*layers)
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
    return net, named


def to_tfjs(t: torch.Tensor) -> torch.Tensor:
    """A parameter-shaped tensor in tfjs layout (conv kernels OIHW -> HWIO), on the CPU."""
    t = t.detach().to("cpu", torch.float32)
    return t.permute(2, 3, 1, 0).contiguous() if t.dim() == 4 else t.contiguous()


def from_tfjs(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A tfjs-layout array as a tensor shaped like the parameter `like` (HWIO -> OIHW)."""
    t = values.permute(3, 2, 0, 1) if values.dim() == 4 else values
    if tuple(t.shape) != tuple(like.shape):
        raise ValueError(f"shape {list(values.shape)} does not fit a parameter of shape {list(like.shape)}")
    return t.contiguous().to(like.device, like.dtype)


def tfjs_shape(p: torch.Tensor) -> List[int]:
    """The tfjs shape of a parameter."""
    s = list(p.shape)
    return [s[2], s[3], s[1], s[0]] if len(s) == 4 else s
