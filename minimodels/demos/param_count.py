"""Exact parameter counts of GPT and BERT, counted twice, against the published totals.

`count_params` does the arithmetic from the configuration, the way you would on paper.
`count_params_meta` builds the real model on PyTorch's meta device (shapes, no memory) and adds up
its parameters. The two must agree to the last parameter, and so must the published total.
Tied weights count once: GPT's output head and BERT's MLM decoder reuse the token embedding.
"""

from minimodels.bert import BertConfig
from minimodels.params import PARTS, PRESETS, count_params, count_params_meta
from minimodels.results import Check, Metric, Table, Text

# Published totals (unique parameters, tied weights once): GPT-2 as recounted in OpenAI's gpt-2
# README, GPT-1 and BERT as Hugging Face's models report them, gpt-tiny as nanoGPT's CPU recipe.
PUBLISHED = {
    "gpt1": (
        116_534_784,
        "GPT-1: tied head, no final LayerNorm",
        "GPT-1：共享输出头，没有最后的 LayerNorm",
    ),
    "gpt2-small": (124_439_808, "the paper's 117M was a miscount", "论文中的 117M 是算错的"),
    "gpt2-medium": (354_823_168, "the paper said 345M", "论文中写的是 345M"),
    "gpt2-large": (774_030_080, "the paper said 762M", "论文中写的是 762M"),
    "bert-base": (
        109_482_240,
        "encoder + pooler, Hugging Face BertModel",
        "编码器 + pooler，即 Hugging Face 的 BertModel",
    ),
    "bert-base-no-pooler": (108_891_648, "encoder without the pooler", "不含 pooler 的编码器"),
    "bert-base-mlm": (109_514_298, "with its MLM head, decoder tied", "带 MLM 头，解码矩阵共享"),
    "bert-large": (335_141_888, "encoder + pooler", "编码器 + pooler"),
    "gpt-tiny": (
        804_096,
        "nanoGPT's CPU recipe: 4 layers, width 128, no biases",
        "nanoGPT 的 CPU 配方：4 层，宽 128，无偏置",
    ),
}


NAMES = {  # the parts as a learner reads them
    "embeddings": {"en": "embeddings", "zh": "嵌入"},
    "attention": {"en": "attention", "zh": "注意力"},
    "mlp": {"en": "mlp", "zh": "MLP"},
    "norms": {"en": "norms", "zh": "LayerNorm"},
    "heads": {"en": "heads", "zh": "输出头"},
    "heads (tied)": {"en": "heads (tied)", "zh": "输出头（共享权重）"},
    "total": {"en": "total", "zh": "合计"},
}


def run(preset: str = "gpt2-small") -> list:
    config = PRESETS[preset]
    analytic = count_params(config)  # {part: count, ..., "total": count}
    meta = count_params_meta(config)
    total = analytic["total"]
    d, V = config.n_embd, config.vocab_size
    is_bert = isinstance(config, BertConfig)

    names = {"heads": "heads (tied)"} if not is_bert else {}
    rows = [
        [
            NAMES[names.get(part, part)],
            f"{analytic[part]:,}",
            f"{meta[part]:,}",
            f"{analytic[part] / total:.2%}",
        ]
        for part in PARTS
    ]
    rows.append([NAMES["total"], f"{total:,}", f"{meta['total']:,}", "100%"])
    # Untying gives the output layer its own V x d matrix. BERT without an MLM head has no output
    # layer over the vocabulary, so there is nothing to untie.
    has_vocab_head = not is_bert or config.mlm_head
    layer = f"n_layer {config.n_layer}, d {d}, heads {config.n_head}, V {V:,}, " + (
        f"positions {config.max_position}" if is_bert else f"context {config.block_size}"
    )
    layer_zh = f"n_layer {config.n_layer}，d {d}，头数 {config.n_head}，V {V:,}，" + (
        f"位置数 {config.max_position}" if is_bert else f"上下文 {config.block_size}"
    )

    parts = [
        Table(
            columns=[
                {"en": "part", "zh": "部分"},
                {"en": "by the formula", "zh": "按公式计算"},
                {"en": "real model (meta device)", "zh": "真实模型（meta 设备）"},
                {"en": "share", "zh": "占比"},
            ],
            rows=rows,
            title={"en": f"{preset}: {layer}", "zh": f"{preset}：{layer_zh}"},
        ),
        Metric({"en": "parameters", "zh": "参数量"}, f"{total:,}"),
        Metric(
            {"en": "if the head were untied", "zh": "若输出头不共享权重"},
            f"{total + V * d:,}" if has_vocab_head else "—",
            {"en": f"+V·d = +{V * d:,}", "zh": f"+V·d = +{V * d:,}"}
            if has_vocab_head
            else {"en": "no output layer over the vocabulary", "zh": "没有面向词表的输出层"},
        ),
        Check(
            {
                "en": "The arithmetic and the real model (built on the meta device) agree on every part",
                "zh": "公式计算与真实模型（在 meta 设备上构建）在每一部分都一致",
            },
            analytic == meta,
            {
                "en": f"total {total:,} vs {meta['total']:,}",
                "zh": f"合计 {total:,} 对 {meta['total']:,}",
            },
        ),
    ]
    if not is_bert:
        parts.append(
            Metric(
                {"en": "what nanoGPT prints", "zh": "nanoGPT 打印的数字"},
                f"{total - config.block_size * d:,}",
                {"en": "it leaves out the position embeddings", "zh": "它不计位置嵌入"},
            )
        )
    if preset in PUBLISHED:
        published, what, what_zh = PUBLISHED[preset]
        parts.append(
            Check(
                {
                    "en": f"Equals the published total, {published:,} ({what})",
                    "zh": f"等于公开的总数 {published:,}（{what_zh}）",
                },
                total == published,
                {"en": f"counted {total:,}", "zh": f"数得 {total:,}"},
            )
        )
    else:
        parts.append(
            Text(
                {
                    "en": f"No published total is on file for {preset}; the two counts above must "
                    "still agree.",
                    "zh": f"{preset} 没有记录在案的公开总数；上面两种计数仍须一致。",
                }
            )
        )
    biases = getattr(config, "bias", True)  # BERT always has biases; a GPT config may drop them
    per_layer, formula = (
        (12 * d * d + 13 * d, "12d² + 13d") if biases else (12 * d * d + 2 * d, "12d² + 2d")
    )
    parts.append(
        Text(
            {
                "en": f"Per Transformer layer ({'with' if biases else 'without'} biases, 4d MLP): "
                f"{formula} = {per_layer:,} at d = {d}. Sources: GPT-2 sizes as recounted in "
                "OpenAI's gpt-2 README; BERT as in Hugging Face's BertModel.",
                "zh": f"每个 Transformer 层（{'有' if biases else '无'}偏置，MLP 宽 4d）：{formula}，"
                f"d = {d} 时为 {per_layer:,}。来源：GPT-2 的规模见 OpenAI gpt-2 README 的更正；"
                "BERT 与 Hugging Face 的 BertModel 一致。",
            }
        )
    )
    return parts
