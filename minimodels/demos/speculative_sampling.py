"""Speculative sampling returns exactly the target model's distribution, whatever the draft model.

A cheap draft model q proposes gamma tokens; the target model p scores them all in one pass.
Drafted token x is accepted with probability min(1, p(x)/q(x)); at the first rejection a token is
drawn from norm(max(0, p − q)) and the round ends; if all are accepted, p adds one bonus token.
(Leviathan et al. 2022, Section 2.3; Chen et al. 2023, Algorithm 2.)

Exactly, for one position: P(x) = q(x)·min(1, p(x)/q(x)) + (1 − β)·norm(max(0, p − q))(x)
                                = min(p(x), q(x)) + max(0, p(x) − q(x)) = p(x),
with β = Σ min(p, q) the chance a draft is accepted. By sampling, for whole sequences: the two
"models" here are bigram tables over a tiny vocabulary, so the exact probability of every
3-token continuation is known, and the sequences speculative decoding produces are compared with
it by a chi-square test, next to sequences sampled from the draft alone.
"""

import math
import random
from itertools import product

import torch

from minimodels.results import Check, Metric, Table, Text
from minimodels.serving import residual, sample, speculative_step

LENGTH = 3  # tokens generated per sequence: the test compares vocab**3 sequences


def bigram_tables(vocab: int, mismatch: float, seed: int) -> tuple[list, list]:
    """Target p(next | previous) and a draft q that differs from it by noise of scale `mismatch`."""
    g = torch.Generator().manual_seed(seed)
    target_logits = 1.5 * torch.randn(vocab, vocab, generator=g)  # (V, V): row = previous token
    draft_logits = target_logits + mismatch * torch.randn(vocab, vocab, generator=g)
    return (torch.softmax(target_logits.double(), -1).tolist(),
            torch.softmax(draft_logits.double(), -1).tolist())  # fmt: skip


def chi_square(counts: dict, probs: dict, n: int) -> float:
    return sum((counts.get(s, 0) - n * p) ** 2 / (n * p) for s, p in probs.items())


