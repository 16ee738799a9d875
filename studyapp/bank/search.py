"""Ranked search over the bank in both languages, snippets of where a query matched, and titles.

BM25 (`bm25s`) over each question's id, topic, tags and every text in English and Chinese. Words
are cut at anything that is not a letter or digit, so "kv cache", "KV-cache" and "kv_cache" are the
same two words; Chinese has no spaces, so runs of Chinese characters are cut into words by `jieba`,
which ships its dictionary and never goes online. The index is built once per bank version (the
`Report` that `get_bank` returns) and only when someone searches: Browse without a query never
loads jieba. Cutting the texts into words is most of the build (about 5 ms of CPU a question, so
nearly a minute for 10,000): each question's words are kept on disk, in the bank's folder of the
user cache, keyed by a hash of what is indexed, so that only new or edited questions are cut again.

Pure Python: no Streamlit, no torch. The app renders the snippets; this module only says which
characters matched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

from studyapp.bank.schema import Question
from studyapp.bank.validate import Report

# A query longer than this is cut: a 60 KB query took 11 s, and no one types 200 characters.
MAX_QUERY_CHARS = 200
# The question is what a reader looks for first: its words count three times.
QUESTION_WEIGHT = 3

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One latin/digit word, or one run of Chinese characters (cut into words by jieba).
WORD = re.compile(rf"([{HAN}]+)|[^\W_{HAN}]+")
# A line break between two Chinese characters is not a space: the bank wraps Chinese at 100 columns.
HAN_BREAK = re.compile(
    rf"(?<=[{HAN}，。、；：？！（）“”])[ \t]*\n[ \t]*(?=[{HAN}，。、；：？！（）“”])"
)
SPACES = re.compile(r"\s+")
# Scored but not required: a query that must contain "the" or "的" finds too little.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "why",
        "will",
        "with",
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "吗",
        "呢",
        "什么",
        "为什么",
        "怎么",
        "如何",
        "一个",
        "这个",
        "那个",
        "哪些",
        "哪个",
    ]
)


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces building its prefix dictionary
    jieba.initialize()
    return jieba


@lru_cache(maxsize=65536)  # the same Chinese run recurs across texts; segmenting is the slow part
def _segment(run: str) -> tuple[tuple[str, int, int], ...]:
    return tuple(_jieba().tokenize(run, mode="search", HMM=False))


def _normal(word: str) -> str:
    """One form per English word: case folded, a plural "s" dropped ("caches" finds "cache")."""
    word = word.casefold()
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _spans(text: str) -> Iterator[tuple[str, int, int]]:
    """(normalised word, start, end) for every word of `text`; Chinese words may overlap, as
    jieba's search mode also yields the shorter words inside a long one."""
    for match in WORD.finditer(text):
        if match.group(1) is None:
            yield _normal(match.group()), match.start(), match.end()
            continue
        start = match.start()
        for word, begin, end in _segment(match.group(1)):
            yield word, start + begin, start + end


def tokenize(text: str) -> list[str]:
    return [word for word, _, _ in _spans(text)]


def clean_query(query: str) -> str:
    return query[:MAX_QUERY_CHARS].strip()


def _document(q: Question) -> list[str]:
    words = tokenize(" ".join([q.id, q.topic, *q.tags]))
    words += tokenize(f"{q.question.en}\n{q.question.zh}") * QUESTION_WEIGHT
    words += tokenize("\n".join(text for loc, text in q.texts() if loc[0] != "question"))
    return words


def _indexed_text(q: Question) -> str:
    """Everything `_document` reads, as one string: its hash says when to cut the words again."""
    return json.dumps([q.id, q.topic, q.tags, q.texts()], ensure_ascii=False)


class _WordCache:
    """Each question's words on disk, as JSON: {hash of its indexed text: words joined by a
    space} (words never hold a space). Dropped whole when this module or jieba changes."""

    def __init__(self) -> None:
        from studyapp.bank.load import cache_folder

        self.path = cache_folder() / "search-words.json"
        digest = hashlib.sha256(Path(__file__).read_bytes())
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(metadata.version("jieba").encode())
        self.version = digest.hexdigest()
        self.words: dict[str, str] = {}
        with contextlib.suppress(OSError, ValueError):
            stored = json.loads(self.path.read_bytes())
            if isinstance(stored, dict) and stored.get("version") == self.version:
                words = stored.get("words")
                if isinstance(words, dict):
                    self.words = words

    def documents(self, questions: dict[str, Question]) -> list[list[str]]:
        kept, documents, added = {}, [], False
        for q in questions.values():
            key = hashlib.sha256(_indexed_text(q).encode()).hexdigest()[:32]
            words = self.words.get(key)
            if not isinstance(words, str):
                words = " ".join(_document(q))
                added = True
            kept[key] = words
            documents.append(words.split(" ") if words else [])
        if added or kept.keys() != self.words.keys():
            self._save(kept)
        return documents

    def _save(self, words: dict[str, str]) -> None:
        temp = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"version": self.version, "words": words}, out, ensure_ascii=False)
            os.replace(temp, self.path)
        except OSError as err:  # a read-only cache folder costs speed, never the search
            logging.getLogger(__name__).warning("could not write %s: %s", self.path, err)
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)


