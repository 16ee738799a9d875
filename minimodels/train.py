"""One training loop for the three objectives the app demonstrates.

- "clm": causal LM (GPT). Every position predicts the next token.
- "mlm": masked LM (BERT). [CLS] window [SEP], 15 % of the tokens selected and predicted.
- "mlm+nsp": BERT pre-training. [CLS] A [SEP] B [SEP]; loss = MLM mean + NSP mean.

The text is split once: the first 90 % of the tokens train, the last 10 % validate. Validation uses
a fixed sample (same windows, same masks every time), so two evaluations differ only because the
model changed. The optimiser and schedule are nanoGPT's: AdamW, linear warm-up, cosine decay.
With optimizer="muon", the matrices inside the Transformer blocks are trained by Muon instead
(see `param_groups`); everything else stays on AdamW, on the same schedule.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from minimodels.masking import mask_tokens, masked_lm_loss, nsp_pairs, pack_pair

# One thread, by measurement on the project's 2-core machine (AMD EPYC, AVX-512, torch 2.13), tiny
# char-level GPT (4 layers, width 128, T = 64), median ms per training step, 2026-11-22:
#
#                                    quiet (load 1.1)          busy (load 3.4-4.1, other jobs)
#   float32, batch 12,   1 thread    54-57 ms  (14k tokens/s)  54-56 ms     (14k tokens/s)
#                        2 threads   40-41 ms  (19k tokens/s)  300-1700 ms  (0.5-2.6k tokens/s)
#   bfloat16, batch 32,  1 thread    51 ms     (40k tokens/s)  54 ms        (38k tokens/s)
#                        2 threads   35 ms     (59k tokens/s)  38-293 ms    (7-53k tokens/s)
#
# Two threads win by 1.4-1.5x on an idle machine but lose 5-30x as soon as anything else runs
# (the two OpenMP threads wait on each other while one shares its core), and this machine is
# shared with the app's other sessions and tests. One thread is never far from its best.
DEFAULT_THREADS = 1
_threads: int | None = None


def set_threads(n: int = DEFAULT_THREADS) -> int:
    """Set torch's CPU thread count, once per process (later calls keep the first choice)."""
    global _threads
    if _threads is None:
        torch.set_num_threads(n)
        _threads = n
    return _threads


@dataclass
class TrainConfig:
    objective: str = "clm"  # "clm", "mlm" or "mlm+nsp"
    steps: int = 2000
    batch_size: int = 12
    block_size: int = 64  # tokens per training window, special tokens included
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta2: float = 0.99
    grad_clip: float = 1.0
    mask_prob: float = 0.15
    val_fraction: float = 0.1
    eval_every: int = 250  # steps between evaluations (and one at the end); 0 = only at the end
    eval_windows: int = 240  # size of the fixed val sample; 0 = the whole val split
    seed: int = 0
    # bfloat16 autocast for matmuls (weights and optimizer stay float32). About 3x the float32
    # throughput on CPUs with native bf16 (AVX512-BF16, AMX); much slower on CPUs without it.
    bf16: bool = False
    # "adamw" for every parameter, or "muon": torch.optim.Muon for the 2-D matrices inside the
    # Transformer blocks (attention and MLP weights), AdamW for the rest (embeddings, the tied
    # head, LayerNorm gains, biases). Muon's rate follows the same schedule, scaled from muon_lr.
    optimizer: str = "adamw"
    muon_lr: float = 0.02  # Keller Jordan's default, with Muon's "original" shape adjustment


@dataclass
class Progress:
    """What the callback receives after every step."""

    step: int  # 1-based, steps done so far
    steps: int
    loss: float  # training loss of this step's batch
    tokens_per_s: float  # training throughput so far (evaluation time included in elapsed only)
    elapsed: float  # wall seconds since train() started, evaluations included
    lr: float
    val_loss: float | None = None  # set on the steps where the model was evaluated


@dataclass
class TrainResult:
    losses: list[float] = field(default_factory=list)  # one per step
    val_losses: list[tuple[int, float]] = field(default_factory=list)  # (step, val loss)
    tokens_per_s: float = 0.0
    elapsed: float = 0.0


Callback = Callable[[Progress], bool | None]  # return True to stop training early


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up to lr, then cosine decay to min_lr at the last step."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / (config.warmup_steps + 1)
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.min_lr + 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * (
        config.lr - config.min_lr
    )


