"""Parameter counts of GPT and BERT configurations, two ways that must agree.

- `count_params(config)` does the arithmetic from the config (what you would do on paper).
- `count_params_meta(config)` builds the real model on PyTorch's "meta" device, where tensors have
  shapes but no storage, and sums the parameters. GPT-2 large costs no memory this way.

Both return a breakdown {embeddings, attention, mlp, norms, heads, total}. Tied weights count once
(the GPT head and BERT's MLM decoder reuse the word embedding, so they appear under embeddings).
"""

from __future__ import annotations

from dataclasses import replace

import torch

from minimodels.bert import Bert, BertConfig
from minimodels.gpt import GPT, GPTConfig

Config = GPTConfig | BertConfig

_GPT2 = GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768, dropout=0.0)
_BERT_BASE = BertConfig(
    vocab_size=30522, max_position=512, n_layer=12, n_head=12, n_embd=768, n_inner=3072,
    pooler=True, mlm_head=False, nsp_head=False,
)  # fmt: skip
_BERT_LARGE = replace(_BERT_BASE, n_layer=24, n_head=16, n_embd=1024, n_inner=4096)

PRESETS: dict[str, Config] = {
    # GPT-1: post-LN blocks, no final LayerNorm, 40,478 BPE tokens, 512 positions.
    "gpt1": replace(_GPT2, vocab_size=40478, block_size=512, pre_norm=False, final_norm=False),
    "gpt2-small": _GPT2,
    "gpt2-medium": replace(_GPT2, n_layer=24, n_head=16, n_embd=1024),
    "gpt2-large": replace(_GPT2, n_layer=36, n_head=20, n_embd=1280),
    "gpt2-xl": replace(_GPT2, n_layer=48, n_head=25, n_embd=1600),
    # BERT: "bert-base" is the encoder + pooler (Hugging Face's BertModel).
    "bert-base": _BERT_BASE,
    "bert-base-no-pooler": replace(_BERT_BASE, pooler=False),
    "bert-base-mlm": replace(_BERT_BASE, pooler=False, mlm_head=True),  # BertForMaskedLM
    "bert-base-pretraining": replace(_BERT_BASE, mlm_head=True, nsp_head=True),
    "bert-large": _BERT_LARGE,
    # The tiny models the app trains on characters (vocab_size is set from the corpus).
    "gpt-tiny": GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False),
    "bert-tiny": BertConfig(vocab_size=70, max_position=64, n_layer=4, n_head=4, n_embd=128,
                            n_inner=512),
}  # fmt: skip

PARTS = ("embeddings", "attention", "mlp", "norms", "heads")


def count_params(config: Config) -> dict[str, int]:
    """Analytic count: what each weight matrix and bias vector contributes."""
    if isinstance(config, GPTConfig):
        d, b = config.n_embd, int(config.bias)
        norm = 2 * d if config.bias else d  # LayerNorm: a gain and (optionally) a bias per channel
        parts = {
            "embeddings": config.vocab_size * d + config.block_size * d,
            "attention": config.n_layer * (4 * d * d + 4 * d * b),  # q, k, v and output: d x d
            "mlp": config.n_layer * (8 * d * d + 5 * d * b),  # d -> 4d -> d
            "norms": config.n_layer * 2 * norm + (norm if config.final_norm else 0),
            "heads": 0,  # the LM head is the transposed token embedding
        }
    else:
        d, inner = config.n_embd, config.n_inner
        heads = 0
        if config.pooler:
            heads += d * d + d
        if config.mlm_head:
            heads += (d * d + d) + 2 * d + config.vocab_size  # dense, LayerNorm, output bias
        if config.nsp_head:
            heads += 2 * d + 2
        parts = {
            "embeddings": (config.vocab_size + config.max_position + config.type_vocab_size) * d,
            "attention": config.n_layer * (4 * d * d + 4 * d),
            "mlp": config.n_layer * (2 * d * inner + inner + d),
            "norms": 2 * d + config.n_layer * 2 * (2 * d),  # after the embeddings, 2 per block
            "heads": heads,
        }
    parts["total"] = sum(parts.values())
    return parts


def build_model(config: Config) -> torch.nn.Module:
    return GPT(config) if isinstance(config, GPTConfig) else Bert(config)


def _part_of(name: str) -> str:
    """Which part a parameter belongs to, from its name in the model."""
    if name.startswith(("pooler.", "mlm.", "nsp.")):
        return "heads"
    if ".attn." in name:
        return "attention"
    if ".mlp." in name:
        return "mlp"
    if ".ln" in name or name.startswith("ln"):
        return "norms"
    return "embeddings"


def count_params_meta(config: Config) -> dict[str, int]:
    """Count by building the model on the meta device: real modules, no memory."""
    with torch.device("meta"):
        model = build_model(config)
    parts = dict.fromkeys(PARTS, 0)
    for name, p in model.named_parameters():  # shared (tied) tensors are listed once
        parts[_part_of(name)] += p.numel()
    parts["total"] = sum(parts.values())
    return parts