def run(
    vocab: int = 5, gamma: int = 3, mismatch: float = 1.0, samples: int = 20_000, seed: int = 0
) -> list:
    p_table, q_table = bigram_tables(vocab, mismatch, seed)
    target = lambda context: p_table[context[-1]]  # noqa: E731  (a "model": context -> p(next))
    draft = lambda context: q_table[context[-1]]  # noqa: E731

    # 1. Exact, one position, every context: acceptance plus resampling gives back p.
    worst, rows = 0.0, []
    for prev in range(vocab):
        p, q = p_table[prev], q_table[prev]
        beta = sum(min(a, b) for a, b in zip(p, q, strict=True))
        res = residual(p, q) if beta < 1 else [0.0] * vocab
        out = [q[x] * min(1.0, p[x] / q[x]) + (1 - beta) * res[x] for x in range(vocab)]
        worst = max(worst, max(abs(a - b) for a, b in zip(out, p, strict=True)))
        if prev == 0:
            rows = [[x, f"{q[x]:.4f}", f"{p[x]:.4f}", f"{min(p[x], q[x]):.4f}",
                     f"{(1 - beta) * res[x]:.4f}", f"{out[x]:.4f}"] for x in range(vocab)]  # fmt: skip
    betas = [sum(map(min, p_table[c], q_table[c])) for c in range(vocab)]

    # 2. Sampling, whole sequences of LENGTH tokens after the start token 0.
    exact = {}
    for seq in product(range(vocab), repeat=LENGTH):
        context, prob = [0], 1.0
        for token in seq:
            prob *= p_table[context[-1]][token]
            context.append(token)
        exact[seq] = prob
    rng = random.Random(seed)
    speculative, from_draft = {}, {}
    target_passes = accepted = drafted = 0
    for _ in range(samples):
        context = [0]
        while len(context) < 1 + LENGTH:
            new, n_accepted = speculative_step(context, target, draft, gamma, rng)
            context += new
            target_passes += 1
            accepted += n_accepted
            drafted += min(gamma, n_accepted + 1)  # drafts examined before the round ended
        seq = tuple(context[1 : 1 + LENGTH])
        speculative[seq] = speculative.get(seq, 0) + 1
        context = [0]
        for _ in range(LENGTH):
            context.append(sample(draft(context), rng))
        seq = tuple(context[1:])
        from_draft[seq] = from_draft.get(seq, 0) + 1

    dof = len(exact) - 1
    # Under "these are samples from p", chi-square has mean dof and s.d. sqrt(2 dof): 5 s.d.
    threshold = dof + 5 * math.sqrt(2 * dof)
    chi_spec = chi_square(speculative, exact, samples)
    chi_draft = chi_square(from_draft, exact, samples)
    tv_spec = 0.5 * sum(abs(speculative.get(s, 0) / samples - p) for s, p in exact.items())
    tv_draft = 0.5 * sum(abs(from_draft.get(s, 0) / samples - p) for s, p in exact.items())

    return [
        Table(
            columns=[
                "x",
                "q(x)",
                "p(x)",
                {"en": "accepted: min(p, q)", "zh": "接受：min(p, q)"},
                {"en": "resampled: (1−β)·residual", "zh": "重采样：(1−β)·残差"},
                {"en": "total", "zh": "合计"},
            ],
            rows=rows,
            title={
                "en": f"One position after token 0, exactly: β = {betas[0]:.4f}",
                "zh": f"token 0 之后的一个位置，精确计算：β = {betas[0]:.4f}",
            },
        ),
        Table(
            columns=[
                {"en": "sampler", "zh": "采样方式"},
                {"en": "chi-square", "zh": "卡方"},
                {"en": "total variation", "zh": "总变差"},
            ],
            rows=[
                [
                    {"en": "speculative (draft + target)", "zh": "推测解码（草稿 + 目标）"},
                    f"{chi_spec:.1f}",
                    f"{tv_spec:.4f}",
                ],
                [
                    {"en": "draft model alone", "zh": "只用草稿模型"},
                    f"{chi_draft:.1f}",
                    f"{tv_draft:.4f}",
                ],
            ],  # fmt: skip
            title={
                "en": f"{samples:,} sequences of {LENGTH} tokens against the target's exact "
                f"probabilities ({len(exact)} sequences; {dof} degrees of freedom, "
                f"threshold {threshold:.0f})",
                "zh": f"{samples:,} 条长 {LENGTH} 的序列与目标模型的精确概率比较（共 {len(exact)} 种"
                f"序列；自由度 {dof}，阈值 {threshold:.0f}）",
            },
        ),
        Metric(
            {"en": "drafts accepted", "zh": "草稿接受率"},
            f"{accepted / drafted:.3f}",
            {
                "en": f"β = Σ min(p, q) ranges {min(betas):.3f}–{max(betas):.3f} by context",
                "zh": f"β = Σ min(p, q) 随上下文在 {min(betas):.3f}–{max(betas):.3f} 之间",
            },
        ),
        Metric(
            {"en": "tokens per target pass", "zh": "每次目标模型前向产出的 token"},
            f"{(samples * LENGTH) / target_passes:.2f}",
            {
                "en": f"at most γ + 1 = {gamma + 1}; sequences stop at {LENGTH} tokens",
                "zh": f"至多 γ + 1 = {gamma + 1}；序列在 {LENGTH} 个 token 处截止",
            },
        ),
        Text(
            {
                "en": "A worse draft (larger mismatch) lowers β, so fewer drafts survive and each "
                "target pass yields fewer tokens, but the output distribution stays p: the draft "
                "only decides how fast, never what.",
                "zh": "草稿越差（mismatch 越大），β 越低，能保留下来的草稿越少，每次目标前向产出的 token "
                "也越少；但输出分布始终是 p：草稿只决定快慢，不决定内容。",
            }
        ),
        Check(
            {
                "en": "Exactly: accepting with min(1, p/q) and resampling from norm(max(0, p − q)) "
                "gives p(x) for every token and every context",
                "zh": "精确计算：以 min(1, p/q) 接受、从 norm(max(0, p − q)) 重采样，对每个 token、"
                "每个上下文都得到 p(x)",
            },
            worst < 1e-12,
            {"en": f"largest difference {worst:.1e}", "zh": f"最大差 {worst:.1e}"},
        ),
        Check(
            {
                "en": "By sampling: speculative decoding's sequences pass a chi-square test against "
                "the target's probabilities; the draft's own samples fail it",
                "zh": "采样检验：推测解码生成的序列通过与目标概率的卡方检验；草稿模型自己采样的序列不通过",
            },
            chi_spec < threshold < chi_draft,
            {
                "en": f"{chi_spec:.1f} < {threshold:.0f} < {chi_draft:.1f}",
                "zh": f"{chi_spec:.1f} < {threshold:.0f} < {chi_draft:.1f}",
            },
        ),
    ]
