"""Serving-side building blocks: grouped-query attention with a KV cache, FlashAttention's tiled
online softmax, and the speculative-sampling rule.

- `GroupedQueryAttention`: n_head query heads share n_kv_head key/value heads (Ainslie et al. 2023).
  n_kv_head = n_head is ordinary multi-head attention, n_kv_head = 1 is multi-query attention
  (Shazeer 2019). Only keys and values are cached, so the cache shrinks by n_head / n_kv_head.
- `tiled_attention`: exact attention computed block by block with a running max and a running sum
  (the online softmax), in the loop order of FlashAttention's Algorithm 1 (Dao et al. 2022): the
  outer loop over key/value blocks, the inner loop over query blocks. It counts the elements it
  reads from and writes to the full-size tensors ("HBM") to compare with the standard schedule.
- `speculative_step`: one round of speculative sampling (Leviathan et al. 2022; Chen et al. 2023):
  accept a drafted token with probability min(1, p/q), else resample from norm(max(0, p - q)).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minimodels.attention import KVCache, causal_mask


def kv_cache_bytes(
    layers: int, kv_heads: int, head_dim: int, tokens: int, bytes_per_number: int, batch: int = 1
) -> int:
    """2 (keys and values) x layers x kv_heads x head_dim x tokens x batch x bytes per number."""
    return 2 * layers * kv_heads * head_dim * tokens * batch * bytes_per_number


class GroupedQueryAttention(nn.Module):
    """Causal self-attention with n_head query heads and n_kv_head shared key/value heads."""

    def __init__(self, n_embd: int, n_head: int, n_kv_head: int):
        super().__init__()
        assert n_embd % n_head == 0 and n_head % n_kv_head == 0
        self.n_head, self.n_kv_head, self.head_dim = n_head, n_kv_head, n_embd // n_head
        self.q = nn.Linear(n_embd, n_embd, bias=False)
        self.kv = nn.Linear(n_embd, 2 * n_kv_head * self.head_dim, bias=False)  # smaller than q
        self.proj = nn.Linear(n_embd, n_embd, bias=False)

    def forward(self, x: Tensor, cache: KVCache) -> Tensor:
        B, T, C = x.shape
        q = self.q(x).view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, H, T, hs)
        k, v = self.kv(x).split(self.n_kv_head * self.head_dim, dim=2)
        k, v = (z.view(B, T, self.n_kv_head, self.head_dim).transpose(1, 2) for z in (k, v))
        k, v = cache.extend(k, v)  # (B, H_kv, T_seen + T, hs): only these are kept
        # Each group of n_head / n_kv_head query heads reads the same key/value head.
        mask = causal_mask(T, k.size(2))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


def tiled_attention(
    q: Tensor, k: Tensor, v: Tensor, block_q: int, block_k: int, causal: bool = False
) -> tuple[Tensor, Tensor, dict[str, int]]:
    """softmax(q kᵀ / √d) v for q (N, d), k and v (N, d), one (block_q, block_k) tile at a time.

    Returns the output (N, d), each row's log-sum-exp (N,) (what FlashAttention keeps for the
    backward pass) and the elements read from / written to the full tensors.
    The largest score matrix ever held is (block_q, block_k): the (N, N) one never exists.
    """
    n, d = q.shape
    scale = 1 / math.sqrt(d)
    out = torch.zeros_like(q)  # O in HBM, updated block by block
    row_max = torch.full((n,), float("-inf"), dtype=q.dtype)  # m: running max of each row
    row_sum = torch.zeros(n, dtype=q.dtype)  # l: running sum of exp(score - m)
    io = {"read": 0, "written": 0}
    for k_start in range(0, n, block_k):  # outer loop: key/value blocks, each loaded once
        kj, vj = k[k_start : k_start + block_k], v[k_start : k_start + block_k]  # (Bk, d)
        io["read"] += kj.numel() + vj.numel()
        for q_start in range(0, n, block_q):  # inner loop: query blocks and their partial output
            rows = slice(q_start, q_start + block_q)
            qi, oi, mi, li = q[rows], out[rows], row_max[rows], row_sum[rows]
            io["read"] += qi.numel() + oi.numel() + mi.numel() + li.numel()
            s = qi @ kj.T * scale  # (Bq, Bk): the only score tile in memory
            if causal:
                q_pos = torch.arange(q_start, q_start + qi.size(0))[:, None]
                k_pos = torch.arange(k_start, k_start + kj.size(0))[None, :]
                s = s.masked_fill(k_pos > q_pos, float("-inf"))
            m_new = torch.maximum(mi, s.max(dim=1).values)  # (Bq,)
            # A row whose keys are all masked so far keeps m = -inf; exp(-inf - -inf) would be NaN.
            safe = torch.where(torch.isinf(m_new), torch.zeros_like(m_new), m_new)
            p = torch.exp(s - safe[:, None])  # (Bq, Bk), unnormalised
            rescale = torch.exp(mi - safe)  # shrinks what was summed under an older, smaller max
            out[rows] = oi * rescale[:, None] + p @ vj
            row_sum[rows] = li * rescale + p.sum(dim=1)
            row_max[rows] = m_new
            io["written"] += qi.numel() + 2 * qi.size(0)  # O block, m and l
    out = out / row_sum[:, None]  # normalise once at the end (FlashAttention-2 style)
    return out, row_max + torch.log(row_sum), io


def standard_attention_io(n: int, d: int) -> dict[str, int]:
    """Elements moved by the standard schedule (FlashAttention's Algorithm 0): S = QKᵀ and P =
    softmax(S) are written to HBM and read back."""
    read = 2 * n * d + n * n + n * n + n * d  # Q, K; S; P; V
    written = n * n + n * n + n * d  # S; P; O
    return {"read": read, "written": written}


def sample(probs: Sequence[float], rng: random.Random) -> int:
    u, total = rng.random(), 0.0
    for token, p in enumerate(probs):
        total += p
        if u < total:
            return token
    return len(probs) - 1  # u fell in the rounding gap above the last cumulative sum


def residual(p: Sequence[float], q: Sequence[float]) -> list[float]:
    """norm(max(0, p - q)): where the target wants more than the draft offered."""
    diff = [max(0.0, a - b) for a, b in zip(p, q, strict=True)]
    total = sum(diff)
    return [x / total for x in diff]


def speculative_step(
    prefix: list[int],
    target: Callable[[list[int]], list[float]],
    draft: Callable[[list[int]], list[float]],
    gamma: int,
    rng: random.Random,
) -> tuple[list[int], int]:
    """One round: draft gamma tokens, check them against the target, return the new tokens and
    how many drafts were accepted. Always returns at least one token from the target."""
    drafted, q_dists = [], []
    for _ in range(gamma):  # the small model runs gamma serial steps
        q = draft(prefix + drafted)
        drafted.append(sample(q, rng))
        q_dists.append(q)
    # The target scores all gamma + 1 positions at once (one forward pass on a real model).
    p_dists = [target(prefix + drafted[:i]) for i in range(gamma + 1)]
    new = []
    for i, token in enumerate(drafted):
        p, q = p_dists[i], q_dists[i]
        if rng.random() < min(1.0, p[token] / q[token]):
            new.append(token)
        else:
            new.append(sample(residual(p, q), rng))
            return new, i
    new.append(sample(p_dists[gamma], rng))  # every draft accepted: one bonus token from p
    return new, gamma
