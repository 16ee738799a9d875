"""Greedy generation with and without the KV cache: same tokens, far fewer token-passes.

Without the cache, step t feeds the whole sequence so far (t tokens) through the model again, so T
steps cost 1 + 2 + ... + T = T(T+1)/2 token-passes. With the cache, each layer keeps the keys and
values it already computed, and each step feeds only the newest token: T token-passes. The
model is GPT-2-shaped with random weights; greedy decoding makes both runs deterministic.
"""

import time

import torch

from minimodels.gpt import GPT, GPTConfig, generate
from minimodels.results import Check, Lines, Metric, Table, Text
from minimodels.train import set_threads

VOCAB = 256
YES, NO = {"en": "yes", "zh": "是"}, {"en": "NO", "zh": "否"}


def timed_generate(model, prompt, steps, use_cache):
    """Greedy generation; returns the tokens, the wall milliseconds and the token-passes.

    A short run is timed twice and the faster time kept: a one-off stall caused by another
    process would otherwise dominate it. Long runs average such stalls out."""
    fed = []  # tokens fed to the model at each call, counted by a hook on its forward()
    hook = model.register_forward_pre_hook(lambda module, args: fed.append(args[0].shape[1]))
    times = []
    while not times or (len(times) < 2 and times[0] < 250):
        start = time.perf_counter()
        out = generate(model, prompt, steps, temperature=0, use_cache=use_cache)  # (1, 1 + steps)
        times.append((time.perf_counter() - start) * 1000)
    hook.remove()
    return out, min(times), sum(fed) // len(times)


def run(layers: int = 4, width: int = 128, longest: int = 128, seed: int = 0) -> list:
    set_threads()
    # Tokens to generate: 16, 32, 64, ... up to `longest`, and `longest` itself.
    lengths = sorted({16 * 2**i for i in range(6) if 16 * 2**i <= longest} | {longest})
    torch.manual_seed(seed)
    config = GPTConfig(
        vocab_size=VOCAB, block_size=longest + 1, n_layer=layers, n_head=4, n_embd=width
    )  # block_size covers prompt + every new token: the context is never cropped
    model = GPT(config).eval()
    prompt = torch.zeros(1, 1, dtype=torch.long)  # (1, 1): one start token

    generate(model, prompt, 8, temperature=0)  # warm-up: the first call pays one-time costs
    rows, ms = [], {"no cache": [], "KV cache": []}
    all_equal, passes_right = True, True
    for T in lengths:
        slow, slow_ms, slow_passes = timed_generate(model, prompt, T, use_cache=False)
        fast, fast_ms, fast_passes = timed_generate(model, prompt, T, use_cache=True)
        ms["no cache"].append(slow_ms)
        ms["KV cache"].append(fast_ms)
        same = torch.equal(slow, fast)
        all_equal &= same
        # Step t feeds t tokens without the cache (the prompt and t - 1 new ones), 1 with it.
        passes_right &= slow_passes == T * (T + 1) // 2 and fast_passes == T
        rows.append(
            [T, f"{slow_passes:,}", f"{fast_passes:,}", f"{slow_ms:.0f}", f"{fast_ms:.0f}",
             f"{slow_ms / fast_ms:.1f}×", YES if same else NO]
        )  # fmt: skip

    n_params = sum(p.numel() for p in model.parameters())
    return [
        Table(
            columns=[
                {"en": "new tokens T", "zh": "新 token 数 T"},
                {"en": "token-passes, no cache", "zh": "token 处理次数，无缓存"},
                {"en": "with cache", "zh": "有缓存"},
                {"en": "ms, no cache", "zh": "毫秒，无缓存"},
                {"en": "ms, KV cache", "zh": "毫秒，KV 缓存"},
                {"en": "speed-up", "zh": "加速比"},
                {"en": "same tokens", "zh": "token 相同"},
            ],
            rows=rows,
            title={
                "en": f"Greedy generation, {layers} layers, width {width}, random weights",
                "zh": f"贪心生成，{layers} 层，宽度 {width}，随机权重",
            },
        ),  # fmt: skip
        Lines(
            x=lengths,
            series=ms,
            series_labels={
                "no cache": {"en": "no cache", "zh": "无缓存"},
                "KV cache": {"en": "KV cache", "zh": "KV 缓存"},
            },
            title={"en": "Wall time to generate T tokens", "zh": "生成 T 个 token 的耗时"},
            x_label="T",
            y_label={"en": "ms", "zh": "毫秒"},
        ),
        Metric({"en": "parameters", "zh": "参数量"}, f"{n_params:,}"),
        Metric(
            {"en": f"speed-up at T = {lengths[-1]}", "zh": f"T = {lengths[-1]} 时的加速比"},
            f"{ms['no cache'][-1] / ms['KV cache'][-1]:.1f}×",
            {"en": "measured: varies with machine load", "zh": "实测值：随机器负载变化"},
        ),
        Text(
            {
                "en": "The token-pass counts are exact; the times are measured on this machine and "
                "vary from run to run. The saving grows with T because the work without the cache "
                "grows like T², and with larger models, where the recomputed layers are a larger "
                "share of each step than the fixed per-call overhead of a tiny model.",
                "zh": "token 处理次数是精确的；耗时是在这台机器上实测的，每次运行都会有波动。节省随 T "
                "增长，因为不用缓存时的计算量按 T² 增长；模型越大节省也越多，因为重复计算各层所占的比重"
                "远超小模型每次调用的固定开销。",
            }
        ),
        Check(
            {
                "en": "With and without the cache, greedy decoding produces the same token ids at "
                "every length",
                "zh": "无论是否使用缓存，贪心解码在每个长度上生成的 token id 都完全相同",
            },
            all_equal,
            {
                "en": f"compared at T = {', '.join(map(str, lengths))}",
                "zh": f"在 T = {', '.join(map(str, lengths))} 时逐一比较",
            },
        ),
        Check(
            {
                "en": "Counted token-passes: T(T+1)/2 without the cache, T with it",
                "zh": "实际计数的 token 处理次数：不用缓存 T(T+1)/2，用缓存 T",
            },
            passes_right,
            {
                "en": f"at T = {lengths[-1]}: {lengths[-1] * (lengths[-1] + 1) // 2:,} vs "
                f"{lengths[-1]}",
                "zh": f"T = {lengths[-1]} 时：{lengths[-1] * (lengths[-1] + 1) // 2:,} 对 "
                f"{lengths[-1]}",
            },
        ),
    ]
