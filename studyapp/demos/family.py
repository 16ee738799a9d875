"""Demos for the BERT family, tokenization and generation methods (CGMH, SimBERT, PEGASUS, in-context learning)."""

from studyapp.demos import Demo, FloatParam, IntParam, TextParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 10_000)

DEMOS: list[Demo] = [
    Demo(
        id="mlm-independence",
        title={
            "en": "Two masks, predicted independently",
            "zh": "两个掩码，各自独立预测",
        },
        explanation={
            "en": "Masks both words of a two-word city in 'she moved to [MASK] [MASK]' and trains the "
            "two masked positions with the masked-LM loss. They learn their marginals, so filling both "
            "at once samples from the product and gives 1 − Σ pᵢ² of the probability to cities that do "
            "not exist ('new angeles'); the left-to-right factorisation p(w₁)·p(w₂|w₁) gives them none.",
            "zh": "把 “she moved to [MASK] [MASK]” 中两个词组成的城市名都遮住，用掩码语言模型损失训练这两个"
            "被遮位置。它们学到的是各自的边缘分布，一次同时填两个就是从乘积中采样，会把 1 − Σ pᵢ² 的概率"
            "分给并不存在的城市（“new angeles”）；从左到右的分解 p(w₁)·p(w₂|w₁) 则一点也不给。",
        },
        compute="minimodels.demos.mlm_independence:run",
        params=(
            FloatParam(
                "new_york_share",
                {"en": "Share of 'new york' in the corpus", "zh": "语料中 “new york” 的占比"},
                0.5,
                0.2,
                0.8,
                0.05,
            ),
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 300, 100, 1000, 50),
            SEED,
        ),
    ),
    Demo(
        id="cgmh-keywords",
        title={
            "en": "CGMH: a sentence around your keywords by Metropolis-Hastings",
            "zh": "CGMH：用 Metropolis-Hastings 围绕关键词生成句子",
        },
        explanation={
            "en": "Starts from the keywords alone and edits the sentence word by word: replace, insert or "
            "delete, each proposal accepted with the Metropolis-Hastings rate for the target "
            "p_LM(x)·[every keyword present] (a word bigram LM on a small corpus). Keywords are never "
            "lost, the log-probability climbs, and on a tiny vocabulary the chain's visit counts match "
            "the exactly enumerated target.",
            "zh": "从只有关键词的句子出发，逐词编辑：替换、插入或删除，每个提议按 Metropolis-Hastings 接受率"
            "决定取舍，目标分布是 p_LM(x)·[关键词全部出现]（在小语料上统计的词级二元语言模型）。关键词从不"
            "丢失，对数概率一路上升；在极小词表上，链的访问频率与精确枚举的目标分布一致。",
        },
        compute="minimodels.demos.cgmh_keywords:run",
        params=(
            TextParam(
                "keywords",
                {"en": "Keywords (words of the corpus)", "zh": "关键词（须为语料中的词）"},
                "dog park",
                max_chars=40,
            ),
            IntParam("steps", {"en": "MH steps", "zh": "MH 步数"}, 300, 50, 2000, 50),
            SEED,
        ),
    ),
    Demo(
        id="in-context-learning",
        title={
            "en": "In-context learning: a tiny GPT answers from the examples in its prompt",
            "zh": "上下文学习：小 GPT 根据提示里的示例作答",
        },
        explanation={
            "en": "Trains a one-layer GPT on sequences that each carry a fresh random dictionary, "
            "shown as examples ('key 3 has value 5') interleaved with queries ('value of key 1?'). "
            "Then, with frozen weights and dictionaries it has never seen, it answers queries whose "
            "key the prompt showed almost always, and the others at chance (1 in 8): the task is "
            "taken from the demonstrations in the input, with no gradient step.",
            "zh": "训练一个单层 GPT：每条序列都带一个全新的随机字典，以示例（“键 3 的值是 5”）和查询"
            "（“键 1 的值是？”）交替给出。之后冻结权重、换成从没见过的字典：提示里出现过的键几乎总能"
            "答对，没出现过的只有随机水平（八分之一）。任务来自输入中的示例，没有任何梯度更新。",
        },
        compute="minimodels.demos.in_context_learning:run",
        params=(
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 400, 100, 1000, 50),
            SEED,
        ),
        trains=True,
    ),
    Demo(
        id="static-vs-contextual",
        title={
            "en": "Static vs contextual embeddings: 'bank' by the river and at the bank",
            "zh": "静态与上下文词向量：河岸的 bank 与银行的 bank",
        },
        explanation={
            "en": "Trains a tiny BERT with masked-LM on short sentences where 'bank' means a river bank "
            "or a money bank, then reads two vectors for 'bank' in 80 new sentences: the row of the "
            "input embedding table (identical every time) and the last layer's output (different in "
            "every sentence). Only the contextual vectors tell the senses apart: same-sense vectors "
            "are closer, and the nearest sense centroid recovers the sense of held-out sentences.",
            "zh": "用掩码语言模型在短句上训练一个小 BERT，句中的 bank 有时指河岸、有时指银行；然后在 80 个"
            "新句子里读取 bank 的两种向量：输入嵌入表中的那一行（每次都一样）和最后一层的输出（每句都"
            "不同）。只有上下文向量能区分两个义项：同义项的向量更接近，用最近的义项质心可以判断留出句子"
            "中 bank 的义项。",
        },
        compute="minimodels.demos.static_vs_contextual:run",
        params=(
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 200, 100, 2000, 100),
            SEED,
        ),
        trains=True,
    ),
]
