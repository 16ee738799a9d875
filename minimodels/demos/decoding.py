"""Greedy decoding against sampling, on the same tiny GPT and the same prompt.

Greedy decoding always takes the most likely next character. It is deterministic, and a small
model soon falls into a loop: the same few words again and again. Sampling draws the next
character from the model's distribution: temperature sharpens or flattens it, top-k keeps the k
most likely characters, top-p (nucleus) the smallest set whose probability reaches p.

Repetition is measured as the share of 4-grams (4 characters in a row) in the generated text that
already occurred earlier in it: 0 % for text that never repeats itself, near 100 % for a loop.
"""

import torch
import torch.nn.functional as F

from minimodels.demos.trained import GPT_STEPS, code_block, scaled, tiny_gpt
from minimodels.gpt import generate
from minimodels.results import Check, Table, Text


def repeated_ngrams(text: str, n: int = 4) -> float:
    """Share of the n-grams of text that are repeats of an earlier one."""
    grams = [text[i : i + n] for i in range(len(text) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


@torch.no_grad()
def mean_nll(model, ids: torch.Tensor, n_prompt: int) -> float:
    """The model's mean -log p per generated character (nats), each scored with the context it was
    generated from (the last block_size characters), in two batched passes instead of one per
    character: a character within the first block_size reads all the characters before it, so one
    causal pass over the first block scores them all; each later one gets its own window."""
    block = model.config.block_size
    targets = ids[0, n_prompt:]  # (N,)
    early = range(n_prompt, min(ids.size(1), block + 1))  # positions t whose context is ids[:t]
    late = range(max(n_prompt, block + 1), ids.size(1))  # contexts of exactly block characters
    logits = [model(ids[:, :block])[0, early.start - 1 : early.stop - 1]] if early else []
    if late:
        windows = torch.stack([ids[0, t - block : t] for t in late])  # (len(late), block)
        logits.append(model(windows)[:, -1])
    log_p = F.log_softmax(torch.cat(logits).float(), dim=-1)  # (N, V)
    return -log_p[torch.arange(len(targets)), targets].mean().item()


def run(
    prompt: str = "The model ",
    length: int = 200,
    temperature: float = 0.8,
    top_k: int = 10,
    top_p: float = 0.9,
    steps: int = GPT_STEPS,
    seed: int = 0,
    language: str = "en",
    progress=None,
) -> list:
    gpt = tiny_gpt(steps, seed, scaled(progress, 0.0, 0.9), language)  # the same model as gpt-train
    model, tok = gpt.model, gpt.tokenizer
    idx = torch.tensor([tok.encode(prompt)])  # (1, T)

    methods = {  # name -> generate() settings
        "greedy": dict(temperature=0.0),
        f"temperature {temperature}": dict(temperature=temperature),
        f"top-k {top_k}": dict(temperature=1.0, top_k=top_k),
        f"top-p {top_p}": dict(temperature=1.0, top_p=top_p),
    }
    # The names as a learner reads them (top-k and top-p read the same in Chinese).
    zh = {"greedy": "贪心", f"temperature {temperature}": f"温度 {temperature}"}
    shown = {name: {"en": name, "zh": zh.get(name, name)} for name in methods}
    rows, texts, outputs, repetition = [], [], {}, {}
    for i, (name, settings) in enumerate(methods.items()):
        g = torch.Generator().manual_seed(seed)
        out = generate(model, idx, length, generator=g, **settings)  # (1, T + length)
        outputs[name] = out
        new_text = tok.decode(out[0, idx.size(1) :].tolist())
        repetition[name] = repeated_ngrams(new_text)
        nll = round(mean_nll(model, out, idx.size(1)), 3)
        rows.append([shown[name], f"{repetition[name]:.1%}", nll])
        texts += [
            Text({"en": f"**{name}**", "zh": f"**{shown[name]['zh']}**"}),
            Text(code_block(prompt + new_text)),
        ]
        if progress:
            doing = {"en": f"decoding: {name}", "zh": f"解码：{shown[name]['zh']}"}
            progress(0.9 + 0.1 * (i + 1) / len(methods), doing, None)

    # Greedy is deterministic: a second run, without the KV cache, recomputes every step from
    # the full context and must take exactly the same argmax path.
    again = generate(model, idx, length, temperature=0.0, use_cache=False)
    greedy_rep = repetition.pop("greedy")
    return [
        Table(
            columns=[
                {"en": "method", "zh": "方法"},
                {"en": "repeated 4-grams", "zh": "重复的 4-gram"},
                {"en": "model's −log p per char", "zh": "模型的每字符 −log p"},
            ],
            rows=rows,
            title={
                "en": f"{length} characters after the prompt, each method",
                "zh": f"每种方法在提示之后生成 {length} 个字符",
            },
        ),
        *texts,
        Text(
            {
                "en": "Greedy text is the model's most likely path, so its −log p per character is "
                "the lowest, yet it reads worst: high likelihood is not the same as good text.",
                "zh": "贪心解码走的是模型认为最可能的路径，所以每字符 −log p 最低，读起来却最差："
                "似然高并不等于文本好。",
            }
        ),
        Check(
            {
                "en": "Greedy decoding is deterministic: a rerun without the KV cache gives the "
                "same characters",
                "zh": "贪心解码是确定性的：不用 KV 缓存重跑一次，得到完全相同的字符",
            },
            torch.equal(outputs["greedy"], again),
            {"en": f"{length} characters compared", "zh": f"比较了 {length} 个字符"},
        ),
        Check(
            {
                "en": "Greedy text repeats itself at least as much as every sampled text",
                "zh": "贪心解码文本的重复程度不低于任何一种采样文本",
            },
            all(greedy_rep >= r for r in repetition.values()),
            {
                "en": f"greedy {greedy_rep:.1%}; "
                + ", ".join(f"{k} {v:.1%}" for k, v in repetition.items()),
                "zh": f"贪心 {greedy_rep:.1%}；"
                + "，".join(f"{shown[k]['zh']} {v:.1%}" for k, v in repetition.items()),
            },
        ),
    ]
