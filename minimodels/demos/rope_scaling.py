"""Extending RoPE's context: extrapolation, position interpolation and NTK-aware scaling.

A RoPE model trained on L positions has seen pair i of its queries and keys rotated by angles in
[0, L·θ_i). Run it on s·L positions and three things can happen:

- extrapolation (change nothing): the slow pairs, whose wavelength 2π/θ_i exceeds L, meet angles
  they never saw in training. This is what breaks a model beyond its trained length.
- position interpolation (Chen et al. 2023): read position p as p / s. Every angle falls back in
  the trained range, at the price of resolution: neighbouring tokens are s times closer in angle,
  on the fast pairs too.
- NTK-aware scaling (bloc97 2023, analysed in the YaRN paper): raise the base from b to
  b·s^(d/(d−2)). The fastest pair keeps θ_0 = 1 (full resolution), the slowest is divided by exactly
  s (interpolated), the pairs between are partly both, and some still leave their trained range.

Everything here is angles and cosines: no model, no training, exact numbers.
"""

import math

import torch

from minimodels.positions import inverse_frequencies, ntk_base, wavelength
from minimodels.results import Check, Lines, Metric, Table
from minimodels.train import set_threads

BASE = 10_000.0
METHODS = {
    "extrapolation": {"en": "extrapolation", "zh": "直接外推"},
    "interpolation": {"en": "position interpolation", "zh": "位置插值"},
    "ntk": {"en": "NTK-aware base", "zh": "NTK 感知的基数"},
}


def frequencies(dim, scale):
    """Each method as the θ_i it uses on raw positions, (d/2,) each: reading p as p / s is the same
    as dividing every θ_i by s."""
    theta = inverse_frequencies(dim, BASE)
    return {
        "extrapolation": theta,
        "interpolation": theta / scale,
        "ntk": inverse_frequencies(dim, ntk_base(BASE, scale, dim)),
    }


def aligned_score(theta, offsets):
    """q = k = all ones: the score at each offset is Σ_i 2·cos(offset·θ_i), (len(offsets),)."""
    return 2 * torch.cos(offsets.double()[:, None] * theta[None, :]).sum(-1)


