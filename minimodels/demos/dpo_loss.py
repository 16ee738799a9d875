"""The DPO loss by hand, against a vectorised implementation, then a few DPO steps.

DPO (Rafailov et al. 2023, Eq. 7) trains a policy on preference pairs (x, y_w, y_l) with

    loss = -log sigmoid(beta * [(log pi(y_w|x) - log ref(y_w|x)) - (log pi(y_l|x) - log ref(y_l|x))])

where log pi(y|x) sums the log-probabilities of the response tokens only, and ref is a frozen copy
of the starting model. The demo computes it twice: by hand in plain Python floats, one pair at a
time, and vectorised as the authors' `preference_loss` does. Policy = reference at the start, so
every log-ratio is 0 and the loss is exactly ln 2. A few DPO steps then raise the implicit reward
beta * log(pi / ref) of the chosen answers above that of the rejected ones.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from minimodels.gpt import GPT, GPTConfig
from minimodels.results import Check, Lines, Metric, Table
from minimodels.tokenizers import CharTokenizer

# (prompt, chosen, rejected): the preferred answer is the polite one.
PAIRS = (
    ("Q: pass the salt? A: ", "sure, here you go", "get it yourself"),
    ("Q: what time is it? A: ", "it is noon, I think", "no idea, go away"),
    ("Q: can you help me? A: ", "of course, gladly", "no, I am busy"),
    ("Q: is it raining? A: ", "yes, take an umbrella", "look outside"),
)


def sequence_logps(model: GPT, tok: CharTokenizer, prompt: str, response: str) -> torch.Tensor:
    """log pi(response | prompt): the sum over the response tokens only (the prompt is masked)."""
    p, r = tok.encode(prompt), tok.encode(response)
    ids = torch.tensor([p + r])  # (1, T)
    logp = F.log_softmax(model(ids)[0, :-1], dim=-1)  # (T - 1, V): position t predicts t + 1
    token_logps = logp.gather(1, ids[0, 1:, None])[:, 0]  # (T - 1,)
    return token_logps[len(p) - 1 :].sum()  # the positions that predict response tokens


def preference_loss(policy_w, policy_l, ref_w, ref_l, beta: float):
    """Vectorised DPO loss, written as in the authors' reference code (trainers.py)."""
    pi_logratios = policy_w - policy_l
    ref_logratios = ref_w - ref_l
    logits = pi_logratios - ref_logratios  # (B,)
    losses = -F.logsigmoid(beta * logits)
    chosen_rewards = beta * (policy_w - ref_w).detach()
    rejected_rewards = beta * (policy_l - ref_l).detach()
    return losses, chosen_rewards, rejected_rewards


def all_logps(model, tok):
    w = torch.stack([sequence_logps(model, tok, x, yw) for x, yw, _ in PAIRS])  # (B,)
    l_ = torch.stack([sequence_logps(model, tok, x, yl) for x, _, yl in PAIRS])  # (B,)
    return w, l_


def run(beta: float = 0.1, steps: int = 40, lr: float = 3e-3, seed: int = 0, progress=None) -> list:
    torch.manual_seed(seed)
    tok = CharTokenizer.train("".join(x + yw + yl for x, yw, yl in PAIRS))
    policy = GPT(
        GPTConfig(vocab_size=tok.vocab_size, block_size=64, n_layer=2, n_head=2, n_embd=32)
    )
    reference = copy.deepcopy(policy).eval()  # frozen: the starting point
    for p in reference.parameters():
        p.requires_grad_(False)
    policy.eval()  # no dropout in this model; eval keeps it deterministic anyway

    with torch.no_grad():
        ref_w, ref_l = all_logps(reference, tok)
        pol_w, pol_l = all_logps(policy, tok)
    # By hand, one pair at a time, in Python floats.
    by_hand = []
    for i in range(len(PAIRS)):
        margin = (pol_w[i].item() - ref_w[i].item()) - (pol_l[i].item() - ref_l[i].item())
        by_hand.append(math.log1p(math.exp(-beta * margin)))  # -log sigmoid(z) = log(1 + e^-z)
    losses, _, _ = preference_loss(pol_w, pol_l, ref_w, ref_l, beta)
    gap = max(abs(a - b) for a, b in zip(by_hand, losses.tolist(), strict=True))
    start_loss = sum(by_hand) / len(by_hand)

    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    curve, margins = [], []
    for step in range(steps):
        if progress:
            progress(
                step / steps, {"en": f"DPO step {step}/{steps}", "zh": f"DPO 第 {step}/{steps} 步"}
            )
        pol_w, pol_l = all_logps(policy, tok)
        losses, chosen, rejected = preference_loss(pol_w, pol_l, ref_w, ref_l, beta)
        loss = losses.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        curve.append(loss.item())
        margins.append((chosen - rejected).mean().item())
    with torch.no_grad():
        pol_w, pol_l = all_logps(policy, tok)
        losses, chosen, rejected = preference_loss(pol_w, pol_l, ref_w, ref_l, beta)
    accuracy = (chosen > rejected).float().mean().item()

    rows = [
        [
            x + "…",
            f"{(beta * (pol_w[i] - ref_w[i])).item():+.3f}",
            f"{(beta * (pol_l[i] - ref_l[i])).item():+.3f}",
        ]
        for i, (x, _, _) in enumerate(PAIRS)
    ]
    return [
        Metric(
            {"en": "loss at the start, by hand", "zh": "起点损失（手算）"}, round(start_loss, 6)
        ),
        Metric({"en": "ln 2", "zh": "ln 2"}, round(math.log(2), 6)),
        Lines(
            x=list(range(1, steps + 1)),
            series={"loss": curve, "margin": margins},
            series_labels={
                "loss": {"en": "DPO loss", "zh": "DPO 损失"},
                "margin": {
                    "en": "reward margin (chosen − rejected)",
                    "zh": "奖励差（选中 − 拒绝）",
                },
            },
            title={"en": "DPO steps", "zh": "DPO 训练步"},
            x_label={"en": "step", "zh": "步数"},
        ),
        Table(
            columns=[
                {"en": "prompt", "zh": "提示"},
                {"en": "implicit reward, chosen", "zh": "隐式奖励（选中）"},
                {"en": "implicit reward, rejected", "zh": "隐式奖励（拒绝）"},
            ],
            rows=rows,
            title={"en": "β·log(π/π_ref) after training", "zh": "训练后的 β·log(π/π_ref)"},
        ),
        Check(
            {
                "en": "the loss by hand equals the vectorised implementation, pair by pair",
                "zh": "逐对手算的损失与向量化实现一致",
            },
            gap < 1e-6,
            {"en": f"largest |difference| = {gap:.1e}", "zh": f"最大 |差值| = {gap:.1e}"},
        ),
        Check(
            {
                "en": "policy = reference at the start, so the loss is exactly ln 2",
                "zh": "起点时策略等于参考模型，损失恰为 ln 2",
            },
            abs(start_loss - math.log(2)) < 1e-9,
        ),
        Check(
            {
                "en": "after the DPO steps the loss is below ln 2 and every chosen answer out-scores its rejected one",
                "zh": "DPO 训练后损失低于 ln 2，且每个选中回答的隐式奖励都高于被拒回答",
            },
            losses.mean().item() < math.log(2) and accuracy == 1.0,
            {
                "en": f"loss {losses.mean().item():.4f}; pairs ranked right {accuracy:.0%}",
                "zh": f"损失 {losses.mean().item():.4f}；排序正确的对 {accuracy:.0%}",
            },
        ),
    ]
