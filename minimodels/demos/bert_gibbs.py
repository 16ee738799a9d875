"""Writing with a masked LM: Gibbs-style resampling (Wang & Cho 2019), step by step.

BERT has no left-to-right order to sample in, but it can fill one blank given everything else.
Start from [CLS] [MASK] x L [SEP]. Then, again and again: pick a position uniformly at random,
mask it, let the model predict it from all the others, and write a sample back. During burn-in
sample from the full softmax, so the chain can move far; afterwards only from the top-k.

This is the loop of `minimodels.sampling.gibbs_chain`, written out so that every step can be
listed (the tests check that both give the same text). The tiny BERT is the one the fill-mask
demo trains.
"""

import torch

from minimodels.demos.trained import BERT_STEPS, code_block, scaled, tiny_bert
from minimodels.gpt import sample_next
from minimodels.results import Check, Metric, Table, Text

ERRATUM = {
    "en": "**BERT is not a Markov random field.** Wang & Cho's paper framed BERT as a Markov "
    "random field language model; Cho later published an erratum retracting that. The conditionals BERT "
    "learned need not belong to any joint distribution over texts, so this chain is a useful "
    'heuristic for generating text, not exact sampling from "BERT\'s distribution".',
    "zh": "**BERT 不是马尔可夫随机场。** Wang 与 Cho 的论文把 BERT 说成马尔可夫随机场语言模型；Cho 后来"
    "发表勘误撤回了这一说法。BERT 学到的条件分布不一定来自任何一个文本上的联合分布，所以这条链是生成文本"
    "的实用启发式方法，而不是从“BERT 的分布”中精确采样。",
}


@torch.no_grad()
def gibbs_steps(model, length, iterations, burn_in, top_k, ids_of, special_ids, generator):
    """Run the chain; return the final ids (length + 2,) and one (position, new id) per step."""
    model.eval()
    ids = torch.full((1, length + 2), ids_of["[MASK]"])  # (1, L + 2): all blanks
    ids[0, 0], ids[0, -1] = ids_of["[CLS]"], ids_of["[SEP]"]
    history = []
    for it in range(iterations):
        pos = torch.randint(1, length + 1, (1,), generator=generator)  # never [CLS] or [SEP]
        ids[0, pos] = ids_of["[MASK]"]
        logits = model(ids).mlm_logits[0, pos]  # (1, V): the prediction for the masked slot
        logits[:, special_ids] = float("-inf")  # never write [MASK], [CLS], ... into the text
        k = None if it < burn_in else top_k  # full softmax during burn-in, then top-k
        ids[0, pos] = sample_next(logits, 1.0, k, generator=generator)[:, 0]
        history.append((pos.item(), ids[0, pos].item()))
    return ids[0], history


def run(
    length: int = 30,
    iterations: int = 300,
    burn_in: int = 100,
    top_k: int = 10,
    steps: int = BERT_STEPS,
    seed: int = 0,
    language: str = "en",
    progress=None,
) -> list:
    bert = tiny_bert(steps, seed, scaled(progress, 0.0, 0.95), language=language)
    tok = bert.tokenizer
    g = torch.Generator().manual_seed(seed)
    final, history = gibbs_steps(
        bert.model, length, iterations, burn_in, top_k, tok.token_to_id, tok.special_ids, g
    )
    if progress:
        progress(
            1.0,
            {"en": f"Gibbs chain: {iterations} steps", "zh": f"吉布斯采样链：{iterations} 步"},
            None,
        )

    # Replay the history to list the text after the steps we show.
    mask_id = tok.token_to_id["[MASK]"]
    text = [mask_id] * length
    show_every = max(1, iterations // 25)
    rows = []
    for step, (pos, new) in enumerate(history, start=1):
        text[pos - 1] = new
        if step % show_every == 0 or step <= 3 or step == iterations:
            rows.append(
                [
                    step,
                    {"en": "burn-in", "zh": "预热"} if step <= burn_in else f"top-{top_k}",
                    pos,
                    tok.vocab[new].replace(" ", "␣").replace("\n", "⏎"),
                    tok.decode(text).replace("[MASK]", "▯").replace("\n", "⏎"),
                ]
            )
    final_text = tok.decode(final[1:-1].tolist())
    masks_left = int((final[1:-1] == mask_id).sum())
    visited = len({pos for pos, _ in history})
    return [
        Table(
            columns=[
                {"en": "step", "zh": "步"},
                {"en": "phase", "zh": "阶段"},
                {"en": "position", "zh": "位置"},
                {"en": "new character", "zh": "新字符"},
                {"en": "text so far (▯ = [MASK])", "zh": "当前文本（▯ = [MASK]）"},
            ],
            rows=rows,
            title={
                "en": f"The chain, every {show_every} steps",
                "zh": f"采样链（每 {show_every} 步显示一次）",
            },
        ),
        Text(
            {
                "en": "**Final text** (a BERT trained for seconds writes character soup with "
                "fragments of words; the point is the procedure):",
                "zh": "**最终文本**（只训练了几秒的 BERT 写出的多是夹着词语碎片的字符汤；"
                "重点在于这个采样过程）：",
            }
        ),
        Text(code_block(final_text)),
        Metric({"en": "steps", "zh": "步数"}, len(history)),
        Metric({"en": "positions visited", "zh": "访问过的位置"}, f"{visited} / {length}"),
        Metric({"en": "masked-LM val loss", "zh": "掩码语言模型验证损失"}, round(bert.val_loss, 3)),
        Text(ERRATUM),
        Check(
            {
                "en": "The chain ran the requested number of steps and left no [MASK] in the text",
                "zh": "采样链跑满了要求的步数，文本中没有剩下 [MASK]",
            },
            len(history) == iterations and masks_left == 0,
            {
                "en": f"{len(history)} of {iterations} steps; {masks_left} [MASK] left"
                + ("" if masks_left == 0 else " (positions never visited: use more steps)"),
                "zh": f"跑了 {len(history)} / {iterations} 步；剩下 {masks_left} 个 [MASK]"
                + ("" if masks_left == 0 else "（有位置从未被访问：请增加步数）"),
            },
        ),
    ]
