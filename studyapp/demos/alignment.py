"""Demos for fine-tuning and alignment (SFT, LoRA, RLHF, DPO, label smoothing)."""

from studyapp.demos import Demo, FloatParam, IntParam, TextParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 1000)

DEMOS: list[Demo] = [
    Demo(
        id="sft-loss-masking",
        title={
            "en": "SFT loss masking: the prompt at -100",
            "zh": "SFT 损失掩码：提示部分标为 -100",
        },
        explanation={
            "en": "Packs a prompt and its answer into one sequence as supervised fine-tuning does, "
            "labels the prompt and separator -100 and the answer with its own tokens, and computes "
            "the next-token loss of an untrained GPT two ways: by hand over the answer tokens and "
            "with cross_entropy(ignore_index=-100). They agree, the positions that would predict "
            "prompt tokens get exactly zero gradient, and a second, longer answer shows how averaging "
            "per token and per sequence weigh examples differently.",
            "zh": "像监督微调那样把提示和回答拼成一条序列，提示和分隔符的标签设为 -100，回答的标签就是它自己的 "
            "token；然后用一个未训练的 GPT 以两种方式计算下一个 token 的损失：手工对回答 token 求平均，"
            "以及 cross_entropy(ignore_index=-100)。两者一致；预测提示 token 的位置梯度恰好为零；"
            "再加一条更长的回答，展示按 token 平均与按序列平均对样本的加权有何不同。",
        },
        compute="minimodels.demos.sft_masking:run",
        params=(
            TextParam(
                "prompt", {"en": "Prompt", "zh": "提示"}, "Translate to French: cat", max_chars=60
            ),
            TextParam("answer", {"en": "Answer", "zh": "回答"}, "chat", max_chars=40),
            TextParam(
                "second_answer",
                {"en": "A second, longer answer", "zh": "第二条更长的回答"},
                "le chat noir dort sur le tapis",
                max_chars=60,
            ),
            SEED,
        ),
    ),
    Demo(
        id="dpo-loss",
        title={
            "en": "The DPO loss by hand, then a few DPO steps",
            "zh": "手算 DPO 损失，再跑几步 DPO",
        },
        explanation={
            "en": "Scores four preference pairs (a polite chosen answer, a rude rejected one) with a "
            "tiny GPT policy and a frozen copy as the reference, summing log-probabilities over the "
            "response tokens only. The DPO loss is computed by hand in plain floats and with a "
            "vectorised implementation written like the authors' preference_loss; they agree, and "
            "since policy = reference at the start the loss is exactly ln 2. A few DPO steps then "
            "push the implicit reward β·log(π/π_ref) of every chosen answer above its rejected one.",
            "zh": "用一个小 GPT 作为策略、它的冻结副本作为参考模型，给四个偏好对（礼貌的选中回答、粗鲁的被拒回答）"
            "打分，只对回答部分的 token 累加对数概率。DPO 损失先用普通浮点数手算，再用仿照作者 "
            "preference_loss 写的向量化实现计算；两者一致，而且起点时策略等于参考模型，损失恰为 ln 2。"
            "接着跑几步 DPO，每个选中回答的隐式奖励 β·log(π/π_ref) 都会超过对应的被拒回答。",
        },
        compute="minimodels.demos.dpo_loss:run",
        params=(
            FloatParam(
                "beta", {"en": "β (KL strength)", "zh": "β（KL 约束强度）"}, 0.1, 0.01, 1.0, 0.01
            ),
            IntParam("steps", {"en": "DPO steps", "zh": "DPO 步数"}, 40, 10, 200, 10),
            SEED,
        ),
        trains=True,
    ),
    Demo(
        id="label-smoothing",
        title={
            "en": "Label smoothing caps confidence",
            "zh": "标签平滑给置信度设上限",
        },
        explanation={
            "en": "Trains the same small classifier on the same separable data twice, with plain "
            "cross-entropy and with label smoothing ε. It checks PyTorch's label_smoothing against the "
            "smoothed-target formula, then shows that the smoothed model's confidence stops at "
            "1 − ε + ε/K with a logit gap near ln((1 − ε + ε/K)/(ε/K)), while the plain model's "
            "confidence and gap keep growing.",
            "zh": "在同一份可分的数据上，把同一个小分类器训练两次：一次用普通交叉熵，一次用标签平滑 ε。先验证 "
            "PyTorch 的 label_smoothing 与平滑目标公式一致，再展示平滑模型的置信度停在 1 − ε + ε/K，"
            "logit 差接近 ln((1 − ε + ε/K)/(ε/K))，而普通模型的置信度和 logit 差一直在增长。",
        },
        compute="minimodels.demos.label_smoothing:run",
        params=(
            FloatParam("epsilon", {"en": "Smoothing ε", "zh": "平滑系数 ε"}, 0.1, 0.01, 0.5, 0.01),
            IntParam("classes", {"en": "Classes K", "zh": "类别数 K"}, 10, 2, 50),
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 400, 100, 2000, 100),
            SEED,
        ),
        trains=True,
    ),
    Demo(
        id="reward-model",
        title={
            "en": "A reward model learned from rankings",
            "zh": "从排序中学出一个奖励模型",
        },
        explanation={
            "en": "Simulated labelers rank 4 to 9 answers per prompt, noisily, by a hidden true "
            "reward; every ranking becomes C(K, 2) pairs, and a linear reward model is trained with "
            "InstructGPT's loss −log σ(r(y_w) − r(y_l)). It checks the pair count, shows that adding "
            "a constant to every score leaves the loss unchanged (only differences are learned, so "
            "the offset is arbitrary), and that on answers it never saw ranked the model orders "
            "pairs about as well as the true reward does under the labelers' noise.",
            "zh": "模拟标注员按一个隐藏的真实奖励、带噪声地给每个提示的 4 到 9 个回答排序；每次排序变成 "
            "C(K, 2) 个成对比较，再用 InstructGPT 的损失 −log σ(r(y_w) − r(y_l)) 训练一个线性奖励模型。"
            "它验证成对比较的数量，展示给每个分数加上同一个常数时损失不变（只学到差值，所以偏移量是"
            "任意的），并表明在从未见过其排序的回答上，模型排对的比例与带着标注噪声的真实奖励相当。",
        },
        compute="minimodels.demos.reward_model:run",
        params=(
            IntParam("prompts", {"en": "Rankings", "zh": "排序次数"}, 300, 20, 2000, 20),
            IntParam("steps", {"en": "Training steps", "zh": "训练步数"}, 300, 50, 1000, 50),
            SEED,
        ),
    ),
    Demo(
        id="lora-rank",
        title={
            "en": "LoRA on a tiny GPT: rank, parameters and quality",
            "zh": "在小 GPT 上做 LoRA：秩、参数量与效果",
        },
        explanation={
            "en": "Trains a 2-layer GPT on one counting rule, then fine-tunes it to another with LoRA "
            "at ranks 1, 2, 4 and 8 on every Linear layer of its blocks, and with full fine-tuning. "
            "It checks that B = 0 makes the adapted model identical to the base before the first "
            "step, counts r·(in + out) trainable numbers per matrix, shows the loss each rank reaches, "
            "and folds W + (α/r)·BA into one matrix without changing the outputs.",
            "zh": "先让一个 2 层 GPT 学会一种计数规则，再用 LoRA（秩 1、2、4、8，加在每个 block 的所有线性层上）"
            "和全参数微调把它改学另一种规则。验证 B = 0 使适配后的模型在第一步之前与基座完全相同，统计每个"
            "矩阵 r·(in + out) 个可训练参数，展示各个秩达到的损失，并把 W + (α/r)·BA 合并成一个矩阵而输出不变。",
        },
        compute="minimodels.demos.lora_rank:run",
        params=(
            IntParam("shift", {"en": "Task B: step size", "zh": "任务 B：步长"}, 5, 2, 11),
            IntParam("steps", {"en": "Fine-tuning steps", "zh": "微调步数"}, 50, 20, 400, 10),
            FloatParam("alpha", {"en": "LoRA α", "zh": "LoRA α"}, 8.0, 1.0, 32.0, 1.0),
            SEED,
        ),
        trains=True,
    ),
]
