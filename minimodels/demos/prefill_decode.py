"""Prefill vs decode on a roofline: FLOPs counted by PyTorch, bytes from the tensors' sizes.

A GPU step takes at least max(FLOPs / peak FLOP/s, bytes moved / memory bandwidth). Which term wins
depends on the arithmetic intensity, FLOPs per byte:

- every weight does 2 FLOPs per token that passes through it and is read once per step, so the
  weight products have an intensity of (tokens per step) x 2 / (bytes per weight): the whole prompt
  in prefill, the batch size in decode;
- attention over the KV cache does 4·head_dim FLOPs per cached token per query head and reads
  4·head_dim bytes (fp16 key and value) per cached token per K/V head: an intensity of
  n_head / n_kv_head, whatever the batch, because each sequence reads its own cache.

The layer below is LLaMA-7B-sized by default (with a plain 4d MLP) and lives on PyTorch's "meta"
device: shapes only, no memory and no arithmetic, so counting a 7-billion-parameter step takes
milliseconds. The embedding and output head are left out. Times come from the roofline model of the
GPU you describe; they are estimates, not measurements.
"""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from minimodels.results import Check, Lines, Metric, Table, Text

BATCHES = (1, 4, 16, 64, 256)
CACHE_BYTES = 2  # keys and values kept in fp16
BITS = {"fp16": 16, "int8": 8, "int4": 4}  # bits per weight


class Layer(nn.Module):
    """A decoder layer written out so the FLOP counter sees every product: the projections and the
    MLP are aten.mm (weights), attention is aten.bmm (the KV cache). Norms are left out: their FLOPs
    and bytes are negligible next to these."""

    def __init__(self, width: int, heads: int, kv_heads: int):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, width // heads
        self.q = nn.Linear(width, width, bias=False)
        self.kv = nn.Linear(width, 2 * kv_heads * self.head_dim, bias=False)
        self.o = nn.Linear(width, width, bias=False)
        self.up = nn.Linear(width, 4 * width, bias=False)
        self.down = nn.Linear(4 * width, width, bias=False)

    def forward(self, x, past_k, past_v):
        B, T, C = x.shape  # past_k, past_v: (B, H_kv, S, hs), the cache before this step
        group = self.heads // self.kv_heads
        q = self.q(x).view(B, T, self.heads, self.head_dim).transpose(1, 2)  # (B, H, T, hs)
        k, v = self.kv(x).view(B, T, 2, self.kv_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)  # (B, H_kv, S+T, hs)
        # The `group` query heads that share a K/V head are stacked as extra rows: no copy of K, V.
        q = q.reshape(B, self.kv_heads, group * T, self.head_dim)  # (B, H_kv, group·T, hs)
        scores = q @ k.transpose(-2, -1) / self.head_dim**0.5  # (B, H_kv, group·T, S+T)
        if T > 1:  # prefill: causal mask, aligned to the end of the cache
            allowed = torch.ones(T, k.size(2), dtype=torch.bool, device=x.device).tril(
                k.size(2) - T
            )
            scores = scores.masked_fill(~allowed.repeat(group, 1), float("-inf"))
        y = (torch.softmax(scores, dim=-1) @ v).reshape(B, self.heads, T, self.head_dim)
        x = x + self.o(y.transpose(1, 2).reshape(B, T, C))
        return x + self.down(F.gelu(self.up(x)))


def count_step(layer, layers, batch, new_tokens, cached, width, kv_heads, head_dim):
    """FLOPs of one forward step through `layers` identical layers, split into weight products
    (mm) and attention (bmm). The layers are alike, so one is counted and the count multiplied."""
    x = torch.zeros(batch, new_tokens, width, device="meta")
    past = torch.zeros(batch, kv_heads, cached, head_dim, device="meta")
    with FlopCounterMode(display=False) as counter:
        layer(x, past, past)
    ops = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    return layers * ops.get("aten.mm", 0), layers * ops.get("aten.bmm", 0)


