"""RoPE's attention score depends only on the offset between query and key, checked numerically.

RoPE rotates pair i of a query at position m by the angle m·θ_i and pair i of a key at position n
by n·θ_i. Rotations compose, R_mᵀ R_n = R_(n−m), so

    ⟨R_m q, R_n k⟩ = qᵀ R_(n−m) k :

the score is a function of the contents and of n − m alone. Here one query vector and one key
vector are placed at every pair of positions and scored. Along each diagonal of the score matrix
(fixed n − m) every entry is the same number; shifting all positions by an offset changes nothing.
The same vectors with sinusoidal encodings *added* before the projections (the original
Transformer) give scores that change along the diagonals: absolute positions leak in.

Long-term decay (RoFormer Section 3.4.3) is a property of a bound, seen here with q = k = all
ones: the score Σ 2·cos((n−m)·θ_i) falls from d towards 0 as the offset grows. For random q and k
the score oscillates instead of decaying steadily.
"""

import torch

from minimodels.positions import rope, sinusoidal
from minimodels.results import Check, Heatmap, Lines, Metric, Text
from minimodels.train import set_threads


def scores_rope(q, k, positions):
    """(T, T): entry [m, n] = ⟨RoPE(q, m), RoPE(k, n)⟩ for one query and one key vector."""
    T = len(positions)
    queries = rope(q.expand(T, -1), positions)  # (T, d): the same q at every position
    keys = rope(k.expand(T, -1), positions)  # (T, d)
    return queries @ keys.T


def scores_added(x_q, x_k, positions, w_q, w_k):
    """(T, T): the original Transformer's way: add PE(p) to the input, then project."""
    pe = sinusoidal(positions, x_q.shape[-1])  # (T, d)
    return ((x_q + pe) @ w_q) @ ((x_k + pe) @ w_k).T


def aligned_scores(dim, offsets):
    """Scores of q = k = all ones at these offsets: Σ_i 2·cos(offset·θ_i), (len(offsets),)."""
    ones = torch.ones(1, dim, dtype=torch.float64)
    start = torch.zeros(1, dtype=torch.long)
    return (rope(ones, start) @ rope(ones.expand(len(offsets), -1), offsets).T)[0]


def diagonal_spread(scores):
    """Largest (max − min) along any diagonal n − m = const: 0 if the score is purely relative."""
    T = scores.shape[0]
    return max((d.max() - d.min()).item() for d in (scores.diagonal(o) for o in range(-T + 1, T)))