@torch.no_grad()
def run(dim: int = 128, trained: int = 2048, scale: int = 4) -> list:
    set_threads()
    theta = inverse_frequencies(dim, BASE)  # (d/2,)
    trained_range = trained * theta  # the angles each pair saw in training: [0, L·θ_i)
    longest = scale * trained - 1  # the last position of the extended context
    methods = frequencies(dim, scale)
    # A pair leaves its trained range when its largest angle exceeds L·θ_i before it had turned
    # once in training (a pair that turned fully in training has seen every angle already).
    never_turned = trained_range < 2 * math.pi
    unseen = {
        name: int(((longest * th > trained_range) & never_turned).sum())
        for name, th in methods.items()
    }
    # How far past its trained range the worst such pair goes (1 = not at all).
    overshoot = {
        name: (longest * th / trained_range)[never_turned].max().item() if never_turned.any() else 0
        for name, th in methods.items()
    }
    step = {name: th[0].item() for name, th in methods.items()}  # radians between neighbours
    new_base = ntk_base(BASE, scale, dim)
    ntk = methods["ntk"]

    rows = []
    for i in list(range(0, dim // 2, max(1, dim // 16))) + [dim // 2 - 1]:
        row = [
            str(i),
            f"{wavelength(theta[i]).item():,.0f}",
            f"{trained_range[i].item() / (2 * math.pi):.3g}",
        ]
        row += [
            f"{longest * methods[name][i].item() / trained_range[i].item():.3g}" for name in METHODS
        ]
        rows.append(row)

    offsets = torch.arange(0, scale * trained, max(1, scale * trained // 512))
    return [
        Metric(
            {"en": "Pairs with unseen angles, extrapolating", "zh": "直接外推时遇到新角度的分量对"},
            f"{unseen['extrapolation']} / {dim // 2}",
        ),
        Metric(
            {"en": "NTK-aware base", "zh": "NTK 感知的基数"},
            f"{new_base:,.0f}",
            {
                "en": f"10,000 · {scale}^({dim}/{dim - 2})",
                "zh": f"10,000 · {scale}^({dim}/{dim - 2})",
            },
        ),
        Table(
            columns=[
                {"en": "pair i", "zh": "分量对 i"},
                {"en": "wavelength (tokens)", "zh": "波长（token 数）"},
                {"en": "turns in training", "zh": "训练中转过的圈数"},
                *[
                    {
                        "en": f"{m['en']}: max angle / trained",
                        "zh": f"{m['zh']}：最大角度 / 训练范围",
                    }
                    for m in METHODS.values()
                ],
            ],
            rows=rows,
            title={
                "en": f"d = {dim}, trained on {trained:,} positions, run on {scale * trained:,}",
                "zh": f"d = {dim}，在 {trained:,} 个位置上训练，在 {scale * trained:,} 个位置上运行",
            },
        ),
        Check(
            {
                "en": "Extrapolating, exactly the pairs whose wavelength exceeds the trained length "
                "meet angles they never saw",
                "zh": "直接外推时，恰好是波长超过训练长度的那些分量对遇到了训练中从未见过的角度",
            },
            unseen["extrapolation"] == int((wavelength(theta) > trained).sum()) > 0,
            {
                "en": f"{unseen['extrapolation']} of {dim // 2} pairs",
                "zh": f"{dim // 2} 个分量对中的 {unseen['extrapolation']} 个",
            },
        ),
        Check(
            {
                "en": "Position interpolation keeps every pair inside its trained range, but "
                f"neighbouring tokens are {scale}× closer in angle on the fastest pair",
                "zh": f"位置插值让每个分量对都留在训练范围内，但最快的分量对上相邻 token 的角度差缩小为 1/{scale}",
            },
            unseen["interpolation"] == 0
            and bool((longest * methods["interpolation"] < trained_range).all())
            and math.isclose(step["interpolation"], step["extrapolation"] / scale),
            {
                "en": f"step {step['interpolation']:.3f} rad instead of 1",
                "zh": f"相邻角度差 {step['interpolation']:.3f} 弧度，而不是 1",
            },
        ),
        Check(
            {
                "en": "NTK-aware scaling keeps the fastest pair (θ₀ = 1) and divides the slowest by "
                f"exactly {scale}; the pairs between still leave their trained range, but by less",
                "zh": f"NTK 感知的缩放保留最快的分量对（θ₀ = 1），把最慢的恰好除以 {scale}；中间的分量对仍会超出训练范围，但超出得少",
            },
            ntk[0].item() == 1.0
            and math.isclose(ntk[-1].item(), theta[-1].item() / scale, rel_tol=1e-12)
            and overshoot["ntk"] < overshoot["extrapolation"],
            {
                "en": f"{unseen['ntk']} pairs still leave their trained range, by up to "
                f"{overshoot['ntk']:.2f}× (extrapolating: {unseen['extrapolation']} pairs, up to "
                f"{overshoot['extrapolation']:.2f}×)",
                "zh": f"仍有 {unseen['ntk']} 个分量对超出训练范围，最多超出到 {overshoot['ntk']:.2f} 倍"
                f"（直接外推：{unseen['extrapolation']} 个，最多 {overshoot['extrapolation']:.2f} 倍）",
            },
        ),
        Lines(
            x=offsets.tolist(),
            series={name: aligned_score(th, offsets).tolist() for name, th in methods.items()},
            series_labels=METHODS,
            title={
                "en": "Score of q = k = all ones against the offset",
                "zh": "q = k = 全 1 向量时得分随偏移的变化",
            },
            x_label={"en": "offset n − m", "zh": "偏移 n − m"},
            y_label={"en": "score", "zh": "得分"},
        ),
    ]
