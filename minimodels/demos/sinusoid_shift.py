"""Sinusoidal encodings: a fixed linear map takes PE(p) to PE(p + k), for every p.

Vaswani et al. (2017, Section 3.5) chose sinusoids because "for any fixed offset k, PE_(pos+k) can
be represented as a linear function of PE_pos". Each pair (sin pω_i, cos pω_i) is a point on a
circle; moving k positions on is a rotation by kω_i, which does not depend on p. So one
block-diagonal matrix M_k moves every position k steps on. Here M_k is built from the angle
formulas and applied to the whole table; shifts compose like rotations.

What this does and does not give a model:
- PE(p)·PE(q) = Σ_i cos((p − q)·ω_i) depends only on p − q, but it is symmetric: it cannot tell
  "k before" from "k after".
- Every PE(p) has the same length √(d/2).
- Once the query and key projections act on x + PE, the score mixes PE(p)ᵀ W_Q W_Kᵀ PE(q), which
  is no longer a function of p − q alone: the relative structure is available, not guaranteed.
"""

import torch

from minimodels.positions import inverse_frequencies, sinusoidal
from minimodels.results import Check, Heatmap, Metric, Text
from minimodels.train import set_threads


def shift_matrix(d, k):
    """(d, d) block-diagonal M_k with PE(p + k) = M_k PE(p): each (sin, cos) pair rotated by kω_i."""
    m = torch.zeros(d, d, dtype=torch.float64)
    for i, w in enumerate(inverse_frequencies(d)):
        c, s = torch.cos(k * w), torch.sin(k * w)
        # sin((p+k)w) = sin(pw)cos(kw) + cos(pw)sin(kw);  cos((p+k)w) = cos(pw)cos(kw) − sin(pw)sin(kw)
        m[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = torch.stack(
            [torch.stack([c, s]), torch.stack([-s, c])]
        )
    return m


def spread_by_offset(matrix):
    """Largest (max − min) over entries with the same p − q: 0 when only the offset matters."""
    n = matrix.shape[0]
    return max((d.max() - d.min()).item() for d in (matrix.diagonal(o) for o in range(-n + 1, n)))


@torch.no_grad()
def run(d_model: int = 64, offset: int = 5, positions: int = 256, seed: int = 0) -> list:
    set_threads()
    pe = sinusoidal(torch.arange(positions + offset), d_model)  # (P + k, d)
    now, later = pe[:positions], pe[offset:]  # PE(p) and PE(p + k), (P, d) each

    m = shift_matrix(d_model, offset)
    exact_error = (now @ m.T - later).abs().max().item()
    # Shifts compose like rotations: M_k twice is M_2k, and M_k is orthogonal.
    compose_gap = (m @ m - shift_matrix(d_model, 2 * offset)).abs().max().item()
    orthogonal_gap = (m @ m.T - torch.eye(d_model, dtype=torch.float64)).abs().max().item()

    norms = now.norm(dim=-1)  # (P,)
    norm_gap = (norms - (d_model / 2) ** 0.5).abs().max().item()

    shown = now[:32]
    dots = shown @ shown.T  # (32, 32): PE(p)·PE(q)
    dot_spread = spread_by_offset(dots)
    symmetric = (dots - dots.T).abs().max().item()

    g = torch.Generator().manual_seed(seed)
    w_q = torch.randn(d_model, d_model, generator=g, dtype=torch.float64) / d_model**0.5
    w_k = torch.randn(d_model, d_model, generator=g, dtype=torch.float64) / d_model**0.5
    projected = (shown @ w_q) @ (shown @ w_k).T  # PE(p)ᵀ W_Q W_Kᵀ PE(q)
    projected_spread = spread_by_offset(projected)

    labels = [str(p) for p in range(32)]
    return [
        Metric(
            {"en": "Largest |M_k PE(p) − PE(p + k)|", "zh": "|M_k PE(p) − PE(p + k)| 的最大值"},
            f"{exact_error:.1e}",
            {"en": f"over {positions} positions", "zh": f"共 {positions} 个位置"},
        ),
        Check(
            {
                "en": f"One fixed matrix M_k (k = {offset}) takes PE(p) to PE(p + k) at every position"
                "; it is a rotation, and applying it twice gives M_2k",
                "zh": f"同一个固定矩阵 M_k（k = {offset}）在每个位置都把 PE(p) 变成 PE(p + k)"
                "；它是一个旋转，作用两次就是 M_2k",
            },
            exact_error < 1e-9 and compose_gap < 1e-9 and orthogonal_gap < 1e-9,
            {
                "en": f"error {exact_error:.1e}; M_k·M_k − M_2k: {compose_gap:.1e}",
                "zh": f"误差 {exact_error:.1e}；M_k·M_k − M_2k：{compose_gap:.1e}",
            },
        ),
        Check(
            {
                "en": f"Every PE(p) has length √(d/2) = {(d_model / 2) ** 0.5:.4g}",
                "zh": f"每个 PE(p) 的长度都是 √(d/2) = {(d_model / 2) ** 0.5:.4g}",
            },
            norm_gap < 1e-9,
            {"en": f"largest gap {norm_gap:.1e}", "zh": f"最大差值 {norm_gap:.1e}"},
        ),
        Heatmap(
            dots.tolist(),
            labels,
            labels,
            title={
                "en": "PE(p)·PE(q): constant along diagonals, symmetric",
                "zh": "PE(p)·PE(q)：沿对角线不变，且对称",
            },
            value_label={"en": "dot product", "zh": "点积"},
        ),
        Check(
            {
                "en": "PE(p)·PE(q) depends only on p − q, and is the same for −k as for +k: it "
                "measures distance but not direction",
                "zh": "PE(p)·PE(q) 只取决于 p − q，而且 −k 与 +k 的值相同：它反映距离，却不反映方向",
            },
            dot_spread < 1e-9 and symmetric < 1e-9,
            {
                "en": f"spread {dot_spread:.1e}, asymmetry {symmetric:.1e}",
                "zh": f"差值 {dot_spread:.1e}，不对称程度 {symmetric:.1e}",
            },
        ),
        Heatmap(
            projected.tolist(),
            labels,
            labels,
            title={
                "en": "PE(p)ᵀ W_Q W_Kᵀ PE(q) with random projections",
                "zh": "随机投影后的 PE(p)ᵀ W_Q W_Kᵀ PE(q)",
            },
            value_label={"en": "score", "zh": "得分"},
        ),
        Check(
            {
                "en": "After random query and key projections the positional score changes along "
                "the diagonals: it is no longer a function of p − q alone",
                "zh": "经过随机的 query、key 投影之后，位置部分的得分沿对角线发生变化：不再只是 p − q 的函数",
            },
            projected_spread > 1e-2,
            {"en": f"spread {projected_spread:.3f}", "zh": f"差值 {projected_spread:.3f}"},
        ),
        Text(
            {
                "en": "A model *can* learn projections that use the rotation structure; nothing in "
                "adding the encodings forces it to. RoPE builds the rotation into the score instead.",
                "zh": "模型*可以*学到利用这种旋转结构的投影，但把编码加到输入上这件事本身并不强制它这样做。"
                "RoPE 则直接把旋转写进了得分。",
            }
        ),
    ]
