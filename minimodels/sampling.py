"""Generating text from a masked LM by Gibbs-style resampling (Wang & Cho 2019).

BERT has no left-to-right order to sample in, but it can fill one blank given everything else.
Start from [CLS] [MASK] x L [SEP]; then, again and again, mask one uniformly random position,
let the model predict it from all the others, and write a sample back. Early on (burn-in) sample
from the full softmax so the chain can move far; afterwards only from the top-k tokens, which
gives cleaner text. (Their runs: L = 40, top-k 100, burn-in 250, 500 iterations.)

A caveat the authors published later: the paper's framing of BERT as a Markov random field
language model was wrong, and was retracted. The conditionals BERT learned need not be those of
any joint distribution, so this is a useful heuristic sampler, not exact sampling from "BERT's
distribution over sentences".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

from minimodels.bert import Bert
from minimodels.gpt import sample_next


@torch.no_grad()
def gibbs_chain(
    model: Bert,
    length: int,
    *,
    cls_id: int,
    sep_id: int,
    mask_id: int,
    special_ids: Sequence[int],
    n_samples: int = 1,
    iterations: int = 500,
    burn_in: int = 250,
    top_k: int = 100,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> Iterator[Tensor]:
    """Yield the (n_samples, length + 2) ids after every iteration, so a UI can animate the chain."""
    model.eval()
    ids = torch.full((n_samples, length + 2), mask_id)  # (N, L + 2)
    ids[:, 0], ids[:, -1] = cls_id, sep_id
    rows = torch.arange(n_samples)
    for it in range(iterations):
        pos = torch.randint(1, length + 1, (n_samples,), generator=generator)  # one per sample
        ids[rows, pos] = mask_id
        logits = model(ids).mlm_logits[rows, pos]  # (N, V): the prediction at each masked slot
        logits[:, list(special_ids)] = float("-inf")  # never write [MASK], [CLS], ... into text
        k = None if it < burn_in else top_k
        ids[rows, pos] = sample_next(logits, temperature, k, generator=generator)[:, 0]
        yield ids.clone()


def gibbs_sample(model: Bert, length: int, **kwargs) -> Tensor:
    """The chain's last state: (n_samples, length + 2) ids, [CLS] first and [SEP] last."""
    last = None
    for state in gibbs_chain(model, length, **kwargs):
        last = state
    return last
