"""Three ways to turn text into integer ids, each with a trainer that learns its vocabulary.

- CharTokenizer: one id per character seen in training. Tiny vocabulary, long sequences.
- WordPieceTokenizer (BERT): words split greedily into the longest known pieces; a piece inside
  a word carries a "##" prefix. A word that cannot be spelled from the vocabulary becomes [UNK].
- ByteBPETokenizer (GPT-2): start from the 256 byte values and repeatedly merge the most frequent
  adjacent pair. Every string is bytes, so nothing is ever unknown and decode(encode(s)) == s.

Special tokens ([CLS], [MASK], ...) get ids of their own and are only inserted by code: encode()
never produces them from text, except [UNK].
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


class CharTokenizer:
    def __init__(self, vocab: Sequence[str], specials: Sequence[str] = ()):
        self.specials = list(specials)
        self.vocab = self.specials + [c for c in vocab if c not in self.specials]
        self.token_to_id = {t: i for i, t in enumerate(self.vocab)}

    @classmethod
    def train(cls, text: str, specials: Sequence[str] = ()) -> CharTokenizer:
        return cls(sorted(set(text)), specials)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def special_ids(self) -> list[int]:
        return [self.token_to_id[t] for t in self.specials]

    def encode(self, text: str) -> list[int]:
        unk = self.token_to_id.get("[UNK]")
        ids = [self.token_to_id.get(c, unk) for c in text]
        if None in ids:
            missing = sorted({c for c in text if c not in self.token_to_id})
            raise ValueError(f"characters not in the vocabulary and no [UNK]: {missing[:10]}")
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.vocab[i] for i in ids)


# BERT's pre-tokenizer: words of letters and digits, each punctuation mark alone, and each CJK
# character alone (Chinese has no spaces, and BERT gives every Han character its own word).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")


def pre_tokenize(text: str) -> list[str]:
    return _WORD_RE.findall(text)


class WordPieceTokenizer:
    # Longer "words" are [UNK] rather than hundreds of pieces. Hugging Face's BertTokenizer uses
    # 100; Google's original tokenization.py uses 200 (WordpieceTokenizer.__init__).
    max_word_chars = 100

    def __init__(self, vocab: Sequence[str], specials: Sequence[str] = BERT_SPECIALS):
        self.specials = list(specials)
        self.vocab = self.specials + [t for t in vocab if t not in self.specials]
        self.token_to_id = {t: i for i, t in enumerate(self.vocab)}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def special_ids(self) -> list[int]:
        return [self.token_to_id[t] for t in self.specials]

    def encode_word(self, word: str) -> list[str]:
        """Greedy longest-match-first: take the longest vocabulary piece at the start, repeat."""
        if len(word) > self.max_word_chars:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.token_to_id:
                    break
            else:  # not even a single character matched
                return ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        return [piece for word in pre_tokenize(text) for piece in self.encode_word(word)]

    def encode(self, text: str) -> list[int]:
        return [self.token_to_id[t] for t in self.tokenize(text)]

    def decode(self, ids: Sequence[int]) -> str:
        """Pieces rejoined into words, words separated by one space (the original spacing is lost)."""
        text = ""
        for i in ids:
            token = self.vocab[i]
            if token.startswith("##"):
                text += token[2:]
            else:
                text += (" " if text else "") + token
        return text

    @classmethod
    def train(
        cls, text: str, vocab_size: int, specials: Sequence[str] = BERT_SPECIALS
    ) -> WordPieceTokenizer:
        """Like BPE, but merge the pair with the highest count(ab) / (count(a) * count(b)):
        a pair is worth a vocabulary slot when its parts rarely occur apart.

        Every character gets both forms, c and ##c, so any word made of characters seen in
        training can be spelled without [UNK].
        """
        word_counts = Counter(pre_tokenize(text))
        chars = sorted({c for word in word_counts for c in word})
        vocab = list(specials) + chars + ["##" + c for c in chars]
        splits = {w: [w[0]] + ["##" + c for c in w[1:]] for w in word_counts}
        while len(vocab) < vocab_size:
            piece_counts, pair_counts = Counter(), Counter()
            for word, count in word_counts.items():
                pieces = splits[word]
                for piece in pieces:
                    piece_counts[piece] += count
                for pair in zip(pieces, pieces[1:], strict=False):
                    pair_counts[pair] += count
            if not pair_counts:
                break  # every word is already a single piece
            a, b = max(
                pair_counts,
                key=lambda p: pair_counts[p] / (piece_counts[p[0]] * piece_counts[p[1]]),
            )
            merged = a + b.removeprefix("##")
            vocab.append(merged)
            for word, pieces in splits.items():
                splits[word] = _merge(pieces, (a, b), merged)
        return cls(vocab, specials)


def _merge(seq: list, pair: tuple, new) -> list:
    """Replace every adjacent occurrence of pair in seq by new."""
    out, i = [], 0
    while i < len(seq):
        if i + 1 < len(seq) and (seq[i], seq[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(seq[i])
            i += 1
    return out


# GPT-2-style pre-split, simplified: merges never cross from a word into the spaces or punctuation
# around it. The four alternatives cover every character, so joining the chunks gives the text back.
_CHUNK_RE = re.compile(r" ?\w+| ?[^\s\w]+|\s+(?!\S)|\s+")


class ByteBPETokenizer:
    def __init__(self, merges: Sequence[tuple[int, int]], specials: Sequence[str] = ()):
        self.merges = {tuple(pair): 256 + i for i, pair in enumerate(merges)}  # pair -> new id
        self.vocab = [bytes([b]) for b in range(256)]  # id -> the bytes it stands for
        for a, b in self.merges:
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self.specials = list(specials)
        self.token_to_id = {t: len(self.vocab) + i for i, t in enumerate(self.specials)}
        self._chunk_cache: dict[str, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab) + len(self.specials)

    @property
    def special_ids(self) -> list[int]:
        return list(self.token_to_id.values())

    @classmethod
    def train(cls, text: str, vocab_size: int, specials: Sequence[str] = ()) -> ByteBPETokenizer:
        chunk_counts = Counter(_CHUNK_RE.findall(text))
        words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]
        counts = list(chunk_counts.values())
        merges = []
        for new_id in range(256, vocab_size - len(specials)):
            pair_counts = Counter()
            for word, count in zip(words, counts, strict=True):
                for pair in zip(word, word[1:], strict=False):
                    pair_counts[pair] += count
            if not pair_counts:
                break
            best = max(pair_counts, key=pair_counts.get)  # the most frequent pair
            merges.append(best)
            words = [_merge(word, best, new_id) for word in words]
        return cls(merges, specials)

    def _encode_chunk(self, chunk: str) -> list[int]:
        if chunk not in self._chunk_cache:
            ids = list(chunk.encode("utf-8"))
            # Apply merges in the order they were learned: always the earliest-learned pair first.
            while len(ids) >= 2:
                pair = min(zip(ids, ids[1:], strict=False), key=lambda p: self.merges.get(p, 1e18))
                if pair not in self.merges:
                    break
                ids = _merge(ids, pair, self.merges[pair])
            self._chunk_cache[chunk] = ids
        return self._chunk_cache[chunk]

    def encode(self, text: str) -> list[int]:
        return [i for chunk in _CHUNK_RE.findall(text) for i in self._encode_chunk(chunk)]

    def decode(self, ids: Sequence[int]) -> str:
        names = {i: t.encode("utf-8") for t, i in self.token_to_id.items()}
        data = b"".join(names[i] if i in names else self.vocab[i] for i in ids)
        # A sampled id sequence can cut a multi-byte character; show U+FFFD instead of failing.
        return data.decode("utf-8", errors="replace")
