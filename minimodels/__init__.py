"""Small, readable Transformers in plain PyTorch: one file per idea.

attention.py  scaled dot-product attention, masks, multi-head attention, KV cache
gpt.py        decoder-only language model (GPT-1/GPT-2 shapes) and generation
bert.py       encoder with masked-LM and next-sentence heads
masking.py    BERT's 80/10/10 masking, the masked-LM loss, next-sentence pairs
tokenizers.py character, WordPiece and byte-level BPE tokenizers with trainers
params.py     parameter counts, analytic and on the meta device; published presets
train.py      one training loop for causal LM, masked LM and masked LM + NSP
corpus.py     the demo corpus: the question bank's answers plus user files
sampling.py   Gibbs-style text generation from a masked LM (Wang & Cho 2019)
hf.py         loading Hugging Face GPT-2 and BERT weights
bench.py      time-to-target-loss benchmark (python -m minimodels.bench)

Importing this package imports nothing; import the modules you need (torch is slow to import).
"""