@torch.no_grad()
def run(dim: int = 64, length: int = 16, offset: int = 1000, seed: int = 0) -> list:
    set_threads()
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(dim, generator=g, dtype=torch.float64)  # one query vector, (d,)
    k = torch.randn(dim, generator=g, dtype=torch.float64)  # one key vector, (d,)
    w_q = torch.randn(dim, dim, generator=g, dtype=torch.float64) / dim**0.5  # (d, d)
    w_k = torch.randn(dim, dim, generator=g, dtype=torch.float64) / dim**0.5
    positions = torch.arange(length)

    rotary = scores_rope(q, k, positions)  # (T, T)
    shifted = scores_rope(q, k, positions + offset)
    added = scores_added(q, k, positions, w_q, w_k)
    spread_rope, spread_added = diagonal_spread(rotary), diagonal_spread(added)
    shift_change = (rotary - shifted).abs().max().item()
    norm_change = (rope(q[None], torch.tensor([offset])).norm() - q.norm()).abs().item()

    # Long-term decay: q = k = all ones, scores against the offset, and a random pair for contrast.
    far = torch.arange(0, 4 * 1024 + 1, 16)
    near = aligned_scores(dim, torch.arange(64)).abs().mean().item()  # offsets 0 … 63
    distant = aligned_scores(dim, torch.arange(2048, 4097)).abs().mean().item()
    start = torch.zeros(1, dtype=torch.long)
    random_pair = (rope(q[None], start) @ rope(k.expand(len(far), -1), far).T)[0]  # (len(far),)

    labels = [str(p) for p in range(length)]
    return [
        Heatmap(
            rotary.tolist(),
            x_labels=labels,
            y_labels=labels,
            title={
                "en": "RoPE: score of query position m (rows) and key position n (columns)",
                "zh": "RoPE：query 位置 m（行）与 key 位置 n（列）的得分",
            },
            value_label={"en": "score", "zh": "得分"},
        ),
        Heatmap(
            added.tolist(),
            x_labels=labels,
            y_labels=labels,
            title={
                "en": "Sinusoidal encodings added before W_Q, W_K: the same vectors",
                "zh": "把正弦编码加在 W_Q、W_K 之前：同样的向量",
            },
            value_label={"en": "score", "zh": "得分"},
        ),
        Metric(
            {"en": "RoPE: largest spread along a diagonal", "zh": "RoPE：对角线上的最大差值"},
            f"{spread_rope:.1e}",
        ),
        Metric(
            {
                "en": "Added sinusoids: largest spread along a diagonal",
                "zh": "相加的正弦编码：对角线上的最大差值",
            },
            f"{spread_added:.3f}",
        ),
        Check(
            {
                "en": "With RoPE every diagonal (fixed offset n − m) holds one value: the score "
                "depends only on the relative position",
                "zh": "使用 RoPE 时，每条对角线（固定偏移 n − m）上只有一个值：得分只取决于相对位置",
            },
            spread_rope < 1e-9,
            {"en": f"largest spread {spread_rope:.1e}", "zh": f"最大差值 {spread_rope:.1e}"},
        ),
        Check(
            {
                "en": f"Shifting every position by {offset} leaves every RoPE score unchanged",
                "zh": f"把所有位置都平移 {offset}，RoPE 的每个得分都不变",
            },
            shift_change < 1e-9,
            {"en": f"largest change {shift_change:.1e}", "zh": f"最大变化 {shift_change:.1e}"},
        ),
        Check(
            {
                "en": "Added absolute encodings are not relative: the same offset gives different "
                "scores at different positions",
                "zh": "相加的绝对位置编码不是相对的：同一个偏移在不同位置上得分不同",
            },
            spread_added > 1e-3,
            {"en": f"largest spread {spread_added:.3f}", "zh": f"最大差值 {spread_added:.3f}"},
        ),
        Check(
            {
                "en": "A rotation keeps the vector's length: |RoPE(q, m)| = |q|",
                "zh": "旋转不改变向量长度：|RoPE(q, m)| = |q|",
            },
            norm_change < 1e-9,
            {"en": f"difference {norm_change:.1e}", "zh": f"差值 {norm_change:.1e}"},
        ),
        Lines(
            x=far.tolist(),
            series={"all-ones": aligned_scores(dim, far).tolist(), "random": random_pair.tolist()},
            series_labels={
                "all-ones": {"en": "q = k = all ones", "zh": "q = k = 全 1 向量"},
                "random": {"en": "random q, k", "zh": "随机的 q、k"},
            },
            title={"en": "Score against the offset n − m", "zh": "得分随偏移 n − m 的变化"},
            x_label={"en": "offset n − m", "zh": "偏移 n − m"},
            y_label={"en": "score", "zh": "得分"},
        ),
        Check(
            {
                "en": "Long-term decay, for q = k = all ones: the mean |score| at offsets 2,048–4,096 "
                "is under a third of that at offsets 0–63",
                "zh": "远程衰减（q = k = 全 1 向量）：偏移 2,048–4,096 处 |得分| 的平均值不到偏移 0–63 处的三分之一",
            },
            distant < near / 3,
            {
                "en": f"{near:.1f} near, {distant:.2f} far",
                "zh": f"近处 {near:.1f}，远处 {distant:.2f}",
            },
        ),
        Text(
            {
                "en": "The decay is of a bound and of aligned vectors; a random pair's score keeps "
                "oscillating. RoPE makes scores relative, it does not force far tokens to matter less.",
                "zh": "衰减针对的是一个上界以及方向一致的向量；随机的一对向量的得分会一直振荡。RoPE 让得分变成"
                "相对的，但并不强制远处的 token 变得不重要。",
            }
        ),
    ]
