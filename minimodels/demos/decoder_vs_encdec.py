"""Decoder-only against encoder-decoder, at about the same number of parameters, on a toy
sequence-to-sequence task: reverse (or copy) a string of random letters.

- Decoder-only (GPT): one causal stack reads "source = target" as a single sequence and predicts
  the target letters one by one; the source is just the beginning of the context.
- Encoder-decoder (the original Transformer): a bidirectional encoder reads the source; a causal
  decoder writes the target and looks at the encoder's output through cross-attention.

Both are trained on the target letters only (the source letters are random: nothing to learn
there) with the same batches, and scored by exact match: the whole target right, decoded greedily,
on strings drawn fresh for the test. To make the parameter counts match, the decoder-only model
gets 5 layers against the encoder-decoder's 2 + 2 (a decoder layer with cross-attention is larger).

Exact match under greedy decoding is measured in one forward pass: greedy decoding writes the
whole target right exactly when, fed the right target (teacher forcing), the model's most likely
letter is right at every position (the first wrong letter would be the same in both). Evaluated
every 5 steps on 300 test strings, it costs less than a training step.

Measured on the project's 2-core machine (one thread, 8 other jobs running), seeds 0, 1, 2: with
the defaults (reverse 8 letters, 100 steps) both models end at 100 % exact match; the decoder-only
one passes 95 % after 50-55 steps, the encoder-decoder after 70-85. The run takes 10 s of CPU time
(32 s before, with 12 letters, 200 steps and greedy decoding at every evaluation)."""

import math
import time
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minimodels.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from minimodels.demos.trained import LOSS_AXIS, STEP_AXIS, parameter_count, scaled
from minimodels.gpt import GPT, MLP, Block, GPTConfig, generate
from minimodels.results import Check, Lines, Table, Text
from minimodels.train import set_threads

LETTERS = "abcdefghijklmnopqrstuvwxyz"
SEP = len(LETTERS)  # the token "=": between source and target, and the decoder's start token
VOCAB = len(LETTERS) + 1
WIDTH, HEADS = 64, 4
LR, BATCH, WARMUP = 3e-3, 64, 50
EVAL_EVERY = 5  # steps between evaluations: the first live point comes after 5 steps, < 1 s
NAMES = {  # the two models' names as a learner reads them, in the charts
    "decoder-only, 5 layers": {"en": "decoder-only, 5 layers", "zh": "仅解码器，5 层"},
    "encoder-decoder, 2 + 2 layers": {
        "en": "encoder-decoder, 2 + 2 layers",
        "zh": "编码器-解码器，2 + 2 层",
    },
}


