"""Demos for pre-training practice (packing, schedules, mixed precision, memory, scaling laws)."""

from studyapp.demos import ChoiceParam, Demo, FloatParam, IntParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 10_000)
# The presets of minimodels.params.PRESETS (listed here: the registry never imports torch).
PRESETS = (
    "gpt2-small",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "gpt1",
    "bert-base",
    "bert-large",
)

DEMOS: list[Demo] = [
    Demo(
        id="mixed-precision",
        title={
            "en": "fp16 vs bf16: loss scaling and fp32 master weights, on real gradients",
            "zh": "fp16 与 bf16：在真实梯度上看损失缩放和 fp32 主权重",
        },
        explanation={
            "en": "Lists the range and precision of fp32, fp16 and bf16, then computes the same "
            "gradients of a tiny GPT in fp32, fp16, fp16 with the loss scaled by 2^k, and bf16. "
            "It proves that loss scaling makes fp16 gradients more accurate and stops small ones "
            "from becoming zero, that bf16 keeps them without scaling but with fewer digits, and "
            "that a small optimizer step added to 16-bit weights is often rounded away, which is "
            "why the optimizer updates an fp32 master copy.",
            "zh": "先列出 fp32、fp16、bf16 的范围和精度，再把一个小 GPT 的同一组梯度分别用 fp32、fp16、"
            "损失乘以 2^k 的 fp16 和 bf16 计算一遍。它证明：损失缩放让 fp16 梯度更精确，并防止小梯度变成 0；"
            "bf16 不缩放也能保住它们，但有效数字更少；把一步很小的更新加到 16 位权重上常常会被舍入掉，"
            "所以优化器要更新一份 fp32 主权重。",
        },
        compute="minimodels.demos.mixed_precision:run",
        params=(
            ChoiceParam(
                "vocab",
                {"en": "Vocabulary size", "zh": "词表大小"},
                "2048",
                ("256", "2048", "8192"),
            ),
            IntParam(
                "scale_exponent",
                {"en": "Loss scale 2^k: k", "zh": "损失缩放 2^k 中的 k"},
                16,
                1,
                24,
            ),
            FloatParam(
                "lr",
                {"en": "Size of the update (Adam's first step)", "zh": "更新量（Adam 的第一步）"},
                1e-4,
                1e-6,
                3e-4,
                1e-6,
            ),
            SEED,
        ),
    ),
    Demo(
        id="training-memory",
        title={
            "en": "Training memory per parameter: weights, gradients, Adam, master weights",
            "zh": "每个参数的训练内存：权重、梯度、Adam 状态、主权重",
        },
        explanation={
            "en": "Takes one real optimizer step on a tiny GPT and adds up the bytes of every "
            "tensor that stays alive: weights, gradients, optimizer states and, in mixed "
            "precision, the fp32 master weights. It proves the measured bytes per parameter equal "
            "the formula (16 for Adam in fp32 or mixed precision, 12 for SGD with momentum), then "
            "sizes a real model with it and shows what ZeRO's stages leave on each GPU.",
            "zh": "在一个小 GPT 上真实地走一步优化，把之后仍然存活的每个张量的字节数加起来：权重、梯度、"
            "优化器状态，以及混合精度下的 fp32 主权重。它证明实测的每参数字节数等于公式（Adam 无论 fp32 "
            "还是混合精度都是 16，带动量的 SGD 是 12），再用这个公式估算真实模型，并列出 ZeRO 各阶段"
            "在每个 GPU 上剩下的内存。",
        },
        compute="minimodels.demos.training_memory:run",
        params=(
            ChoiceParam("preset", {"en": "Model", "zh": "模型"}, "gpt2-xl", PRESETS),
            IntParam("gpus", {"en": "Data-parallel GPUs", "zh": "数据并行 GPU 数"}, 64, 1, 1024),
            SEED,
        ),
    ),
    Demo(
        id="bits-per-character",
        title={
            "en": "Perplexity per token vs bits per character, across tokenizers",
            "zh": "跨分词器比较：每 token 困惑度与每字符比特数",
        },
        explanation={
            "en": "Cuts the same text (this app's answers) with a character tokenizer and with "
            "byte-level BPE tokenizers of growing vocabulary, counts a bigram model on each, and "
            "scores the same held-out text. It proves that per-token perplexity and bits per "
            "character disagree about which model is best: the same total log-loss divided by "
            "tokens rewards small vocabularies, divided by characters it does not.",
            "zh": "用字符分词器和词表逐渐增大的字节级 BPE 分词器切分同一段文本（本应用的答案），在每种切分上"
            "统计一个二元模型，再给同一段留出文本打分。它证明每 token 困惑度和每字符比特数对哪个模型最好"
            "意见相反：同样的总对数损失，按 token 平均会偏向小词表，按字符平均则不会。",
        },
        compute="minimodels.demos.bits_per_character:run",
        params=(
            ChoiceParam(
                "language",
                {"en": "Text of the answers in", "zh": "答案文本的语言"},
                "en",
                ("en", "zh"),
            ),
            SEED,
        ),
    ),
    Demo(
        id="metric-emergence",
        title={
            "en": "Emergence from the metric: exact match vs per-token scores",
            "zh": "指标造成的涌现：完全匹配与逐 token 打分",
        },
        explanation={
            "en": "A family of models whose per-token loss falls smoothly as a power law of size "
            "answers multi-token questions; the same sampled answers are scored by exact match and "
            "by the number of wrong tokens. It proves that exact match equals p^L, that it stays "
            "near zero and then shoots up (it looks like an ability appearing), while the "
            "wrong-token count of the very same answers shrinks by a similar factor at every step.",
            "zh": "一族模型的逐 token 损失随规模按幂律平滑下降，用它们回答多 token 的问题；同一批采样答案分别用"
            "完全匹配和错误 token 数打分。它证明完全匹配率等于 p^L，它先接近零然后陡然上升（看起来像一种能力"
            "出现了），而同一批答案的错误 token 数在每一步都按相近的倍数缩小。",
        },
        compute="minimodels.demos.metric_emergence:run",
        params=(
            IntParam(
                "answer_length",
                {"en": "Tokens per answer L", "zh": "每个答案的 token 数 L"},
                10,
                5,
                40,
            ),
            SEED,
        ),
    ),
]
