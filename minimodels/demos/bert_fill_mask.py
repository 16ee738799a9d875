"""A tiny BERT, trained with the masked-LM objective on this app's answers, fills in your blanks.

Each [MASK] in your text stands for one character (the model reads characters). BERT sees the
text on both sides of a blank at once, which is what the masked-LM objective trains: predict a
hidden character from everything around it. The model reads at most 30 characters, so each blank
is predicted from a window of up to 30 characters around it; several blanks are predicted
independently of each other (each with the others still masked).

The model learns from one language, English by default. With language="zh" Chinese works the
same way, but after a few hundred steps the tiny model has seen each of a thousand Chinese
characters only a handful of times: expect frequent ones such as 的 rather than the right one.
English letters, seen thousands of times each, come out right far more often.
"""

import torch
import torch.nn.functional as F

from minimodels.demos.trained import BERT_STEPS, BLOCK, loss_chart, scaled, tiny_bert
from minimodels.results import Check, Metric, Table, Text

MASK = "[MASK]"


def shown(char: str) -> str:
    """A character as a learner can see it in a table: spaces and line breaks made visible."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(char, char)


def run(
    text: str = "Self-attention lets every tok[MASK]n look at [MASK]ll the others.",
    top_k: int = 5,
    steps: int = BERT_STEPS,
    seed: int = 0,
    language: str = "en",
    progress=None,
) -> list:
    bert = tiny_bert(steps, seed, scaled(progress, 0.0, 0.95), language=language)
    model, tok = bert.model, bert.tokenizer
    mask_id, cls_id, sep_id = (tok.token_to_id[t] for t in (MASK, "[CLS]", "[SEP]"))

    # Your text as ids: each literal "[MASK]" becomes the one [MASK] token.
    pieces = text.split(MASK)
    ids = tok.encode(pieces[0])
    for piece in pieces[1:]:
        ids += [mask_id] + tok.encode(piece)  # characters never seen in training become [UNK]
    blanks = [i for i, t in enumerate(ids) if t == mask_id]

    parts = [
        loss_chart(
            bert.curve,
            title={
                "en": "Masked-LM loss while training (nats per masked character)",
                "zh": "训练中的掩码语言模型损失（每个被掩字符的 nats）",
            },
        )
    ]
    width = BLOCK - 2  # characters between [CLS] and [SEP]
    filled = list(ids)
    model.eval()
    for n, i in enumerate(blanks, start=1):
        start = min(max(0, i - width // 2), max(0, len(ids) - width))  # a window around blank i
        window = [cls_id, *ids[start : start + width], sep_id]
        with torch.no_grad():
            logits = model(torch.tensor([window])).mlm_logits[0, 1 + i - start]  # (V,)
        logits[tok.special_ids] = float("-inf")  # only real characters are answers
        probs = F.softmax(logits, dim=-1)
        best = torch.topk(probs, top_k)
        filled[i] = best.indices[0].item()
        context = tok.decode([t for t in window[1:-1]]).replace(MASK, "▯")
        parts.append(
            Table(
                columns=[
                    {"en": "rank", "zh": "排名"},
                    {"en": "character", "zh": "字符"},
                    {"en": "probability", "zh": "概率"},
                ],
                rows=[
                    [r + 1, shown(tok.vocab[j]), f"{p:.1%}"]
                    for r, (p, j) in enumerate(
                        zip(best.values.tolist(), best.indices.tolist(), strict=True)
                    )
                ],
                title={
                    "en": f"Blank {n} of {len(blanks)}: “{context}”",
                    "zh": f"第 {n} 个空（共 {len(blanks)} 个）：“{context}”",
                },
            )
        )
    if any("\u4e00" <= c <= "\u9fff" for c in text):
        parts.append(
            Text(
                {
                    "en": "Chinese blanks are hard for this tiny model: it has seen each of about "
                    "a thousand Chinese characters only a few times, so frequent characters such as "
                    "的 tend to win.",
                    "zh": "中文的空对这个小模型很难：约一千个汉字，每个它只见过寥寥几次，所以往往是“的”"
                    "这类高频字胜出。",
                }
                if language == "zh"
                else {
                    "en": "This BERT learned from the English answers only: it reads every Chinese "
                    "character as [UNK]. Choose the Chinese text to fill Chinese blanks.",
                    "zh": "这个 BERT 只学过英文答案：每个汉字它都读作 [UNK]。要填中文的空，请选择中文文本。",
                }
            )
        )
    if blanks:
        parts.append(
            Text(
                {
                    "en": f"**Filled with the top choice:** {tok.decode(filled)}",
                    "zh": f"**用概率最高的字符填空：** {tok.decode(filled)}",
                }
            )
        )
    else:
        parts.append(
            Text(
                {
                    "en": "Your text has no [MASK]: write [MASK] where a character should be "
                    "guessed.",
                    "zh": "你的文本里没有 [MASK]：在要猜的字符处写上 [MASK]。",
                }
            )
        )
    if progress:
        progress(
            1.0, {"en": f"filled {len(blanks)} blanks", "zh": f"填好了 {len(blanks)} 个空"}, None
        )
    unigram = bert.baselines["unigram"]
    parts += [
        Metric({"en": "masked-LM val loss", "zh": "掩码语言模型验证损失"}, round(bert.val_loss, 3)),
        Metric({"en": "unigram baseline", "zh": "一元（unigram）基线"}, round(unigram, 3)),
        Metric({"en": "training time (s)", "zh": "训练用时（秒）"}, round(bert.result.elapsed, 1)),
        Check(
            {
                "en": "After training, the masked-LM validation loss is below the unigram baseline "
                "(the model uses the context, not just character frequencies)",
                "zh": "训练后，掩码语言模型的验证损失低于一元基线（模型利用了上下文，而不只是字符频率）",
            },
            bert.val_loss < unigram,
            {
                "en": f"val {bert.val_loss:.3f} vs unigram {unigram:.3f} on the same masked "
                "characters",
                "zh": f"在同一批被掩字符上：验证损失 {bert.val_loss:.3f}，一元基线 {unigram:.3f}",
            },
        ),
    ]
    return parts
