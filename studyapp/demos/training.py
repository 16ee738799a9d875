"""Demos that train a tiny model on the bank's own text; cached and shared across sessions."""

from studyapp.demos import ChoiceParam, Demo, FloatParam, IntParam, TextParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 1000)
GPT_STEPS = IntParam("steps", {"en": "GPT training steps", "zh": "GPT 训练步数"}, 300, 50, 1500, 50)
BERT_STEPS = IntParam(
    "steps", {"en": "BERT training steps", "zh": "BERT 训练步数"}, 300, 50, 1500, 50
)
LANGUAGE = ChoiceParam(
    "language", {"en": "Text of the answers in", "zh": "答案文本的语言"}, "en", ("en", "zh")
)
TEMPERATURE = FloatParam("temperature", {"en": "Temperature", "zh": "温度"}, 0.8, 0.1, 2.0, 0.1)
LENGTH = IntParam(
    "length", {"en": "Characters to generate", "zh": "生成的字符数"}, 200, 20, 500, 10
)

DEMOS = [
    Demo(
        id="gpt-train",
        title={
            "en": "Train a tiny GPT on this app's answers",
            "zh": "用本应用的答案训练一个小 GPT",
        },
        explanation={
            "en": "Trains a 2-layer character-level GPT on the question bank's own answers "
            "(as plain prose, in the language you choose) and draws the loss live against three baselines measured on the same "
            "validation characters: uniform (ln V, where an untrained model starts), unigram and "
            "bigram. Beating the bigram baseline proves the model learned more than which "
            "character follows which. Then it writes, with your temperature, top-k and top-p.",
            "zh": "在题库自己的答案（转成纯文本，语言由你选择）上训练一个 2 层的字符级 GPT，并实时画出损失曲线，与在同一批"
            "验证字符上测得的三条基线对比：均匀分布（ln V，未训练模型的起点）、一元（unigram）和二元"
            "（bigram）。低于二元基线，说明模型学到的不只是“哪个字符后面跟哪个字符”。最后按你设定的温度、"
            "top-k 和 top-p 生成文本。",
        },
        compute="minimodels.demos.gpt_train:run",
        params=(
            GPT_STEPS,
            SEED,
            TextParam("prompt", {"en": "Prompt", "zh": "提示"}, "Attention ", max_chars=60),
            LENGTH,
            FloatParam("temperature", {"en": "Temperature", "zh": "温度"}, 0.5, 0.1, 2.0, 0.1),
            IntParam("top_k", {"en": "Top-k (0 = off)", "zh": "Top-k（0 = 关闭）"}, 0, 0, 100),
            FloatParam(
                "top_p", {"en": "Top-p (1 = off)", "zh": "Top-p（1 = 关闭）"}, 1.0, 0.05, 1.0, 0.05
            ),
            LANGUAGE,
        ),
        trains=True,
    ),
    Demo(
        id="bert-fill-mask",
        title={"en": "A tiny BERT fills in the blanks", "zh": "小 BERT 做完形填空"},
        explanation={
            "en": "Trains a 2-layer character-level BERT with the masked-LM objective (15 % of the "
            "characters selected, 80/10/10) on the bank's answers, then predicts each [MASK] in "
            "your text from both sides, with its top-k probabilities. Each [MASK] stands for one "
            "character. The check: after training, the masked-LM loss is below the unigram "
            "baseline on the same masked characters.",
            "zh": "用掩码语言模型目标（选中 15% 的字符，80/10/10）在题库答案上训练一个 2 层的字符级 "
            "BERT，然后根据两侧上下文预测你文本中的每个 [MASK]，并给出前 k 个候选的概率。每个 [MASK] "
            "代表一个字符。验证：训练后，掩码语言模型损失低于同一批被掩字符上的一元基线。",
        },
        compute="minimodels.demos.bert_fill_mask:run",
        params=(
            TextParam(
                "text",
                {
                    "en": "Your text, with [MASK] for each hidden character",
                    "zh": "你的文本，每个要猜的字符写成 [MASK]",
                },
                "Self-attention lets every tok[MASK]n look at [MASK]ll the others.",
            ),
            IntParam("top_k", {"en": "Candidates per blank", "zh": "每个空的候选数"}, 5, 1, 20),
            BERT_STEPS,
            SEED,
            LANGUAGE,
        ),
        trains=True,
    ),
    Demo(
        id="bert-gibbs",
        title={
            "en": "Generating text with BERT: Gibbs-style sampling",
            "zh": "用 BERT 生成文本：吉布斯式采样",
        },
        explanation={
            "en": "Starts from a row of [MASK] tokens and repeatedly re-masks one random position "
            "and samples it from the tiny BERT (Wang & Cho 2019): full softmax during burn-in, "
            "top-k afterwards. Every step is listed. BERT is not a Markov random field (the "
            "authors' erratum), so this is a heuristic sampler, not exact sampling.",
            "zh": "从一串 [MASK] 出发，反复随机选一个位置重新掩码，再用小 BERT 对它采样（Wang & Cho 2019）："
            "预热阶段从完整 softmax 采样，之后只从 top-k 中采样。每一步都列出来。BERT 不是马尔可夫随机场"
            "（作者的勘误），所以这是启发式采样，不是精确采样。",
        },
        compute="minimodels.demos.bert_gibbs:run",
        params=(
            IntParam("length", {"en": "Characters", "zh": "字符数"}, 30, 5, 30),
            IntParam("iterations", {"en": "Gibbs steps", "zh": "吉布斯步数"}, 300, 250, 2000, 50),
            IntParam("burn_in", {"en": "Burn-in steps", "zh": "预热步数"}, 100, 0, 1000, 50),
            IntParam("top_k", {"en": "Top-k after burn-in", "zh": "预热后的 top-k"}, 10, 1, 100),
            BERT_STEPS,
            SEED,
            LANGUAGE,
        ),
        trains=True,
    ),
    Demo(
        id="clm-vs-mlm",
        title={
            "en": "Causal LM vs masked LM: how much of the text teaches",
            "zh": "因果语言模型 vs 掩码语言模型：多少文本在提供训练信号",
        },
        explanation={
            "en": "Trains a tiny GPT (causal LM) and a BERT of the same size (masked LM) on the "
            "same text for the same steps, plots both losses, and counts on the actual training "
            "batches how many positions carry a target: 100 % for the causal LM, about 15 % for "
            "the masked LM. The two losses measure different conditionals, so compare each curve "
            "with itself, not with the other.",
            "zh": "在同样的文本上、用同样的步数训练一个小 GPT（因果语言模型）和一个同样大小的 BERT（掩码"
            "语言模型），画出两条损失曲线，并在实际训练批次上统计有预测目标的位置比例：因果语言模型 100%，"
            "掩码语言模型约 15%。两种损失衡量的是不同的条件分布，只能各自纵向比较，不能互相比。",
        },
        compute="minimodels.demos.clm_vs_mlm:run",
        params=(
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 200, 50, 1200, 50),
            SEED,
        ),
        trains=True,
    ),
    Demo(
        id="decoding",
        title={
            "en": "Greedy vs temperature vs top-k vs top-p",
            "zh": "贪心、温度、top-k 与 top-p 解码对比",
        },
        explanation={
            "en": "Continues the same prompt with the same tiny GPT four ways and measures how "
            "much each text repeats itself (share of repeated 4-grams). Greedy decoding is "
            "deterministic and tends to loop; sampling does not. The model's own −log p per "
            "character shows that the likeliest text is not the best text.",
            "zh": "用同一个小 GPT、以四种方式续写同一个提示，并测量每段文本的自我重复程度（重复 4-gram 的"
            "比例）。贪心解码是确定性的，容易陷入循环；采样则不会。模型给出的每字符 −log p 说明："
            "最可能的文本并不是最好的文本。",
        },
        compute="minimodels.demos.decoding:run",
        params=(
            TextParam("prompt", {"en": "Prompt", "zh": "提示"}, "The model ", max_chars=60),
            LENGTH,
            TEMPERATURE,
            IntParam("top_k", {"en": "Top-k", "zh": "Top-k"}, 10, 1, 100),
            FloatParam("top_p", {"en": "Top-p", "zh": "Top-p"}, 0.9, 0.05, 1.0, 0.05),
            GPT_STEPS,
            SEED,
            LANGUAGE,
        ),
        trains=True,
    ),
    Demo(
        id="gpt1-aux-loss",
        title={
            "en": "GPT-1's auxiliary LM loss during fine-tuning",
            "zh": "GPT-1 微调时的辅助语言模型损失",
        },
        explanation={
            "en": "Fine-tunes the tiny pre-trained GPT twice on a toy classification task (is a "
            "window of an answer real text or shuffled characters?): with the task loss L2 alone, "
            "and with L2 + 0.5·L1, the language-modelling loss on the same text (GPT-1, Section "
            "3.2). Shows both runs' losses and test accuracy, and says honestly how large the "
            "accuracy difference is against the noise.",
            "zh": "在一个小分类任务上（答案中的一段文字是原文，还是字符被打乱了？）把预训练好的小 GPT 微调"
            "两次：只用任务损失 L2；以及用 L2 + 0.5·L1，L1 是同一段文本上的语言模型损失（GPT-1 第 3.2 节）。"
            "展示两次微调的损失与测试准确率，并如实说明准确率差值相对噪声有多大。",
        },
        compute="minimodels.demos.gpt1_aux_loss:run",
        params=(
            IntParam("steps", {"en": "Fine-tuning steps", "zh": "微调步数"}, 50, 50, 1000, 50),
            IntParam(
                "pretrain_steps",
                {"en": "Pre-training steps", "zh": "预训练步数"},
                300,
                50,
                1500,
                50,
            ),
            SEED,
        ),
        trains=True,
    ),
    Demo(
        id="decoder-vs-encdec",
        title={
            "en": "Decoder-only vs encoder-decoder at equal size",
            "zh": "同等参数量下：只有解码器 vs 编码器-解码器",
        },
        explanation={
            "en": "Trains a decoder-only Transformer (5 layers) and an encoder-decoder with "
            "cross-attention (2 + 2 layers) with about the same number of parameters on a toy "
            "sequence-to-sequence task, reversing or copying random letters, on the same batches. "
            "Shows both loss curves, exact-match accuracy, and the steps and seconds each needs.",
            "zh": "在一个小的序列到序列任务（把随机字母倒序或复制）上，用相同的批次训练参数量大致相同的两个"
            "模型：只有解码器的 Transformer（5 层）和带交叉注意力的编码器-解码器（2 + 2 层）。展示两条"
            "损失曲线、完全匹配准确率，以及各自需要的步数和秒数。",
        },
        compute="minimodels.demos.decoder_vs_encdec:run",
        params=(
            ChoiceParam("task", {"en": "Task", "zh": "任务"}, "reverse", ("reverse", "copy")),
            IntParam("length", {"en": "Letters per string", "zh": "每个字符串的字母数"}, 8, 4, 24),
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 100, 20, 600, 10),
            SEED,
        ),
        trains=True,
    ),
]
