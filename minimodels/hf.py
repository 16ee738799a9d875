"""Load Hugging Face GPT-2 and BERT weights into these models.

With a local checkpoint (nothing here downloads), every demo can run on a real pretrained model:

    import json, torch
    config = gpt_config_from_hf(json.load(open("gpt2/config.json")))
    model = load_hf_gpt2(torch.load("gpt2/pytorch_model.bin"), config)

(or a safetensors file via `safetensors.torch.load_file`). Only the names and layouts differ:
- GPT-2 stores its linear layers as Conv1D, weight shaped (in, out): transpose to nn.Linear's (out, in).
- BERT keeps query, key and value as three matrices; here they are one (3C, C) matrix, stacked.
- Old BERT checkpoints call LayerNorm parameters gamma/beta instead of weight/bias.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from minimodels.bert import Bert, BertConfig
from minimodels.gpt import GPT, GPTConfig

# Hugging Face activation names -> nn.GELU's `approximate` argument.
_GELU = {"gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu": "none"}


def gpt_config_from_hf(hf: Mapping) -> GPTConfig:
    """GPTConfig from a GPT-2 config.json (or `GPT2Config(...).to_dict()`)."""
    return GPTConfig(
        vocab_size=hf["vocab_size"],
        block_size=hf["n_positions"],
        n_layer=hf["n_layer"],
        n_head=hf["n_head"],
        n_embd=hf["n_embd"],
        dropout=0.0,
        norm_eps=hf.get("layer_norm_epsilon", 1e-5),
        gelu=_GELU[hf.get("activation_function", "gelu_new")],
    )


def bert_config_from_hf(hf: Mapping, **heads: bool) -> BertConfig:
    """BertConfig from a BERT config.json; heads: pooler=..., mlm_head=..., nsp_head=..."""
    return BertConfig(
        vocab_size=hf["vocab_size"],
        max_position=hf["max_position_embeddings"],
        type_vocab_size=hf.get("type_vocab_size", 2),
        n_layer=hf["num_hidden_layers"],
        n_head=hf["num_attention_heads"],
        n_embd=hf["hidden_size"],
        n_inner=hf["intermediate_size"],
        dropout=0.0,
        norm_eps=hf.get("layer_norm_eps", 1e-12),
        gelu=_GELU[hf.get("hidden_act", "gelu")],
        **heads,
    )


def load_hf_gpt2(state_dict: Mapping[str, Tensor], config: GPTConfig) -> GPT:
    sd = {k.removeprefix("transformer."): v for k, v in state_dict.items()}
    ours = {
        "tok_emb.weight": sd["wte.weight"],
        "pos_emb.weight": sd["wpe.weight"],
        "lm_head.weight": sd["wte.weight"],  # tied
        "ln_f.weight": sd["ln_f.weight"],
        "ln_f.bias": sd["ln_f.bias"],
    }
    renames = {  # ours: (theirs, is a Conv1D weight to transpose)
        "ln_1.weight": ("ln_1.weight", False),
        "ln_1.bias": ("ln_1.bias", False),
        "attn.qkv.weight": ("attn.c_attn.weight", True),
        "attn.qkv.bias": ("attn.c_attn.bias", False),
        "attn.proj.weight": ("attn.c_proj.weight", True),
        "attn.proj.bias": ("attn.c_proj.bias", False),
        "ln_2.weight": ("ln_2.weight", False),
        "ln_2.bias": ("ln_2.bias", False),
        "mlp.fc.weight": ("mlp.c_fc.weight", True),
        "mlp.fc.bias": ("mlp.c_fc.bias", False),
        "mlp.proj.weight": ("mlp.c_proj.weight", True),
        "mlp.proj.bias": ("mlp.c_proj.bias", False),
    }
    for i in range(config.n_layer):
        for mine, (theirs, transpose) in renames.items():
            w = sd[f"h.{i}.{theirs}"]
            ours[f"blocks.{i}.{mine}"] = w.t() if transpose else w
    model = GPT(config)
    model.load_state_dict(ours)  # strict: a missing or unexpected name is an error
    return model.eval()


def load_hf_bert(state_dict: Mapping[str, Tensor], config: BertConfig) -> Bert:
    sd = {}
    for k, v in state_dict.items():
        k = k.removeprefix("bert.").replace("LayerNorm.gamma", "LayerNorm.weight")
        sd[k.replace("LayerNorm.beta", "LayerNorm.bias")] = v
    e = "embeddings."
    ours = {
        "embeddings.tok_emb.weight": sd[e + "word_embeddings.weight"],
        "embeddings.seg_emb.weight": sd[e + "token_type_embeddings.weight"],
        "embeddings.pos_emb.weight": sd[e + "position_embeddings.weight"],
        "embeddings.ln.weight": sd[e + "LayerNorm.weight"],
        "embeddings.ln.bias": sd[e + "LayerNorm.bias"],
    }
    renames = {
        "attn.proj": "attention.output.dense",
        "ln_1": "attention.output.LayerNorm",
        "mlp.0": "intermediate.dense",
        "mlp.2": "output.dense",
        "ln_2": "output.LayerNorm",
    }
    for i in range(config.n_layer):
        theirs, mine = f"encoder.layer.{i}.", f"blocks.{i}."
        for part in ("weight", "bias"):
            q, k, v = (sd[f"{theirs}attention.self.{n}.{part}"] for n in ("query", "key", "value"))
            ours[f"{mine}attn.qkv.{part}"] = torch.cat([q, k, v], dim=0)  # (3C, C) or (3C,)
            for m, t in renames.items():
                ours[f"{mine}{m}.{part}"] = sd[f"{theirs}{t}.{part}"]
    if config.pooler:
        ours["pooler.weight"] = sd["pooler.dense.weight"]
        ours["pooler.bias"] = sd["pooler.dense.bias"]
    if config.mlm_head:
        p = "cls.predictions."
        ours["mlm.dense.weight"] = sd[p + "transform.dense.weight"]
        ours["mlm.dense.bias"] = sd[p + "transform.dense.bias"]
        ours["mlm.ln.weight"] = sd[p + "transform.LayerNorm.weight"]
        ours["mlm.ln.bias"] = sd[p + "transform.LayerNorm.bias"]
        ours["mlm.word_embedding.weight"] = ours["embeddings.tok_emb.weight"]  # tied decoder
        ours["mlm.bias"] = sd[p + "bias"]
    if config.nsp_head:
        ours["nsp.weight"] = sd["cls.seq_relationship.weight"]
        ours["nsp.bias"] = sd["cls.seq_relationship.bias"]
    model = Bert(config)
    model.load_state_dict(ours)
    return model.eval()
