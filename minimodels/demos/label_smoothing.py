"""Label smoothing caps a classifier's confidence; plain cross-entropy does not.

With smoothing eps over K classes the target is 1 - eps + eps/K for the true class and eps/K for
every other one (Szegedy et al. 2016, Section 7). The loss is smallest when the prediction equals
that target, so the best possible confidence is 1 - eps + eps/K, reached with a logit gap of
ln((1 - eps + eps/K) / (eps/K)). Plain cross-entropy keeps pushing the gap (and the confidence)
up for ever on separable data.

The demo trains the same small classifier on the same separable data twice, without and with
smoothing, and measures the confidence and the logit gap of each.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from minimodels.results import Check, Lines, Metric, Table


def run(
    epsilon: float = 0.1, classes: int = 10, steps: int = 400, seed: int = 0, progress=None
) -> list:
    g = torch.Generator().manual_seed(seed)
    centres = 4.0 * torch.randn(classes, 16, generator=g)  # (K, 16): well-separated clusters
    y = torch.arange(classes).repeat(40)  # (N,)
    x = centres[y] + torch.randn(len(y), 16, generator=g)  # (N, 16)

    # The library's label_smoothing against the formula, on random logits.
    logits = torch.randn(len(y), classes, generator=g)
    target = torch.full((len(y), classes), epsilon / classes)
    target[torch.arange(len(y)), y] += 1 - epsilon
    by_hand = -(target * F.log_softmax(logits, dim=-1)).sum(dim=-1).mean().item()
    library = F.cross_entropy(logits, y, label_smoothing=epsilon).item()

    results, curves = {}, {}
    for run_index, (name, eps) in enumerate((("plain", 0.0), ("smoothed", epsilon))):
        if progress:
            text = {
                "en": f"training the {name} classifier",
                "zh": f"训练{'普通' if eps == 0 else '标签平滑'}分类器",
            }
            progress(run_index / 2, text)
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, classes))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        curve = []
        for _ in range(steps):
            out = model(x)  # (N, K)
            loss = F.cross_entropy(out, y, label_smoothing=eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            curve.append(F.softmax(out.detach(), dim=-1).max(dim=-1).values.mean().item())
        with torch.no_grad():
            out = model(x)
            probs = F.softmax(out, dim=-1)
            true_logit = out.gather(1, y[:, None])[:, 0]
            others = out.masked_fill(F.one_hot(y, classes).bool(), float("nan"))
            gap = (true_logit - others.nanmean(dim=-1)).mean().item()
            results[name] = {
                "confidence": probs.max(dim=-1).values.mean().item(),
                "accuracy": (out.argmax(dim=-1) == y).float().mean().item(),
                "gap": gap,
            }
        curves[name] = curve

    ceiling = 1 - epsilon + epsilon / classes
    best_gap = math.log(ceiling / (epsilon / classes))
    plain, smooth = results["plain"], results["smoothed"]
    return [
        Table(
            columns=[
                {"en": "training", "zh": "训练方式"},
                {"en": "accuracy", "zh": "准确率"},
                {"en": "mean confidence", "zh": "平均置信度"},
                {"en": "logit gap (true − others)", "zh": "logit 差（真类 − 其他）"},
            ],
            rows=[
                [
                    {"en": "plain cross-entropy", "zh": "普通交叉熵"},
                    f"{plain['accuracy']:.3f}",
                    f"{plain['confidence']:.4f}",
                    f"{plain['gap']:.2f}",
                ],
                [
                    {"en": f"label smoothing ε = {epsilon}", "zh": f"标签平滑 ε = {epsilon}"},
                    f"{smooth['accuracy']:.3f}",
                    f"{smooth['confidence']:.4f}",
                    f"{smooth['gap']:.2f}",
                ],
            ],
            title={
                "en": "Same model, same data, two targets",
                "zh": "同一模型、同一数据、两种目标",
            },
        ),
        Lines(
            x=list(range(1, steps + 1)),
            series=curves,
            series_labels={
                "plain": {"en": "plain", "zh": "普通"},
                "smoothed": {"en": "smoothed", "zh": "平滑"},
            },
            title={"en": "Mean confidence during training", "zh": "训练过程中的平均置信度"},
            x_label={"en": "step", "zh": "步数"},
        ),
        Metric(
            {"en": "confidence ceiling 1 − ε + ε/K", "zh": "置信度上限 1 − ε + ε/K"},
            round(ceiling, 4),
        ),
        Metric(
            {
                "en": "best logit gap ln((1 − ε + ε/K)/(ε/K))",
                "zh": "最优 logit 差 ln((1 − ε + ε/K)/(ε/K))",
            },
            round(best_gap, 4),
        ),
        Check(
            {
                "en": "cross_entropy(label_smoothing=ε) equals cross-entropy against the smoothed target",
                "zh": "cross_entropy(label_smoothing=ε) 等于对平滑目标的交叉熵",
            },
            abs(by_hand - library) < 1e-5,
        ),
        Check(
            {
                "en": "smoothing caps the confidence at 1 − ε + ε/K; plain cross-entropy goes past it",
                "zh": "平滑把置信度限制在 1 − ε + ε/K 以内；普通交叉熵会超过它",
            },
            smooth["confidence"] <= ceiling + 1e-3 < plain["confidence"],
            {
                "en": f"smoothed {smooth['confidence']:.4f}, plain {plain['confidence']:.4f}, ceiling {ceiling:.4f}",
                "zh": f"平滑 {smooth['confidence']:.4f}，普通 {plain['confidence']:.4f}，上限 {ceiling:.4f}",
            },
        ),
        Check(
            {
                "en": "the smoothed model's logit gap settles near ln((1 − ε + ε/K)/(ε/K)); the plain one's is larger",
                "zh": "平滑模型的 logit 差稳定在 ln((1 − ε + ε/K)/(ε/K)) 附近；普通模型的更大",
            },
            abs(smooth["gap"] - best_gap) < 0.1 * best_gap and plain["gap"] > best_gap,
            {
                "en": f"smoothed {smooth['gap']:.2f}, plain {plain['gap']:.2f}, optimum {best_gap:.2f}",
                "zh": f"平滑 {smooth['gap']:.2f}，普通 {plain['gap']:.2f}，最优值 {best_gap:.2f}",
            },
        ),
    ]
