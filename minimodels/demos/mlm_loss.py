"""The masked-LM loss by hand, against `cross_entropy(ignore_index=-100)`.

Only the selected positions have a label; every other label is -100, which cross_entropy skips.
The loss is the mean over the selected positions, and nothing else.
"""

import torch
import torch.nn.functional as F

from minimodels.masking import IGNORE_INDEX, mask_tokens, masked_lm_loss
from minimodels.results import Check, Metric, Table
from minimodels.tokenizers import BERT_SPECIALS, pre_tokenize


def run(sentence: str, p: float = 0.3, seed: int = 0) -> list:
    g = torch.Generator().manual_seed(seed)
    words = pre_tokenize(sentence)
    vocab = list(BERT_SPECIALS) + sorted(set(words))
    ids = {w: i for i, w in enumerate(vocab)}
    x = torch.tensor([[ids["[CLS]"], *(ids[w] for w in words), ids["[SEP]"]]])  # (1, T)
    specials = [ids[s] for s in BERT_SPECIALS]
    inputs, labels = mask_tokens(
        x, mask_id=ids["[MASK]"], special_ids=specials, vocab_size=len(vocab), p=p, generator=g
    )
    logits = torch.randn(1, x.shape[1], len(vocab), generator=g)  # (1, T, V): an untrained model

    # By hand: -log p(original token) at each selected position, averaged over those positions.
    log_probs = F.log_softmax(logits[0], dim=-1)  # (T, V)
    per_position = -log_probs[torch.arange(x.shape[1]), x[0]]  # (T,) loss if every position counted
    selected = labels[0] != IGNORE_INDEX  # (T,)
    by_hand = per_position[selected].mean() if selected.any() else torch.tensor(float("nan"))
    library = masked_lm_loss(logits, labels)
    # The classic bug: labels = the original tokens everywhere, so unselected positions count too.
    wrong = F.cross_entropy(logits[0], x[0])

    rows = [
        [
            i,
            vocab[x[0, i]],
            vocab[inputs[0, i]],
            int(labels[0, i]),  # the original token's id where selected, else -100
            f"{per_position[i]:.3f}" if selected[i] else "—",
        ]
        for i in range(x.shape[1])
    ]
    return [
        Table(
            columns=[
                {"en": "position", "zh": "位置"},
                {"en": "original", "zh": "原 token"},
                {"en": "model input", "zh": "模型输入"},
                {"en": "label", "zh": "标签"},
                {"en": "loss term", "zh": "损失项"},
            ],
            rows=rows,
            title={"en": "Which positions count", "zh": "哪些位置计入损失"},
        ),
        Metric({"en": "selected positions", "zh": "被选中的位置"}, int(selected.sum())),
        Metric(
            {"en": "mean over selected, by hand", "zh": "手工计算：被选位置的均值"},
            round(by_hand.item(), 6),
        ),
        Metric(
            {"en": "cross_entropy(ignore_index=-100)", "zh": "cross_entropy(ignore_index=-100)"},
            round(library.item(), 6),
        ),
        Metric(
            {"en": "if unselected positions wrongly count", "zh": "若错误地计入未选中位置"},
            round(wrong.item(), 6),
            {"en": "labels = original tokens everywhere", "zh": "所有位置的标签都设为原 token"},
        ),
        Check(
            {
                "en": "cross_entropy with ignore_index=-100 equals the mean over selected positions",
                "zh": "ignore_index=-100 的 cross_entropy 等于被选位置上的平均损失",
            },
            bool(selected.any()) and abs(by_hand.item() - library.item()) < 1e-5,
            {
                "en": f"|difference| = {abs(by_hand.item() - library.item()):.2e}",
                "zh": f"|差值| = {abs(by_hand.item() - library.item()):.2e}",
            }
            if selected.any()
            else {
                "en": "no position was selected: raise p or change the seed",
                "zh": "没有位置被选中：调大 p 或换一个种子",
            },
        ),
    ]
