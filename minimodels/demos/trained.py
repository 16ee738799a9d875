"""The tiny models the training demos share: one GPT and one BERT, trained on the app's own answers.

The corpus is the question bank's answers as plain prose (`minimodels.corpus.demo_documents`: no
Markdown, no TeX), in one language, English by default: one character per token, about 85
characters (a Chinese corpus has about 1,300, each Chinese character one token). The answers are
shuffled once with a fixed seed, so the validation split (the last 10 %, cut by the training
engine) is a random tenth of the answers, from every topic.

Both models have 2 layers and 4 heads and see windows of 32 tokens, 32 windows per step. Muon
trains the matrices inside the blocks, AdamW the embeddings, the head and the vectors
(`TrainConfig.optimizer = "muon"`). The GPT is 64 wide (108k parameters). Measured on the
project's 2-core machine with one thread, English corpus, seeds 0-2: its validation loss goes
below the (generous) bigram baseline at step 80-90 of its 300, and ends at 1.87-1.92 nats against
a bigram baseline of 2.47-2.49; with AdamW alone, after the same 300 steps, it was still above the
bigram (2.61). The BERT is as wide (112k parameters), so clm-vs-mlm compares the very models the
other demos use: the masked-LM objective predicts only 15 % of the positions, and it goes below
the unigram baseline (3.15-3.24 on its masked characters) within about 100 steps and ends at
2.75-2.88 after 300, 0.32-0.40 below it (seeds 0-2).

`tiny_gpt(steps, seed)` and `tiny_bert(steps, seed)` train once per (steps, seed, corpus) in this
process: a second caller, even from another session at the same moment, waits and gets the same
model. Callers must not change the models they get (copy them first).
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from minimodels.bert import Bert, BertConfig
from minimodels.corpus import demo_documents, user_files
from minimodels.gpt import GPT, GPTConfig
from minimodels.masking import IGNORE_INDEX
from minimodels.results import Label, Lines
from minimodels.tokenizers import BERT_SPECIALS, CharTokenizer
from minimodels.train import (
    Batches,
    Progress,
    TrainConfig,
    TrainResult,
    evaluate,
    set_threads,
    split_train_val,
    train,
)

REPO = Path(__file__).resolve().parents[2]
BLOCK = 32  # tokens per training window
LAYERS, HEADS = 2, 4
GPT_WIDTH = 64  # the GPT's width: small enough to beat the bigram baseline within seconds
BERT_WIDTH = GPT_WIDTH  # the same size: clm-vs-mlm compares the two models the other demos use
BATCH = 32  # windows per step
EVAL_WINDOWS = 200  # validation windows, the same ones at every evaluation
EVALS = 10  # evaluations per run: points on the live curve
GPT_STEPS, BERT_STEPS = 300, 300  # the demos' defaults
MIN_CHARS = 5_000  # below this the bank is too small to train on

_guard = threading.Lock()  # protects the caches below
# progress(done in [0, 1], what is happening, the loss curve so far or None)
ProgressFn = Callable[[float, Label, Lines | None], None] | None


def bank_dir() -> Path:
    return Path(os.environ.get("STUDYAPP_BANK") or REPO / "questions")


def fast_bf16() -> bool:
    """True on CPUs with native bfloat16 matmuls (AVX512-BF16 or AMX): there, bfloat16 autocast
    trains these models about twice as fast; elsewhere it is much slower, so we stay in float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


@dataclass
class Corpus:
    documents: list[Tensor]  # one 1-D tensor of ids per answer, in shuffled order
    tokenizer: CharTokenizer  # every character of the bank, plus BERT's special tokens
    train_ids: Tensor  # (N_train,) the training split as one stream
    val_ids: Tensor  # (N_val,) the validation split as one stream
    fingerprint: str  # changes when the bank's text changes


_corpora: dict[tuple, Corpus] = {}


