"""Demos for efficient attention and serving (KV cache, MQA/GQA, speculative decoding, beam search)."""

from studyapp.demos import ChoiceParam, Demo, FloatParam, IntParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 1000)

DEMOS: list[Demo] = [
    Demo(
        id="kv-cache-bytes",
        title={
            "en": "KV-cache bytes for MHA, GQA and MQA: formula vs real tensors",
            "zh": "MHA、GQA 与 MQA 的 KV 缓存字节数：公式与真实张量",
        },
        explanation={
            "en": "Runs a prompt through stacks of real attention layers with multi-head, "
            "grouped-query and multi-query attention, counts the bytes of the keys and values each "
            "layer cached, and checks them against 2 · layers · kv_heads · head_dim · tokens · "
            "batch · bytes per number. The number of query heads never appears: GQA shrinks the "
            "cache by the group size, MQA by the number of heads. The same formula is then applied "
            "to GPT-2, LLaMA 7B, Llama 2 70B and Mistral 7B.",
            "zh": "让一段提示依次通过多头、分组查询和多查询注意力的真实注意力层堆叠，统计每层缓存的 key 和 value "
            "所占的字节数，并与 2 · 层数 · kv 头数 · 头维度 · token 数 · batch · 每个数的字节数 对照。公式里"
            "从不出现 query 头的数量：GQA 把缓存缩小为组大小分之一，MQA 缩小为头数分之一。最后把同一公式用"
            "于 GPT-2、LLaMA 7B、Llama 2 70B 和 Mistral 7B。",
        },
        compute="minimodels.demos.kv_cache_bytes:run",
        params=(
            IntParam("layers", {"en": "Layers", "zh": "层数"}, 4, 1, 8),
            IntParam("heads", {"en": "Query heads", "zh": "query 头数"}, 8, 4, 16, 4),
            IntParam(
                "group_size",
                {
                    "en": "Query heads per K/V head (GQA)",
                    "zh": "每个 K/V 头对应的 query 头数（GQA）",
                },
                4,
                2,
                4,
                2,
            ),
            IntParam("head_dim", {"en": "Head size", "zh": "头维度"}, 16, 8, 64, 8),
            IntParam("tokens", {"en": "Prompt tokens", "zh": "提示 token 数"}, 64, 1, 512),
            IntParam("batch", {"en": "Batch size", "zh": "batch 大小"}, 2, 1, 8),
            ChoiceParam(
                "dtype",
                {"en": "Number format", "zh": "数值格式"},
                "float16",
                ("float16", "bfloat16", "float32"),
            ),
            SEED,
        ),
    ),
    Demo(
        id="online-softmax",
        title={
            "en": "FlashAttention's online softmax: exact attention, tile by tile",
            "zh": "FlashAttention 的在线 softmax：逐块计算的精确注意力",
        },
        explanation={
            "en": "Computes attention one (block × block) tile at a time, in FlashAttention's loop "
            "order (key/value blocks outside, query blocks inside), keeping only a running max and "
            "a running sum per query row and rescaling the partial output when the max grows. It "
            "proves the result equals full softmax attention (to 1e-14 in float64), that the final "
            "statistics are each row's log-sum-exp, and counts the elements read and written "
            "against the standard schedule that stores the N × N scores and probabilities.",
            "zh": "按 FlashAttention 的循环顺序（外层遍历 key/value 块，内层遍历 query 块）一次计算一个"
            "（块 × 块）的注意力分块，每行 query 只保留当前最大值和当前指数和，最大值变大时就对已有的部分输出"
            "重新缩放。它证明结果与完整的 softmax 注意力相等（float64 下误差约 1e-14），证明最终的统计量就是"
            "每行的 log-sum-exp，并统计读写的元素数，与把 N × N 得分和概率存入内存的标准做法对比。",
        },
        compute="minimodels.demos.online_softmax:run",
        params=(
            IntParam("n", {"en": "Sequence length N", "zh": "序列长度 N"}, 256, 32, 1024, 32),
            IntParam("d", {"en": "Head size d", "zh": "头维度 d"}, 32, 8, 32, 8),
            IntParam("block", {"en": "Tile size", "zh": "分块大小"}, 32, 32, 128, 16),
            ChoiceParam("causal", {"en": "Causal mask", "zh": "因果掩码"}, "yes", ("yes", "no")),
            SEED,
        ),
    ),
    Demo(
        id="speculative-sampling",
        title={
            "en": "Speculative sampling returns exactly the target's distribution",
            "zh": "推测采样的输出恰好服从目标模型的分布",
        },
        explanation={
            "en": "A draft and a target model, both bigram tables over a tiny vocabulary, so every "
            "probability is known. For one position it computes exactly that accepting a draft with "
            "min(1, p/q) and otherwise resampling from norm(max(0, p − q)) gives back p. Then it "
            "generates thousands of 3-token sequences by speculative decoding and by the draft "
            "alone, and runs a chi-square test of each against the target's exact sequence "
            "probabilities: speculative decoding passes, the draft fails. A worse draft only "
            "lowers the acceptance rate.",
            "zh": "草稿模型和目标模型都是小词表上的二元（bigram）概率表，因此每个概率都是已知的。先对单个位置"
            "精确计算：以 min(1, p/q) 接受草稿、否则从 norm(max(0, p − q)) 重新采样，结果恰好还原 p。再分别"
            "用推测解码和只用草稿模型生成数千条长度为 3 的序列，把两者都与目标模型的精确序列概率做卡方检验："
            "推测解码通过，草稿模型不通过。草稿越差，只会让接受率越低。",
        },
        compute="minimodels.demos.speculative_sampling:run",
        params=(
            IntParam("vocab", {"en": "Vocabulary size", "zh": "词表大小"}, 5, 3, 6),
            IntParam("gamma", {"en": "Drafted tokens γ", "zh": "草稿 token 数 γ"}, 3, 1, 8),
            FloatParam(
                "mismatch",
                {
                    "en": "Draft's mismatch (noise on its logits)",
                    "zh": "草稿的偏差（logits 上的噪声）",
                },
                1.0,
                0.5,
                3.0,
                0.25,
            ),
            IntParam(
                "samples",
                {"en": "Sequences sampled", "zh": "采样的序列数"},
                20_000,
                5_000,
                50_000,
                5_000,
            ),
            SEED,
        ),
    ),
    Demo(
        id="prefill-vs-decode",
        title={
            "en": "Prefill vs decode on a roofline: FLOPs per byte, batch size, GQA, 4-bit weights",
            "zh": "屋顶线上的 prefill 与 decode：每字节运算数、batch 大小、GQA、4 位权重",
        },
        explanation={
            "en": "Counts with PyTorch's FLOP counter the FLOPs of a LLaMA-7B-sized decoder (shapes "
            "only, on the meta device) for the prefill of a prompt and for one decode step at "
            "batch sizes 1 to 256, computes the bytes of weights and KV cache each step reads, and "
            "places every step on the roofline of the GPU you describe. It proves that every "
            "weight does 2 FLOPs per token, that decode at batch 1 sits far below the ridge point "
            "while prefill sits above it, and that batching raises the weight products' FLOPs per "
            "byte but not attention's, which stays at n_head / n_kv_head.",
            "zh": "用 PyTorch 的 FLOP 计数器，对一个 LLaMA-7B 大小的解码器（只有形状，放在 meta 设备上）统计一段"
            "提示的 prefill 以及 batch 从 1 到 256 的一步 decode 的运算量，算出每一步要读写的权重和 KV 缓存"
            "字节数，并把每一步放到你所描述的 GPU 的屋顶线上。它证明每个权重对每个 token 做 2 次运算；"
            "batch 为 1 的 decode 远低于拐点，而 prefill 高于拐点；batching 能提高权重矩阵乘法的每字节运算"
            "数，却提高不了注意力的，后者始终是 n_head / n_kv_head。",
        },
        compute="minimodels.demos.prefill_decode:run",
        params=(
            IntParam("width", {"en": "Width d", "zh": "宽度 d"}, 4096, 1024, 8192, 512),
            IntParam("layers", {"en": "Layers", "zh": "层数"}, 32, 1, 80),
            IntParam("heads", {"en": "Query heads", "zh": "query 头数"}, 32, 8, 64, 8),
            ChoiceParam(
                "attention",
                {"en": "Attention (K/V heads)", "zh": "注意力（K/V 头数）"},
                "MHA",
                ("MHA", "GQA-8", "MQA"),
            ),
            IntParam(
                "context",
                {"en": "Prompt / context tokens", "zh": "提示 / 上下文 token 数"},
                2048,
                1024,
                32768,
                512,
            ),
            ChoiceParam(
                "weights",
                {"en": "Weight format", "zh": "权重格式"},
                "fp16",
                ("fp16", "int8", "int4"),
            ),
            FloatParam(
                "peak_tflops",
                {"en": "GPU peak TFLOP/s", "zh": "GPU 峰值 TFLOP/s"},
                312.0,
                50.0,
                1000.0,
                10.0,
            ),
            FloatParam(
                "bandwidth_tbs",
                {"en": "GPU memory bandwidth, TB/s", "zh": "GPU 显存带宽，TB/s"},
                2.0,
                2.0,
                8.0,
                0.1,
            ),
        ),
    ),
    Demo(
        id="beam-search-exact",
        title={
            "en": "Greedy vs beam search vs sampling, against the exact most probable output",
            "zh": "贪心、束搜索与采样，对照精确的最可能输出",
        },
        explanation={
            "en": "Random bigram models over a few words and an end token are small enough to list "
            "every possible output, so the true most probable output (the mode) is known exactly. "
            "Over hundreds of models it measures how often greedy decoding and beam search of "
            "width 2, 4 and 8 find the mode, how probable and how long their outputs are, and "
            "compares them with samples. It proves that an exhaustive beam reaches the mode, that "
            "a wider beam beats greedy, and that the mode is short, often the empty output.",
            "zh": "在少量词加一个结束符上构造随机 bigram 模型，它们小到可以列出所有可能的输出，因此真正概率最高的"
            "输出（众数）是精确已知的。在数百个模型上统计贪心解码以及束宽为 2、4、8 的束搜索找到众数的比例、"
            "输出的概率和长度，并与采样结果对比。它证明穷尽式的束能找到众数，更宽的束胜过贪心，而众数很短，"
            "常常就是空输出。",
        },
        compute="minimodels.demos.beam_search:run",
        params=(
            IntParam("words", {"en": "Words in the vocabulary", "zh": "词表中的词数"}, 5, 3, 6),
            IntParam(
                "max_words", {"en": "Longest output (words)", "zh": "最长输出（词）"}, 6, 3, 6
            ),
            FloatParam(
                "eos_bias",
                {"en": "Bias on the end token's logit", "zh": "结束符 logit 的偏置"},
                0.0,
                -2.0,
                2.0,
                0.5,
            ),
            IntParam("models", {"en": "Random models", "zh": "随机模型数"}, 200, 50, 400, 50),
            SEED,
        ),
    ),
]
