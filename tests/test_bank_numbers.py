"""Every numeric answer in the bank is recomputed here, with minimodels where it can be, or is a
figure quoted from the source the question cites. A new numeric question fails
`test_every_numeric_question_is_checked` until it gets a line here."""

import math
from collections.abc import Callable
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from minimodels.attention import causal_mask, scaled_dot_product_attention
from minimodels.gpt import sample_next
from minimodels.masking import mask_tokens, masked_lm_loss
from minimodels.params import PRESETS, count_params
from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

BANK = load_bank(REPO / "questions").questions
NUMERIC = {qid: q for qid, q in BANK.items() if q.type == "numeric"}
GPT2 = PRESETS["gpt2-small"]


def kv_cache_bytes(layers: int, kv_heads: int, head_dim: int, tokens: int, bytes_per: int) -> int:
    return 2 * layers * kv_heads * head_dim * tokens * bytes_per  # keys and values


def attention_macs(n: int, d: int) -> int:
    """Multiply-accumulates of QKᵀ and weights·V, counted by PyTorch's FLOP counter (2 per MAC)."""
    q = k = v = torch.zeros(1, 1, n, d)
    with FlopCounterMode(display=False) as counter:
        scaled_dot_product_attention(q, k, v, return_weights=True)
    return counter.get_total_flops() // 2


def nucleus_size(probs: list[float], p: float) -> int:
    """How many tokens minimodels' top-p filter keeps."""
    logits = torch.tensor([probs]).log()
    kept = set()
    g = torch.Generator().manual_seed(0)
    for _ in range(2000):
        kept.add(int(sample_next(logits, top_p=p, generator=g)))
    return len(kept)


def top_k_then_top_p(probs: list[float], k: int, p: float) -> int:
    """How many tokens minimodels' sampler can still pick with top-k and then top-p applied."""
    logits = torch.tensor([probs]).log()
    g = torch.Generator().manual_seed(0)
    return len({int(sample_next(logits, top_k=k, top_p=p, generator=g)) for _ in range(2000)})


def batch_token_mean() -> float:
    """Sequence A: 2 selected tokens with loss 1.0; sequence B: 8 with loss 2.0; one mean over all."""

    def logits_for_loss(loss: float) -> list[float]:  # 2 classes, target 0: -log softmax = loss
        return [0.0, math.log(math.exp(loss) - 1)]

    logits = torch.tensor(
        [
            [logits_for_loss(1.0)] * 2 + [[0.0, 0.0]] * 8,
            [logits_for_loss(2.0)] * 8 + [[0.0, 0.0]] * 2,
        ]
    )
    labels = torch.tensor([[0] * 2 + [-100] * 8, [0] * 8 + [-100] * 2])
    return masked_lm_loss(logits, labels).item()


def random_token_share_percent() -> float:
    """BERT's rule 15 % x 10 %, measured on minimodels' masking over 2 million tokens."""
    g = torch.Generator().manual_seed(0)
    x = torch.randint(5, 1000, (2000, 1000), generator=g)
    corrupted, labels = mask_tokens(
        x, mask_id=4, special_ids=[0, 1, 2, 3, 4], vocab_size=1000, generator=g
    )
    measured = ((labels != -100) & (corrupted != x) & (corrupted != 4)).float().mean().item()
    assert abs(measured - 0.015 * (1 - 1 / 995)) < 4 * math.sqrt(0.015 * 0.985 / x.numel())
    return 100 * 0.15 * 0.10


