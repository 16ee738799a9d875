"""Greedy vs beam search vs sampling, against the exact answer found by enumerating every output.

The "models" are random bigram tables over a few words plus an end-of-sequence token (EOS), so the
probability of every complete output (up to `max_words` words, then EOS) can be listed and the true
most probable output, the mode, found exactly. Over many random models the demo measures how often
greedy decoding and beam search find that mode, how probable their outputs are, and how long they
are compared with samples. Expect two things the bank's questions describe: a wider beam finds more
probable outputs than greedy, and the most probable output is short, often empty, because every
extra token multiplies in a probability below one (Stahlberg & Byrne 2019 found the empty
translation to be the mode for most sentences of a real translation model).
"""

import numpy as np

from minimodels.results import Check, Metric, Table, Text

WIDTHS = (1, 2, 4, 8)  # width 1 is greedy decoding
EXHAUSTIVE_CHECKS = 20  # models on which an exhaustive beam is compared with enumeration


def bigram_model(words: int, eos_bias: float, rng) -> np.ndarray:
    """(words + 1, words + 1) table of log p(next | previous). Index `words` is EOS as a next token
    and the start symbol as a previous one (EOS never precedes anything)."""
    logits = 2.0 * rng.standard_normal((words + 1, words + 1))
    logits[:, words] += eos_bias
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def exact_mode(logp: np.ndarray, max_words: int) -> tuple[float, int]:
    """Highest log-probability of a complete output, and its length, by listing every prefix."""
    eos = logp.shape[0] - 1
    prefix_score, last = np.zeros(1), np.array([eos])  # the empty prefix, after the start symbol
    best, best_len = -np.inf, 0
    for length in range(max_words + 1):
        complete = prefix_score + logp[last, eos]  # end here
        if complete.max() > best:
            best, best_len = complete.max(), length
        if length < max_words:  # every prefix times every word: V^(length+1) prefixes
            prefix_score = (prefix_score[:, None] + logp[last, :eos]).ravel()
            last = np.tile(np.arange(eos), len(last))
    return best, best_len


def beam_search(logp: np.ndarray, max_words: int, width: int) -> tuple[float, int]:
    """Keep the `width` best candidates at each step; a candidate ending in EOS is set aside as
    finished. Returns the best finished output's log-probability and length."""
    eos = logp.shape[0] - 1
    beams, last = np.zeros(1), np.array([eos])
    finished = []  # (score, length)
    for length in range(max_words + 1):
        scores = beams[:, None] + logp[last]  # (beams, words + 1): every way to continue
        if length == max_words:
            scores[:, :eos] = -np.inf  # out of room: only EOS remains
        flat = scores.ravel()
        # The `width` best candidates, in any order (a beam wider than the candidates keeps all).
        keep = (
            np.arange(flat.size)
            if width >= flat.size
            else np.argpartition(-flat, width - 1)[:width]
        )
        beam_ids, tokens = np.unravel_index(keep, scores.shape)
        ended = tokens == eos
        finished += [
            (scores[b, t], length) for b, t in zip(beam_ids[ended], tokens[ended], strict=True)
        ]
        beams, last = scores[beam_ids[~ended], tokens[~ended]], tokens[~ended]
        if len(beams) == 0:
            break
    return max(finished)


def sample(logp: np.ndarray, max_words: int, rng) -> tuple[float, int] | None:
    """Ancestral sampling; None if the output has not ended after `max_words` words."""
    eos, last, score = logp.shape[0] - 1, logp.shape[0] - 1, 0.0
    for length in range(max_words + 1):
        token = rng.choice(eos + 1, p=np.exp(logp[last]))
        score += logp[last, token]
        if token == eos:
            return score, length
        last = token
    return None


