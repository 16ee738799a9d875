"""Demos that compute in closed form or with one forward pass: they render in about a second."""

from studyapp.demos import ChoiceParam, Demo, FloatParam, IntParam, TextParam

SENTENCE = TextParam(
    "sentence",
    {"en": "Your sentence", "zh": "你的句子"},
    "the cat sat on the mat because the mat was warm and the cat was tired",
)
SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 10_000)

DEMOS = [
    Demo(
        id="mlm-masking",
        title={
            "en": "BERT's masking: 15 % selected, 80/10/10",
            "zh": "BERT 的掩码：选中 15%，80/10/10",
        },
        explanation={
            "en": "Masks your sentence the way BERT pre-training does and colours every token by its "
            "fate, then measures the rates over thousands of sequences against the expected "
            "15 % selected, 12 % [MASK], 1.5 % random and 1.5 % unchanged (as shares of all tokens).",
            "zh": "按照 BERT 预训练的方式对你的句子做掩码，并按每个 token 的处理结果着色；再在数千条序列上"
            "统计比例，与预期的选中 15%、[MASK] 12%、随机 1.5%、不变 1.5%（占全部 token 的比例）对比。",
        },
        compute="minimodels.demos.mlm_masking:run",
        params=(
            SENTENCE,
            FloatParam(
                "p", {"en": "Selection probability p", "zh": "选中概率 p"}, 0.15, 0.01, 0.5, 0.01
            ),
            IntParam(
                "sequences",
                {"en": "Sequences for the statistics", "zh": "用于统计的序列数"},
                2000,
                100,
                20_000,
                100,
            ),
            SEED,
        ),
    ),
    Demo(
        id="mlm-loss",
        title={"en": "The masked-LM loss, by hand", "zh": "手算掩码语言模型损失"},
        explanation={
            "en": "Computes the masked-LM loss of an untrained model on your sentence twice: by hand as "
            "the mean of −log p(original token) over the selected positions, and with "
            "cross_entropy(ignore_index=-100). They agree; counting unselected positions too gives a "
            "different number.",
            "zh": "在你的句子上对未训练模型计算两次掩码语言模型损失：一次手工计算被选中位置上 −log p(原 token) "
            "的平均值，一次用 cross_entropy(ignore_index=-100)。两者一致；若把未选中的位置也计入，结果就不同。",
        },
        compute="minimodels.demos.mlm_loss:run",
        params=(
            SENTENCE,
            FloatParam(
                "p", {"en": "Selection probability p", "zh": "选中概率 p"}, 0.3, 0.05, 0.9, 0.05
            ),
            SEED,
        ),
    ),
]

SHORT_SENTENCE = TextParam(
    "sentence", {"en": "Your sentence", "zh": "你的句子"}, "the cat sat on the mat", max_chars=80
)
# The presets of minimodels.params.PRESETS (listed here: the registry never imports torch).
PRESET_NAMES = (
    "gpt2-small",
    "gpt2-medium",
    "gpt2-large",
    "gpt2-xl",
    "gpt1",
    "bert-base",
    "bert-base-no-pooler",
    "bert-base-mlm",
    "bert-base-pretraining",
    "bert-large",
    "gpt-tiny",
    "bert-tiny",
)