def param_groups(model: torch.nn.Module) -> tuple[list[Tensor], list[Tensor], list[Tensor]]:
    """(hidden matrices, other matrices, vectors) of a model with a `blocks` ModuleList.

    Hidden matrices are the 2-D weights inside the blocks: Muon orthogonalises their updates,
    which only makes sense for a linear map from one hidden space to another. The other matrices
    are embeddings (a lookup table: each row is updated alone) and whatever sits outside the
    blocks (heads, the pooler): modded-nanogpt keeps those on Adam, and so do we. Vectors
    (biases, LayerNorm gains) are never decayed."""
    if not isinstance(getattr(model, "blocks", None), torch.nn.ModuleList):
        raise ValueError(f"{type(model).__name__} has no `blocks` ModuleList for Muon to train")
    hidden = {id(p) for p in model.blocks.parameters() if p.dim() == 2}
    params = list(model.parameters())  # shared (tied) parameters appear once
    return (
        [p for p in params if id(p) in hidden],
        [p for p in params if p.dim() >= 2 and id(p) not in hidden],
        [p for p in params if p.dim() < 2],
    )


def make_optimizers(model: torch.nn.Module, config: TrainConfig) -> list[torch.optim.Optimizer]:
    """AdamW over everything, or Muon over the hidden matrices and AdamW over the rest.

    Muon's groups carry "lr_ratio", muon_lr / lr: train() sets every group's rate to the
    scheduled rate times that ratio (1 for AdamW's), so both follow one schedule."""
    adamw = dict(lr=config.lr, betas=(0.9, config.beta2), weight_decay=0.0)
    if config.optimizer == "adamw":
        decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices and embeddings
        no_decay = [p for p in model.parameters() if p.dim() < 2]  # biases and LayerNorm gains
        groups = [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay}]
        optimizers = [torch.optim.AdamW(groups, **adamw)]
    elif config.optimizer == "muon":
        hidden, other, vectors = param_groups(model)
        groups = [{"params": other, "weight_decay": config.weight_decay}, {"params": vectors}]
        optimizers = [
            torch.optim.Muon(
                [{"params": hidden, "lr_ratio": config.muon_lr / config.lr}],
                lr=config.muon_lr,
                weight_decay=config.weight_decay,
            ),
            torch.optim.AdamW(groups, **adamw),
        ]
    else:
        raise ValueError(f'optimizer must be "adamw" or "muon", not {config.optimizer!r}')
    return optimizers


def split_train_val(
    documents: Sequence[Tensor], val_fraction: float
) -> tuple[list[Tensor], list[Tensor]]:
    """Cut the concatenated token stream at (1 - val_fraction); the document that straddles the
    cut is split in two. Returns (train documents, val documents)."""
    total = sum(len(d) for d in documents)
    cut = total - int(total * val_fraction)
    train, val, seen = [], [], 0
    for doc in documents:
        if seen + len(doc) <= cut:
            train.append(doc)
        elif seen >= cut:
            val.append(doc)
        else:
            train.append(doc[: cut - seen])
            val.append(doc[cut - seen :])
        seen += len(doc)
    return train, val


