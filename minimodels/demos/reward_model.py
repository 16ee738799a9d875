"""A reward model learned from rankings, with InstructGPT's pairwise loss.

Answers are feature vectors with a hidden true reward. For each prompt a simulated labeler ranks
K of them (K from 4 to 9), noisily: each answer's true reward plus Gumbel noise, so that any two
answers are ordered with the Bradley-Terry probability sigmoid(r_a - r_b). Every ranking becomes
C(K, 2) pairs, and a linear reward model (a stand-in for an LM with a scalar head) is trained on

    loss = -mean log sigmoid(r(y_w) - r(y_l)).

The demo checks that the loss sees only differences (adding a constant to every score changes
nothing, so the reward's offset is arbitrary), and that the model ranks answers it never saw in
training about as well as the true reward itself does under the labelers' noise.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from minimodels.results import Check, Lines, Metric, Table

FEATURES = 8


def rankings(rewards: torch.Tensor, prompts: int, g: torch.Generator) -> list[list[int]]:
    """For each prompt, K in 4..9 distinct answers ordered best first by reward + Gumbel noise."""
    out = []
    for _ in range(prompts):
        k = int(torch.randint(4, 10, (1,), generator=g))
        chosen = torch.randperm(len(rewards), generator=g)[:k]
        gumbel = -torch.log(-torch.log(torch.rand(k, generator=g)))
        out.append(chosen[torch.argsort(rewards[chosen] + gumbel, descending=True)].tolist())
    return out


def to_pairs(ranked: list[list[int]]) -> torch.Tensor:
    """Every (better, worse) pair of every ranking: (sum of C(K, 2), 2)."""
    pairs = [(r[i], r[j]) for r in ranked for i in range(len(r)) for j in range(i + 1, len(r))]
    return torch.tensor(pairs)


def pairwise_loss(scores: torch.Tensor, pairs: torch.Tensor) -> torch.Tensor:
    return -F.logsigmoid(scores[pairs[:, 0]] - scores[pairs[:, 1]]).mean()


def accuracy(scores: torch.Tensor, pairs: torch.Tensor) -> float:
    return (scores[pairs[:, 0]] > scores[pairs[:, 1]]).float().mean().item()


def run(prompts: int = 300, steps: int = 300, seed: int = 0) -> list:
    g = torch.Generator().manual_seed(seed)
    true_w = torch.randn(FEATURES, generator=g)
    answers = torch.randn(120, FEATURES, generator=g)  # (N, F)
    true_r = answers @ true_w  # (N,) the hidden reward
    train_ids, test_ids = torch.arange(80), torch.arange(80, 120)  # held-out answers

    ranked = rankings(true_r[train_ids], prompts, g)
    pairs = to_pairs(ranked)  # indices into the training answers
    expected_pairs = sum(math.comb(len(r), 2) for r in ranked)
    # Rankings of the held-out answers only, shifted to index into all answers.
    test_pairs = test_ids[0] + to_pairs(rankings(true_r[test_ids], prompts, g))

    w = torch.zeros(FEATURES, requires_grad=True)  # the reward model: r(y) = w . features(y)
    opt = torch.optim.Adam([w], lr=0.05)
    curve = []
    for _ in range(steps):
        loss = pairwise_loss(answers @ w, pairs)
        opt.zero_grad()
        loss.backward()
        opt.step()
        curve.append(loss.item())

    with torch.no_grad():
        learned = answers @ w  # (N,)
        shifted_gap = abs(
            pairwise_loss(learned[train_ids] + 5.0, pairs)
            - pairwise_loss(learned[train_ids], pairs)
        ).item()
        model_acc = accuracy(learned, test_pairs)
        truth_acc = accuracy(true_r, test_pairs)  # the ceiling: labelers' noise is in the labels
        corr = torch.corrcoef(torch.stack([learned[test_ids], true_r[test_ids]]))[0, 1].item()

    rows = [[int(i), f"{true_r[i]:+.2f}", f"{learned[i]:+.2f}"] for i in test_ids[:6].tolist()]
    return [
        Metric({"en": "rankings", "zh": "排序次数"}, prompts),
        Metric(
            {"en": "pairs from them, Σ C(K, 2)", "zh": "由此得到的成对比较 Σ C(K, 2)"}, len(pairs)
        ),
        Lines(
            x=list(range(1, steps + 1)),
            series={"loss": curve},
            series_labels={"loss": {"en": "pairwise loss", "zh": "成对损失"}},
            title={"en": "Reward-model training", "zh": "奖励模型训练"},
            x_label={"en": "step", "zh": "步数"},
        ),
        Table(
            columns=[
                {"en": "held-out answer", "zh": "留出的回答"},
                {"en": "true reward", "zh": "真实奖励"},
                {"en": "learned reward", "zh": "学到的奖励"},
            ],
            rows=rows,
            title={"en": "Answers the model never saw ranked", "zh": "模型从未见过其排序的回答"},
        ),
        Metric(
            {"en": "held-out pairs ordered like the labelers", "zh": "留出对中与标注一致的比例"},
            round(model_acc, 4),
            {"en": f"true reward: {truth_acc:.4f}", "zh": f"真实奖励：{truth_acc:.4f}"},
        ),
        Check(
            {
                "en": "a ranking of K answers gives C(K, 2) pairs",
                "zh": "K 个回答的一次排序给出 C(K, 2) 个成对比较",
            },
            len(pairs) == expected_pairs,
        ),
        Check(
            {
                "en": "only differences count: adding 5 to every score leaves the loss unchanged",
                "zh": "只有差值起作用：给每个分数都加 5，损失不变",
            },
            shifted_gap < 1e-6,
            {"en": f"|change| = {shifted_gap:.1e}", "zh": f"|变化| = {shifted_gap:.1e}"},
        ),
        Check(
            {
                "en": "on unseen answers the model orders pairs within 3 points of the true reward",
                "zh": "在没见过的回答上，模型排对的比例与真实奖励相差不到 3 个百分点",
            },
            model_acc >= truth_acc - 0.03 and corr > 0.9,
            {
                "en": f"model {model_acc:.3f}, true reward {truth_acc:.3f}; correlation {corr:.3f}",
                "zh": f"模型 {model_acc:.3f}，真实奖励 {truth_acc:.3f}；相关系数 {corr:.3f}",
            },
        ),
    ]
