"""Position encodings as plain functions: sinusoidal (Vaswani et al. 2017), rotary (RoPE, Su et al.
2021) with position interpolation (Chen et al. 2023) and NTK-aware scaling, and ALiBi's slopes
(Press et al. 2021).

Everything works on the last dimension of a tensor and in float64 where exactness is the point:
the demos compare numbers that agree to 1e-12, not 1e-6.
"""

import math

import torch
from torch import Tensor


def sinusoidal(positions: Tensor, d: int) -> Tensor:
    """PE(p)[2i] = sin(p·ω_i), PE(p)[2i+1] = cos(p·ω_i), ω_i = 10000^(-2i/d): (T,) -> (T, d)."""
    omega = inverse_frequencies(d)  # (d/2,)
    angles = positions.double()[:, None] * omega[None, :]  # (T, d/2)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(len(positions), d)


def inverse_frequencies(d: int, base: float = 10_000.0) -> Tensor:
    """θ_i = base^(-2i/d) for the d/2 pairs, i = 0 … d/2 - 1, fastest first: (d/2,)."""
    return base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)


def ntk_base(base: float, scale: float, d: int) -> float:
    """NTK-aware scaling: the base that keeps θ_0 = 1 and divides the slowest θ by exactly `scale`."""
    return base * scale ** (d / (d - 2))


def rope(x: Tensor, positions: Tensor, base: float = 10_000.0, interpolate: float = 1.0) -> Tensor:
    """Rotate each pair (x[2i], x[2i+1]) of x by the angle (p / interpolate)·θ_i.

    x: (..., T, d) queries or keys of one head; positions: (T,). `interpolate` = s > 1 is position
    interpolation: position p is read as p / s, so s times as many positions fit the trained range.
    """
    theta = inverse_frequencies(x.shape[-1], base).to(x.dtype)  # (d/2,)
    angles = (positions.to(x.dtype) / interpolate)[:, None] * theta[None, :]  # (T, d/2)
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., 0::2], x[..., 1::2]  # (..., T, d/2) each
    rotated = torch.stack([even * cos - odd * sin, even * sin + odd * cos], dim=-1)
    return rotated.flatten(-2)  # (..., T, d)


def alibi_slopes(n_heads: int) -> list[float]:
    """ALiBi's per-head slopes: the geometric sequence 2^(-8/n), 2^(-16/n), …, 2^(-8) for n a
    power of two (Press et al. 2021, Section 3)."""
    if n_heads & (n_heads - 1):
        raise ValueError(f"n_heads must be a power of two, got {n_heads}")
    return [2 ** (-8 * (h + 1) / n_heads) for h in range(n_heads)]


def wavelength(theta: Tensor) -> Tensor:
    """Tokens per full turn of each pair: 2π / θ_i."""
    return 2 * math.pi / theta
