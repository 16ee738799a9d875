"""CGMH (Miao et al., AAAI 2019): constrained generation by Metropolis-Hastings over whole sentences.

The target is pi(x) ∝ p_LM(x) · [x contains every keyword]. A step picks replace, insert or
delete with probability 1/3 each and a position uniformly, proposes the new word from pi itself
(the distribution over the vocabulary at that slot, as in the paper), and accepts with the
Metropolis-Hastings rate, so the chain's stationary distribution is exactly pi:

    replace  a Gibbs step: always accepted
    insert   accept min(1, Z_insert / pi(x))     Z_insert = sum over w of pi(x with w inserted)
    delete   accept min(1, pi(x') / Z_back)      Z_back   = sum over w of pi(x' with w put back)

The language model is any `log_prob(words) -> float`; here a smoothed word bigram model.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

BOS, EOS = "<s>", "</s>"


class BigramLM:
    """p(w_t | w_{t-1}) from counts with add-k smoothing; sentences start at <s> and end at </s>."""

    def __init__(self, sentences: Sequence[str], k: float = 0.01):
        self.vocab = sorted({w for s in sentences for w in s.split()})
        self.k = k
        self.pairs: Counter = Counter()
        self.starts: Counter = Counter()
        for s in sentences:
            words = [BOS, *s.split(), EOS]
            self.pairs.update(zip(words, words[1:], strict=False))
            self.starts.update(words[:-1])
        self.size = len(self.vocab) + 1  # every word can follow, and so can </s>

    def log_p(self, prev: str, word: str) -> float:
        return math.log(
            (self.pairs[prev, word] + self.k) / (self.starts[prev] + self.k * self.size)
        )

    def log_prob(self, words: Sequence[str]) -> float:
        seq = [BOS, *words, EOS]
        return sum(self.log_p(a, b) for a, b in zip(seq, seq[1:], strict=False))


@dataclass
class Step:
    action: str  # "replace" | "insert" | "delete"
    accepted: bool
    words: list[str]


def log_target(words: Sequence[str], log_prob: Callable, keywords: Sequence[str], max_len: int):
    """log pi(x) up to a constant: -inf outside the constraint (a keyword missing, empty, too long)."""
    if not words or len(words) > max_len or any(k not in words for k in keywords):
        return -math.inf
    return log_prob(words)


def _log_sum_exp(values: list[float]) -> float:
    top = max(values)
    return top if top == -math.inf else top + math.log(sum(math.exp(v - top) for v in values))


def _sample(rng: random.Random, log_weights: list[float]) -> int:
    top = max(log_weights)
    return rng.choices(range(len(log_weights)), [math.exp(v - top) for v in log_weights])[0]


def mh_step(
    words: list[str],
    vocab: Sequence[str],
    log_prob: Callable,
    keywords: Sequence[str],
    max_len: int,
    rng: random.Random,
) -> Step:
    """One CGMH step from `words` (which must satisfy the constraint)."""
    target = lambda x: log_target(x, log_prob, keywords, max_len)  # noqa: E731
    current = target(words)
    action = rng.choice(["replace", "insert", "delete"])
    if action == "replace":
        m = rng.randrange(len(words))
        options = [target(words[:m] + [w] + words[m + 1 :]) for w in vocab]
        new = words[:m] + [vocab[_sample(rng, options)]] + words[m + 1 :]
        return Step(action, True, new)  # a Gibbs step: pi's own conditional, always accepted
    if action == "insert":
        m = rng.randrange(len(words) + 1)  # a gap: before word 0 ... after the last word
        options = [target(words[:m] + [w] + words[m:]) for w in vocab]
        z_insert = _log_sum_exp(options)
        if z_insert == -math.inf:
            return Step(action, False, words)
        new = words[:m] + [vocab[_sample(rng, options)]] + words[m:]
        log_accept = min(0.0, z_insert - current)
    else:
        m = rng.randrange(len(words))
        new = words[:m] + words[m + 1 :]
        z_back = _log_sum_exp([target(new[:m] + [w] + new[m:]) for w in vocab])
        log_accept = min(0.0, target(new) - z_back)
    if rng.random() < math.exp(log_accept):
        return Step(action, True, new)
    return Step(action, False, words)
