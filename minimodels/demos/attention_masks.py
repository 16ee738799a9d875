"""Padding, causal and prefix-LM masks on your sentence, and what -10000 and -inf each do.

A mask is added to the attention scores before the softmax: 0 where a query may look at a key,
a large negative number where it may not. Both -10000 (BERT) and -inf give a weight of exactly 0
in float32, as long as the row has at least one allowed key. They differ when a row has none:
-inf gives 0/0 = NaN, while -10000 gives no error and a row that ignores its mask.
"""

import math

import torch

from minimodels.attention import (
    causal_mask,
    padding_mask,
    prefix_lm_mask,
    scaled_dot_product_attention,
)
from minimodels.results import Check, Heatmap, Metric, Table, Text
from minimodels.tokenizers import pre_tokenize
from minimodels.train import set_threads

MAX_WORDS = 12  # keeps the heatmaps readable


def additive(allowed, fill):
    """Boolean mask (True = may attend) -> additive float mask: 0 where allowed, fill elsewhere."""
    return torch.where(allowed, torch.tensor(0.0), torch.tensor(fill))


def run(
    sentence: str, padding: int = 3, prefix: int = 3, fill: str = "-10000", seed: int = 0
) -> list:
    set_threads()
    g = torch.Generator().manual_seed(seed)
    fill_value = float(fill)  # -10000.0 or -inf

    # 1. Your words, then `padding` [PAD] tokens to fill the batch slot.
    words = pre_tokenize(sentence)[:MAX_WORDS]
    tokens = words + ["[PAD]"] * padding
    T, d = len(tokens), 8
    attention_mask = torch.tensor([[1] * len(words) + [0] * padding])  # (1, T): 1 = real token

    # 2. Random queries, keys and values stand in for a layer's projections (seeded).
    q = torch.randn(1, 1, T, d, generator=g)  # (B, H, T, d)
    k = torch.randn(1, 1, T, d, generator=g)
    v = torch.randn(1, 1, T, d, generator=g)
    scores = (q @ k.transpose(-2, -1) / math.sqrt(d))[0, 0]  # (T, T): row = query, column = key

    # 3. Three additive masks (T, T), each also blocking the [PAD] keys.
    not_pad = attention_mask.bool()  # (1, T): broadcasts over the query rows
    prefix = min(prefix, len(words))
    masks = {
        # BERT: every real token, both directions. (1, 1, 1, T) -> (T, T)
        "padding": padding_mask(attention_mask, fill_value)[0, 0].expand(T, T),
        # GPT: only keys at or before the query.
        "causal": additive(causal_mask(T) & not_pad, fill_value),
        # UniLM: the prefix sees itself both ways, the rest is causal.
        "prefix-LM": additive(prefix_lm_mask(T, prefix) & not_pad, fill_value),
    }
    allowed = {name: mask == 0 for name, mask in masks.items()}  # (T, T) True = may attend

    parts = [
        Heatmap(
            scores.tolist(),
            tokens,
            tokens,
            {
                "en": "Raw scores q·k/√d (rows: queries, columns: keys)",
                "zh": "原始分数 q·k/√d（行：query，列：key）",
            },
            {"en": "score", "zh": "分数"},
        )
    ]
    weights = {}
    for name, mask in masks.items():
        _, w = scaled_dot_product_attention(q, k, v, mask, return_weights=True)  # (1, 1, T, T)
        weights[name] = w[0, 0]
        parts.append(
            Heatmap(
                allowed[name].float().tolist(),
                tokens,
                tokens,
                {
                    "en": f"{name} mask: 1 = may attend (adds 0), 0 = blocked (adds {fill})",
                    "zh": f"{name} 掩码：1 = 可以关注（加 0），0 = 屏蔽（加 {fill}）",
                },
                {"en": "allowed", "zh": "允许"},
            )
        )
        parts.append(
            Heatmap(
                weights[name].tolist(),
                tokens,
                tokens,
                {"en": f"{name}: softmax weights", "zh": f"{name}：softmax 权重"},
                {"en": "weight", "zh": "权重"},
            )
        )

    # 4. The claims on the three weight matrices.
    on_pad = max(w[:, ~not_pad[0]].max().item() if padding else 0.0 for w in weights.values())
    on_blocked = max(w[~allowed[n]].max().item() for n, w in weights.items())
    row_sums = max((w.sum(-1) - 1).abs().max().item() for w in weights.values())

    # 5. A row with no allowed key at all (it happens with left padding under a causal mask).
    row = scores[0]  # (T,) the first query's scores
    everything = torch.zeros(T, dtype=torch.bool)  # no key allowed
    neg_inf = torch.softmax(row + additive(everything, float("-inf")), -1)  # -inf added
    added = torch.softmax(row + additive(everything, -10000.0), -1)  # BERT: scores + mask
    filled = torch.softmax(row.masked_fill(~everything, -10000.0), -1)  # scores replaced
    unmasked = torch.softmax(row, -1)
    fully_masked = Table(
        columns=[
            {"en": "key", "zh": "键（key）"},
            {"en": "no mask", "zh": "无掩码"},
            {"en": "-inf added", "zh": "加 -inf"},
            {"en": "-10000 added", "zh": "加 -10000"},
            {"en": "-10000 masked_fill", "zh": "masked_fill 填入 -10000"},
        ],
        rows=[
            [
                tokens[j],
                f"{unmasked[j]:.4f}",
                f"{neg_inf[j]:.4f}",
                f"{added[j]:.4f}",
                f"{filled[j]:.4f}",
            ]
            for j in range(T)
        ],
        title={
            "en": f"Query “{tokens[0]}” with every key masked",
            "zh": f"query “{tokens[0]}” 的所有 key 都被屏蔽时",
        },
    )

    return [
        *parts,
        Metric(
            {"en": "largest weight on a [PAD] key", "zh": "[PAD] key 上的最大权重"}, f"{on_pad:.1e}"
        ),
        Metric(
            {"en": "largest weight on any blocked key", "zh": "任一被屏蔽 key 上的最大权重"},
            f"{on_blocked:.1e}",
        ),
        Check(
            {
                "en": f"With {fill}, padded keys get no weight (max < 1e-4) and every row sums to 1",
                "zh": f"使用 {fill} 时，填充的 key 得不到权重（最大值 < 1e-4），且每行之和为 1",
            },
            padding > 0 and on_pad < 1e-4 and on_blocked < 1e-4 and row_sums < 1e-5,
            {
                "en": f"max weight on [PAD] keys {on_pad:.1e}, on blocked keys {on_blocked:.1e}; "
                f"largest |row sum − 1| {row_sums:.1e}",
                "zh": f"[PAD] key 上的最大权重 {on_pad:.1e}，被屏蔽 key 上的最大权重 "
                f"{on_blocked:.1e}；|行和 − 1| 的最大值 {row_sums:.1e}",
            },
        ),
        fully_masked,
        Text(
            {
                "en": "When **every** key of a row is masked there is nothing left to normalise. "
                "With -inf the softmax computes 0/0 and the row is NaN, which then spreads to "
                "everything downstream. Adding -10000 raises no error but shifts all scores "
                "equally, and a softmax ignores equal shifts: the row is the *unmasked* softmax, up "
                "to float32 rounding. Writing -10000 in place of the scores (masked_fill) makes all "
                "scores equal, so the row is uniform. Either way the output of that row is "
                "meaningless; real code makes sure it is never used (padding queries are ignored).",
                "zh": "当一行的**所有** key 都被屏蔽时，softmax 没有可归一化的对象。用 -inf 时 softmax "
                "计算 0/0，这一行变成 NaN，并会传播到后续所有计算。加上 -10000 不会报错，但它让所有分数"
                "平移同样的量，而 softmax 对整体平移不敏感：结果就是*未加掩码*的 softmax（仅有 float32 "
                "舍入误差）。若用 masked_fill 把分数直接替换成 -10000，所有分数相等，这一行就是均匀分布。"
                "无论哪种，这一行的输出都没有意义；实际代码保证它不会被使用（填充位置的 query 会被忽略）。",
            }
        ),
        Check(
            {"en": "A fully masked row with -inf is NaN", "zh": "全被屏蔽的行用 -inf 时为 NaN"},
            bool(neg_inf.isnan().all()),
            {
                "en": f"{int(neg_inf.isnan().sum())} of {T} weights are NaN",
                "zh": f"{T} 个权重中有 {int(neg_inf.isnan().sum())} 个是 NaN",
            },
        ),
        Check(
            {
                "en": "With masked_fill(-10000) the fully masked row is uniform, 1/T each",
                "zh": "用 masked_fill(-10000) 时，全被屏蔽的行是均匀分布，每项 1/T",
            },
            (filled - 1 / T).abs().max().item() < 1e-6,
            {
                "en": f"max |weight − 1/{T}| = {(filled - 1 / T).abs().max().item():.1e}",
                "zh": f"|权重 − 1/{T}| 的最大值 = {(filled - 1 / T).abs().max().item():.1e}",
            },
        ),
        Check(
            {
                "en": "Adding -10000 to every score gives back the unmasked softmax (within 1e-3)",
                "zh": "给每个分数都加 -10000，得到的就是未加掩码的 softmax（误差 1e-3 以内）",
            },
            (added - unmasked).abs().max().item() < 1e-3,
            {
                "en": f"max |difference| = {(added - unmasked).abs().max().item():.1e}",
                "zh": f"|差值| 的最大值 = {(added - unmasked).abs().max().item():.1e}",
            },
        ),
    ]