class SearchIndex:
    """BM25 over one version of the bank."""

    def __init__(self, questions: dict[str, Question]):
        import bm25s

        self.ids = list(questions)
        self._bm25 = bm25s.BM25()
        documents = _WordCache().documents(questions)
        if documents:
            self._bm25.index(documents, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict) if documents else set()

    def search(self, query: str) -> list[tuple[str, float]]:
        """(question id, BM25 score) for every question that has all the query's words, best
        first (ties in bank order). Words such as "the" or "的" count toward the score but are
        not required, unless the query has nothing else."""
        words = list(dict.fromkeys(tokenize(clean_query(query))))
        required = [w for w in words if w not in STOPWORDS] or words
        if not words or not set(required) <= self._vocabulary:
            return []
        per_word = {w: self._bm25.get_scores([w]) for w in words if w in self._vocabulary}
        scores = sum(per_word.values())
        has_all = np.logical_and.reduce([per_word[w] > 0 for w in required])
        ranked = sorted(np.flatnonzero(has_all), key=lambda i: (-scores[i], i))
        return [(self.ids[i], float(scores[i])) for i in ranked]


_indexes: dict[int, tuple[Report, SearchIndex]] = {}
_lock = threading.Lock()


def index_for(report: Report) -> SearchIndex:
    """The index of this version of the bank, built on first use (one at a time) and kept while
    the version is current."""
    with _lock:
        cached = _indexes.get(id(report))
        if cached is None or cached[0] is not report:
            _indexes.clear()  # one bank version at a time: the old one is stale
            cached = (report, SearchIndex(report.questions))
            _indexes[id(report)] = cached
        return cached[1]


_warming: set[int] = set()


def build_in_background(report: Report) -> None:
    """Start building the index of `report` in a thread, so that the first search does not wait
    for jieba and BM25 (seconds); a search meanwhile waits for this build instead of starting its
    own."""
    with _lock:
        cached = _indexes.get(id(report))
        if (cached is not None and cached[0] is report) or id(report) in _warming:
            return
        _warming.add(id(report))

    def build() -> None:
        try:
            index_for(report)
        finally:
            with _lock:
                _warming.discard(id(report))

    threading.Thread(target=build, name="search-index", daemon=True).start()


def unbreak(text: str) -> str:
    """`text` on one line: Chinese line breaks dropped, other whitespace runs made one space."""
    return SPACES.sub(" ", HAN_BREAK.sub("", text)).strip()


@dataclass(frozen=True)
class Snippet:
    """A short passage of a question's text, as pieces: (text, matched)."""

    pieces: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.pieces)

    @property
    def matched(self) -> list[str]:
        return [text for text, hit in self.pieces if hit]


def snippet(q: Question, lang: str, query: str, width: int = 180) -> Snippet | None:
    """Where `query` matched `q`: about `width` characters around the most query words, taken
    from its texts in `lang` first (then the other language), matched words marked. None when no
    text contains a query word (a match on the id, topic or a tag only)."""
    wanted = set(tokenize(clean_query(query)))
    if not wanted:
        return None
    other = "zh" if lang == "en" else "en"
    for language in (lang, other):
        # The answer and the options first: the title already shows the question.
        texts = [
            _readable(text)
            for loc, text in sorted(q.texts(), key=lambda item: item[0][0] == "question")
            if loc[-1] == language
        ]
        best: tuple[tuple[int, int, int], int, str, list[tuple[int, int]]] | None = None
        chars = width if language == "en" else width // 2  # a Chinese character is twice as wide
        for text in texts:
            hits = [(s, e) for word, s, e in _spans(text) if word in wanted]
            if hits:
                score, start = _best_window(text, hits, chars)
                if best is None or score > best[0]:
                    best = (score, start, text, hits)
        if best is not None:
            _, start, text, hits = best
            return _cut(text, hits, start, chars)
    return None


def _readable(text: str) -> str:
    """Bank Markdown on one line without emphasis marks, code ticks, math dollars or bullets."""
    return unbreak(re.sub(r"\*\*|`|\$|^\s*[-*] ", "", text, flags=re.M))


