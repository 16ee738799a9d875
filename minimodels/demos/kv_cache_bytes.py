"""KV-cache bytes for multi-head, grouped-query and multi-query attention: formula vs real tensors.

Every layer caches one key and one value vector per token per key/value head:

    bytes = 2 x layers x kv_heads x head_dim x tokens x batch x bytes per number

The number of query heads is absent: MHA caches n_head key/value heads, GQA n_kv_head (one per
group), MQA one. Here a stack of real attention layers of each kind runs a prompt through a KV
cache; the bytes of the cached tensors are counted and compared with the formula, and the same
formula is applied to published model shapes.
"""

import torch

from minimodels.attention import KVCache
from minimodels.results import Check, Metric, Table, Text
from minimodels.serving import GroupedQueryAttention, kv_cache_bytes

DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32}
# Published shapes: (layers, query heads, key/value heads, head size).
MODELS = {
    "GPT-2 small": (12, 12, 12, 64),  # Radford et al. 2019, Table 2 (d = 768)
    "LLaMA 7B": (32, 32, 32, 128),  # Touvron et al. 2023a, Table 2 (d = 4096)
    "Llama 2 70B": (80, 64, 8, 128),  # LLaMA 65B's shape (2023a, Table 2) with GQA (2023b, Table 1)
    "Mistral 7B": (32, 32, 8, 128),  # Jiang et al. 2023, Table 1
}


def cached_bytes(caches: list[KVCache]) -> int:
    return sum(t.numel() * t.element_size() for c in caches for t in (c.k, c.v))


def run(
    layers: int = 4,
    heads: int = 8,
    group_size: int = 4,
    head_dim: int = 16,
    tokens: int = 64,
    batch: int = 2,
    dtype: str = "float16",
    seed: int = 0,
) -> list:
    if heads % group_size:
        raise ValueError(f"heads ({heads}) must be a multiple of the group size ({group_size})")
    torch.manual_seed(seed)
    width = heads * head_dim
    bytes_per = torch.finfo(DTYPES[dtype]).bits // 8
    x = torch.randn(batch, tokens, width).to(DTYPES[dtype])  # (B, T, C): the prompt's vectors

    kinds = {"MHA": heads, "GQA": heads // group_size, "MQA": 1}
    rows, measured, all_match = [], {}, True
    for kind, kv_heads in kinds.items():
        stack = [
            GroupedQueryAttention(width, heads, kv_heads).to(DTYPES[dtype]) for _ in range(layers)
        ]
        caches = [KVCache() for _ in stack]
        h = x
        with torch.no_grad():
            for layer, cache in zip(stack, caches, strict=True):
                h = h + layer(h, cache)  # prefill: the whole prompt in one pass fills the cache
        measured[kind] = cached_bytes(caches)
        formula = kv_cache_bytes(layers, kv_heads, head_dim, tokens, bytes_per, batch)
        all_match &= measured[kind] == formula
        shape = tuple(caches[0].k.shape)  # (B, kv_heads, T, head_dim)
        rows.append(
            [kind, kv_heads, str(shape), f"{measured[kind]:,}", f"{formula:,}",
             f"{measured[kind] / (tokens * batch):,.0f}"]
        )  # fmt: skip

    published = []
    for name, (n_layer, n_head, n_kv, hs) in MODELS.items():
        per_token = kv_cache_bytes(n_layer, n_kv, hs, 1, 2)
        published.append(
            [name, n_layer, n_head, n_kv, hs, f"{per_token / 2**10:,.0f}",
             f"{kv_cache_bytes(n_layer, n_kv, hs, 4096, 2) / 2**30:.3g}"]
        )  # fmt: skip

    return [
        Table(
            columns=[
                {"en": "attention", "zh": "注意力"},
                {"en": "K/V heads", "zh": "K/V 头数"},
                {"en": "cached K shape per layer", "zh": "每层缓存的 K 形状"},
                {"en": "bytes counted", "zh": "实测字节"},
                {"en": "bytes by formula", "zh": "公式字节"},
                {"en": "bytes per token", "zh": "每 token 字节"},
            ],
            rows=rows,
            title={
                "en": f"{layers} layers, {heads} query heads of size {head_dim}, "
                f"{batch} × {tokens} tokens, {dtype}",
                "zh": f"{layers} 层，{heads} 个大小为 {head_dim} 的 query 头，{batch} × {tokens} 个 "
                f"token，{dtype}",
            },
        ),
        Table(
            columns=[
                {"en": "model", "zh": "模型"},
                {"en": "layers", "zh": "层数"},
                {"en": "query heads", "zh": "query 头数"},
                {"en": "K/V heads", "zh": "K/V 头数"},
                {"en": "head size", "zh": "头维度"},
                {"en": "KiB per token (fp16)", "zh": "每 token KiB（fp16）"},
                {"en": "GiB per 4,096-token sequence", "zh": "每条 4096 token 序列的 GiB"},
            ],
            rows=published,
            title={
                "en": "The same formula on published shapes",
                "zh": "同一公式用于已发表模型的形状",
            },
        ),
        Metric(
            {"en": "MHA / GQA / MQA cache", "zh": "MHA / GQA / MQA 缓存之比"},
            " : ".join(f"{measured[kind] // measured['MQA']}" for kind in kinds),
        ),
        Text(
            {
                "en": "Query heads never enter the cache: a GQA layer computes as many score "
                "matrices as an MHA layer, but stores and reads back only one key and one value "
                "head per group. Every decoding step reads the whole cache, so the ratio is also "
                "the ratio of cache bytes read per generated token.",
                "zh": "query 头从不进入缓存：GQA 层计算的得分矩阵和 MHA 层一样多，但每组只存储、只读回一个 "
                "key 头和一个 value 头。每一步解码都要把整个缓存读一遍，所以这个比值也是每生成一个 token "
                "所读缓存字节数之比。",
            }
        ),
        Check(
            {
                "en": "The bytes of the cached tensors equal 2·layers·kv_heads·head_dim·tokens·"
                "batch·bytes for MHA, GQA and MQA",
                "zh": "MHA、GQA 和 MQA 缓存张量的字节数都等于 2·层数·kv 头数·头维度·token 数·batch·"
                "每个数的字节数",
            },
            all_match,
            {
                "en": f"{bytes_per} bytes per number ({dtype})",
                "zh": f"每个数 {bytes_per} 字节（{dtype}）",
            },
        ),
        Check(
            {
                "en": "GQA's cache is n_head / n_kv_head times smaller than MHA's, MQA's n_head times",
                "zh": "GQA 的缓存比 MHA 小 n_head / n_kv_head 倍，MQA 小 n_head 倍",
            },
            measured["MHA"] == group_size * measured["GQA"] == heads * measured["MQA"],
            {
                "en": f"{measured['MHA']:,} = {group_size} × {measured['GQA']:,} = {heads} × "
                f"{measured['MQA']:,}",
                "zh": f"{measured['MHA']:,} = {group_size} × {measured['GQA']:,} = {heads} × "
                f"{measured['MQA']:,}",
            },
        ),
    ]
