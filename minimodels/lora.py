"""LoRA (Hu et al. 2021): freeze a trained weight W and learn a low-rank update next to it.

    h = W x + (alpha / r) * B A x,   A: (r, in) random,   B: (out, r) zeros

B starts at zero, so the adapted model computes exactly what the base model computes until the
first optimizer step. Only A and B train: r * (in + out) numbers instead of in * out. After
training, W + (alpha / r) B A can be folded into one matrix, so inference costs nothing extra.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

# The Linear layers of minimodels.gpt.Block that LoRA adapts, by the end of their names.
ATTENTION = ("attn.qkv", "attn.proj")
ATTENTION_AND_MLP = ATTENTION + ("mlp.fc", "mlp.proj")


class LoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.scale = alpha / rank
        self.A = nn.Parameter(torch.empty(rank, base.in_features))  # (r, in)
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))  # (out, r): zero at the start
        # A as nn.Linear initialises its weight (Kaiming-uniform), as the PEFT library does.
        nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))

    def forward(self, x: Tensor) -> Tensor:
        # (..., in) -> (..., r) -> (..., out): the full (out, in) update is never formed.
        return self.base(x) + self.scale * (x @ self.A.T) @ self.B.T

    def merged_weight(self) -> Tensor:
        """W + (alpha / r) B A: the one matrix to serve after training."""
        return self.base.weight + self.scale * self.B @ self.A


def add_lora(
    model: nn.Module, rank: int, alpha: float, targets: tuple[str, ...] = ATTENTION_AND_MLP
) -> list[LoRALinear]:
    """Freeze every parameter of `model`, then wrap the Linear layers named in `targets` with
    LoRA adapters (in place). Returns the adapters; only their A and B are trainable."""
    for p in model.parameters():
        p.requires_grad_(False)
    adapters = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, nn.Linear) and full.endswith(targets):
                adapter = LoRALinear(child, rank, alpha)
                setattr(module, child_name, adapter)
                adapters.append(adapter)
    return adapters


def merge_lora(model: nn.Module) -> nn.Module:
    """Replace every adapter in `model` by one plain Linear holding W + (alpha / r) B A."""
    for module in list(model.modules()):
        for child_name, child in list(module.named_children()):
            if isinstance(child, LoRALinear):
                base = child.base
                folded = nn.Linear(base.in_features, base.out_features, bias=base.bias is not None)
                with torch.no_grad():
                    folded.weight.copy_(child.merged_weight())
                    if base.bias is not None:
                        folded.bias.copy_(base.bias)
                setattr(module, child_name, folded)
    return model


def trainable_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
