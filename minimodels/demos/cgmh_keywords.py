"""CGMH: a sentence that contains your keywords, by Metropolis-Hastings word edits.

Start from the keywords alone ("dog park"), then repeat: pick replace / insert / delete and a
position, propose a word from the target distribution, accept or reject with the MH rate. The
target is p_LM(sentence) times "every keyword is present", so a keyword is never lost and the
sentence drifts toward what the language model finds likely. The language model is a word bigram
model counted on the small corpus below (any LM that scores a whole sentence would do: CGMH's
own used an LSTM).

A second, exhaustive check shows the chain samples the right distribution: on a 3-word
vocabulary and sentences of at most 3 words, every sentence's probability under the target is
enumerated and compared with how often the chain visits it.
"""

import itertools
import math
import random

from minimodels.cgmh import BigramLM, log_target, mh_step
from minimodels.results import Check, Lines, Metric, Table

CORPUS = [
    "the dog runs in the park",
    "the dog plays in the park with a ball",
    "a child plays with the dog",
    "the cat sleeps on the sofa",
    "the cat sits in the sun",
    "we walk the dog in the park every morning",
    "the park is green in the spring",
    "a man reads a book in the park",
    "the child throws a ball to the dog",
    "the dog sleeps in the sun",
    "we read a book every evening",
    "the cat watches the dog",
    "a bird sings in the park",
    "the child runs to the park",
    "the man walks to the park with the child",
    "the ball is red",
]


ZH = {"replace": "替换", "insert": "插入", "delete": "删除"}


def stationarity_gap(steps: int, seed: int) -> tuple[float, int]:
    """Total-variation distance between the chain's visits and the exact target, tiny case."""
    rng = random.Random(seed)
    lm = BigramLM(["a b c", "b a", "c c a b", "a c"], k=0.5)
    vocab, keywords, max_len = ["a", "b", "c"], ["b"], 3
    states = [list(s) for n in range(1, max_len + 1) for s in itertools.product(vocab, repeat=n)]
    weights = {" ".join(s): math.exp(log_target(s, lm.log_prob, keywords, max_len)) for s in states}
    total = sum(weights.values())
    visits = dict.fromkeys(weights, 0)
    words = ["b"]
    for _ in range(steps):
        words = mh_step(words, vocab, lm.log_prob, keywords, max_len, rng).words
        visits[" ".join(words)] += 1
    gap = 0.5 * sum(abs(visits[s] / steps - w / total) for s, w in weights.items())
    return gap, sum(w > 0 for w in weights.values())


def run(keywords: str = "dog park", steps: int = 300, seed: int = 0) -> list:
    rng = random.Random(seed)
    lm = BigramLM(CORPUS)
    keys = keywords.split()
    unknown = [k for k in keys if k not in lm.vocab]
    if unknown:
        return [
            Check(
                {
                    "en": "every keyword is in the corpus's vocabulary",
                    "zh": "每个关键词都在语料的词表里",
                },
                False,
                {"en": f"unknown: {', '.join(unknown)}", "zh": f"不在词表中：{', '.join(unknown)}"},
            )
        ]
    max_len = 12
    words = list(keys)  # the starting sentence: the keywords alone, in the order given
    start_lp = lm.log_prob(words)
    curve, rows, always_kept, best = [start_lp], [], True, list(words)
    accepted = {"replace": [0, 0], "insert": [0, 0], "delete": [0, 0]}  # [accepted, proposed]
    for t in range(1, steps + 1):
        step = mh_step(words, lm.vocab, lm.log_prob, keys, max_len, rng)
        accepted[step.action][0] += step.accepted
        accepted[step.action][1] += 1
        if step.accepted and step.words != words:
            rows.append([t, step.action, " ".join(step.words), f"{lm.log_prob(step.words):.2f}"])
        words = step.words
        always_kept &= all(k in words for k in keys)
        curve.append(lm.log_prob(words))
        if curve[-1] > max(curve[:-1]):
            best = list(words)
    final_lp = lm.log_prob(words)
    best_lp = max(curve)  # MH samples; the likeliest sentence visited is the one to show
    gap, support = stationarity_gap(20_000, seed)

    return [
        Table(
            columns=[
                {"en": "step", "zh": "步"},
                {"en": "edit", "zh": "编辑"},
                {"en": "sentence", "zh": "句子"},
                {"en": "log p_LM", "zh": "log p_LM"},
            ],
            rows=[[0, "—", " ".join(keys), f"{start_lp:.2f}"], *rows[:12]],
            title={"en": "Accepted edits (the first 12)", "zh": "被接受的编辑（前 12 个）"},
        ),
        Lines(
            x=list(range(steps + 1)),
            series={"log_p": curve},
            series_labels={"log_p": {"en": "log p_LM(sentence)", "zh": "log p_LM(句子)"}},
            title={
                "en": "The chain climbs toward likely sentences",
                "zh": "马尔可夫链走向高概率句子",
            },
            x_label={"en": "MH step", "zh": "MH 步数"},
            y_label={"en": "log probability", "zh": "对数概率"},
        ),
        Metric(
            {"en": "final sentence", "zh": "最终句子"}, " ".join(words), f"log p = {final_lp:.2f}"
        ),
        Metric(
            {"en": "likeliest sentence visited", "zh": "访问过的最可能句子"},
            " ".join(best),
            f"log p = {best_lp:.2f}",
        ),
        *(
            Metric(
                {"en": f"{action}: accepted / proposed", "zh": f"{ZH[action]}：接受 / 提议"},
                f"{a}/{n}",
            )
            for action, (a, n) in accepted.items()
        ),
        Metric(
            {
                "en": "total variation to the exact target (tiny case)",
                "zh": "与精确目标分布的总变差（小例子）",
            },
            round(gap, 4),
            {
                "en": f"{support} sentences with a keyword, 20,000 steps",
                "zh": f"{support} 个含关键词的句子，20,000 步",
            },
        ),
        Check(
            {
                "en": "every sentence in the chain contains every keyword",
                "zh": "链上的每个句子都包含全部关键词",
            },
            always_kept,
        ),
        Check(
            {
                "en": "the chain finds sentences far likelier than the keywords alone (e³ times at least)",
                "zh": "链找到的句子比只有关键词的起点可能得多（至少 e³ 倍）",
            },
            best_lp > start_lp + 3,
            {
                "en": f"log p: {start_lp:.2f} → {best_lp:.2f}",
                "zh": f"log p：{start_lp:.2f} → {best_lp:.2f}",
            },
        ),
        Check(
            {
                "en": "the chain visits each sentence as often as the target says (TV < 0.05)",
                "zh": "链访问每个句子的频率与目标分布一致（总变差 < 0.05）",
            },
            gap < 0.05,
            f"TV = {gap:.4f}",
        ),
    ]