def run(
    words: int = 5, max_words: int = 6, eos_bias: float = 0.0, models: int = 200, seed: int = 0
) -> list:
    rng = np.random.default_rng(seed)
    found = {w: 0 for w in WIDTHS}
    scores = {w: [] for w in WIDTHS}
    lengths = {w: [] for w in WIDTHS}
    mode_scores, mode_lengths, sampled_scores, sampled_lengths = [], [], [], []
    exhaustive_ok = True
    for _ in range(models):
        logp = bigram_model(words, eos_bias, rng)
        best, best_len = exact_mode(logp, max_words)
        mode_scores.append(best)
        mode_lengths.append(best_len)
        for width in WIDTHS:
            score, length = beam_search(logp, max_words, width)
            found[width] += np.isclose(score, best)
            scores[width].append(score)
            lengths[width].append(length)
        if len(mode_scores) <= EXHAUSTIVE_CHECKS:
            # A beam as wide as every candidate at every step is exhaustive: it must reach the mode.
            widest_beam = beam_search(logp, max_words, (words + 1) ** max_words)[0]
            exhaustive_ok &= bool(np.isclose(widest_beam, best))
        draw = sample(logp, max_words, rng)
        if draw is not None:
            sampled_scores.append(draw[0])
            sampled_lengths.append(draw[1])

    rows = [
        [{"en": "greedy" if w == 1 else f"beam, width {w}", "zh": "贪心" if w == 1 else f"束搜索，束宽 {w}"},
         f"{100 * found[w] / models:.0f} %", f"{np.mean(scores[w]):.2f}", f"{np.mean(lengths[w]):.2f}"]
        for w in WIDTHS
    ]  # fmt: skip
    rows.append(
        [{"en": "exact mode (enumeration)", "zh": "精确众数（穷举）"}, "100 %",
         f"{np.mean(mode_scores):.2f}", f"{np.mean(mode_lengths):.2f}"]
    )  # fmt: skip
    rows.append(
        [{"en": "one sample per model", "zh": "每个模型采样一次"}, "—",
         f"{np.mean(sampled_scores):.2f}", f"{np.mean(sampled_lengths):.2f}"]
    )  # fmt: skip
    empty_share = float(np.mean(np.array(mode_lengths) == 0))
    greedy, widest = np.mean(scores[1]), np.mean(scores[WIDTHS[-1]])
    return [
        Table(
            columns=[
                {"en": "decoder", "zh": "解码方式"},
                {"en": "finds the mode", "zh": "找到众数的比例"},
                {"en": "mean log-probability", "zh": "平均对数概率"},
                {"en": "mean length (words)", "zh": "平均长度（词）"},
            ],
            rows=rows,
            title={
                "en": f"{models} random bigram models, {words} words + EOS, outputs of at most "
                f"{max_words} words",
                "zh": f"{models} 个随机 bigram 模型，{words} 个词 + EOS，输出至多 {max_words} 个词",
            },
        ),
        Metric(
            {"en": "models whose mode is the empty output", "zh": "众数为空输出的模型比例"},
            f"{100 * empty_share:.0f} %",
        ),
        Text(
            {
                "en": "Greedy commits to the best next token and can miss an output whose first "
                "token is not the best; a beam keeps alternatives alive and finds more probable "
                "outputs. But the most probable output is short, often empty: maximising "
                "probability is a good objective only where the right output is narrow "
                "(translation, short answers), and even there systems normalise by length. "
                "Samples are longer and less probable, and differ from run to run.",
                "zh": "贪心解码只认当前最好的下一个 token，第一个 token 不是最优的高概率输出就会被错过；束搜索"
                "保留了备选，能找到概率更高的输出。但概率最高的输出很短，常常是空的：只有在正确输出范围很窄的"
                "任务上（翻译、简短回答），最大化概率才是好目标，即便如此实际系统也要按长度归一化。采样得到的"
                "输出更长、概率更低，而且每次都不一样。",
            }
        ),
        Check(
            {
                "en": "A beam wide enough to keep every candidate returns exactly the mode found by "
                "enumeration",
                "zh": "宽到足以保留所有候选的束，恰好返回穷举找到的众数",
            },
            exhaustive_ok,
            {
                "en": f"width {(words + 1) ** max_words:,}, on the first {EXHAUSTIVE_CHECKS} models",
                "zh": f"束宽 {(words + 1) ** max_words:,}，在前 {EXHAUSTIVE_CHECKS} 个模型上",
            },
        ),
        Check(
            {
                "en": f"Beam search with width {WIDTHS[-1]} finds the mode more often than greedy "
                "and its outputs are more probable on average",
                "zh": f"束宽为 {WIDTHS[-1]} 的束搜索比贪心更常找到众数，输出的平均概率也更高",
            },
            bool(found[WIDTHS[-1]] > found[1] and widest > greedy),
            {
                "en": f"{found[WIDTHS[-1]]} vs {found[1]} of {models}; log-probability "
                f"{widest:.2f} vs {greedy:.2f}",
                "zh": f"{models} 个中 {found[WIDTHS[-1]]} 对 {found[1]}；对数概率 {widest:.2f} 对 {greedy:.2f}",
            },
        ),
        Check(
            {
                "en": "The mode is shorter than sampled outputs on average: probability favours "
                "short outputs",
                "zh": "众数平均比采样得到的输出更短：概率偏爱短输出",
            },
            bool(np.mean(mode_lengths) < np.mean(sampled_lengths)),
            {
                "en": f"{np.mean(mode_lengths):.2f} vs {np.mean(sampled_lengths):.2f} words",
                "zh": f"{np.mean(mode_lengths):.2f} 对 {np.mean(sampled_lengths):.2f} 个词",
            },
        ),
    ]