COMPUTED: dict[str, Callable[[], float]] = {
    "gpt2-small-param-count": lambda: count_params(GPT2)["total"],
    "gpt1-param-count": lambda: count_params(PRESETS["gpt1"])["total"],
    "bert-base-param-count": lambda: count_params(PRESETS["bert-base"])["total"],
    "bert-large-param-count": lambda: count_params(PRESETS["bert-large"])["total"] / 1e6,
    "bert-mlm-head-params": lambda: count_params(PRESETS["bert-base-mlm"])["heads"],
    "transformer-layer-params": lambda: (
        (
            count_params(GPT2)["attention"]
            + count_params(GPT2)["mlp"]
            + GPT2.n_layer * 4 * GPT2.n_embd
        )
        / GPT2.n_layer
    ),
    "architecture-ffn-parameter-count": lambda: count_params(GPT2)["mlp"] / GPT2.n_layer,
    "gpt-weight-tying-parameter-savings": lambda: GPT2.vocab_size * GPT2.n_embd,
    # Kaplan et al. 2020: 6 FLOPs per non-embedding parameter per token, 12·n_layer·d² of them.
    "gpt2-training-flops-per-token": lambda: 6 * 12 * GPT2.n_layer * GPT2.n_embd**2 / 1e6,
    "attention-causal-mask-entry-count": lambda: int((~causal_mask(1024)).sum()),
    "attention-dot-product-std": lambda: math.sqrt(64),
    "attention-score-macs": lambda: attention_macs(1024, 768),
    "attention-kv-cache-token-passes": lambda: sum(range(1, 512 + 1)),
    "attention-kv-cache-memory-gpt2-small": lambda: kv_cache_bytes(
        GPT2.n_layer, GPT2.n_head, GPT2.n_embd // GPT2.n_head, GPT2.block_size, 2
    ),
    "attention-gqa-kv-cache-size": lambda: kv_cache_bytes(32, 8, 128, 4096, 2) / 2**20,
    "decoding-temperature-probability": lambda: F.softmax(torch.tensor([2.0, 1.0, 0.0]) / 0.5, -1)[
        0
    ].item(),
    "decoding-nucleus-size": lambda: nucleus_size([0.5, 0.2, 0.15, 0.1, 0.05], 0.9),
    "mlm-loss-batch-token-mean": batch_token_mean,
    "mlm-loss-random-token-share": random_token_share_percent,
    # Nats per token times tokens per byte, in bits: 2.8 nats/token over 250,000 tokens of 1 MB.
    "gpt-bits-per-byte-comparison": lambda: 2.8 * 250_000 / (math.log(2) * 1_000_000),
    # GPT-3 175B (Table 2.1): 96 heads, 2,048 positions, a 2-byte score per pair, in MiB.
    "attention-gpt3-score-matrix-memory": lambda: 96 * 2048**2 * 2 / 2**20,
    # SwiGLU has three d x d_ff matrices; equal to the 4d FFN's two when d_ff = 8d / 3.
    "architecture-swiglu-hidden-width": lambda: (
        2 * GPT2.n_embd * 4 * GPT2.n_embd / (3 * GPT2.n_embd)
    ),
    # GPT-2 / nanoGPT: residual projections get std 0.02 / sqrt(2 * n_layer).
    "architecture-residual-init-scaling": lambda: 0.02 / math.sqrt(2 * GPT2.n_layer),
    "decoding-top-k-then-top-p": lambda: top_k_then_top_p([0.5, 0.2, 0.15, 0.1, 0.05], 3, 0.8),
    # Leviathan et al. 2022, Eq. 1: (1 - a^(g+1)) / (1 - a) tokens per step.
    "decoding-speculative-expected-tokens": lambda: (1 - 0.8**5) / (1 - 0.8),
    # An untrained model spreads probability evenly: loss ln V (BERT's 30,522 WordPieces); NSP ln 2.
    "mlm-loss-uniform-baseline-ln-v": lambda: F.cross_entropy(
        torch.zeros(1, 30522), torch.tensor([0])
    ).item(),
    "nsp-loss-chance-level": lambda: F.cross_entropy(torch.zeros(1, 2), torch.tensor([0])).item(),
    "gpt2-medium-param-count": lambda: count_params(PRESETS["gpt2-medium"])["total"],
    # C = 6 N D with GPT-3's 175B parameters and 300B training tokens, in units of 1e23 FLOPs.
    "gpt3-training-compute": lambda: 6 * 175e9 * 300e9 / 1e23,
    # ZeRO Section 3.1: fp16 weights and gradients (2 + 2) plus fp32 weights, momentum, variance (12).
    "adam-mixed-precision-memory": lambda: (2 + 2 + 4 + 4 + 4) * 7.5e9 / 1e9,
    # ALBERT: V x E + E x H with V = 30,000, E = 128, H = 768.
    "albert-factorized-embedding-params": lambda: 30_000 * 128 + 128 * 768,
    # DistilBERT: BERT-base with 6 layers, no segment embeddings, no pooler.
    "distilbert-param-count": lambda: count_params(
        replace(PRESETS["bert-base"], n_layer=6, type_vocab_size=0, pooler=False)
    )["total"],
    # Original BERT's create_pretraining_data.py: min(max_predictions, max(1, round(n * 0.15))).
    "mlm-selected-count-original-bert": lambda: min(20, max(1, round(128 * 0.15))),
    # Alignment (recomputed with their context in tests/test_bank_claims_alignment.py).
    # LoRA adds r * (d_in + d_out) per adapted matrix.
    "alignment-lora-param-count-4096": lambda: 8 * (4096 + 4096),
    "alignment-lora-gpt3-qv-rank4": lambda: 96 * 2 * 4 * (12288 + 12288),
    "alignment-reward-model-comparisons-k9": lambda: math.comb(9, 2),
    # DPO: -log sigmoid(beta * margin); margin 0 at the start, (3 - (-7)) with beta 0.1.
    "alignment-dpo-initial-loss": lambda: -F.logsigmoid(torch.tensor(0.0)).item(),
    "alignment-dpo-loss-margin": lambda: -F.logsigmoid(torch.tensor(0.1 * (3 - (-7)))).item(),
    # Label smoothing eps 0.1 over 10 classes: targets 0.91 and 0.01, gap ln(0.91 / 0.01).
    "alignment-label-smoothing-logit-gap": lambda: math.log(0.91 / 0.01),
    # Two 7B models with mixed-precision Adam (16 B/param) + two frozen in bf16 (2 B/param).
    "alignment-ppo-memory-7b": lambda: (2 * 16 + 2 * 2) * 7e9 / 1e9,
    # Mixtral 8x7B, billions used per token: 32 layers of attention (GQA, 8 KV heads of 128),
    # 2 of 8 SwiGLU experts, router and norms, plus untied embedding and head and a final norm.
    "llm-arch-mixtral-active-params": lambda: (
        (
            32 * (2 * 4096**2 + 2 * 4096 * 1024 + 2 * 3 * 4096 * 14336 + 4096 * 8 + 2 * 4096)
            + 2 * 32000 * 4096
            + 4096
        )
        / 1e9
    ),
    # Switch Transformer: tokens / experts x capacity factor.
    "llm-arch-moe-capacity": lambda: 4096 / 64 * 1.25,
    # Sinusoidal encodings: d/2 (sin, cos) pairs of length 1 each.
    "positions-sinusoid-norm": lambda: math.sqrt(512 / 2),
    # RoPE, d = 128, base 10,000: 2 pi / theta_63 = 2 pi 10000^(126/128) tokens.
    "positions-rope-slowest-wavelength": lambda: 2 * math.pi * 10_000 ** (126 / 128),
    # Position interpolation from 2,048 to 8,192 positions: m L / L'.
    "positions-pi-position-index": lambda: 5000 * 2048 / 8192,
    # ALiBi with 16 heads: first slope 2^(-8/16).
    "positions-alibi-slopes-16-heads": lambda: 2 ** (-8 / 16),
    # Pre-training (with their context in tests/test_bank_claims_pretraining.py).
    # fp16: (2 - 2^-10) x 2^15; bf16: 7 mantissa bits, gap 2^-7 after 1.0.
    "pretrain-fp16-largest-value": lambda: torch.finfo(torch.float16).max,
    "pretrain-bf16-gap-after-one": lambda: torch.finfo(torch.bfloat16).eps,
    # ZeRO-3: 16 bytes per parameter of 7B, sharded over 8 GPUs, in GB.
    "pretrain-zero3-per-gpu-memory": lambda: 16 * 7e9 / 8 / 1e9,
    # fp32 weight + gradient + one momentum buffer, 4 bytes each.
    "pretrain-sgd-momentum-bytes": lambda: 3 * torch.finfo(torch.float32).bits / 8,
    # Korthikanti et al. Eq. 1, sbh(34 + 5as/h) bytes, GPT-3 175B layer, s = 2048, b = 1, in GB.
    "pretrain-activation-memory-per-layer": lambda: (
        2048 * 12288 * (34 + 5 * 96 * 2048 / 12288) / 1e9
    ),
    # Cosine halfway between 6e-4 and 6e-5, in units of 1e-4.
    "pretrain-cosine-lr-at-step": lambda: (
        (6e-5 + 0.5 * (1 + math.cos(math.pi * 0.5)) * 5.4e-4) / 1e-4
    ),
    # Exact match over 10 independent tokens right with p = 0.9.
    "pretrain-exact-match-sharpness": lambda: round(0.9**10, 3),
    # 2.5 nats per token x 1.3 tokens per word, exponentiated.
    "pretrain-word-perplexity-from-tokens": lambda: math.exp(2.5 * 1.3),
    # Kaplan et al. Eq. 1.1: L(10N) / L(N) = 10^-0.076.
    "pretrain-kaplan-ten-times-params": lambda: 10**-0.076,
    # Chinchilla's fit E + A/N^a + B/D^b at N = 70e9, D = 1.4e12.
    "pretrain-chinchilla-parametric-loss": lambda: 1.69 + 406.4 / 70e9**0.34 + 410.7 / 1.4e12**0.28,
    # 6ND FLOPs over 1024 GPUs x 312 TFLOP/s x 40 % MFU, in days.
    "pretrain-training-days-from-6nd": lambda: 6 * 7e9 * 2e12 / (1024 * 312e12 * 0.4) / 86_400,
    # Padded rows 100, 400, 1000, 2048, 452 of 2048 positions: padding share.
    "pretrain-packing-padding-waste": lambda: (5 * 2048 - 4000) / (5 * 2048),
    # Llama 3's RoPE base 500,000, d = 128: 2 pi 500000^(126/128) tokens per turn of pair 63.
    "positions-rope-base-500k": lambda: 2 * math.pi * 500_000 ** (126 / 128),
    # LLaMA-7B FFN: int(2/3 * 4 * 4096) rounded up to a multiple of 256.
    "llm-arch-llama-ffn-hidden": lambda: 256 * math.ceil(int(2 * 4 * 4096 / 3) / 256),
    # YaRN with s = 16: q and k scaled by 0.1 ln s + 1, so the logits by its square.
    "positions-yarn-temperature": lambda: (0.1 * math.log(16) + 1) ** 2,
    # T5 decoder buckets: offset 100 -> 16 + floor(ln(100/16) / ln(128/16) * 16).
    "positions-t5-relative-bucket": lambda: 16 + int(math.log(100 / 16) / math.log(8) * 16),
    # Serving (recomputed with real tensors and FLOP counts in tests/test_bank_claims_serving.py).
    "serving-decode-ridge-batch": lambda: 312e12 / 2.0e12,  # 1 FLOP per byte per sequence
    "serving-decode-latency-floor": lambda: 7e9 * 2 / 2.0e12 * 1000,  # ms per token
    "serving-kv-cache-batch-budget": lambda: 40 * 2**30 // kv_cache_bytes(32, 32, 128, 4096, 2),
    "serving-rolling-buffer-cache-ratio": lambda: 32_768 / 4096,
    "serving-speculative-acceptance-rate": lambda: sum(map(min, [0.5, 0.3, 0.2], [0.2, 0.5, 0.3])),
    "serving-int4-70b-weights-gb": lambda: 70e9 * 4 / 8 / 1e9,
    "serving-finetune-vs-inference-memory": lambda: (2 + 2 + 4 + 4 + 4) / 2,
    "serving-decode-flops-per-token": lambda: 2 * 7e9 / 1e9,
    "serving-prefill-time-floor": lambda: 2 * 7e9 * 2048 / 312e12 * 1000,  # ms
    "serving-llama2-70b-kv-per-token": lambda: kv_cache_bytes(80, 8, 128, 1, 2) / 2**10,
    "serving-absmax-int8-outlier": lambda: round(127 * 0.5 / 60),
    "serving-linear-attention-state-size": lambda: 128**2 / (2 * 128),
    # BERT family and generation (with their context in tests/test_bank_claims_bert_family.py).
    # Two masks filled from their marginals 0.5/0.25/0.25: mass off the real pairs, 1 - sum p^2.
    "mlm-independence-mismatch-mass": lambda: 1 - (0.5**2 + 0.25**2 + 0.25**2),
    # A random factorisation order: each of the other 511 tokens comes first with probability 1/2.
    "xlnet-average-visible-context": lambda: 511 / 2,
    # Metropolis-Hastings: min(1, pi(x') g(x|x') / (pi(x) g(x'|x))).
    "cgmh-delete-acceptance": lambda: min(1.0, 6e-6 * 0.25 / (2e-6 * 1.0)),
    # A row of the 128 x 128 similarity matrix, minus the masked diagonal and the one positive.
    "simbert-in-batch-negatives": lambda: 128 - 1 - 1,
    # WordPiece's first merge on hug/pug/pun/bun/hugs: (##g, ##s), 5 / (20 * 5).
    "wordpiece-merge-score-example": lambda: 5 / (20 * 5),
    # UniLM's seq2seq mask, 6 source + 4 target tokens: 6 * 6 + (7 + 8 + 9 + 10).
    "unilm-seq2seq-mask-visible-pairs": lambda: 6 * 6 + sum(6 + k for k in range(1, 5)),
}