class Batches:
    """Draws batches for one objective from one split. All randomness comes from `generator`."""

    def __init__(self, documents: Sequence[Tensor], config: TrainConfig, tokenizer, generator):
        self.config, self.generator = config, generator
        self.stream = torch.cat(list(documents))  # (N,)
        if config.objective != "clm":
            self.cls_id = tokenizer.token_to_id["[CLS]"]
            self.sep_id = tokenizer.token_to_id["[SEP]"]
            self.mask_kwargs = dict(
                mask_id=tokenizer.token_to_id["[MASK]"],
                special_ids=tokenizer.special_ids,
                vocab_size=tokenizer.vocab_size,
                p=config.mask_prob,
            )
        if config.objective == "mlm+nsp":
            # Segments of equal length, so that every packed pair fills the block exactly.
            n = (config.block_size - 3) // 2
            self.segments = [list(doc[: len(doc) // n * n].split(n)) for doc in documents]

    def windows(self, count: int, length: int, whole_split: bool = False, overlap: int = 0):
        """count random windows of `length` tokens, (count, length); or, with whole_split, the
        windows that tile the split, consecutive ones sharing `overlap` tokens."""
        if whole_split:
            starts = torch.arange(0, len(self.stream) - length + 1, length - overlap)
        else:
            starts = torch.randint(len(self.stream) - length, (count,), generator=self.generator)
        return torch.stack([self.stream[s : s + length] for s in starts.tolist()])

    def get(self, count: int, whole_split: bool = False) -> dict[str, Tensor]:
        T = self.config.block_size
        if self.config.objective == "clm":
            # Windows overlap by one token so that, tiled, each token is a target exactly once.
            w = self.windows(count, T + 1, whole_split, overlap=1)  # (B, T + 1)
            return {"x": w[:, :-1], "y": w[:, 1:]}  # the target is the next token
        if self.config.objective == "mlm":
            w = self.windows(count, T - 2, whole_split)  # (B, T - 2)
            cls = torch.full((len(w), 1), self.cls_id)
            sep = torch.full((len(w), 1), self.sep_id)
            ids = torch.cat([cls, w, sep], dim=1)  # (B, T): [CLS] window [SEP]
            x, labels = mask_tokens(ids, generator=self.generator, **self.mask_kwargs)
            return {"x": x, "labels": labels}
        if whole_split:  # as many pairs as there are segments
            count = sum(len(doc) for doc in self.segments)
        pairs = nsp_pairs(self.segments, count, self.generator)
        packed = [pack_pair(a, b, self.cls_id, self.sep_id) for a, b, _ in pairs]
        ids = torch.stack([p[0] for p in packed])  # (B, 2n + 3)
        x, labels = mask_tokens(ids, generator=self.generator, **self.mask_kwargs)
        return {
            "x": x,
            "token_type": torch.stack([p[1] for p in packed]),
            "labels": labels,
            "is_random": torch.tensor([label for _, _, label in pairs]),
        }


def autocast(config: TrainConfig):
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16)


def compute_loss(model, batch: dict[str, Tensor], objective: str) -> Tensor:
    if objective == "clm":
        logits = model(batch["x"])  # (B, T, V)
        return F.cross_entropy(logits.flatten(0, 1), batch["y"].flatten())
    out = model(batch["x"], batch.get("token_type"))
    loss = masked_lm_loss(out.mlm_logits, batch["labels"])
    if objective == "mlm+nsp":
        loss = loss + F.cross_entropy(out.nsp_logits, batch["is_random"])
    return loss


@torch.no_grad()
def evaluate(model, batch: dict[str, Tensor], config: TrainConfig, chunk: int = 256) -> float:
    """Mean loss over a fixed batch, in chunks of `chunk` rows (no gradients, no dropout).

    Every chunk is weighted by its rows; for MLM that is an approximation of the per-token mean
    (the number of selected tokens varies slightly from row to row)."""
    was_training = model.training
    model.eval()
    n = len(batch["x"])
    total = 0.0
    for i in range(0, n, chunk):
        part = {k: v[i : i + chunk] for k, v in batch.items()}
        with autocast(config):
            total += compute_loss(model, part, config.objective).item() * len(part["x"])
    model.train(was_training)
    return total / n


def train(
    model: torch.nn.Module,
    tokenizer,
    documents: Sequence[str] | Sequence[Tensor],
    config: TrainConfig,
    callback: Callback | None = None,
) -> TrainResult:
    """Train model in place on documents (strings, or already-encoded 1-D tensors of ids)."""
    set_threads()
    torch.manual_seed(config.seed)  # dropout
    generator = torch.Generator().manual_seed(config.seed)  # batches and masks
    docs = [d if isinstance(d, Tensor) else torch.tensor(tokenizer.encode(d)) for d in documents]
    train_docs, val_docs = split_train_val(docs, config.val_fraction)
    train_batches = Batches(train_docs, config, tokenizer, generator)
    val_batches = Batches(val_docs, config, tokenizer, torch.Generator().manual_seed(config.seed))
    val_batch = val_batches.get(config.eval_windows, whole_split=config.eval_windows == 0)

    optimizers = make_optimizers(model, config)

    result = TrainResult()
    model.train()
    start, tokens, eval_seconds = time.perf_counter(), 0, 0.0
    for step in range(config.steps):
        lr = lr_at(step, config)
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] = lr * group.get("lr_ratio", 1.0)
        batch = train_batches.get(config.batch_size)
        with autocast(config):
            loss = compute_loss(model, batch, config.objective)
        model.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        for optimizer in optimizers:
            optimizer.step()

        tokens += batch["x"].numel()
        result.losses.append(loss.item())
        last = step + 1 == config.steps
        val_loss = None
        if last or (config.eval_every and (step + 1) % config.eval_every == 0):
            eval_start = time.perf_counter()
            val_loss = evaluate(model, val_batch, config)
            eval_seconds += time.perf_counter() - eval_start
            result.val_losses.append((step + 1, val_loss))
        result.elapsed = time.perf_counter() - start
        result.tokens_per_s = tokens / (result.elapsed - eval_seconds)
        progress = Progress(
            step=step + 1,
            steps=config.steps,
            loss=result.losses[-1],
            tokens_per_s=result.tokens_per_s,
            elapsed=result.elapsed,
            lr=lr,
            val_loss=val_loss,
        )
        if callback is not None and callback(progress):
            break
    return result
