"""The NiN network of a spec (src/model/spec.ts, passed in by the extension), initialised as
the article's code does, and its weights in the engine-neutral layout: named and shaped as the
TensorFlow.js model's (see src/train/checkpoint.ts, "Engine-neutral layout").

tfjs conv kernels are HWIO [kh, kw, in, out]; PyTorch's are OIHW [out, in, kh, kw]."""
from typing import Any, Dict, List, Tuple

import torch
from torch import nn


def _nin_block(cin: int, cout: int, k: int, s: int, p: int, mlp_convs: int = 2) -> nn.Sequential:
    layers: List[nn.Module] = [nn.Conv2d(cin, cout, k, s, p), nn.ReLU()]
    for _ in range(mlp_convs):
        layers += [nn.Conv2d(cout, cout, 1), nn.ReLU()]
    return nn.Sequential(*layers)


_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}


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
            m = int(row.get("mlpConvs", 2))
            block = _nin_block(cin, row["outChannels"], row["kernel"], row["stride"], row["padding"], m)
            parts = ["conv"] + [f"mlp{i}" for i in range(1, m + 1)]
            for conv, part in zip(block[0::2], parts):
                named.append((f"{name}_{part}/kernel", conv.weight))
                named.append((f"{name}_{part}/bias", conv.bias))
            layers.append(block)
            cin = row["outChannels"]
        elif kind == "conv":
            conv = nn.Conv2d(cin, row["outChannels"], row["kernel"], row["stride"], row["padding"])
            named += [(f"{name}/kernel", conv.weight), (f"{name}/bias", conv.bias)]
            layers.append(conv)
            cin = row["outChannels"]
        elif kind == "avgpool":
            layers.append(nn.AvgPool2d(row["kernel"], row["stride"]))
        elif kind == "activation":
            layers.append(_ACTIVATIONS[row["fn"]]())
        elif kind == "linear":
            # The flattened features: the spec's shapes say how many (the caller passes them).
            fin = int(row["inFeatures"])
            lin = nn.Linear(fin, row["outFeatures"])
            named += [(f"{name}/kernel", lin.weight), (f"{name}/bias", lin.bias)]
            layers.append(lin)
        elif kind == "batchnorm":
            raise ValueError(f"{name}: batch norm is not supported by the PyTorch engine yet (train it on TensorFlow.js)")
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
    for mod in net.modules():
        if isinstance(mod, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(mod.weight)
    return net, named


def to_tfjs(t: torch.Tensor) -> torch.Tensor:
    """A parameter-shaped tensor in tfjs layout (conv kernels OIHW -> HWIO), on the CPU."""
    t = t.detach().to("cpu", torch.float32)
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0).contiguous()
    # A Linear weight: torch [out, in], tfjs's dense kernel [in, out].
    return t.t().contiguous() if t.dim() == 2 else t.contiguous()


def from_tfjs(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """A tfjs-layout array as a tensor shaped like the parameter `like` (HWIO -> OIHW)."""
    t = values.permute(3, 2, 0, 1) if values.dim() == 4 else values.t() if values.dim() == 2 else values
    if tuple(t.shape) != tuple(like.shape):
        raise ValueError(f"shape {list(values.shape)} does not fit a parameter of shape {list(like.shape)}")
    return t.contiguous().to(like.device, like.dtype)


def tfjs_shape(p: torch.Tensor) -> List[int]:
    """The tfjs shape of a parameter."""
    s = list(p.shape)
    return [s[2], s[3], s[1], s[0]] if len(s) == 4 else [s[1], s[0]] if len(s) == 2 else s


Named = Tuple[str, torch.Tensor]


def for_job(job: Dict[str, Any]) -> Tuple[nn.Module, List[Tuple[str, nn.Parameter]], List[Named]]:
    """The job's network, its trainable parameters in checkpoint order with their names, and
    the buffers a checkpoint also keeps (batch norm statistics; none for a spec's network).

    A spec (src/model/spec.ts) is built here; a model from the reader's code (`userModel`) by
    running the part of their file that builds it (user_model.py, trusted workspaces only)."""
    if job.get("userModel"):
        from .user_model import build_for_job
        return build_for_job(job)
    net, named = build(job["spec"], job["rowNames"])
    return net, named, []
