"""A bidirectional Transformer encoder in the shape of BERT, with its two pre-training heads.

tokens -> word + segment + position embeddings, summed, then LayerNorm -> n_layer blocks.
Every position attends to every other (no causal mask); padding is the only thing masked.
Heads: the masked-LM head predicts the original token at every position; the next-sentence head
reads the [CLS] position through the pooler (dense + tanh) and says whether segment B followed A.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from minimodels.attention import MultiHeadAttention, padding_mask


@dataclass
class BertConfig:
    vocab_size: int = 30522
    max_position: int = 512
    type_vocab_size: int = 2  # segments A and B
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    n_inner: int = 512  # MLP width, 4 * n_embd in BERT-base and BERT-large
    dropout: float = 0.1
    norm_eps: float = 1e-12
    gelu: str = "none"  # BERT uses the exact erf GELU; "tanh" is the approximation
    pooler: bool = True  # dense + tanh over [CLS]; needed by the NSP head
    mlm_head: bool = True
    nsp_head: bool = True

    def __post_init__(self) -> None:
        if self.nsp_head and not self.pooler:
            raise ValueError("the NSP head reads the pooler's output: set pooler=True")


@dataclass
class BertOutput:
    hidden: Tensor  # (B, T, C) last layer
    pooled: Tensor | None = None  # (B, C) pooler output for [CLS]
    mlm_logits: Tensor | None = None  # (B, T, V)
    nsp_logits: Tensor | None = None  # (B, 2): index 0 = "B follows A", 1 = "B is random"
    attentions: list[Tensor] | None = None  # n_layer tensors of (B, H, T, T)


class Embeddings(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.seg_emb = nn.Embedding(config.type_vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.max_position, config.n_embd)
        self.ln = nn.LayerNorm(config.n_embd, eps=config.norm_eps)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, input_ids: Tensor, token_type_ids: Tensor) -> Tensor:
        pos = torch.arange(input_ids.size(1), device=input_ids.device)  # (T,)
        x = self.tok_emb(input_ids) + self.seg_emb(token_type_ids) + self.pos_emb(pos)  # (B, T, C)
        return self.drop(self.ln(x))


class EncoderBlock(nn.Module):
    """Post-LN, as in the original Transformer and BERT: LayerNorm(x + sublayer(x))."""

    def __init__(self, config: BertConfig):
        super().__init__()
        self.attn = MultiHeadAttention(
            config.n_embd, config.n_head, bias=True, dropout=config.dropout
        )
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.norm_eps)
        self.mlp = nn.Sequential(
            nn.Linear(config.n_embd, config.n_inner),
            nn.GELU(approximate=config.gelu),
            nn.Linear(config.n_inner, config.n_embd),
            nn.Dropout(config.dropout),
        )
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.norm_eps)

    def forward(self, x: Tensor, mask: Tensor | None, return_weights: bool = False):
        attn_out, weights = self.attn(x, mask, return_weights=return_weights)
        x = self.ln_1(x + attn_out)
        return self.ln_2(x + self.mlp(x)), weights


class MLMHead(nn.Module):
    """dense -> GELU -> LayerNorm -> decoder tied to the word embedding, plus its own bias."""

    def __init__(self, config: BertConfig, word_embedding: nn.Embedding):
        super().__init__()
        self.dense = nn.Linear(config.n_embd, config.n_embd)
        self.gelu = nn.GELU(approximate=config.gelu)
        self.ln = nn.LayerNorm(config.n_embd, eps=config.norm_eps)
        self.word_embedding = word_embedding  # shared, counted once
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden: Tensor) -> Tensor:
        h = self.ln(self.gelu(self.dense(hidden)))  # (B, T, C)
        return h @ self.word_embedding.weight.T + self.bias  # (B, T, V)


class Bert(nn.Module):
    def __init__(self, config: BertConfig):
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.blocks = nn.ModuleList(EncoderBlock(config) for _ in range(config.n_layer))
        self.pooler = nn.Linear(config.n_embd, config.n_embd) if config.pooler else None
        self.mlm = MLMHead(config, self.embeddings.tok_emb) if config.mlm_head else None
        self.nsp = nn.Linear(config.n_embd, 2) if config.nsp_head else None
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # BERT's init: N(0, 0.02) weights, zero biases (LayerNorms keep ones and zeros).
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(
        self,
        input_ids: Tensor,
        token_type_ids: Tensor | None = None,
        attention_mask: Tensor | None = None,
        return_attentions: bool = False,
    ) -> BertOutput:
        """input_ids (B, T); token_type_ids (B, T) 0 for segment A, 1 for B; attention_mask (B, T)
        1 for real tokens, 0 for padding."""
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        mask = None if attention_mask is None else padding_mask(attention_mask)  # (B, 1, 1, T)
        x = self.embeddings(input_ids, token_type_ids)  # (B, T, C)
        attentions = []
        for block in self.blocks:
            x, weights = block(x, mask, return_weights=return_attentions)
            attentions.append(weights)
        out = BertOutput(hidden=x, attentions=attentions if return_attentions else None)
        if self.pooler is not None:
            out.pooled = torch.tanh(self.pooler(x[:, 0]))  # (B, C) from the [CLS] position
        if self.mlm is not None:
            out.mlm_logits = self.mlm(x)
        if self.nsp is not None:
            out.nsp_logits = self.nsp(out.pooled)
        return out
