"""Reference solutions of the code exercises, each a thin call into the modules learners read.

An exercise's tests compare the learner's function with one of these (or with a function in
another `minimodels` module directly), in float64. Keep them as short as the idea allows: the app
shows this source after a learner solves the exercise.
"""

from collections import Counter

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minimodels import masking
from minimodels.attention import (
    KVCache,
    causal_mask,
    padding_mask,
    scaled_dot_product_attention,
)
from minimodels.bert import BertConfig
from minimodels.gpt import GPTConfig, sample_next
from minimodels.lora import LoRALinear
from minimodels.masking import IGNORE_INDEX, mask_tokens
from minimodels.params import count_params
from minimodels.positions import alibi_slopes
from minimodels.tokenizers import WordPieceTokenizer, _merge


def causal_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """(B, T, d) queries, keys, values -> (B, T, d): position t attends to positions 0..t."""
    mask = causal_mask(q.size(-2), k.size(-2), device=q.device)  # (T, T), True = may attend
    out, _ = scaled_dot_product_attention(q, k, v, mask, return_weights=True)  # explicit formula
    return out


# -- attention ----------------------------------------------------------------------------------


def padded_attention(q: Tensor, k: Tensor, v: Tensor, lengths: Tensor) -> Tensor:
    """(B, T, d) x 3 and lengths (B,) -> (B, T, d): keys at positions >= lengths[b] are padding."""
    real = torch.arange(k.size(-2))[None, :] < lengths[:, None]  # (B, T_key), True = real token
    out, _ = scaled_dot_product_attention(
        q, k, v, padding_mask(real, float("-inf"))[:, 0], return_weights=True
    )
    return out


def multi_head_causal_attention(q: Tensor, k: Tensor, v: Tensor, n_head: int) -> Tensor:
    """(B, T, C) x 3 -> (B, T, C): split C into n_head heads, causal attention, heads side by side."""
    B, T, C = q.shape
    q, k, v = (
        z.view(B, T, n_head, C // n_head).transpose(1, 2) for z in (q, k, v)
    )  # (B, H, T, hs)
    out, _ = scaled_dot_product_attention(q, k, v, causal_mask(T), return_weights=True)
    return out.transpose(1, 2).reshape(B, T, C)


def attention_weights(q: Tensor, k: Tensor, mask: Tensor) -> Tensor:
    """(B, Tq, d), (B, Tk, d), bool (B, Tq, Tk), True = may attend -> weights (B, Tq, Tk).

    A query with no allowed key gets a row of zeros (the softmax alone would give NaN).
    """
    _, weights = scaled_dot_product_attention(q, k, k, mask, return_weights=True)
    return weights.nan_to_num(nan=0.0)


def softmax(x: Tensor) -> Tensor:
    """Softmax over the last dimension, safe for scores in the thousands."""
    return torch.softmax(x, dim=-1)


def cached_attention(
    q: Tensor, k: Tensor, v: Tensor, k_cache: Tensor, v_cache: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """New tokens' q, k, v (B, T_new, d) and the cache (B, T_seen, d) -> (out, keys, values)."""
    cache = KVCache()
    cache.extend(k_cache[:, None], v_cache[:, None])  # the cache keeps a head axis: (B, 1, T, d)
    keys, values = cache.extend(k[:, None], v[:, None])
    mask = causal_mask(q.size(-2), keys.size(-2))  # the new queries are the last positions
    out, _ = scaled_dot_product_attention(q[:, None], keys, values, mask, return_weights=True)
    return out[:, 0], keys[:, 0], values[:, 0]


# -- norms, adapters ----------------------------------------------------------------------------


def rms_norm(x: Tensor, weight: Tensor, eps: float) -> Tensor:
    """x / sqrt(mean(x^2) + eps) * weight over the last dimension (Zhang & Sennrich 2019)."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def layer_norm(x: Tensor, weight: Tensor, bias: Tensor, eps: float) -> Tensor:
    """(x - mean) / sqrt(biased variance + eps) * weight + bias over the last dimension."""
    return F.layer_norm(x, x.shape[-1:], weight, bias, eps)


def lora_linear(
    x: Tensor, weight: Tensor, bias: Tensor, A: Tensor, B: Tensor, alpha: float
) -> Tensor:
    """minimodels.lora.LoRALinear with the given weights: W x + b + (alpha / r) B A x."""
    base = nn.Linear(weight.size(1), weight.size(0), dtype=weight.dtype)
    layer = LoRALinear(base, rank=A.size(0), alpha=alpha).to(weight.dtype)
    with torch.no_grad():
        base.weight.copy_(weight), base.bias.copy_(bias), layer.A.copy_(A), layer.B.copy_(B)
        return layer(x)


# -- losses ---------------------------------------------------------------------------------------


def cross_entropy(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean of -log softmax(logits)[target]: logits (N, V), targets (N,) -> scalar."""
    return F.cross_entropy(logits, targets)


def perplexity(logits: Tensor, targets: Tensor) -> Tensor:
    """exp(mean negative log-likelihood per token): logits (N, V), targets (N,) -> scalar."""
    return F.cross_entropy(logits, targets).exp()


def label_smoothed_loss(logits: Tensor, targets: Tensor, epsilon: float) -> Tensor:
    """Cross-entropy against (1 - epsilon) one-hot + epsilon / V uniform, averaged over N."""
    return F.cross_entropy(logits, targets, label_smoothing=epsilon)


def causal_lm_loss(logits: Tensor, input_ids: Tensor) -> Tensor:
    """logits (B, T, V) computed from input_ids (B, T): position t predicts token t + 1."""
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), input_ids[:, 1:].flatten())