class CrossAttention(nn.Module):
    """Queries from the decoder, keys and values from the encoder's output."""

    def __init__(self, n_embd: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.q = nn.Linear(n_embd, n_embd)
        self.kv = nn.Linear(n_embd, 2 * n_embd)
        self.proj = nn.Linear(n_embd, n_embd)

    def forward(self, x: Tensor, memory: Tensor) -> Tensor:
        B, T, C = x.shape  # decoder positions
        S = memory.size(1)  # encoder positions
        q = self.q(x).view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, hs)
        k, v = self.kv(memory).split(C, dim=2)  # each (B, S, C)
        k = k.view(B, S, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, S, hs)
        v = v.view(B, S, self.n_head, C // self.n_head).transpose(1, 2)
        y, _ = scaled_dot_product_attention(q, k, v)  # no mask: every target sees all the source
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class DecoderBlock(nn.Module):
    """Pre-LN: causal self-attention, then cross-attention to the encoder, then the MLP."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        C = config.n_embd
        self.ln_1, self.ln_2, self.ln_3 = nn.LayerNorm(C), nn.LayerNorm(C), nn.LayerNorm(C)
        self.self_attn = MultiHeadAttention(C, config.n_head)
        self.cross_attn = CrossAttention(C, config.n_head)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor) -> Tensor:
        x = x + self.self_attn(self.ln_1(x), mask)[0]
        x = x + self.cross_attn(self.ln_2(x), memory)
        return x + self.mlp(self.ln_3(x))


class EncoderDecoder(nn.Module):
    def __init__(self, config: GPTConfig, n_encoder: int, n_decoder: int):
        super().__init__()
        C = config.n_embd
        self.tok_emb = nn.Embedding(config.vocab_size, C)  # shared by both sides and the head
        self.enc_pos = nn.Embedding(config.block_size, C)
        self.dec_pos = nn.Embedding(config.block_size, C)
        self.encoder = nn.ModuleList(Block(config) for _ in range(n_encoder))  # GPT's block...
        self.enc_ln = nn.LayerNorm(C)
        self.decoder = nn.ModuleList(DecoderBlock(config) for _ in range(n_decoder))
        self.ln_f = nn.LayerNorm(C)
        self.lm_head = nn.Linear(C, config.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight
        for module in self.modules():  # GPT's init: N(0, 0.02), zero biases
            if isinstance(module, nn.Linear | nn.Embedding):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def encode(self, src: Tensor) -> Tensor:
        x = self.tok_emb(src) + self.enc_pos(torch.arange(src.size(1)))  # (B, S, C)
        for block in self.encoder:
            x = block(x, None)  # ...with no mask: every source letter sees every other
        return self.enc_ln(x)

    def decode(self, tgt_in: Tensor, memory: Tensor) -> Tensor:
        T = tgt_in.size(1)
        x = self.tok_emb(tgt_in) + self.dec_pos(torch.arange(T))  # (B, T, C)
        mask = causal_mask(T)
        for block in self.decoder:
            x = block(x, memory, mask)
        return self.lm_head(self.ln_f(x))  # (B, T, V)

    def forward(self, src: Tensor, tgt_in: Tensor) -> Tensor:
        return self.decode(tgt_in, self.encode(src))


def make_batch(n: int, length: int, task: str, g: torch.Generator) -> tuple[Tensor, Tensor]:
    src = torch.randint(len(LETTERS), (n, length), generator=g)  # (n, L)
    return src, src.flip(1) if task == "reverse" else src


def batch_stream(length: int, task: str, seed: int):
    g = torch.Generator().manual_seed(seed)
    while True:
        yield make_batch(BATCH, length, task, g)


def start_column(n: int) -> Tensor:
    return torch.full((n, 1), SEP)


def loss_of(model, src: Tensor, tgt: Tensor) -> Tensor:
    """Cross-entropy on the target letters only, for either kind of model."""
    L = src.size(1)
    if isinstance(model, GPT):
        seq = torch.cat([src, start_column(len(src)), tgt], dim=1)  # (B, 2L + 1): "src = tgt"
        logits = model(seq[:, :-1])[:, L:]  # (B, L, V): the predictions of the target letters
    else:
        tgt_in = torch.cat([start_column(len(src)), tgt[:, :-1]], dim=1)  # (B, L): shifted right
        logits = model(src, tgt_in)  # (B, L, V)
    return F.cross_entropy(logits.flatten(0, 1), tgt.flatten())


@torch.no_grad()
def greedy(model, src: Tensor) -> Tensor:
    """Write the target letter by letter, always taking the most likely one: (B, L)."""
    L = src.size(1)
    if isinstance(model, GPT):  # the engine's generate(), with its KV cache
        prompt = torch.cat([src, start_column(len(src))], dim=1)  # "source ="
        out = generate(model, prompt, L, temperature=0.0)
    else:
        model.eval()
        memory = model.encode(src)  # the encoder runs once
        out = start_column(len(src))
        for _ in range(L):
            logits = model.decode(out, memory)  # (B, t, V)
            out = torch.cat([out, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    model.train()
    return out[:, -L:]


@torch.no_grad()
def exact_match(model, src: Tensor, tgt: Tensor) -> float:
    """The share of strings greedy decoding gets entirely right, from one teacher-forced pass."""
    model.eval()
    L = src.size(1)
    if isinstance(model, GPT):
        logits = model(torch.cat([src, start_column(len(src)), tgt], dim=1)[:, :-1])[:, L:]
    else:
        logits = model(src, torch.cat([start_column(len(src)), tgt[:, :-1]], dim=1))
    model.train()
    return (logits.argmax(-1) == tgt).all(dim=1).float().mean().item()


def learning_rate(step: int, steps: int) -> float:
    """Linear warm-up over WARMUP steps, then a cosine down to a tenth of LR at the last step:
    without the decay, a model at 100 % exact match can drift off it in the last steps."""
    if step <= WARMUP:
        return LR * step / WARMUP
    done = (step - WARMUP) / max(1, steps - WARMUP)
    return LR * (0.1 + 0.45 * (1 + math.cos(math.pi * done)))


def train_one(model, name: str, batches, test, steps: int, progress) -> dict:
    """AdamW with a short warm-up; every few steps, the mean loss and the test exact match."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01)
    log = {"step": [], "loss": [], "exact match": [], "seconds": []}
    every, losses, seconds = EVAL_EVERY, [], 0.0
    for step in range(1, steps + 1):
        start = time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps)
        src, tgt = next(batches)
        loss = loss_of(model, src, tgt)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        seconds += time.perf_counter() - start  # training time only, not the evaluations
        if step % every == 0 or step == steps:
            log["step"].append(step)
            log["loss"].append(sum(losses) / len(losses))
            log["exact match"].append(exact_match(model, *test))
            log["seconds"].append(seconds)
            losses = []
            if progress:
                text = {
                    "en": f"{name}: step {step}/{steps} · loss {log['loss'][-1]:.3f}",
                    "zh": f"{NAMES[name]['zh']}：第 {step}/{steps} 步 · 损失 {log['loss'][-1]:.3f}",
                }
                curve = Lines(
                    x=list(log["step"]),
                    series={name: list(log["loss"])},
                    series_labels=NAMES,
                    x_label=STEP_AXIS,
                    y_label=LOSS_AXIS,
                )
                progress(step / steps, text, curve)
    return log


