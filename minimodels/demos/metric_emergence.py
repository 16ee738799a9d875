"""Emergence from the metric: the same answers look sudden under exact match, smooth per token.

Schaeffer et al. (2023) in miniature. A family of models of growing size N gets better at each
token smoothly: the per-token loss falls as a power law, loss(N) = (N_c / N)^alpha, so each token of
an answer is right with probability p(N) = exp(-loss(N)). For every size we sample answers of L
tokens (a token is right with probability p, independently) and score the very same answers twice:

- exact match: 1 if all L tokens are right. Its expected value is p^L.
- token edit distance: how many of the L tokens are wrong (Hamming distance). Expected L (1 - p).

Exact match sits near zero, then shoots up: it looks like an ability appearing at some size. The
edit distance of the same answers shrinks by a similar factor at every step. Nothing sudden happened
to the model; the all-or-nothing metric made it look sudden. (The toy assumes independent tokens
and one fixed power law: it shows what a metric can do, not that every jump is an artefact.)
"""

import math

import torch

from minimodels.results import Check, Lines, Table, Text

ALPHA = 0.35  # how fast the per-token loss falls with size (a power law, as scaling laws find)
N_C = 4e6  # the size at which the per-token loss would be 1 nat
SIZES = [10.0**e for e in range(6, 13)]  # 1M to 1T parameters, one per decade
ANSWERS = 2000  # sampled answers per model size


def per_token_accuracy(n: float) -> float:
    return math.exp(-((N_C / n) ** ALPHA))


def run(answer_length: int = 10, seed: int = 0) -> list:
    gen = torch.Generator().manual_seed(seed)
    rows, exact, edit, p_of = [], [], [], []
    for n in SIZES:
        p = per_token_accuracy(n)
        right = torch.rand(ANSWERS, answer_length, generator=gen) < p  # (answers, L) tokens right
        exact.append(right.all(dim=1).float().mean().item())
        edit.append((~right).sum(dim=1).float().mean().item())  # wrong tokens per answer
        p_of.append(p)
        rows.append(
            [f"1e{round(math.log10(n))}", round(p, 3), round(exact[-1], 3), round(edit[-1], 2)]
        )

    # Exact match against its formula p^L, within 4 binomial standard errors at every size.
    within = all(
        abs(e - p**answer_length)
        <= 4 * math.sqrt(max(p**answer_length * (1 - p**answer_length), 1e-12) / ANSWERS) + 1e-3
        for e, p in zip(exact, p_of, strict=True)
    )
    # The shape, from the expected values (the samples above only confirm them).
    expected_exact = [p**answer_length for p in p_of]
    expected_edit = [answer_length * (1 - p) for p in p_of]
    # Looks sudden: when exact match first passes 5 %, most tokens are already right, and within
    # two more decades of size it passes 50 %.
    first = next(i for i, e in enumerate(expected_exact) if e > 0.05)
    later = expected_exact[min(first + 2, len(SIZES) - 1)]
    sudden = p_of[first] > 0.5 and later > 0.5
    # Smooth per token: the wrong-token count shrinks by a similar factor every decade, while exact
    # match grows by wildly different factors from one decade to the next.
    edit_ratios = [a / b for a, b in zip(expected_edit, expected_edit[1:], strict=False)]
    exact_ratios = [b / a for a, b in zip(expected_exact, expected_exact[1:], strict=False)]
    edit_spread = max(edit_ratios) / min(edit_ratios)
    exact_spread = max(exact_ratios) / min(exact_ratios)

    log_sizes = [math.log10(n) for n in SIZES]
    return [
        Table(
            columns=[
                {"en": "parameters", "zh": "参数量"},
                {"en": "per-token accuracy p", "zh": "逐 token 准确率 p"},
                {"en": "exact match", "zh": "完全匹配"},
                {"en": "wrong tokens per answer", "zh": "每个答案中错误的 token 数"},
            ],
            rows=rows,
            title={
                "en": f"The same sampled answers ({answer_length} tokens), scored two ways",
                "zh": f"同一批采样答案（{answer_length} 个 token），两种打分",
            },
        ),
        Lines(
            x=log_sizes,
            series={"exact match": exact, "per-token accuracy": p_of},
            series_labels={
                "exact match": {"en": "exact match", "zh": "完全匹配"},
                "per-token accuracy": {"en": "per-token accuracy", "zh": "逐 token 准确率"},
            },
            title={"en": "Accuracy against model size", "zh": "准确率随模型规模的变化"},
            x_label={"en": "log10 parameters", "zh": "log10 参数量"},
        ),
        Lines(
            x=log_sizes,
            series={"wrong tokens": edit},
            series_labels={
                "wrong tokens": {"en": "wrong tokens per answer", "zh": "每个答案中错误的 token 数"}
            },
            title={
                "en": "A continuous metric on the same answers (log scale)",
                "zh": "同一批答案上的连续指标（对数刻度）",
            },
            x_label={"en": "log10 parameters", "zh": "log10 参数量"},
            log_y=True,
        ),
        Text(
            {
                "en": f"Expected values: per decade of size, the wrong-token count shrinks by a factor between "
                f"{min(edit_ratios):.2f} and {max(edit_ratios):.2f}; exact match grows by a factor "
                f"between {min(exact_ratios):.2f} and {max(exact_ratios):.3g}.",
                "zh": f"按期望值计算：规模每增大十倍，错误 token 数缩小 {min(edit_ratios):.2f} 到 {max(edit_ratios):.2f} 倍；"
                f"完全匹配则增大 {min(exact_ratios):.2f} 到 {max(exact_ratios):.3g} 倍。",
            }
        ),
        Check(
            {
                "en": "Exact match of the sampled answers equals p^L at every size",
                "zh": "每个规模下，采样答案的完全匹配率都等于 p^L",
            },
            within,
        ),
        Check(
            {
                "en": "It looks sudden: when exact match first passes 5 %, over half the tokens are "
                "already right, and two decades of size later it is past 50 %",
                "zh": "看起来很突然：完全匹配刚超过 5% 时，已有一半以上的 token 答对；再大两个数量级就超过 50%",
            },
            sudden,
            {
                "en": f"at 1e{round(log_sizes[first])}: p = {p_of[first]:.2f}, "
                f"exact match {expected_exact[first]:.3f}; two decades later {later:.3f}",
                "zh": f"在 1e{round(log_sizes[first])} 处：p = {p_of[first]:.2f}，"
                f"完全匹配 {expected_exact[first]:.3f}；再大两个数量级为 {later:.3f}",
            },
        ),
        Check(
            {
                "en": "The same answers improve smoothly per token: the per-decade factor of the "
                "wrong-token count varies far less than that of exact match",
                "zh": "同一批答案按 token 看是平滑改进的：错误 token 数每十倍规模的变化倍数，远比完全匹配的稳定",
            },
            edit_spread < 2 and exact_spread > 10 * edit_spread,
            {
                "en": f"spread of the factors: edit distance {edit_spread:.2f}, exact match {exact_spread:.3g}",
                "zh": f"倍数的离散程度：编辑距离 {edit_spread:.2f}，完全匹配 {exact_spread:.3g}",
            },
        ),
    ]
