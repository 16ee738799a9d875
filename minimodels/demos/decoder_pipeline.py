"""Your sentence through a decoder-only model, one stage at a time, and where its parameters sit.

text -> token ids -> token embedding + position embedding -> blocks -> final LayerNorm -> lm_head
-> a probability for every possible next token. The model is tiny and untrained (random weights,
fixed seed), so its prediction is noise; the shapes and the bookkeeping are the real thing. The
stages are run by hand and must give exactly the logits of the model's own forward().
"""

import torch

from minimodels.attention import causal_mask
from minimodels.gpt import GPT, GPTConfig
from minimodels.params import count_params
from minimodels.results import Check, Metric, Table
from minimodels.tokenizers import ByteBPETokenizer, CharTokenizer
from minimodels.train import set_threads

WIDTH, HEADS, BLOCK = 64, 4, 256  # 256 positions hold 64 characters even at 4 bytes each
NAMES = {  # the stages and parts as a learner reads them
    "token ids": {"en": "token ids", "zh": "token id"},
    "token embedding": {"en": "token embedding", "zh": "token 嵌入"},
    "position embedding": {"en": "position embedding", "zh": "位置嵌入"},
    "sum": {"en": "sum", "zh": "两者相加"},
    "attention": {"en": "attention", "zh": "注意力"},
    "LayerNorms": {"en": "LayerNorms", "zh": "各 LayerNorm"},
    "final LayerNorm": {"en": "final LayerNorm", "zh": "最后的 LayerNorm"},
    "softmax, last position": {"en": "softmax, last position", "zh": "softmax，最后一个位置"},
    "lm_head (tied)": {"en": "lm_head (tied)", "zh": "lm_head（与 token 嵌入共享）"},
}


def show(token) -> str:
    """A token as readable text: characters as they are, bytes as \\xNN unless printable ASCII."""
    if isinstance(token, bytes):
        return (
            token.decode()
            if token.isascii() and token.decode().isprintable()
            else f"\\x{token[0]:02x}"
        )
    return repr(token)


def shape(x) -> str:
    return "(" + ", ".join(map(str, x.shape)) + ")"


def first(x) -> str:
    """The first four numbers of the last position's vector."""
    return ", ".join(f"{v:+.3f}" for v in x.reshape(-1, x.shape[-1])[-1, :4].tolist()) + ", …"


