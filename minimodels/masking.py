"""Training data for BERT's two objectives: masked-LM inputs/labels and next-sentence pairs.

Masked LM (BERT paper, Section 3.1 and Appendix A.1): select each ordinary token with probability
p = 0.15; of the selected, 80 % become [MASK], 10 % a random token, 10 % stay as they are. The
label is the original token at selected positions and -100 (ignored by the loss) elsewhere, so the
loss averages over every selected position, the unchanged ones included.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

IGNORE_INDEX = -100  # cross_entropy's default ignore_index


def mask_tokens(
    input_ids: Tensor,
    *,
    mask_id: int,
    special_ids: Sequence[int],
    vocab_size: int,
    p: float = 0.15,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """input_ids (B, T) -> (corrupted inputs (B, T), labels (B, T)).

    Special tokens ([CLS], [SEP], [PAD], ...) are never selected, and random replacements are drawn
    from the ordinary tokens only (Hugging Face's collator draws from the whole vocabulary, so it
    can write a [CLS] or [PAD] into the middle of a sentence).
    """
    special = torch.tensor(list(special_ids), dtype=input_ids.dtype, device=input_ids.device)
    is_special = torch.isin(input_ids, special)
    draw = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    selected = (draw < p) & ~is_special
    labels = torch.where(selected, input_ids, IGNORE_INDEX)

    # One more uniform draw per token decides what happens to a selected one.
    action = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    to_mask = selected & (action < 0.8)
    to_random = selected & (action >= 0.8) & (action < 0.9)  # the last 10 % stay unchanged

    ordinary = torch.tensor(
        [i for i in range(vocab_size) if i not in set(special_ids)], device=input_ids.device
    )
    pick = torch.randint(
        len(ordinary), input_ids.shape, generator=generator, device=input_ids.device
    )
    inputs = torch.where(to_mask, mask_id, input_ids)
    inputs = torch.where(to_random, ordinary[pick], inputs)
    return inputs, labels


def masked_lm_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the selected positions: logits (B, T, V), labels (B, T)."""
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE_INDEX)


def nsp_pairs(
    documents: Sequence[Sequence[Tensor]], n_pairs: int, generator: torch.Generator | None = None
) -> list[tuple[Tensor, Tensor, int]]:
    """Next-sentence pairs (A, B, label) from documents given as lists of segments.

    Half the time B is the segment that really follows A (label 0, "is next"); otherwise B is a
    random segment of a different document (label 1). Labels follow Hugging Face's convention.
    """
    documents = [doc for doc in documents if len(doc) > 0]
    # Every segment that has a successor in its own document can be an A.
    starts = [(d, i) for d, doc in enumerate(documents) for i in range(len(doc) - 1)]
    if not starts or len(documents) < 2:
        raise ValueError("need at least two documents, one of them with two segments or more")
    pairs = []
    for _ in range(n_pairs):
        d, i = starts[int(torch.randint(len(starts), (1,), generator=generator))]
        if torch.rand(1, generator=generator).item() < 0.5:
            pairs.append((documents[d][i], documents[d][i + 1], 0))
            continue
        # A random other document: draw among the n - 1 others, then skip over d.
        other = int(torch.randint(len(documents) - 1, (1,), generator=generator))
        other += other >= d
        j = int(torch.randint(len(documents[other]), (1,), generator=generator))
        pairs.append((documents[d][i], documents[other][j], 1))
    return pairs


def pack_pair(a: Tensor, b: Tensor, cls_id: int, sep_id: int) -> tuple[Tensor, Tensor]:
    """[CLS] A [SEP] B [SEP] and its segment ids (0 for [CLS], A and the first [SEP]; 1 after)."""
    cls, sep = torch.tensor([cls_id]), torch.tensor([sep_id])
    ids = torch.cat([cls, a, sep, b, sep])
    token_type = torch.cat([torch.zeros(len(a) + 2), torch.ones(len(b) + 1)]).long()
    return ids, token_type