DEMOS += [
    Demo(
        id="attention-masks",
        title={
            "en": "Attention masks: padding, causal, prefix-LM; -10000 vs -inf",
            "zh": "注意力掩码：填充、因果、前缀 LM；-10000 与 -inf",
        },
        explanation={
            "en": "Pads your sentence and draws the raw attention scores, the three masks (BERT's "
            "padding mask, GPT's causal mask, UniLM's prefix-LM mask) and the softmax weights each "
            "one gives. It proves that padded keys get no weight with either -10000 or -inf, and "
            "shows where the two differ: a row with every key masked is NaN with -inf, uniform "
            "with masked_fill(-10000), and silently unmasked when -10000 is added.",
            "zh": "给你的句子补上填充，画出原始注意力分数、三种掩码（BERT 的填充掩码、GPT 的因果掩码、UniLM 的"
            "前缀 LM 掩码）以及各自得到的 softmax 权重。它证明无论用 -10000 还是 -inf，填充位置的 key 都"
            "得不到权重，并展示两者的不同之处：一行的所有 key 都被屏蔽时，-inf 得到 NaN，"
            "masked_fill(-10000) 得到均匀分布，而加上 -10000 则悄悄变成没有掩码。",
        },
        compute="minimodels.demos.attention_masks:run",
        params=(
            SHORT_SENTENCE,
            IntParam("padding", {"en": "Padding tokens", "zh": "填充 token 数"}, 3, 1, 8),
            IntParam(
                "prefix", {"en": "Prefix length (prefix-LM)", "zh": "前缀长度（前缀 LM）"}, 3, 0, 12
            ),
            ChoiceParam(
                "fill",
                {"en": "Masked scores get", "zh": "被屏蔽的分数加上"},
                "-10000",
                ("-10000", "-inf"),
            ),
            SEED,
        ),
    ),
    Demo(
        id="attention-rank",
        title={
            "en": "Is causal attention full rank? What holds and what it implies",
            "zh": "因果注意力满秩吗？哪些成立，又意味着什么",
        },
        explanation={
            "en": "QKᵀ has rank at most d, yet the causal softmax matrix is exactly full rank: it "
            "is lower-triangular with a positive diagonal, so slogdet reads a finite log|det| equal "
            "to the sum of the log diagonal, even where matrix_rank reads less than n because the "
            "matrix is badly conditioned. Linear attention makes the contrast exact (bidirectional "
            "rank d, causal rank n). Random attention stacks show that full rank does not stop "
            "collapse with depth: without skip connections every token's vector converges to the "
            "same one, causal or not.",
            "zh": "QKᵀ 的秩至多为 d，而因果 softmax 矩阵却严格满秩：它是下三角矩阵且对角元为正，所以 slogdet "
            "读出的 log|det| 有限并等于对角元对数之和——即使矩阵病态到 matrix_rank 读出的秩小于 n。线性注意力"
            "让对比变得精确（双向秩为 d，因果秩为 n）。随机注意力堆叠则表明满秩并不能阻止随深度的坍缩：没有"
            "残差连接时，无论是否因果，所有 token 的向量都会趋于同一个。",
        },
        compute="minimodels.demos.attention_rank:run",
        params=(
            IntParam("n", {"en": "Sequence length n", "zh": "序列长度 n"}, 64, 16, 128),
            IntParam("d", {"en": "Head size d", "zh": "头维度 d"}, 8, 2, 32),
            SEED,
        ),
    ),
    Demo(
        id="causal-leakage",
        title={
            "en": "Change one token: GPT's earlier outputs stay put, BERT's all move",
            "zh": "改动一个 token：GPT 之前的输出纹丝不动，BERT 的全部改变",
        },
        explanation={
            "en": "Changes the character at one position of your sentence and measures how much "
            "each position's logits move in a tiny untrained GPT and a tiny untrained BERT. It "
            "proves the causal mask does what it promises: the GPT's logits before that position "
            "are bit-for-bit unchanged, so no information flows backwards, while every one of "
            "BERT's positions sees the change.",
            "zh": "改动你句子中某个位置的字符，测量一个未训练的小 GPT 和一个未训练的小 BERT 在每个位置上的 "
            "logits 变化多少。它证明因果掩码确实做到了它承诺的事：GPT 在该位置之前的 logits 一位不差地保持"
            "不变，信息不会向前流动；而 BERT 的每个位置都能看到这个改动。",
        },
        compute="minimodels.demos.causal_leakage:run",
        params=(
            SHORT_SENTENCE,
            IntParam("position", {"en": "Position to change", "zh": "要改动的位置"}, 10, 1, 79),
            SEED,
        ),
    ),
    Demo(
        id="decoder-pipeline",
        title={
            "en": "A decoder-only model, stage by stage",
            "zh": "逐步拆解仅解码器模型",
        },
        explanation={
            "en": "Sends your sentence through a tiny untrained GPT: tokenizer, token and position "
            "embeddings, the blocks, the final LayerNorm and the output head, with the shape and a "
            "few numbers at every stage, then the next-token distribution. It checks that the "
            "stages run by hand give the model's own logits, and that the parameter shares of "
            "each part add up to the model's total, with the tied output head adding nothing.",
            "zh": "把你的句子送进一个未训练的小 GPT：分词器、token 嵌入与位置嵌入、各个块、最后的 LayerNorm "
            "和输出头，列出每个阶段的形状和几个数值，再给出下一个 token 的分布。它验证手工逐步运行得到的正是"
            "模型自身的 logits，并验证各部分的参数占比加起来等于模型总参数量，共享权重的输出头不增加参数。",
        },
        compute="minimodels.demos.decoder_pipeline:run",
        params=(
            TextParam(
                "sentence", {"en": "Your sentence", "zh": "你的句子"}, "To be or not to be", 64
            ),
            ChoiceParam("tokenizer", {"en": "Tokenizer", "zh": "分词器"}, "char", ("char", "byte")),
            IntParam("layers", {"en": "Layers", "zh": "层数"}, 2, 1, 6),
            SEED,
        ),
    ),
    Demo(
        id="embedding-sum",
        title={
            "en": "Token + segment + position embeddings: why adding loses nothing",
            "zh": "token + 段 + 位置嵌入：为什么相加不丢信息",
        },
        explanation={
            "en": "Builds BERT's input for two sentences, [CLS] A [SEP] B [SEP], and adds the "
            "token, segment and position embeddings. It proves the sum is exactly one linear layer "
            "applied to the three one-hot vectors stacked together, that BERT's embedding layer is "
            "this sum followed by LayerNorm, and that each sum can be read back to its token, "
            "segment and position.",
            "zh": "为两个句子构造 BERT 的输入 [CLS] A [SEP] B [SEP]，并把 token、段和位置嵌入相加。它证明这个"
            "和恰好等于对三个 one-hot 向量拼接后做一次线性变换，证明 BERT 的嵌入层就是这个和再接 "
            "LayerNorm，并证明每个和都能还原出它的 token、段和位置。",
        },
        compute="minimodels.demos.embedding_sum:run",
        params=(
            TextParam("sentence_a", {"en": "Sentence A", "zh": "句子 A"}, "my dog is cute", 80),
            TextParam("sentence_b", {"en": "Sentence B", "zh": "句子 B"}, "he likes playing", 80),
            IntParam("width", {"en": "Embedding width d", "zh": "嵌入维度 d"}, 32, 4, 256),
            SEED,
        ),
    ),
    Demo(
        id="kv-cache",
        title={
            "en": "The KV cache: same tokens, T instead of T(T+1)/2 token-passes",
            "zh": "KV 缓存：生成的 token 相同，处理次数从 T(T+1)/2 降到 T",
        },
        explanation={
            "en": "Generates greedily from a GPT-2-shaped model with random weights, with and "
            "without the KV cache, for growing lengths. It proves the two produce identical token "
            "ids, counts the tokens fed to the model (T(T+1)/2 without the cache, T with it) and "
            "times both on this machine.",
            "zh": "用一个 GPT-2 结构、随机权重的模型做贪心生成，分别使用和不使用 KV 缓存，长度逐步增加。它证明"
            "两者生成的 token id 完全相同，统计送入模型的 token 数（不用缓存为 T(T+1)/2，用缓存为 T），"
            "并在这台机器上对两者计时。",
        },
        compute="minimodels.demos.kv_cache:run",
        params=(
            IntParam("layers", {"en": "Layers", "zh": "层数"}, 4, 1, 6),
            IntParam("width", {"en": "Width", "zh": "宽度"}, 128, 32, 192, 32),
            IntParam(
                "longest", {"en": "Longest generation T", "zh": "最长生成长度 T"}, 128, 16, 256, 16
            ),
            SEED,
        ),
    ),
    Demo(
        id="complexity",
        title={
            "en": "Self-attention vs RNN vs CNN: cost per layer and path length",
            "zh": "自注意力、RNN 与 CNN：单层成本与路径长度",
        },
        explanation={
            "en": "Vaswani et al.'s Table 1 at your n, d and k, measured: FLOPs counted on a real "
            "attention layer, nn.RNN and a causal Conv1d match n²·d, n·d² and k·n·d² exactly; the "
            "longest path from the first position to the last, traced through real layer stacks, "
            "is 1 layer of attention, ⌈(n−1)/(k−1)⌉ convolutions or ⌈log_k n⌉ dilated ones; and "
            "the three layers are timed on this machine at four lengths.",
            "zh": "在你给定的 n、d、k 下实测 Vaswani 等人论文的表 1：在真实的注意力层、nn.RNN 和因果 Conv1d 上"
            "计数的 FLOPs 与 n²·d、n·d²、k·n·d² 完全吻合；在真实的层堆叠中追踪从第一个位置到最后一个位置的"
            "最长路径：注意力 1 层，卷积 ⌈(n−1)/(k−1)⌉ 层，空洞卷积 ⌈log_k n⌉ 层；并在这台机器上对三种层"
            "在四个长度下计时。",
        },
        compute="minimodels.demos.complexity:run",
        params=(
            IntParam("n", {"en": "Sequence length n", "zh": "序列长度 n"}, 512, 16, 1024, 16),
            IntParam("d", {"en": "Width d", "zh": "宽度 d"}, 64, 16, 512, 16),
            IntParam("k", {"en": "Kernel width k", "zh": "卷积核宽度 k"}, 3, 2, 9),
        ),
    ),
    Demo(
        id="tokenizers",
        title={
            "en": "WordPiece vs byte-level BPE, trained on this app's answers",
            "zh": "WordPiece 与字节级 BPE：在本应用的答案上训练",
        },
        explanation={
            "en": "Trains BERT's WordPiece and GPT-2's byte-level BPE on the openings of the "
            "question bank's own English answers (plain prose), then splits your two texts with "
            "both: '##' pieces, merged tokens, and Chinese characters broken into UTF-8 bytes. It "
            "shows the first merges each one learned and proves byte-level BPE gives any text "
            "back exactly.",
            "zh": "在题库自身英文答案（纯文本）的开头部分上训练 BERT 的 WordPiece 和 GPT-2 的字节级 BPE，"
            "再用两者切分你的两段文本：'##' 词片、合并得到的 token，以及被拆成 UTF-8 字节的汉字。它展示"
            "两者最早学到的合并，并证明字节级 BPE 能原样还原任何文本。",
        },
        compute="minimodels.demos.tokenizer_demo:run",
        params=(
            TextParam(
                "english",
                {"en": "English text", "zh": "英文文本"},
                "Attention lets every token look at every other token.",
            ),
            TextParam(
                "chinese",
                {"en": "Chinese text", "zh": "中文文本"},
                "注意力让每个词元都能看到其他词元。",
            ),
            IntParam(
                "merges", {"en": "Merges to learn", "zh": "要学习的合并次数"}, 100, 20, 300, 10
            ),
        ),
    ),
    Demo(
        id="param-count",
        title={
            "en": "Parameter counts of GPT and BERT, exactly",
            "zh": "GPT 与 BERT 的精确参数量",
        },
        explanation={
            "en": "Breaks a model's parameters down by part (embeddings, attention, MLP, norms, "
            "heads) and counts them twice, by arithmetic and by building the real model on "
            "PyTorch's meta device. It proves the two agree and equal the published totals "
            "(124,439,808 for GPT-2 small, not 117M), and shows what an untied output head "
            "would add.",
            "zh": "把模型的参数按部分（嵌入、注意力、MLP、归一化、输出头）拆开，并用两种方式计数：公式计算，"
            "以及在 PyTorch 的 meta 设备上构建真实模型。它证明两者一致且等于公开的总数（GPT-2 small 是 "
            "124,439,808，而不是 117M），并展示不共享权重的输出头会增加多少参数。",
        },
        compute="minimodels.demos.param_count:run",
        params=(ChoiceParam("preset", {"en": "Model", "zh": "模型"}, "gpt2-small", PRESET_NAMES),),
    ),
]
