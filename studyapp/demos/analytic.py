"""Demos that compute in closed form or with one forward pass: they render in about a second."""

from studyapp.demos import Demo, FloatParam, IntParam, TextParam

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