def load_corpus(language: str = "en") -> Corpus:
    """The bank's answers in `language` (plus the user's corpus files) as a Corpus; read again
    only when one of those files changed."""
    files = [*sorted(bank_dir().glob("*/*.yaml")), *user_files()]
    stamp = (
        language,
        str(bank_dir()),
        *((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.exists()),
    )
    with _guard:
        if stamp not in _corpora:
            _corpora.clear()
            _corpora[stamp] = _read_corpus(language)
        return _corpora[stamp]


def warm_up(language: str = "en") -> None:
    """Pay ahead what a process's first training run pays before its first live point: the corpus
    read and cleaned (about 0.8 s of CPU) and the first optimizer built, which imports about 800
    modules (torch._dynamo: 1.2-1.4 s). The app calls it in the background when a training demo's
    page opens, so that Run draws its first point at once."""
    load_corpus(language)
    torch.optim.AdamW([nn.Parameter(torch.zeros(1))])


def _read_corpus(language: str) -> Corpus:
    texts = demo_documents(bank_dir(), language)
    if sum(len(t) for t in texts) < MIN_CHARS:
        raise ValueError(f"the question bank in {bank_dir()} has too little text to train on")
    random.Random(0).shuffle(texts)  # mix topics before the 90/10 cut
    tokenizer = CharTokenizer.train("".join(texts), specials=BERT_SPECIALS)
    documents = [torch.tensor(tokenizer.encode(t)) for t in texts]
    train_docs, val_docs = split_train_val(documents, TrainConfig.val_fraction)
    fingerprint = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:12]
    return Corpus(documents, tokenizer, torch.cat(train_docs), torch.cat(val_docs), fingerprint)


def baselines(
    train_ids: Tensor, vocab_size: int, targets: Tensor, previous: Tensor | None = None
) -> dict[str, float]:
    """Cross-entropy (nats per token) of models that need no training, on the given val targets.

    - uniform: every token equally likely, ln V. An untrained model starts here.
    - unigram: token frequencies of the training split (add-one smoothing).
    - bigram (when `previous`, the token before each target, is given): P(next | previous)
      counted on the training split, add-alpha smoothing with alpha the best of a small grid *on
      these very targets*: a generous baseline, hard to beat.
    """
    V = vocab_size
    counts = torch.bincount(train_ids, minlength=V).double() + 1.0  # (V,)
    out = {
        "uniform": math.log(V),
        "unigram": -(counts / counts.sum()).log()[targets].mean().item(),
    }
    if previous is not None:
        # pairs[a, b] = count of "a then b"
        pairs = torch.bincount(train_ids[:-1] * V + train_ids[1:], minlength=V * V).view(V, V)
        pairs = pairs.double()
        row_totals = pairs.sum(1)  # (V,)
        out["bigram"] = min(
            -((pairs[previous, targets] + a) / (row_totals[previous] + a * V)).log().mean().item()
            for a in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
        )
    return out


# The curves' names as a learner reads them (the demos pass this as `series_labels`).
CURVE_NAMES = {
    "train loss": {"en": "train loss", "zh": "训练损失"},
    "val loss": {"en": "val loss", "zh": "验证损失"},
    "uniform baseline": {"en": "uniform baseline", "zh": "均匀分布基线"},
    "unigram baseline": {"en": "unigram baseline", "zh": "一元（unigram）基线"},
    "bigram baseline": {"en": "bigram baseline", "zh": "二元（bigram）基线"},
}
STEP_AXIS = {"en": "step", "zh": "步数"}
LOSS_AXIS = {"en": "loss", "zh": "损失"}


def loss_chart(curve: dict[str, list[float]], title: Label = "") -> Lines:
    """A loss curve ("step" and the series) as a chart: the app draws it live while the model
    trains, and the demos show it when done, with the same names."""
    return Lines(
        x=list(curve["step"]),
        series={k: list(v) for k, v in curve.items() if k != "step"},  # copies: the curve grows
        series_labels=CURVE_NAMES,
        title=title,
        x_label=STEP_AXIS,
        y_label=LOSS_AXIS,
    )


@dataclass
class Trained:
    model: nn.Module
    corpus: Corpus
    config: TrainConfig
    result: TrainResult
    initial_val_loss: float  # before the first update
    # Eval points: "step" (0 = before training), "train loss" (mean since the previous point),
    # "val loss", and the baselines as flat lines.
    curve: dict[str, list[float]]
    baselines: dict[str, float]
    seconds_below: dict[str, float | None]  # wall seconds until val loss < each baseline

    @property
    def tokenizer(self) -> CharTokenizer:
        return self.corpus.tokenizer

    @property
    def val_loss(self) -> float:
        return self.result.val_losses[-1][1]


