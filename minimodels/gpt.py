"""A decoder-only Transformer language model in the shape of GPT-2 (and, with two switches, GPT-1).

tokens -> token embedding + learned position embedding -> n_layer blocks -> LayerNorm -> logits.
Each block is causal self-attention followed by an MLP, each wrapped in a residual connection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minimodels.attention import KVCache, MultiHeadAttention, causal_mask


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 64  # longest context the position embedding covers
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    # Biases in Linear layers and LayerNorms: GPT-2 has them, nanoGPT's CPU recipe drops them.
    bias: bool = True
    pre_norm: bool = True  # GPT-2 normalises before each sublayer; GPT-1 after (post-LN)
    final_norm: bool = True  # GPT-2 adds a LayerNorm before the head; GPT-1 has none
    norm_eps: float = 1e-5
    gelu: str = "tanh"  # GPT-2's "gelu_new" is the tanh approximation; "none" is the exact erf form


class MLP(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.gelu = nn.GELU(approximate=config.gelu)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.proj(self.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.pre_norm = config.pre_norm
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.norm_eps, bias=config.bias)
        self.attn = MultiHeadAttention(config.n_embd, config.n_head, config.bias, config.dropout)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.norm_eps, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, mask: Tensor, cache: KVCache | None = None) -> Tensor:
        if self.pre_norm:
            # GPT-2: the residual stream itself is never normalised, which keeps deep stacks
            # trainable without a careful warm-up.
            x = x + self.attn(self.ln_1(x), mask, cache)[0]
            return x + self.mlp(self.ln_2(x))
        # GPT-1 (and BERT): normalise after adding the residual.
        x = self.ln_1(x + self.attn(x, mask, cache)[0])
        return self.ln_2(x + self.mlp(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = (
            nn.LayerNorm(config.n_embd, eps=config.norm_eps, bias=config.bias)
            if config.final_norm
            else nn.Identity()
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Weight tying: the same matrix turns a token into a vector and a vector into token scores.
        self.lm_head.weight = self.tok_emb.weight
        self.apply(self._init_weights)
        # Each block adds two projections to the residual stream; shrinking their init by
        # sqrt(2 * n_layer) keeps the stream's variance from growing with depth (GPT-2 paper).
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # std 0.02 keeps the initial logits near 0, so the first loss is close to ln(vocab_size).
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx: Tensor, caches: list[KVCache] | None = None) -> Tensor:
        """idx (B, T) token ids -> logits (B, T, vocab_size) for the token after each position.

        With caches (one per layer), idx holds only the new tokens; the earlier ones are in the cache.
        """
        B, T = idx.shape
        start = len(caches[0]) if caches else 0
        assert start + T <= self.config.block_size, "sequence longer than block_size"
        pos = torch.arange(start, start + T, device=idx.device)  # (T,)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C)
        mask = causal_mask(T, start + T, device=idx.device)  # (T, start + T)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, caches[i] if caches else None)
        return self.lm_head(self.ln_f(x))  # (B, T, V)


@torch.no_grad()
def generate(
    model: GPT,
    idx: Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Extend idx (B, T) by max_new_tokens tokens. temperature=0 means greedy (argmax).

    With the KV cache each step feeds only the newest token. When the context would outgrow
    block_size, both paths keep the last block_size tokens, so their outputs stay identical.
    """
    model.eval()
    block_size = model.config.block_size
    caches = None
    for _ in range(max_new_tokens):
        if not use_cache:
            logits = model(idx[:, -block_size:])
        elif caches is not None and len(caches[0]) < block_size:
            logits = model(idx[:, -1:], caches)  # only the newest token
        else:  # first step, or the cache is full: (re)fill it from the visible context
            caches = [KVCache() for _ in model.blocks]
            logits = model(idx[:, -block_size:], caches)
        next_id = sample_next(logits[:, -1, :], temperature, top_k, top_p, generator)  # (B, 1)
        idx = torch.cat([idx, next_id], dim=1)
    return idx


def sample_next(
    logits: Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """logits (B, V) -> one sampled token id per row, (B, 1)."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature
    if top_k is not None:
        kth_best = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]  # (B, 1)
        logits = logits.masked_fill(logits < kth_best, float("-inf"))
    if top_p is not None:
        # Nucleus: keep the most likely tokens until their probabilities add up to top_p.
        sorted_logits, order = torch.sort(logits, descending=True)
        probs = F.softmax(sorted_logits, dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs  # probability of the tokens ranked above
        sorted_logits = sorted_logits.masked_fill(mass_before >= top_p, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)