def dpo_loss(
    policy_chosen: Tensor,
    policy_rejected: Tensor,
    reference_chosen: Tensor,
    reference_rejected: Tensor,
    beta: float,
) -> Tensor:
    """DPO (Rafailov et al. 2023, Eq. 7): sequence log-probabilities (N,) each -> mean loss."""
    margin = (policy_chosen - reference_chosen) - (policy_rejected - reference_rejected)
    return -F.logsigmoid(beta * margin).mean()


# -- decoding -------------------------------------------------------------------------------------


def temperature_probs(logits: Tensor, temperature: float) -> Tensor:
    """logits (B, V) -> the probabilities sample_next draws from; temperature 0 is greedy (one-hot)."""
    if temperature == 0:
        return F.one_hot(logits.argmax(-1), logits.size(-1)).to(logits.dtype)
    return torch.softmax(logits / temperature, dim=-1)


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """minimodels.gpt.sample_next's top-k step: logits below the k-th largest become -inf."""
    kth_best = torch.topk(logits, min(k, logits.size(-1))).values[..., [-1]]
    return logits.masked_fill(logits < kth_best, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """minimodels.gpt.sample_next's nucleus step: keep a token while the mass ranked above is < p."""
    sorted_logits, order = torch.sort(logits, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    mass_before = probs.cumsum(dim=-1) - probs
    sorted_logits = sorted_logits.masked_fill(mass_before >= p, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def greedy_decode(log_probs: Tensor, start: int, steps: int) -> list[int]:
    """A bigram model log_probs[prev, next] (V, V): the argmax token at each of `steps` steps."""
    tokens = [start]
    for _ in range(steps):
        tokens.append(int(log_probs[tokens[-1]].argmax()))
    return tokens


def beam_search(log_probs: Tensor, start: int, steps: int, beam: int) -> tuple[list[int], float]:
    """The best sequence of `steps` tokens after `start` under a bigram model, and its log-prob.

    Every step extends each of the `beam` best prefixes by every token and keeps the `beam` best
    by total log-probability (the beam starts as the single prefix [start]).
    """
    beams = [([start], 0.0)]
    for _ in range(steps):
        grown = [
            (seq + [nxt], score + float(log_probs[seq[-1], nxt]))
            for seq, score in beams
            for nxt in range(log_probs.size(1))
        ]
        beams = sorted(grown, key=lambda b: b[1], reverse=True)[:beam]
    return beams[0]


# -- tokenization ---------------------------------------------------------------------------------


def merge_pair(ids: list[int], pair: list[int], new_id: int) -> list[int]:
    """One BPE merge step: every occurrence of `pair`, scanned left to right, becomes `new_id`."""
    return _merge(list(ids), tuple(pair), new_id)


def most_frequent_pair(ids: list[int]) -> list[int]:
    """The adjacent pair seen most often in ids; on a tie, the pair seen first."""
    counts = Counter(zip(ids, ids[1:], strict=False))
    return list(max(counts, key=counts.get))  # max keeps the first of equal counts


def wordpiece(word: str, vocab: list[str]) -> list[str]:
    """minimodels.tokenizers.WordPieceTokenizer.encode_word: greedy longest match first."""
    return WordPieceTokenizer(vocab).encode_word(word)


# -- sizes ----------------------------------------------------------------------------------------


def gpt2_param_count(vocab_size: int, block_size: int, n_layer: int, n_embd: int) -> int:
    """Parameters of a GPT-2 model (biases, tied head, final LayerNorm) by minimodels.params."""
    config = GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=n_layer, n_head=1,
                       n_embd=n_embd, bias=True)  # fmt: skip
    return count_params(config)["total"]


def bert_param_count(
    vocab_size: int, max_position: int, n_layer: int, n_embd: int, n_inner: int
) -> int:
    """Parameters of a BERT encoder with its pooler (Hugging Face's BertModel)."""
    config = BertConfig(vocab_size=vocab_size, max_position=max_position, n_layer=n_layer,
                        n_head=1, n_embd=n_embd, n_inner=n_inner, pooler=True,
                        mlm_head=False, nsp_head=False)  # fmt: skip
    return count_params(config)["total"]


# -- BERT's training data -------------------------------------------------------------------------


def bert_mask_tokens(
    input_ids: Tensor, mask_id: int, special_ids: list[int], vocab_size: int, seed: int
) -> tuple[Tensor, Tensor]:
    """minimodels.masking.mask_tokens with a generator seeded by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    return mask_tokens(
        input_ids, mask_id=mask_id, special_ids=special_ids, vocab_size=vocab_size,
        generator=generator,
    )  # fmt: skip


def bert_masking_categories(args: dict, got) -> tuple[dict, dict, str | None]:
    """What a submission of bert_mask_tokens did with each token, for the `proportions` check.

    Returns counts per category, the number each share is taken over, and the first broken
    invariant (or None): labels are -100 exactly where a token was not selected and the original
    token where it was; special tokens are never selected; an unselected token is unchanged; a
    random replacement is never a special token.
    """
    ids, special = args["input_ids"], torch.tensor(args["special_ids"])
    inputs, labels = got
    if inputs.shape != ids.shape or labels.shape != ids.shape:
        return (
            {},
            {},
            f"inputs {tuple(inputs.shape)} and labels {tuple(labels.shape)}, expected {tuple(ids.shape)} each",
        )
    selected = labels != IGNORE_INDEX
    is_special = torch.isin(ids, special)
    if (selected & (labels != ids)).any():
        return {}, {}, "a label is neither -100 nor the original token"
    if (selected & is_special).any():
        return {}, {}, "a special token ([CLS], [SEP], [PAD], ...) was selected for prediction"
    if (~selected & (inputs != ids)).any():
        return {}, {}, "a token that was not selected (label -100) was changed"
    masked = selected & (inputs == args["mask_id"])
    random = selected & (inputs != ids) & (inputs != args["mask_id"])
    if (random & torch.isin(inputs, special)).any():
        return {}, {}, "a random replacement is a special token"
    n_selected = int(selected.sum())
    counts = {
        "selected": n_selected,
        "masked": int(masked.sum()),
        "random": int(random.sum()),
        "kept": int((selected & (inputs == ids)).sum()),
    }
    totals = {"selected": int((~is_special).sum()), "masked": n_selected, "random": n_selected,
              "kept": n_selected}  # fmt: skip
    return counts, totals, None


def pack_pair(a: list[int], b: list[int], cls_id: int, sep_id: int) -> tuple[Tensor, Tensor]:
    """[CLS] A [SEP] B [SEP] and its segment ids, by minimodels.masking.pack_pair."""
    return masking.pack_pair(torch.tensor(a), torch.tensor(b), cls_id, sep_id)


def nsp_pairs(documents: list[list[list[int]]], n_pairs: int, seed: int) -> list[list]:
    """minimodels.masking.nsp_pairs on plain lists: [A, B, label], label 0 = B follows A."""
    docs = [[torch.tensor(segment) for segment in doc] for doc in documents]
    generator = torch.Generator().manual_seed(seed)
    pairs = masking.nsp_pairs(docs, n_pairs, generator=generator)
    return [[a.tolist(), b.tolist(), label] for a, b, label in pairs]


def nsp_categories(args: dict, got) -> tuple[dict, dict, str | None]:
    """For the `proportions` check of nsp_pairs: the share of IsNext pairs, and the rules.

    Every A must be a segment with a successor in its document; a label-0 pair's B is that
    successor; a label-1 pair's B comes from another document. Segments are distinct lists.
    """
    where = {
        tuple(segment): (d, i)
        for d, doc in enumerate(args["documents"])
        for i, segment in enumerate(doc)
    }
    if len(got) != args["n_pairs"]:
        return {}, {}, f"{len(got)} pairs, expected {args['n_pairs']}"
    is_next = 0
    for a, b, label in got:
        if tuple(a) not in where or tuple(b) not in where:
            return {}, {}, f"pair ({a}, {b}): not segments of the documents"
        (da, ia), (db, ib) = where[tuple(a)], where[tuple(b)]
        if ia == len(args["documents"][da]) - 1:
            return {}, {}, f"A = {a} is the last segment of its document: it has no next segment"
        if label == 0 and (db, ib) != (da, ia + 1):
            return {}, {}, f"label 0 (IsNext) but B = {b} does not follow A = {a}"
        if label == 1 and db == da:
            return {}, {}, f"label 1 (NotNext) but B = {b} comes from A's own document"
        if label not in (0, 1):
            return {}, {}, f"label {label!r}: use 0 (IsNext) or 1 (NotNext)"
        is_next += label == 0
    return {"is_next": is_next}, {"is_next": len(got)}, None


def alibi_bias(n_heads: int, t: int) -> Tensor:
    """Causal ALiBi bias (n_heads, t, t): -m_h (i - j) for key j <= query i, -inf after it."""
    slopes = torch.tensor(alibi_slopes(n_heads), dtype=torch.float64)  # (H,)
    pos = torch.arange(t, dtype=torch.float64)
    distance = pos[:, None] - pos[None, :]  # (t, t): i - j
    bias = -slopes[:, None, None] * distance  # (H, t, t)
    return bias.masked_fill(~causal_mask(t), float("-inf"))


def gibbs_step(
    ids: Tensor, position: Tensor, logits: Tensor, special_ids: list[int], seed: int
) -> Tensor:
    """One step of minimodels.sampling.gibbs_chain after the model call: in chain n, write a
    draw from softmax(logits[n]) (special tokens excluded) at position[n]."""
    logits = logits.clone()
    logits[:, special_ids] = float("-inf")  # never write [MASK], [CLS], ... into text
    generator = torch.Generator().manual_seed(seed)
    new = ids.clone()
    new[torch.arange(len(ids)), position] = sample_next(logits, generator=generator)[:, 0]
    return new


def gibbs_categories(args: dict, got) -> tuple[dict, dict, str | None]:
    """For the `proportions` check of gibbs_step: the rules, and whether draws follow softmax.

    `top1_calibration` counts, per chain, (1 if the draw is the most likely token) - (its
    probability), shifted by 1/2: its share is 1/2 in expectation for a correct sampler, and its
    spread at most that of a fair coin, so the binomial band is a safe bound.
    """
    ids, position, special = args["ids"], args["position"], args["special_ids"]
    if not isinstance(got, Tensor) or got.shape != ids.shape:
        return {}, {}, f"expected a tensor of shape {tuple(ids.shape)}"
    rows = torch.arange(len(ids))
    changed = got != ids
    changed[rows, position] = False
    if changed.any():
        return {}, {}, "a position other than the resampled one changed"
    written = got[rows, position]
    if torch.isin(written, torch.tensor(special)).any():
        return {}, {}, "a special token was written into the text"
    logits = args["logits"].clone()
    logits[:, special] = float("-inf")
    probs = torch.softmax(logits, dim=-1)
    top_p, top = probs.max(dim=-1)
    calibration = float(((written == top).double() - top_p).sum()) + 0.5 * len(ids)
    return {"top1_calibration": calibration}, {"top1_calibration": len(ids)}, None
