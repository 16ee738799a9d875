"""WordPiece (BERT) and byte-level BPE (GPT-2), trained on this app's English answers, on your text.

The training text is the clean English corpus (minimodels.corpus: plain prose, no Markdown or
TeX), so the first merges are the pairs of English: "t h", "h e", "space t", "the".

Both start from an alphabet and learn merges. WordPiece's alphabet is the characters it has seen
(each also as a "##" piece that continues a word); a character it never saw becomes [UNK].
Byte-level BPE's alphabet is the 256 byte values, so every string can be encoded and decoded back
exactly; a Chinese character is 3 UTF-8 bytes, and stays in pieces until merges join them (on
an English training text, they never do; and WordPiece, which never saw one, makes it [UNK]).
"""

import functools
import os
from pathlib import Path

from minimodels.corpus import demo_documents
from minimodels.results import Check, Metric, Table, Text, TokenStrip
from minimodels.tokenizers import BERT_SPECIALS, ByteBPETokenizer, WordPieceTokenizer, pre_tokenize

REPO = Path(__file__).resolve().parents[2]
# Training is pure Python and grows with (text length x merges): a sample of about this many
# characters, the opening of every answer, keeps the first run near a second.
SAMPLE_CHARS = 16_000

ZH = {"English": "英文", "Chinese": "中文"}
WORDPIECE_LEGEND = {
    "start": {"en": "starts a word", "zh": "词的开头"},
    "continue": {"en": "## continues a word", "zh": "## 接续前一片"},
    "unk": {"en": "[UNK]: not in the vocabulary", "zh": "[UNK]：不在词表中"},
}
BPE_LEGEND = {
    "merged": {"en": "merged token (several bytes)", "zh": "合并得到的 token（多个字节）"},
    "byte": {"en": "a single byte", "zh": "单个字节"},
    "partial": {"en": "part of a character's bytes", "zh": "某个字符的部分字节"},
}