@torch.no_grad()
def run(sentence: str, tokenizer: str = "char", layers: int = 2, seed: int = 0) -> list:
    set_threads()
    # 1. Text -> ids. Characters: a vocabulary of this sentence's own characters. Bytes: the 256
    #    byte values, i.e. byte-level BPE before it has learned any merge.
    tok = CharTokenizer.train(sentence) if tokenizer == "char" else ByteBPETokenizer(merges=[])
    vocab = tok.vocab  # id -> character or bytes
    idx = torch.tensor([tok.encode(sentence)])  # (1, T)
    T = idx.shape[1]

    torch.manual_seed(seed)
    config = GPTConfig(
        vocab_size=tok.vocab_size, block_size=BLOCK, n_layer=layers, n_head=HEADS, n_embd=WIDTH
    )
    model = GPT(config).eval()

    # 2. The forward pass, stage by stage (GPT.forward does exactly this).
    rows = [[NAMES["token ids"], shape(idx), "…, " + ", ".join(map(str, idx[0, -6:].tolist()))]]
    tok_emb = model.tok_emb(idx)  # (1, T, C): one learned vector per token id
    pos_emb = model.pos_emb(torch.arange(T))  # (T, C): one learned vector per position
    x = tok_emb + pos_emb  # (1, T, C)
    rows += [
        [NAMES["token embedding"], shape(tok_emb), first(tok_emb)],
        [NAMES["position embedding"], shape(pos_emb), first(pos_emb)],
        [NAMES["sum"], shape(x), first(x)],
    ]
    mask = causal_mask(T)  # (T, T) True where a position may look: back, never ahead
    for i, block in enumerate(model.blocks):
        x = block(x, mask)  # (1, T, C): attention then MLP, each added to the residual stream
        rows.append([{"en": f"block {i + 1}", "zh": f"第 {i + 1} 个块"}, shape(x), first(x)])
    x = model.ln_f(x)  # (1, T, C)
    logits = model.lm_head(x)  # (1, T, V): a score for every token, at every position
    probs = torch.softmax(logits[0, -1], dim=-1)  # (V,) the next token after the whole sentence
    rows += [
        [NAMES["final LayerNorm"], shape(x), first(x)],
        ["lm_head (logits)", shape(logits), first(logits)],
        [NAMES["softmax, last position"], shape(probs), first(probs)],
    ]
    same = (logits - model(idx)).abs().max().item()

    # 3. The next-token distribution: ten most likely tokens.
    top = torch.topk(probs, min(10, len(probs)))
    next_rows = [
        [rank + 1, show(vocab[i]), f"{p:.4f}"]
        for rank, (p, i) in enumerate(zip(top.values.tolist(), top.indices.tolist(), strict=True))
    ]

    # 4. Where the parameters are. The head reuses the token embedding (weight tying): it adds 0.
    counts = count_params(config)
    parts = {
        "token embedding": config.vocab_size * WIDTH,
        "position embedding": BLOCK * WIDTH,
        "attention": counts["attention"],
        "MLP": counts["mlp"],
        "LayerNorms": counts["norms"],
        "lm_head (tied)": counts["heads"],
    }
    in_model = sum(p.numel() for p in model.parameters())  # shared tensors are listed once
    tied = model.lm_head.weight is model.tok_emb.weight
    return [
        Table(
            columns=[
                {"en": "stage", "zh": "阶段"},
                {"en": "shape", "zh": "形状"},
                {"en": "a few values (of the last position)", "zh": "部分数值（最后一个位置）"},
            ],
            rows=rows,
            title={"en": f"“{sentence}” through the model", "zh": f"“{sentence}” 在模型中的旅程"},
        ),
        Check(
            {
                "en": "Running the stages by hand gives the model's own logits",
                "zh": "手工逐步运行各阶段，得到的正是模型自身 forward() 的 logits",
            },
            same < 1e-6,
            {
                "en": f"max |difference| = {same:.1e}",
                "zh": f"|差值| 的最大值 = {same:.1e}",
            },
        ),
        Table(
            columns=[
                {"en": "rank", "zh": "排名"},
                {"en": "next token", "zh": "下一个 token"},
                {"en": "probability", "zh": "概率"},
            ],
            rows=next_rows,
            title={
                "en": f"Next token after the sentence (untrained, so a random guess; uniform would "
                f"be 1/{len(probs)} each)",
                "zh": f"句子之后的下一个 token（未训练，只是随机猜测；均匀分布时每个为 1/{len(probs)}）",
            },
        ),
        Table(
            columns=[
                {"en": "part", "zh": "部分"},
                {"en": "parameters", "zh": "参数量"},
                {"en": "share", "zh": "占比"},
            ],
            rows=[
                [NAMES.get(name, name), f"{n:,}", f"{n / counts['total']:.1%}"]
                for name, n in parts.items()
            ],
            title={
                "en": f"Parameters: {layers} layers, width {WIDTH}, vocabulary {config.vocab_size}",
                "zh": f"参数：{layers} 层，宽度 {WIDTH}，词表 {config.vocab_size}",
            },
        ),
        Metric({"en": "tokens", "zh": "token 数"}, T),
        Metric({"en": "parameters", "zh": "参数量"}, f"{counts['total']:,}"),
        Metric(
            {"en": "if the head were untied", "zh": "若输出头不共享权重"},
            f"+{config.vocab_size * WIDTH:,}",
            {"en": "a separate V × d matrix", "zh": "多一个 V × d 矩阵"},
        ),
        Check(
            {
                "en": "The parts add up to count_params' total, which is the number of parameters "
                "in the model (the tied head counted once)",
                "zh": "各部分之和等于 count_params 的总数，也等于模型中实际的参数个数（共享的输出头只算一次）",
            },
            sum(parts.values()) == counts["total"] == in_model and tied,
            {
                "en": f"sum of parts {sum(parts.values()):,}, count_params {counts['total']:,}, "
                f"model.parameters() {in_model:,}; head tied: {tied}",
                "zh": f"各部分之和 {sum(parts.values()):,}，count_params {counts['total']:,}，"
                f"model.parameters() {in_model:,}；输出头共享权重：{'是' if tied else '否'}",
            },
        ),
    ]