def _best_window(
    text: str, hits: list[tuple[int, int]], width: int
) -> tuple[tuple[int, int, int], int]:
    """The best `width`-wide window's score and start: the most distinct query words, then the
    most of them side by side (the query's phrase, "KV cache"), then the most matches."""
    best: tuple[tuple[int, int, int], int] = ((-1, -1, -1), 0)
    for s, _ in hits:
        start = max(0, s - width // 4)
        inside = sorted((a, b) for a, b in hits if start <= a and b <= start + width)
        distinct = len({_normal(text[a:b]) for a, b in inside})
        adjacent = sum(
            not text[b1:a2].strip() for (_, b1), (a2, _) in zip(inside, inside[1:], strict=False)
        )
        score = (distinct, adjacent, len(inside))
        if score > best[0]:
            best = (score, start)
    return best


def _cut(text: str, hits: list[tuple[int, int]], start: int, width: int) -> Snippet:
    end = min(len(text), start + width)
    if start > 0:  # begin at the text's start, or after a space or a Chinese comma, not in a word
        boundary = max(text.rfind(mark, 0, start) for mark in " 。，、；：？！")
        if start < 20:
            start = 0
        elif boundary >= 0 and start - boundary < 20:
            start = boundary + 1
    if end < len(text):  # end at a space or after a Chinese punctuation mark
        boundary = max(text.rfind(mark, start, end) for mark in " 。，、；：？！")
        if boundary > start + width // 2:
            end = boundary + (text[boundary] != " ")
    pieces: list[tuple[str, bool]] = [("…", False)] if start > 0 else []
    at = start
    merged: list[list[int]] = []
    for s, e in sorted(hits):  # jieba's search words overlap: mark their union
        if s < start or e > end:
            continue
        if merged and not text[merged[-1][1] : s].strip():  # "KV cache" is one mark
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    for s, e in merged:
        if s > at:
            pieces.append((text[at:s], False))
        pieces.append((text[s:e], True))
        at = e
    if at < end:
        pieces.append((text[at:end], False))
    if end < len(text):
        pieces.append(("…", False))
    return Snippet(tuple(pieces))


# A sentence ends at . ? ! followed by a space and not inside brackets ("Press et al. 2021)"),
# or at a Chinese 。？！.
SENTENCE_END = re.compile(r"[.?!](?=\s|$)|[。？！]")
OPEN, CLOSE = "([（“", ")]）”"


def _first_sentence(text: str) -> str:
    depth = 0
    in_math = False
    for i, ch in enumerate(text):
        if ch == "$":
            in_math = not in_math
        elif in_math:
            continue
        elif ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and SENTENCE_END.match(text, i):
            abbreviation = re.search(r"\b(?:e\.g|i\.e|et al|vs|Fig|Eq|Sec)\.?$", text[: i + 1])
            if ch == "." and abbreviation:
                continue
            return text[: i + 1]
    return text


def _width(text: str) -> int:
    """Display width: a Chinese character is as wide as two latin ones."""
    return sum(2 if re.match(f"[{HAN}，。、；：？！（）“”]", ch) else 1 for ch in text)


def title_of(text: str, width: int = 140) -> str:
    """A question's title: its first sentence, or, when that is wider than `width` (Chinese
    characters count two), its start cut at a word boundary, outside math, with an ellipsis."""
    sentence = _first_sentence(unbreak(text))
    if _width(sentence) <= width:
        return sentence
    fits = [end for end in _word_ends(sentence, jieba=False) if _width(sentence[:end]) < width]
    if not fits or _width(sentence[: max(fits)]) < width * 0.6:
        # Chinese without a comma in reach: cut between two of jieba's words
        fits += [end for end in _word_ends(sentence, jieba=True) if _width(sentence[:end]) < width]
    cut = sentence[: max(fits)] if fits else sentence[: width // 2]
    return cut.rstrip(" ,;:，、；：(（") + "…"


def _word_ends(text: str, jieba: bool) -> set[int]:
    """Where a title may stop: after a latin word or a Chinese clause (or, with `jieba`, after
    any Chinese word), never inside math ($...$) or inline code."""
    protected = [m.span() for m in re.finditer(r"\$[^$]*\$|`[^`]*`", text)]
    ends = set()
    for match in WORD.finditer(text):
        if match.group(1) is None:
            ends.add(match.end())
        elif jieba:
            ends.update(match.start() + end for _, _, end in _jieba().tokenize(match.group(1)))
    ends.update(m.start() for m in re.finditer("[，、；：]", text))
    # "10" in "10%" or "GPT" in "GPT-2" is not the end of a word
    follows = re.compile(rf"[\s{HAN}，、；：,;:]")
    return {
        end
        for end in ends
        if follows.match(text, end) and not any(a < end < b for a, b in protected)
    }
