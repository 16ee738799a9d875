"""Scaled dot-product attention, the masks that decide who may look at whom, and multi-head attention.

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_head) + mask) V

A mask comes in one of two forms, both understood by `torch.nn.functional.scaled_dot_product_attention`:
- boolean, True where a query may attend to a key (causal and prefix-LM masks);
- additive float, 0 where allowed and a large negative number where not (padding masks). BERT adds
  -10000 * (1 - mask); newer code adds -inf or the dtype's most negative value. After the softmax all
  three give weights of exactly 0 in float32 (exp(-10000) underflows), so the outputs agree.
Masks broadcast against the scores, shaped (B, n_head, T_query, T_key).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

BERT_MASK_VALUE = -10000.0


def padding_mask(attention_mask: Tensor, fill: float = BERT_MASK_VALUE) -> Tensor:
    """Additive mask from a (B, T) 0/1 attention mask (1 = real token, 0 = padding).

    fill = -10000 is BERT's choice; pass float("-inf") or torch.finfo(dtype).min for the others.
    Written with `where` rather than BERT's (1 - mask) * fill because 0 * -inf is NaN.
    """
    zero = torch.zeros((), dtype=torch.float32)
    mask = torch.where(attention_mask.bool(), zero, torch.tensor(fill))  # (B, T)
    return mask[:, None, None, :]  # (B, 1, 1, T): the same for every head and every query


def causal_mask(t_query: int, t_key: int | None = None, device=None) -> Tensor:
    """Boolean (T_query, T_key) mask: query i may see keys up to its own position.

    With a KV cache the queries are the *last* t_query of t_key positions, so the diagonal is
    aligned to the bottom-right corner.
    """
    t_key = t_query if t_key is None else t_key
    query_pos = torch.arange(t_key - t_query, t_key, device=device)[:, None]  # (Tq, 1)
    key_pos = torch.arange(t_key, device=device)[None, :]  # (1, Tk)
    return key_pos <= query_pos


def prefix_lm_mask(t: int, prefix_len: int | Tensor, device=None) -> Tensor:
    """UniLM's prefix-LM mask: the first prefix_len tokens see each other in both directions
    (like BERT), the rest see the whole prefix and, causally, each other (like GPT).

    prefix_len is an int, giving a (T, T) mask, or a (B,) tensor, giving (B, 1, T, T).
    """
    pos = torch.arange(t, device=device)
    causal = pos[None, :] <= pos[:, None]  # (T, T)
    if isinstance(prefix_len, int):
        return causal | (pos[None, :] < prefix_len)
    key_in_prefix = pos[None, None, :] < prefix_len.to(device)[:, None, None]  # (B, 1, T)
    return (causal[None] | key_in_prefix)[:, None]  # (B, 1, T, T)


def scaled_dot_product_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None = None,
    *,
    dropout_p: float = 0.0,
    return_weights: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """q (B, H, Tq, hs), k and v (B, H, Tk, hs) -> output (B, H, Tq, hs) and the weights or None.

    Without weights we call PyTorch's fused kernel (fast, never builds the (Tq, Tk) matrix in
    memory when it can avoid it); the explicit path below is the same formula written out, and the
    tests hold the two to 1e-5.
    """
    # Under CPU bfloat16 autocast the fused kernel's backward pass is several times slower than
    # these few lines (measured at T = 64: 31 ms vs 7 ms per layer and batch of 64), so training
    # in bfloat16 takes the explicit path too.
    if not return_weights and not torch.is_autocast_enabled("cpu"):
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=dropout_p)
        return out, None
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, H, Tq, Tk)
    if mask is not None and mask.dtype == torch.bool:
        scores = scores.masked_fill(~mask, float("-inf"))
    elif mask is not None:
        scores = scores + mask
    # Softmax in float32 at least: under bfloat16 autocast the scores arrive in bfloat16.
    softmax_dtype = torch.promote_types(scores.dtype, torch.float32)
    weights = torch.softmax(scores, dim=-1, dtype=softmax_dtype)  # (B, H, Tq, Tk), rows sum to 1
    out = F.dropout(weights, p=dropout_p) @ v  # (B, H, Tq, hs)
    return out, weights


class KVCache:
    """Keys and values of the tokens already processed by one attention layer.

    At generation step t only the new token's key and value are computed; the earlier ones are
    read from here instead of being recomputed from t tokens.
    """

    def __init__(self) -> None:
        self.k: Tensor | None = None  # (B, H, T_seen, hs)
        self.v: Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.size(2)

    def extend(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        self.k = k if self.k is None else torch.cat([self.k, k], dim=2)
        self.v = v if self.v is None else torch.cat([self.v, v], dim=2)
        return self.k, self.v


class MultiHeadAttention(nn.Module):
    """n_head attention heads of size n_embd // n_head, side by side, then an output projection."""

    def __init__(self, n_embd: int, n_head: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        assert n_embd % n_head == 0, "n_embd must be a multiple of n_head"
        self.n_head = n_head
        self.dropout = dropout
        # One matrix computes queries, keys and values together: (C) -> (3C).
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(
        self,
        x: Tensor,
        mask: Tensor | None = None,
        cache: KVCache | None = None,
        return_weights: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)  # each (B, T, C)
        # Split the channels into heads: (B, T, C) -> (B, H, T, hs).
        q, k, v = (z.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for z in (q, k, v))
        if cache is not None:
            k, v = cache.extend(k, v)  # (B, H, T_seen + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        y, weights = scaled_dot_product_attention(
            q, k, v, mask, dropout_p=dropout_p, return_weights=return_weights
        )
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.proj(y)), weights