# Figures quoted from the source the question cites, with where they stand.
QUOTED: dict[str, tuple[float, str]] = {
    "gpt2-vocab-size": (
        50257,
        "GPT-2 paper, Section 2.3 ('The vocabulary is expanded to 50,257'): 256 byte symbols"
        " (Section 2.2) + 50,000 merges (openai/gpt-2 vocab.bpe) + <|endoftext|>",
    ),
    "bert-uncased-vocab-size": (30522, "bert-base-uncased vocab.txt / BertConfig vocab_size"),
    "t5-pegasus-summary-share": (10, "ZhuiyiTechnology/t5-pegasus README: about n/4 of n = 40"),
    "scibert-vocabulary-overlap": (
        42,
        "SciBERT, Section 2: token overlap of BaseVocab and SciVocab",
    ),
}


def test_every_numeric_question_is_checked():
    assert set(NUMERIC) == set(COMPUTED) | set(QUOTED)


@pytest.mark.parametrize("qid", sorted(COMPUTED))
def test_numeric_answer_matches_the_computation(qid):
    numeric = NUMERIC[qid].numeric
    assert abs(COMPUTED[qid]() - numeric.value) <= numeric.tolerance + 1e-9 * abs(numeric.value)


@pytest.mark.parametrize("qid", sorted(QUOTED))
def test_numeric_answer_matches_the_quote(qid):
    assert NUMERIC[qid].numeric.value == QUOTED[qid][0]
