"""SFT loss masking: the prompt's tokens get the label -100, so only the answer is learned.

A prompt and an answer are packed into one sequence, as supervised fine-tuning does. The labels are
the tokens themselves, with every prompt position set to -100; the model shifts them by one, so
each position predicts the next token. The demo computes the loss by hand over the answer tokens
and with cross_entropy(ignore_index=-100), shows that the prompt positions get exactly zero
gradient, and compares the two ways of averaging over a batch (per token, per sequence).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from minimodels.gpt import GPT, GPTConfig
from minimodels.masking import IGNORE_INDEX
from minimodels.results import Check, Metric, TokenStrip
from minimodels.tokenizers import CharTokenizer

SEPARATOR = "|"  # the special token between prompt and answer, as in Llama 2's SFT


def sft_example(tok: CharTokenizer, prompt: str, answer: str) -> tuple[torch.Tensor, torch.Tensor]:
    """ids and labels, both (T,): labels copy the ids, with the prompt and separator at -100."""
    prompt_ids = tok.encode(prompt + SEPARATOR)
    ids = torch.tensor(prompt_ids + tok.encode(answer))
    labels = ids.clone()
    labels[: len(prompt_ids)] = IGNORE_INDEX
    return ids, labels


def shifted_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Position t predicts token t + 1: drop the last logit and the first label."""
    return F.cross_entropy(logits[:-1], labels[1:], ignore_index=IGNORE_INDEX)


def run(
    prompt: str = "Translate to French: cat",
    answer: str = "chat",
    second_answer: str = "le chat noir dort sur le tapis",
    seed: int = 0,
) -> list:
    torch.manual_seed(seed)
    tok = CharTokenizer.train(prompt + answer + second_answer + SEPARATOR)
    ids, labels = sft_example(tok, prompt, answer)  # (T,), (T,)
    T = len(ids)
    model = GPT(GPTConfig(vocab_size=tok.vocab_size, block_size=max(64, T + len(second_answer))))
    model.eval()

    logits = model(ids[None])[0].detach().requires_grad_(True)  # (T, V), a leaf for its gradient
    loss = shifted_loss(logits, labels)
    loss.backward()

    # By hand: -log p(next token) at each position whose next token is an answer token.
    log_probs = F.log_softmax(logits.detach(), dim=-1)  # (T, V)
    targets = labels[1:]  # (T - 1,)
    counted = targets != IGNORE_INDEX
    per_position = -log_probs[:-1].gather(1, ids[1:, None])[:, 0]  # (T - 1,)
    by_hand = per_position[counted].mean().item()
    everything = per_position.mean().item()  # the bug: the prompt trained too
    grad_rows = logits.grad.abs().sum(dim=-1)  # (T,): how much each position's logits are pushed
    prompt_grad = grad_rows[:-1][~counted].max().item()
    answer_grad = grad_rows[:-1][counted].min().item()

    # A batch of two examples with answers of different lengths: two ways to average.
    ids2, labels2 = sft_example(tok, prompt, second_answer)
    with torch.no_grad():
        terms = []
        for x, y in ((ids, labels), (ids2, labels2)):
            lp = F.log_softmax(model(x[None])[0][:-1], dim=-1)
            keep = y[1:] != IGNORE_INDEX
            terms.append(-lp.gather(1, x[1:, None])[:, 0][keep])
    per_token = torch.cat(terms).mean().item()  # each answer token weighs the same
    per_sequence = torch.stack([t.mean() for t in terms]).mean().item()  # each example the same

    categories = ["prompt"] * (len(ids) - len(tok.encode(answer))) + ["answer"] * len(answer)
    return [
        TokenStrip(
            tokens=[tok.vocab[i] for i in ids.tolist()],
            categories=categories,
            legend={
                "prompt": {"en": "label -100: no loss", "zh": "标签 -100：不计损失"},
                "answer": {"en": "label = token: trained", "zh": "标签 = token：参与训练"},
            },
            title={"en": "One SFT example", "zh": "一条 SFT 样本"},
        ),
        Metric({"en": "answer tokens counted", "zh": "计入损失的回答 token"}, int(counted.sum())),
        Metric(
            {"en": "mean over answer tokens, by hand", "zh": "手算：回答 token 上的均值"},
            round(by_hand, 6),
        ),
        Metric(
            {"en": "cross_entropy(ignore_index=-100)", "zh": "cross_entropy(ignore_index=-100)"},
            round(loss.item(), 6),
        ),
        Metric(
            {"en": "if the prompt were trained too", "zh": "若提示也参与训练"},
            round(everything, 6),
        ),
        Metric(
            {"en": "batch of two: mean per token", "zh": "两条样本：按 token 平均"},
            round(per_token, 6),
        ),
        Metric(
            {"en": "batch of two: mean per sequence", "zh": "两条样本：按序列平均"},
            round(per_sequence, 6),
            {
                "en": "per token, the long answer weighs more",
                "zh": "按 token 平均时，长回答的权重更大",
            },
        ),
        Check(
            {
                "en": "cross_entropy with ignore_index=-100 equals the mean over the answer tokens",
                "zh": "ignore_index=-100 的 cross_entropy 等于回答 token 上的平均损失",
            },
            abs(by_hand - loss.item()) < 1e-5,
            {
                "en": f"|difference| = {abs(by_hand - loss.item()):.1e}",
                "zh": f"|差值| = {abs(by_hand - loss.item()):.1e}",
            },
        ),
        Check(
            {
                "en": "positions that predict a prompt token get exactly zero gradient",
                "zh": "预测提示 token 的位置梯度恰好为零",
            },
            prompt_grad == 0.0 and answer_grad > 0.0,
            {
                "en": f"largest prompt gradient {prompt_grad:.1e}; smallest answer gradient {answer_grad:.1e}",
                "zh": f"提示位置最大梯度 {prompt_grad:.1e}；回答位置最小梯度 {answer_grad:.1e}",
            },
        ),
    ]
