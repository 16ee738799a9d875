"""Perplexity per token is not comparable across tokenizers; bits per character is.

The same text (this app's answers, shuffled once: 90 % to count from, 10 % to evaluate) is cut
into tokens by a character tokenizer and by byte-level BPE tokenizers of growing vocabulary. On
each, a bigram model (how often token b follows token a, add-0.1 smoothing) is counted on the
first part and scores the second. Every model assigns a probability to the same evaluation text,
so its total log-loss in nats can be divided by whatever unit we like:

    nats per token   = total / tokens          perplexity per token = exp(nats per token)
    bits per char    = total / chars / ln 2    (and per byte, per word: same total, other unit)

A bigger vocabulary makes each token harder to guess (more choices, and each token carries more
text), so perplexity per token rises; but a bigram over longer tokens sees more context, so the
whole text costs fewer bits. Among the BPE tokenizers, the model that looks worst per token is
the best per character. (Where the character tokenizer lands depends on the script: a Chinese
character is one token for it but three bytes for byte-level BPE.)
"""

import math
import random

import torch

from minimodels.corpus import demo_documents
from minimodels.demos.trained import bank_dir
from minimodels.results import Check, Lines, Table, Text
from minimodels.tokenizers import ByteBPETokenizer, CharTokenizer

SMOOTHING = 0.1
# BPE learns its merges from the first bytes of the training part only: pure-Python BPE
# training is the slow step, and the merges a sample gives are the frequent ones anyway.
BPE_SAMPLE_BYTES = 24_000
# The bank grows; counting and scoring at most this much text keeps the demo at a few seconds.
TRAIN_CHARS, EVAL_CHARS = 150_000, 30_000


def split_text(language: str, seed: int = 0) -> tuple[str, str]:
    docs = demo_documents(bank_dir(), language)
    random.Random(seed).shuffle(docs)
    cut = int(len(docs) * 0.9)
    return "".join(docs[:cut])[:TRAIN_CHARS], "".join(docs[cut:])[:EVAL_CHARS]


def bigram_nats(train_ids: list[int], eval_ids: list[int], vocab_size: int) -> float:
    """Total -ln p of eval_ids[1:], each token given the one before it, by bigram counts."""
    train, evaluate = torch.tensor(train_ids), torch.tensor(eval_ids)
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)  # counts[a, b]: a then b
    ones = torch.ones(len(train) - 1, dtype=torch.float64)
    counts.index_put_((train[:-1], train[1:]), ones, accumulate=True)
    prev, nxt = evaluate[:-1], evaluate[1:]
    p = (counts[prev, nxt] + SMOOTHING) / (counts.sum(1)[prev] + SMOOTHING * vocab_size)
    return -p.log().sum().item()


def run(language: str = "en", seed: int = 0) -> list:
    train, held_out = split_text(language, seed)
    tokenizers = {"char": CharTokenizer.train(train + held_out)}  # every character has an id
    # Byte-level BPE learns its merges in order, so the first k merges of one training run are
    # exactly the tokenizer a run stopped after k merges would learn: train once, cut three times.
    sample = train.encode("utf-8")[:BPE_SAMPLE_BYTES].decode("utf-8", errors="ignore")
    largest = ByteBPETokenizer.train(sample, 256 + 512)
    merges = list(largest.merges)  # in the order they were learned
    for k in (44, 128, 512):
        tokenizers[f"byte-BPE {256 + k}"] = ByteBPETokenizer(merges[:k])

    rows, per_token, per_char = [], {}, {}
    for name, tok in tokenizers.items():
        eval_ids = tok.encode(held_out)
        nats = bigram_nats(tok.encode(train), eval_ids, tok.vocab_size)
        scored = tok.decode(eval_ids[1:])  # the text the model scored: all but the first token
        tokens, chars, nbytes = len(eval_ids) - 1, len(scored), len(scored.encode("utf-8"))
        per_token[name] = nats / tokens
        per_char[name] = nats / chars / math.log(2)
        words = len(scored.split()) if language == "en" else None
        rows.append(
            [
                name,
                tok.vocab_size,
                tokens,
                round(chars / tokens, 2),
                round(per_token[name], 3),
                round(math.exp(per_token[name]), 1),
                round(per_char[name], 3),
                round(nats / nbytes / math.log(2), 3),
                round(math.exp(nats / words), 1) if words else "—",
            ]
        )
    names = list(tokenizers)
    bpe = names[1:]  # the nested byte-level BPE tokenizers, smallest vocabulary first
    by_token = sorted(names, key=per_token.get)
    by_char = sorted(names, key=per_char.get)
    char_model = tokenizers["char"]

    return [
        Table(
            columns=[
                {"en": "tokenizer", "zh": "分词器"},
                {"en": "vocabulary", "zh": "词表大小"},
                {"en": "tokens scored", "zh": "评估的 token 数"},
                {"en": "chars per token", "zh": "每 token 字符数"},
                {"en": "nats per token", "zh": "每 token 奈特数"},
                {"en": "perplexity per token", "zh": "每 token 困惑度"},
                {"en": "bits per char", "zh": "每字符比特数"},
                {"en": "bits per byte", "zh": "每字节比特数"},
                {"en": "perplexity per word", "zh": "每词困惑度"},
            ],
            rows=rows,
            title={
                "en": "One text, bigram models over four tokenizations",
                "zh": "同一段文本，四种切分上的二元模型",
            },
        ),
        Lines(
            x=[tokenizers[n].vocab_size for n in names],
            series={
                "perplexity per token": [math.exp(per_token[n]) for n in names],
                "bits per char": [per_char[n] for n in names],
            },
            series_labels={
                "perplexity per token": {"en": "perplexity per token", "zh": "每 token 困惑度"},
                "bits per char": {"en": "bits per char", "zh": "每字符比特数"},
            },
            title={"en": "As the vocabulary grows", "zh": "随词表增大"},
            x_label={"en": "vocabulary size", "zh": "词表大小"},
            log_y=True,
        ),
        Text(
            {
                "en": "Bits per character divide the same total (the model's code length for the "
                "whole text) by a unit every tokenizer shares. Perplexity per word does too, "
                "for a fixed way of counting words. Per-token figures do not.",
                "zh": "每字符比特数是把同一个总量（模型对整段文本的编码长度）除以所有分词器共有的单位。"
                "在固定的数词方法下，每词困惑度也一样。每 token 的数字则不行。",
            }
        ),
        Check(
            {
                "en": "For the character tokenizer, bits per char = nats per token / ln 2 exactly",
                "zh": "对字符分词器，每字符比特数恰好等于每 token 奈特数除以 ln 2",
            },
            math.isclose(per_char["char"], per_token["char"] / math.log(2), rel_tol=1e-12)
            and char_model.decode(char_model.encode(held_out)) == held_out,
        ),
        Check(
            {
                "en": "As the BPE vocabulary grows, perplexity per token rises while bits per char "
                "fall: the two measures rank these models in opposite orders",
                "zh": "BPE 词表越大，每 token 困惑度越高，每字符比特数却越低：两种度量给这些模型的排名正好相反",
            },
            all(
                per_token[a] < per_token[b] and per_char[a] > per_char[b]
                for a, b in zip(bpe, bpe[1:], strict=False)
            ),
            {
                "en": f"by perplexity per token: {' < '.join(by_token)}; "
                f"by bits per char: {' < '.join(by_char)}",
                "zh": f"按每 token 困惑度：{' < '.join(by_token)}；"
                f"按每字符比特数：{' < '.join(by_char)}",
            },
        ),
    ]