def first_reaching(log: dict, key: str, level: float) -> tuple[int | None, float | None]:
    """(step, training seconds) of the first evaluation where log[key] >= level."""
    for step, value, seconds in zip(log["step"], log[key], log["seconds"], strict=True):
        if value >= level:
            return step, seconds
    return None, None


def summary(logs: dict) -> dict:
    """One sentence per model: when it first reached 95 % exact match."""
    en, zh = [], []
    for name, log in logs.items():
        step, seconds = first_reaching(log, "exact match", 0.95)
        name_zh = NAMES[name]["zh"]
        if step is None:
            en.append(f"{name}: below 95 % exact match all run")
            zh.append(f"{name_zh}：始终未达到 95% 完全匹配")
        else:
            en.append(f"{name}: 95 % exact match by step {step}, after {seconds:.1f} s of training")
            zh.append(f"{name_zh}：第 {step} 步达到 95% 完全匹配，用了 {seconds:.1f} 秒训练")
    return {
        "en": f"Measured in this run (evaluated every {EVAL_EVERY} steps). " + "; ".join(en) + ".",
        "zh": f"本次运行实测（每 {EVAL_EVERY} 步评估一次）。" + "；".join(zh) + "。",
    }


def run(
    task: str = "reverse", length: int = 8, steps: int = 100, seed: int = 0, progress=None
) -> list:
    set_threads()
    config = GPTConfig(vocab_size=VOCAB, block_size=length, n_head=HEADS, n_embd=WIDTH)
    torch.manual_seed(seed)
    models = {
        # "source = target" is 2L + 1 tokens; the model reads all but the last.
        "decoder-only, 5 layers": GPT(replace(config, block_size=2 * length, n_layer=5)),
        "encoder-decoder, 2 + 2 layers": EncoderDecoder(config, n_encoder=2, n_decoder=2),
    }
    test = make_batch(300, length, task, torch.Generator().manual_seed(10_000 + seed))
    logs = {}
    for i, (name, model) in enumerate(models.items()):
        batches = batch_stream(length, task, seed)  # the same batches for both models
        logs[name] = train_one(
            model, name, batches, test, steps, scaled(progress, i / 2, (i + 1) / 2)
        )

    counts = {name: parameter_count(m) for name, m in models.items()}
    (a, b) = counts.values()
    example = test[0][:1]
    steps_x = next(iter(logs.values()))["step"]
    rows = []
    for name, model in models.items():
        log = logs[name]
        at_step, at_seconds = first_reaching(log, "exact match", 0.95)
        guess = greedy(model, example)[0]
        rows.append(
            [
                NAMES[name],
                f"{counts[name]:,}",
                f"{log['exact match'][-1]:.1%}",
                at_step or {"en": "not reached", "zh": "未达到"},
                "—" if at_seconds is None else round(at_seconds, 1),
                round(log["seconds"][-1], 1),
                "".join(LETTERS[i] for i in example[0])
                + " → "
                + "".join(LETTERS[i] for i in guess),
            ]
        )
    return [
        Lines(
            x=steps_x,
            series={f"{name}": logs[name]["loss"] for name in models},
            series_labels=NAMES,
            title={"en": "Training loss on the target letters", "zh": "目标字母上的训练损失"},
            x_label=STEP_AXIS,
            y_label={"en": "loss", "zh": "损失"},
        ),
        Lines(
            x=steps_x,
            series={f"{name}": logs[name]["exact match"] for name in models},
            series_labels=NAMES,
            title={
                "en": "Exact match on 300 test strings (greedy decoding)",
                "zh": "300 个测试字符串上的完全匹配率（贪心解码）",
            },
            x_label=STEP_AXIS,
            y_label={"en": "exact match", "zh": "完全匹配率"},
        ),
        Table(
            columns=[
                {"en": "model", "zh": "模型"},
                {"en": "parameters", "zh": "参数量"},
                {"en": "exact match", "zh": "完全匹配率"},
                {"en": "steps to 95 %", "zh": "达到 95% 的步数"},
                {"en": "seconds to 95 %", "zh": "达到 95% 的用时（秒）"},
                {"en": "training seconds", "zh": "训练用时（秒）"},
                {"en": "example", "zh": "示例"},
            ],
            rows=rows,
            title={
                "en": f"{task.capitalize()} {length} letters, {steps} steps of 64 strings",
                "zh": f"任务：{'倒序' if task == 'reverse' else '复制'} {length} 个字母，{steps} 步，每步 64 个字符串",
            },
        ),
        Text(summary(logs)),
        Text(
            {
                "en": "Per example the decoder-only model runs source and target through all 5 "
                "layers (2L positions); the encoder-decoder runs each side through 2, so it does "
                "about half the work per step. At scale, Liu et al. (2018, Table 4) summarised "
                "long Wikipedia inputs: the encoder-decoder reached log-perplexity 2.466 (ROUGE-L "
                "34.2) at input length 500 and stopped learning at 2000, while the decoder-only "
                "model reached 2.222 (33.6) at 4000; dropping the encoder roughly halves the "
                "parameters for the same settings.",
                "zh": "每个样本中，只有解码器的模型让源序列和目标序列都经过全部 5 层（共 2L 个位置）；"
                "编码器-解码器让两边各经过 2 层，所以每步的计算量约为一半。在大规模上，Liu 等人（2018，表 4）"
                "对长篇维基百科输入做摘要：编码器-解码器在输入长度 500 时对数困惑度为 2.466（ROUGE-L 34.2），"
                "长度到 2000 时就学不动了；只有解码器的模型在长度 4000 时达到 2.222（33.6）。"
                "去掉编码器，同样设置下参数量大约减半。",
            }
        ),
        Check(
            {
                "en": "The two models have about the same number of parameters (within 10 %)",
                "zh": "两个模型的参数量大致相同（相差不超过 10%）",
            },
            abs(a - b) / max(a, b) <= 0.10,
            {
                "en": f"{a:,} vs {b:,} ({abs(a - b) / max(a, b):.1%} apart)",
                "zh": f"{a:,} 对 {b:,}（相差 {abs(a - b) / max(a, b):.1%}）",
            },
        ),
    ]
