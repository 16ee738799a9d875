"""Masked-LM predicts masked tokens independently: two masks in "she moved to [MASK] [MASK]".

A tiny corpus names three cities of two words each. We mask both words and train the MLM output
for the two masked positions by minimising the masked-LM loss (the same cross-entropy BERT uses,
one term per masked position). What it learns is each position's *marginal* distribution, and
nothing ties the two predictions together: filling both masks at once is sampling from the
product of the marginals, which puts probability on city names that never occur ("new
angeles"). The left-to-right factorisation p(w1) p(w2 | w1), fitted on the same corpus, puts
none there. This is the independence assumption XLNet's paper points at.
"""

import itertools

import torch
import torch.nn.functional as F

from minimodels.results import Check, Metric, Table

CITIES = [("new", "york"), ("los", "angeles"), ("san", "francisco")]


def run(new_york_share: float = 0.5, steps: int = 300, seed: int = 0) -> list:
    torch.manual_seed(seed)
    other = (1 - new_york_share) / 2
    share = torch.tensor([new_york_share, other, other])  # how often each city appears
    firsts = [a for a, _ in CITIES]
    seconds = [b for _, b in CITIES]

    # The MLM's two output distributions for "she moved to [MASK] [MASK]" (the context is fixed,
    # so the best any encoder can do is one logit vector per masked position).
    logits = torch.zeros(2, 3, requires_grad=True)  # (masked position, candidate word)
    optimizer = torch.optim.Adam([logits], lr=0.1)
    for _ in range(steps):
        batch = torch.multinomial(share, 256, replacement=True)  # (256,) city index per sentence
        # Masked-LM loss: one cross-entropy term per masked position, averaged.
        loss = F.cross_entropy(logits.repeat(256, 1), batch.repeat_interleave(2))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    p_first, p_second = F.softmax(logits.detach(), dim=-1)  # (3,) each

    # Filling both masks in one pass = the product of the two marginals.
    rows, unseen_mass = [], 0.0
    for i, j in itertools.product(range(3), range(3)):
        p_mlm = (p_first[i] * p_second[j]).item()
        p_true = share[i].item() if i == j else 0.0  # the corpus only has the three real cities
        # Left to right: p(first word) * p(second | first), both counted on the corpus.
        p_ar = share[i].item() * (1.0 if i == j else 0.0)
        unseen_mass += p_mlm if i != j else 0.0
        rows.append([f"{firsts[i]} {seconds[j]}", f"{p_true:.3f}", f"{p_mlm:.3f}", f"{p_ar:.3f}"])
    expected_unseen = 1 - (share**2).sum().item()  # 1 - sum_i p_i^2 for the exact marginals
    marginal_error = max(
        (p_first - share).abs().max().item(), (p_second - share).abs().max().item()
    )

    return [
        Table(
            columns=[
                {"en": "filled in", "zh": "填入"},
                {"en": "corpus", "zh": "语料中的真实概率"},
                {"en": "MLM, both masks at once", "zh": "MLM 一次填两个掩码"},
                {"en": "left to right", "zh": "从左到右"},
            ],
            rows=rows,
            title={
                "en": "she moved to [MASK] [MASK]: probability of each pair",
                "zh": "she moved to [MASK] [MASK]：每一对词的概率",
            },
        ),
        Metric(
            {
                "en": "largest gap between learned and true marginals",
                "zh": "学到的边缘分布与真实值的最大差",
            },
            round(marginal_error, 4),
        ),
        Metric(
            {"en": "MLM mass on city names that do not exist", "zh": "MLM 分给不存在城市名的概率"},
            round(unseen_mass, 4),
            {
                "en": f"1 − Σ pᵢ² = {expected_unseen:.4f}",
                "zh": f"1 − Σ pᵢ² = {expected_unseen:.4f}",
            },
        ),
        Check(
            {
                "en": "minimising the masked-LM loss learns each position's marginal distribution",
                "zh": "最小化掩码语言模型损失，学到的是每个位置各自的边缘分布",
            },
            marginal_error < 0.03,
            {"en": f"max |error| = {marginal_error:.4f}", "zh": f"最大误差 = {marginal_error:.4f}"},
        ),
        Check(
            {
                "en": "filling both masks independently gives mismatched pairs 1 − Σ pᵢ² of the mass; "
                "left to right gives them none",
                "zh": "两个掩码各自独立填写，错配的词对得到 1 − Σ pᵢ² 的概率；从左到右的分解则为 0",
            },
            abs(unseen_mass - expected_unseen) < 0.03 and unseen_mass > 0.1,
            {
                "en": f"{unseen_mass:.4f} vs {expected_unseen:.4f}",
                "zh": f"{unseen_mass:.4f} 对比 {expected_unseen:.4f}",
            },
        ),
    ]