def run(
    width: int = 4096,
    layers: int = 32,
    heads: int = 32,
    attention: str = "MHA",
    context: int = 2048,
    weights: str = "fp16",
    peak_tflops: float = 312.0,
    bandwidth_tbs: float = 2.0,
) -> list:
    n_kv = {"MHA": heads, "GQA-8": 8, "MQA": 1}[attention]  # heads is a multiple of 8
    head_dim, bits = width // heads, BITS[weights]
    with torch.device("meta"):
        layer = Layer(width, heads, n_kv)
    weight_params = layers * sum(p.numel() for p in layer.parameters())
    weight_bytes = weight_params * bits / 8
    kv_per_token = 2 * layers * n_kv * head_dim * CACHE_BYTES  # bytes, all layers
    peak, bandwidth = peak_tflops * 1e12, bandwidth_tbs * 1e12
    ridge = peak / bandwidth

    steps = [("prefill", 1, context, 0)] + [("decode", b, 1, context) for b in BATCHES]
    rows, results = [], []
    for phase, batch, new, cached in steps:
        mm, bmm = count_step(layer, layers, batch, new, cached, width, n_kv, head_dim)
        kv_read, kv_written = kv_per_token * batch * cached, kv_per_token * batch * new
        flops, moved = mm + bmm, weight_bytes + kv_read + kv_written
        seconds = max(flops / peak, moved / bandwidth)
        tokens = batch * new
        results.append(
            {"phase": phase, "batch": batch, "tokens": tokens, "mm": mm, "bmm": bmm,
             "weight_intensity": mm / weight_bytes, "attention_intensity": bmm / (kv_read + kv_written),
             "intensity": flops / moved, "seconds": seconds, "per_second": tokens / seconds}
        )  # fmt: skip
        bound = {"en": "compute", "zh": "算力"} if flops / peak > moved / bandwidth else \
            {"en": "memory", "zh": "带宽"}  # fmt: skip
        label = (
            {"en": f"prefill, {context} tokens", "zh": f"prefill，{context} 个 token"}
            if phase == "prefill"
            else {"en": f"decode, batch {batch}", "zh": f"decode，batch {batch}"}
        )
        rows.append(
            [label, f"{flops / 1e9:,.1f}", f"{moved / 1e9:,.2f}", f"{flops / moved:,.1f}",
             f"{seconds * 1e3:,.2f}", bound, f"{tokens / seconds:,.0f}"]
        )  # fmt: skip

    decode = [r for r in results if r["phase"] == "decode"]
    prefill = results[0]
    exact_two_per_param = all(r["mm"] == 2 * weight_params * r["tokens"] for r in results)
    scales_with_batch = all(
        abs(r["weight_intensity"] / decode[0]["weight_intensity"] - r["batch"]) < 1e-9
        for r in decode
    )
    attention_flat = all(abs(r["attention_intensity"] - heads / n_kv) < 1e-9 for r in decode)
    return [
        Table(
            columns=[
                {"en": "step", "zh": "步骤"},
                {"en": "GFLOPs (counted)", "zh": "GFLOPs（计数）"},
                {"en": "GB moved", "zh": "读写 GB"},
                {"en": "FLOPs per byte", "zh": "每字节运算数"},
                {"en": "ms (roofline)", "zh": "毫秒（屋顶线）"},
                {"en": "bound by", "zh": "受限于"},
                {"en": "tokens/s", "zh": "token/秒"},
            ],
            rows=rows,
            title={
                "en": f"{layers} layers of width {width}, {heads} query heads, {n_kv} K/V heads, "
                f"{weights} weights, {context} tokens of context",
                "zh": f"{layers} 层，宽度 {width}，{heads} 个 query 头，{n_kv} 个 K/V 头，{weights} "
                f"权重，上下文 {context} 个 token",
            },
        ),
        Lines(
            x=list(BATCHES),
            series={
                "weights": [r["weight_intensity"] for r in decode],
                "attention": [r["attention_intensity"] for r in decode],
                "ridge": [ridge] * len(BATCHES),
            },
            series_labels={
                "weights": {"en": "weight products", "zh": "权重矩阵乘法"},
                "attention": {"en": "attention over the KV cache", "zh": "对 KV 缓存的注意力"},
                "ridge": {"en": "GPU ridge point", "zh": "GPU 拐点"},
            },
            title={
                "en": "Decode: FLOPs per byte vs batch size",
                "zh": "decode：每字节运算数与 batch 大小",
            },
            x_label={"en": "batch size", "zh": "batch 大小"},
            y_label={"en": "FLOPs per byte", "zh": "每字节运算数"},
            log_y=True,
        ),
        Metric({"en": "ridge point", "zh": "拐点"}, f"{ridge:,.0f} FLOPs/byte"),
        Metric(
            {"en": "decode, batch 1", "zh": "decode，batch 1"},
            f"{decode[0]['seconds'] * 1e3:.2f} ms/token",
            {"en": "weights + cache ÷ bandwidth", "zh": "（权重 + 缓存）÷ 带宽"},
        ),
        Text(
            {
                "en": "Read the table top to bottom: prefill does thousands of FLOPs per byte and is "
                "limited by the arithmetic; decode at batch 1 does about one and is limited by "
                "memory, so its time per token is the bytes of weights and cache divided by the "
                "bandwidth. Batching multiplies the weight products' intensity, but attention over "
                "each sequence's own cache stays at n_head / n_kv_head FLOPs per byte: try 8 or 1 "
                "K/V heads (GQA, MQA), or 4-bit weights.",
                "zh": "从上往下看这张表：prefill 每字节做成千上万次运算，受限于算力；batch 为 1 的 decode 每"
                "字节只做约一次运算，受限于显存，所以每个 token 的时间就是权重和缓存的字节数除以带宽。"
                "batching 能成倍提高权重矩阵乘法的算术强度，但每条序列对自己缓存做的注意力始终是每字节 "
                "n_head / n_kv_head 次运算：试试 8 个或 1 个 K/V 头（GQA、MQA），或者 4 位权重。",
            }
        ),
        Check(
            {
                "en": "Counted: every weight does exactly 2 FLOPs per token, in prefill and decode",
                "zh": "计数结果：无论 prefill 还是 decode，每个权重对每个 token 恰好做 2 次运算",
            },
            exact_two_per_param,
            {
                "en": f"{weight_params / 1e9:.2f} B weights; prefill {prefill['mm']:,} = 2 × "
                f"{weight_params:,} × {context}",
                "zh": f"{weight_params / 1e9:.2f} B 个权重；prefill {prefill['mm']:,} = 2 × "
                f"{weight_params:,} × {context}",
            },
        ),
        Check(
            {
                "en": "Decode at batch 1 is below the ridge point (memory-bound); prefill is above "
                "it (compute-bound)",
                "zh": "batch 为 1 的 decode 低于拐点（受带宽限制）；prefill 高于拐点（受算力限制）",
            },
            decode[0]["intensity"] < ridge < prefill["intensity"],
            {
                "en": f"{decode[0]['intensity']:.2f} < {ridge:.0f} < {prefill['intensity']:,.0f}",
                "zh": f"{decode[0]['intensity']:.2f} < {ridge:.0f} < {prefill['intensity']:,.0f}",
            },
        ),
        Check(
            {
                "en": "Batching multiplies the weight products' FLOPs per byte by the batch size; "
                "attention over the cache stays at n_head / n_kv_head",
                "zh": "batching 让权重矩阵乘法的每字节运算数按 batch 大小成倍增长；对缓存的注意力保持在 "
                "n_head / n_kv_head",
            },
            scales_with_batch and attention_flat,
            {
                "en": f"attention: {decode[0]['attention_intensity']:g} FLOPs/byte at every batch "
                f"({heads} / {n_kv})",
                "zh": f"注意力：每个 batch 下都是 {decode[0]['attention_intensity']:g} 次运算/字节"
                f"（{heads} / {n_kv}）",
            },
        ),
    ]
