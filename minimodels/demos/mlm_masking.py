"""BERT's masking, on your sentence and over many sequences.

Each ordinary token is selected with probability p; a selected token becomes [MASK] 80 % of the
time, a random token 10 %, and stays unchanged 10 %. Special tokens are never selected.
"""

import math

import torch

from minimodels.masking import IGNORE_INDEX, mask_tokens
from minimodels.results import Check, Table, Text, TokenStrip
from minimodels.tokenizers import BERT_SPECIALS, pre_tokenize

LEGEND = {
    "kept": {"en": "not selected", "zh": "未选中"},
    "mask": {"en": "selected → [MASK]", "zh": "选中 → [MASK]"},
    "random": {"en": "selected → random token", "zh": "选中 → 随机 token"},
    "unchanged": {"en": "selected, left unchanged", "zh": "选中，保持不变"},
    "special": {"en": "special, never selected", "zh": "特殊 token，从不选中"},
}
RATES = {  # the rows of the rates table
    "selected": {"en": "selected", "zh": "选中"},
    "mask": {"en": "mask", "zh": "选中 → [MASK]"},
    "random": {"en": "random", "zh": "选中 → 随机 token"},
    "unchanged": {"en": "unchanged", "zh": "选中，保持不变"},
}


def fates(original, corrupted, labels, mask_id, special_ids):
    """What happened to each position: one of the LEGEND keys."""
    out = []
    for o, c, y in zip(original.tolist(), corrupted.tolist(), labels.tolist(), strict=True):
        if o in special_ids:
            out.append("special")
        elif y == IGNORE_INDEX:
            out.append("kept")
        elif c == mask_id:
            out.append("mask")
        elif c != o:
            out.append("random")
        else:
            out.append("unchanged")  # includes the rare random draw that picked the same token
    return out


def run(sentence: str, p: float = 0.15, sequences: int = 2000, seed: int = 0) -> list:
    g = torch.Generator().manual_seed(seed)

    # 1. Your sentence, with a vocabulary made of its own words.
    words = pre_tokenize(sentence)
    vocab = list(BERT_SPECIALS) + sorted(set(words))
    ids = {w: i for i, w in enumerate(vocab)}
    specials = [ids[s] for s in BERT_SPECIALS]
    x = torch.tensor([[ids["[CLS]"], *(ids[w] for w in words), ids["[SEP]"]]])  # (1, T)
    corrupted, labels = mask_tokens(
        x, mask_id=ids["[MASK]"], special_ids=specials, vocab_size=len(vocab), p=p, generator=g
    )
    strip = TokenStrip(
        tokens=[vocab[i] for i in corrupted[0].tolist()],
        categories=fates(x[0], corrupted[0], labels[0], ids["[MASK]"], set(specials)),
        legend=LEGEND,
        title={"en": "Your sentence after masking", "zh": "你的句子被掩码之后"},
    )

    # 2. The rates over many random sequences of 128 tokens from a 1,000-token vocabulary.
    vocab_size, length = 1000, 128
    batch = torch.randint(len(BERT_SPECIALS), vocab_size, (sequences, length), generator=g)
    batch[:, 0], batch[:, -1] = ids["[CLS]"], ids["[SEP]"]
    corrupted, labels = mask_tokens(
        batch, mask_id=ids["[MASK]"], special_ids=specials, vocab_size=vocab_size, p=p, generator=g
    )
    ordinary = ~torch.isin(batch, torch.tensor(specials))
    n = int(ordinary.sum())
    selected = labels != IGNORE_INDEX
    counts = {
        "selected": int(selected.sum()),
        "mask": int((selected & (corrupted == ids["[MASK]"])).sum()),
        "random": int((selected & (corrupted != batch) & (corrupted != ids["[MASK]"])).sum()),
        "unchanged": int((selected & (corrupted == batch)).sum()),
    }
    # A random replacement equals the original with probability 1 / (ordinary vocabulary size).
    same = 1 / (vocab_size - len(BERT_SPECIALS))
    expected = {
        "selected": p,
        "mask": p * 0.8,
        "random": p * 0.1 * (1 - same),
        "unchanged": p * (0.1 + 0.1 * same),
    }
    rows, worst = [], 0.0
    for key, rate in expected.items():
        measured = counts[key] / n
        sigma = math.sqrt(rate * (1 - rate) / n)
        z = (measured - rate) / sigma
        worst = max(worst, abs(z))
        rows.append([RATES[key], f"{rate:.4%}", f"{measured:.4%}", f"{z:+.2f}"])
    special_selected = int((selected & ~ordinary).sum())

    return [
        strip,
        Table(
            columns=[
                {"en": "share of ordinary tokens", "zh": "占普通 token 的比例"},
                {"en": "expected", "zh": "期望值"},
                {"en": "measured", "zh": "实测值"},
                {"en": "z (std devs)", "zh": "z（标准差）"},
            ],
            rows=rows,
            title={
                "en": f"Rates over {sequences:,} sequences ({n:,} ordinary tokens)",
                "zh": f"{sequences:,} 条序列（{n:,} 个普通 token）上的比例",
            },
        ),
        Text(
            {
                "en": f"With p = {p}: {p * 0.8:.1%} of tokens become [MASK], {p * 0.1:.2%} a random "
                f"token, {p * 0.1:.2%} stay as they are, yet all {p:.0%} are predicted.",
                "zh": f"p = {p} 时：{p * 0.8:.1%} 的 token 变成 [MASK]，{p * 0.1:.2%} 变成随机 token，"
                f"{p * 0.1:.2%} 保持不变，而这 {p:.0%} 全部都要预测。",
            }
        ),
        Check(
            {
                "en": "Measured rates are within 4 standard deviations of 80/10/10 of p",
                "zh": "测得的比例与 p 的 80/10/10 相差不超过 4 个标准差",
            },
            worst < 4,
            {"en": f"largest |z| = {worst:.2f}", "zh": f"|z| 的最大值 = {worst:.2f}"},
        ),
        Check(
            {"en": "No special token is ever selected", "zh": "特殊 token 从不被选中"},
            special_selected == 0,
            {
                "en": f"{special_selected} special tokens selected",
                "zh": f"{special_selected} 个特殊 token 被选中",
            },
        ),
    ]