def training_text(bank_dir) -> tuple[str, int]:
    """The opening of every English answer (and paragraph of the user's files), about
    SAMPLE_CHARS characters in all."""
    documents = demo_documents(bank_dir, "en")
    per_answer = max(1, SAMPLE_CHARS // max(1, len(documents)))
    return "".join(doc[:per_answer] + "\n" for doc in documents), len(documents)


@functools.lru_cache(maxsize=8)
def trained(bank_dir: str, merges: int):
    """Both tokenizers trained on the same text, each learning `merges` new tokens. Cached: a
    rerun with the same size is instant (restart the app to retrain on a changed bank)."""
    text, answers = training_text(bank_dir)
    alphabet = {c for word in pre_tokenize(text) for c in word}  # as WordPiece's trainer sees it
    start = len(BERT_SPECIALS) + 2 * len(alphabet)  # specials, then each character c and ##c
    wordpiece = WordPieceTokenizer.train(text, start + merges)
    bpe = ByteBPETokenizer.train(text, 256 + merges)
    return wordpiece, bpe, wordpiece.vocab[start:], len(text), answers


def show_bytes(piece: bytes) -> str:
    """A token's bytes as text; a space shows as ␣, a newline as ↵."""
    try:
        return piece.decode("utf-8").replace(" ", "␣").replace("\n", "↵")
    except UnicodeDecodeError:  # a piece of a multi-byte character
        return "".join(f"\\x{b:02x}" for b in piece)


def bpe_kind(piece: bytes) -> str:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return "partial"
    return "byte" if len(piece) == 1 else "merged"


def wordpiece_kind(piece: str) -> str:
    return "unk" if piece == "[UNK]" else "continue" if piece.startswith("##") else "start"


def run(english: str, chinese: str, merges: int = 100) -> list:
    bank_dir = os.environ.get("STUDYAPP_BANK") or str(REPO / "questions")
    wordpiece, bpe, learned, chars, answers = trained(bank_dir, merges)

    strips, rows, round_trips = [], [], {}
    for name, text in (("English", english), ("Chinese", chinese)):
        pieces = wordpiece.tokenize(text)  # list of str, "##" marks a continuation
        ids = bpe.encode(text)  # list of int
        byte_pieces = [bpe.vocab[i] for i in ids]  # the bytes each id stands for
        round_trips[name] = bpe.decode(ids) == text
        strips += [
            TokenStrip(
                pieces,
                [wordpiece_kind(p) for p in pieces],
                WORDPIECE_LEGEND,
                {
                    "en": f"{name}, WordPiece: {len(pieces)} tokens",
                    "zh": f"{ZH[name]}，WordPiece：{len(pieces)} 个 token",
                },
            ),
            TokenStrip(
                [show_bytes(p) for p in byte_pieces],
                [bpe_kind(p) for p in byte_pieces],
                BPE_LEGEND,
                {
                    "en": f"{name}, byte-level BPE: {len(ids)} tokens",
                    "zh": f"{ZH[name]}，字节级 BPE：{len(ids)} 个 token",
                },
            ),
        ]
        rows.append(
            [
                {"en": name, "zh": ZH[name]},
                len(text),
                len(text.encode("utf-8")),
                len(pieces),
                pieces.count("[UNK]"),
                len(ids),
            ]
        )

    first_bpe = [
        [rank + 1, show_bytes(bpe.vocab[a]), show_bytes(bpe.vocab[b]), show_bytes(bpe.vocab[new])]
        for rank, ((a, b), new) in enumerate(list(bpe.merges.items())[:15])
    ]
    return [
        *strips,
        Table(
            columns=[
                {"en": "text", "zh": "文本"},
                {"en": "characters", "zh": "字符数"},
                {"en": "UTF-8 bytes", "zh": "UTF-8 字节数"},
                {"en": "WordPiece tokens", "zh": "WordPiece token 数"},
                {"en": "of them [UNK]", "zh": "其中 [UNK]"},
                {"en": "BPE tokens", "zh": "BPE token 数"},
            ],
            rows=rows,
            title={"en": "Counts", "zh": "计数"},
        ),
        Table(
            columns=[
                {"en": "merge", "zh": "合并"},
                {"en": "left", "zh": "左"},
                {"en": "right", "zh": "右"},
                {"en": "new token", "zh": "新 token"},
            ],
            rows=first_bpe,
            title={
                "en": "Byte-level BPE: the first merges (the most frequent pairs)",
                "zh": "字节级 BPE：最早学到的合并（出现最频繁的字节对）",
            },
        ),
        Table(
            columns=[{"en": "piece", "zh": "词片"}, {"en": "learned", "zh": "学到的"}],
            rows=[[i + 1, piece] for i, piece in enumerate(learned[:15])],
            title={
                "en": "WordPiece: the first pieces learned (pairs whose parts rarely occur apart)",
                "zh": "WordPiece：最早学到的词片（两部分很少单独出现的组合）",
            },
        ),
        Metric(
            {"en": "training text", "zh": "训练文本"},
            f"{chars:,} chars",
            {
                "en": f"the opening of each of {answers} English answers",
                "zh": f"{answers} 个英文答案各自的开头",
            },
        ),
        Metric({"en": "WordPiece vocabulary", "zh": "WordPiece 词表"}, f"{wordpiece.vocab_size:,}"),
        Metric(
            {"en": "BPE vocabulary", "zh": "BPE 词表"},
            f"{bpe.vocab_size:,}",
            {"en": "256 bytes + merges", "zh": "256 个字节 + 合并"},
        ),
        Text(
            {
                "en": "Both learned from English text. WordPiece's alphabet holds every character "
                "of the training text twice (as a word start and as a ## continuation), so a "
                "character it never saw, here every Chinese character, is [UNK]. Byte-level BPE "
                "starts from just 256 bytes and never needs [UNK], but a Chinese character costs "
                "3 byte tokens until merges join them, and merges learned from English never do, "
                "so Chinese text needs far more BPE tokens per character than English. BPE merges the most frequent pair; WordPiece the pair with the "
                "highest count(ab) / (count(a) · count(b)), which favours rare letters that "
                "always appear together.",
                "zh": "两者都是在英文文本上学的。WordPiece 的字母表把训练文本中的每个字符都收录两次（作为词首和作为 "
                "## 接续），所以没见过的字符（这里就是每一个汉字）都是 [UNK]。字节级 BPE 只从 256 个字节出发，"
                "永远不需要 [UNK]，但一个汉字占 3 个字节 token，要等合并把它们连起来，而从英文学到的合并永远不会"
                "连起汉字，所以中文每个字符需要的 BPE token 远多于英文。BPE 合并出现最频繁的字节对；WordPiece 合并 count(ab) / (count(a) · count(b)) "
                "最高的组合，偏爱总是一起出现的稀有字母。",
            }
        ),
        Check(
            {
                "en": "Byte-level BPE gives the text back exactly: decode(encode(text)) == text, "
                "in English and in Chinese",
                "zh": "字节级 BPE 能原样还原文本：decode(encode(text)) == text，英文和中文都是",
            },
            all(round_trips.values()),
            {
                "en": ", ".join(f"{name}: {ok}" for name, ok in round_trips.items()),
                "zh": "，".join(
                    f"{ZH[name]}：{'是' if ok else '否'}" for name, ok in round_trips.items()
                ),
            },
        ),
    ]