def train_with_curve(
    model: nn.Module,
    corpus: Corpus,
    config: TrainConfig,
    baseline_names: tuple[str, ...],
    progress: ProgressFn = None,
    label: str = "",
) -> Trained:
    """train() with a loss curve that the app draws live, and the validation loss before step 1."""
    set_threads()
    # The fixed validation sample that train() evaluates on (same split, same seed, same masks),
    # so that the baselines are measured on exactly the same target tokens as the model.
    _, val_docs = split_train_val(corpus.documents, config.val_fraction)
    val_batch = Batches(
        val_docs, config, corpus.tokenizer, torch.Generator().manual_seed(config.seed)
    ).get(config.eval_windows, whole_split=config.eval_windows == 0)
    V = corpus.tokenizer.vocab_size
    if config.objective == "clm":  # every position: the target y follows the input x
        base = baselines(corpus.train_ids, V, val_batch["y"].flatten(), val_batch["x"].flatten())
    else:  # the selected positions only
        labels = val_batch["labels"]
        base = baselines(corpus.train_ids, V, labels[labels != IGNORE_INDEX])
    initial = evaluate(model, val_batch, config)
    # The training loss before any update, on one batch drawn with its own generator (train()'s
    # batches stay the same): the chart's first point needs no optimizer, whose first
    # construction in a process imports about 800 modules (1.2 s here).
    train_docs, _ = split_train_val(corpus.documents, config.val_fraction)
    first_batch = Batches(
        train_docs, config, corpus.tokenizer, torch.Generator().manual_seed(config.seed)
    ).get(config.batch_size)
    initial_train = evaluate(model, first_batch, config)

    curve: dict[str, list[float]] = {"step": [], "train loss": [], "val loss": []}
    curve |= {f"{name} baseline": [] for name in baseline_names}
    seconds_below: dict[str, float | None] = dict.fromkeys(baseline_names)
    since_last: list[float] = []
    report_every = max(1, config.steps // 50)

    def add_point(step: int, train_loss: float, val_loss: float) -> None:
        curve["step"].append(step)
        curve["train loss"].append(train_loss)
        curve["val loss"].append(val_loss)
        for name in baseline_names:
            curve[f"{name} baseline"].append(base[name])

    add_point(0, initial_train, initial)
    if progress:  # the first live point, as soon as it exists
        text = {
            "en": f"{label}step 0/{config.steps} · val {initial:.3f}",
            "zh": f"{label}第 0/{config.steps} 步 · 验证损失 {initial:.3f}",
        }
        progress(0.0, text, loss_chart(curve))

    def callback(p: Progress) -> None:
        since_last.append(p.loss)
        if p.val_loss is not None:
            add_point(p.step, sum(since_last) / len(since_last), p.val_loss)
            since_last.clear()
            for name, seconds in seconds_below.items():
                if seconds is None and p.val_loss < base[name]:
                    seconds_below[name] = p.elapsed
        # Every new point is shown at once; step 1 says that training has started.
        if progress and (
            p.step == 1 or p.val_loss is not None or p.step % report_every == 0 or p.step == p.steps
        ):
            text = {
                "en": f"{label}step {p.step}/{p.steps} · loss {p.loss:.3f}",
                "zh": f"{label}第 {p.step}/{p.steps} 步 · 损失 {p.loss:.3f}",
            }
            if len(curve["step"]) > 1:  # evaluated since the start
                text["en"] += f" · val {curve['val loss'][-1]:.3f}"
                text["zh"] += f" · 验证损失 {curve['val loss'][-1]:.3f}"
            progress(p.step / p.steps, text, loss_chart(curve))

    result = train(model, corpus.tokenizer, corpus.documents, config, callback)
    return Trained(model, corpus, config, result, initial, curve, base, seconds_below)


def gpt_config(vocab_size: int, width: int = GPT_WIDTH) -> GPTConfig:
    return GPTConfig(
        vocab_size=vocab_size, block_size=BLOCK, n_layer=LAYERS, n_head=HEADS, n_embd=width
    )


def bert_config(vocab_size: int, width: int = BERT_WIDTH) -> BertConfig:
    return BertConfig(
        vocab_size=vocab_size,
        max_position=BLOCK,
        n_layer=LAYERS,
        n_head=HEADS,
        n_embd=width,
        n_inner=4 * width,
        dropout=0.0,  # a few hundred steps on a small corpus: nothing to regularise yet
        pooler=False,  # masked LM only, no next-sentence head
        nsp_head=False,
    )


def train_config(objective: str, steps: int, seed: int) -> TrainConfig:
    return TrainConfig(
        objective=objective,
        steps=steps,
        batch_size=BATCH,
        block_size=BLOCK,
        # Muon trains the matrices inside the blocks (at muon_lr, 0.02), AdamW the embeddings,
        # head and vectors at `lr`. Measured on the English corpus, 300 steps: Muon takes the GPT
        # from 2.61 (AdamW alone) to 1.87. The post-LN BERT's AdamW part: 1.5e-3 gave 2.91,
        # 3e-3 gave 2.82 (with muon_lr 0.05, 2.90).
        optimizer="muon",
        lr=1e-2 if objective == "clm" else 3e-3,
        min_lr=1e-3 if objective == "clm" else 3e-4,
        warmup_steps=20,
        eval_every=max(1, steps // EVALS),
        eval_windows=EVAL_WINDOWS,  # a fixed sample of the validation split
        seed=seed,
        bf16=fast_bf16(),
    )


_models: dict[tuple, Trained] = {}
_locks: dict[tuple, threading.Lock] = {}
MAX_MODELS = 8


def _shared(key: tuple, build: Callable[[], Trained], progress: ProgressFn) -> Trained:
    """build() once per key, even when several threads ask at the same moment."""
    with _guard:
        lock = _locks.setdefault(key, threading.Lock())
    if not lock.acquire(blocking=False):
        if progress:
            waiting = {
                "en": "another session is training this model; waiting for it…",
                "zh": "另一个会话正在训练这个模型，等它训练完…",
            }
            progress(0.0, waiting, None)
        lock.acquire()
    try:
        if key not in _models:
            _models[key] = build()
            while len(_models) > MAX_MODELS:  # forget the oldest
                _models.pop(next(iter(_models)))
        return _models[key]
    finally:
        lock.release()


def tiny_gpt(
    steps: int = GPT_STEPS, seed: int = 0, progress: ProgressFn = None, language: str = "en"
) -> Trained:
    corpus = load_corpus(language)

    def build() -> Trained:
        torch.manual_seed(seed)  # the initial weights
        model = GPT(gpt_config(corpus.tokenizer.vocab_size))
        config = train_config("clm", steps, seed)
        names = ("uniform", "unigram", "bigram")
        return train_with_curve(model, corpus, config, names, progress, "GPT · ")

    return _shared(("gpt", steps, seed, corpus.fingerprint), build, progress)


def tiny_bert(
    steps: int = BERT_STEPS,
    seed: int = 0,
    progress: ProgressFn = None,
    width: int = BERT_WIDTH,
    language: str = "en",
) -> Trained:
    corpus = load_corpus(language)

    def build() -> Trained:
        torch.manual_seed(seed)
        model = Bert(bert_config(corpus.tokenizer.vocab_size, width))
        config = train_config("mlm", steps, seed)
        names = ("uniform", "unigram")
        return train_with_curve(model, corpus, config, names, progress, "BERT · ")

    return _shared(("bert", steps, seed, width, corpus.fingerprint), build, progress)


def scaled(progress: ProgressFn, start: float, end: float) -> ProgressFn:
    """A progress callback for one phase of a longer run: maps [0, 1] onto [start, end]."""
    if progress is None:
        return None
    return lambda done, text, curve=None: progress(start + (end - start) * done, text, curve)


def parameter_count(model: nn.Module) -> int:
    """Unique parameters: a tied matrix counts once."""
    return sum(p.numel() for p in model.parameters())


def code_block(text: str, width: int = 88) -> str:
    """text as a fenced markdown block, so $, * and other markdown in it are shown as typed; lines
    longer than width are wrapped for display."""
    lines = []
    for line in text.split("\n"):
        lines += textwrap.wrap(
            line, width, expand_tabs=False, replace_whitespace=False, drop_whitespace=False
        ) or [""]
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n" + "\n".join(lines) + f"\n{fence}"
