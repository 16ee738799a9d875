"""Figures in the pre-training questions, recomputed: each test names the question it backs and
checks the question's numeric value against the computation, so that neither can drift alone."""

import math

import pytest
import torch
import yaml

from tests.bankfixtures import REPO

BANK = REPO / "questions" / "pretraining"


def value_of(question_id: str) -> float:
    data = yaml.safe_load((BANK / f"{question_id}.yaml").read_text(encoding="utf-8"))
    return data["numeric"]["value"]


def test_float_formats_range_and_epsilon():
    fp16, bf16, fp32 = torch.finfo(torch.float16), torch.finfo(torch.bfloat16), torch.finfo()
    # fp16: largest exponent 30 - 15 = 15, largest significand 2 - 2^-10.
    assert fp16.max == (2 - 2**-10) * 2**15 == value_of("pretrain-fp16-largest-value") == 65504
    assert torch.tensor(65520.0).half().isinf()  # halfway to the next step rounds up to inf
    # bf16: 7 mantissa bits, so the gap after 1.0 is 2^-7; fp32's range.
    assert bf16.eps == 2**-7 == value_of("pretrain-bf16-gap-after-one")
    assert bf16.max / fp32.max == pytest.approx(1, rel=0.01)
    one = torch.tensor(1.0)
    assert one.bfloat16() + torch.tensor(0.001).bfloat16() == 1  # the update is lost
    assert one.half() + torch.tensor(0.001).half() > 1  # fp16's gap at 1 is 2^-10 < 0.001 * 2
    assert (one.bfloat16() + torch.tensor(0.004).bfloat16()).item() == 1 + 2**-7  # above half


def test_zero_stages_per_gpu():
    psi, gpus = 7e9, 8
    stage1 = (4 * psi + 12 * psi / gpus) / 1e9
    stage2 = (2 * psi + 14 * psi / gpus) / 1e9
    stage3 = 16 * psi / gpus / 1e9
    assert 16 * psi / 1e9 == 112
    assert (stage1, stage2) == (38.5, 26.25)
    assert stage3 == value_of("pretrain-zero3-per-gpu-memory") == 14


def test_activation_memory_of_a_gpt3_layer():
    s, b, h, a = 2048, 1, 12288, 96
    assert 5 * a * s / h == 80
    per_layer = s * b * h * (34 + 5 * a * s / h)  # bytes, Korthikanti et al. Eq. 1
    assert per_layer == 2048 * 12288 * 114
    assert per_layer / 1e9 == pytest.approx(
        value_of("pretrain-activation-memory-per-layer"), abs=0.01
    )
    assert 96 * per_layer / 1e9 == pytest.approx(275, abs=1)


def test_global_norm_clipping_keeps_the_direction():
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.zeros(n)) for n in (1000, 3000, 50)]
    for p in params:
        p.grad = torch.randn(p.shape)
    flat = torch.cat([p.grad for p in params])
    for p in params:  # make the global norm exactly 4.0
        p.grad *= 4.0 / flat.norm()
    before = torch.cat([p.grad for p in params]).clone()
    returned = torch.nn.utils.clip_grad_norm_(params, 1.0)
    after = torch.cat([p.grad for p in params])
    assert returned.item() == pytest.approx(4.0)  # the norm before clipping
    assert after.norm().item() == pytest.approx(1.0, rel=1e-5)
    assert torch.allclose(after, before / 4, atol=1e-7)  # every entry scaled by the same factor
    # Per-layer clipping would give each layer norm 1 instead: a different vector.
    assert not math.isclose(params[2].grad.norm().item(), 1.0, rel_tol=1e-3)
    # Clipping values at +-1 would leave these small entries (a norm of 4 over 4050) untouched.
    values = before.clone().clamp(-1.0, 1.0)
    assert torch.equal(values, before)


def test_z_loss_fixes_the_offset_cross_entropy_ignores():
    import torch.nn.functional as F

    logits = torch.tensor([[2.0, -1.0, 0.5, 3.0]])
    target = torch.tensor([3])
    shifted = logits + 50.0  # the same softmax, a drifted offset
    assert F.cross_entropy(logits, target) == pytest.approx(F.cross_entropy(shifted, target).item())
    offset = torch.zeros(1, requires_grad=True)
    log_z = torch.logsumexp(shifted + offset, dim=-1)
    z_loss = 1e-4 * (log_z**2).sum()
    z_loss.backward()
    # d(1e-4 log^2 Z)/d(offset) = 2e-4 log Z: it pulls the offset back while log Z is not 0.
    assert offset.grad.item() == pytest.approx(2e-4 * log_z.item(), rel=1e-5)
    assert log_z.item() > 50
    # The answer's bf16 figure: numbers in [512, 1024) are 2^(9-7) = 4 apart.
    assert torch.tensor(1001.0).bfloat16().item() == 1000.0
    assert torch.tensor(1003.0).bfloat16().item() == 1004.0


def test_cosine_schedule_halfway():
    from minimodels.train import TrainConfig, lr_at

    config = TrainConfig(steps=600_000, lr=6e-4, min_lr=6e-5, warmup_steps=2000)
    lr = lr_at(301_000, config)
    assert lr == pytest.approx(3.3e-4)
    assert lr / 1e-4 == pytest.approx(value_of("pretrain-cosine-lr-at-step"))
    assert lr_at(600_000, config) == pytest.approx(6e-5)  # the floor at the end
    assert lr_at(1999, config) == pytest.approx(6e-4 * 2000 / 2001)  # the top of the warm-up


def test_exact_match_is_p_to_the_length():
    scores = [p**10 for p in (0.7, 0.8, 0.9)]
    assert [round(s, 3) for s in scores] == [
        0.028,
        0.107,
        value_of("pretrain-exact-match-sharpness"),
    ]
    # Simulated: 10 independent tokens right with p = 0.9, all of them right.
    gen = torch.Generator().manual_seed(0)
    right = torch.rand(200_000, 10, generator=gen) < 0.9
    assert right.all(dim=1).float().mean().item() == pytest.approx(0.349, abs=0.005)


def test_word_perplexity_from_token_loss():
    nats_per_token, tokens_per_word = 2.5, 1.3
    per_word = math.exp(nats_per_token * tokens_per_word)
    assert per_word == pytest.approx(value_of("pretrain-word-perplexity-from-tokens"), abs=0.01)
    assert math.exp(nats_per_token) == pytest.approx(12.18, abs=0.01)
    # The vocab-trap question's conversion: log2 of per-token perplexity / chars per token.
    assert math.log2(14) == pytest.approx(3.81, abs=0.01)
    assert math.log2(54) / 2.1 == pytest.approx(2.74, abs=0.01)


def test_kaplan_and_chinchilla_laws():
    assert pytest.approx(value_of("pretrain-kaplan-ten-times-params"), abs=0.001) == 10**-0.076
    assert pytest.approx(0.95, abs=0.002) == 2**-0.076  # Kaplan et al.'s "factor 2^-aN = 0.95"
    E, A, B, alpha, beta = 1.69, 406.4, 410.7, 0.34, 0.28

    def loss(n, d):
        return E + A / n**alpha + B / d**beta

    chinchilla = loss(70e9, 1.4e12)
    assert chinchilla == pytest.approx(value_of("pretrain-chinchilla-parametric-loss"), abs=0.01)
    assert round(loss(280e9, 300e9), 2) == 1.99  # Gopher
    assert round(loss(175e9, 300e9), 2) == 2.00  # GPT-3's size and tokens
    assert beta / (alpha + beta) == pytest.approx(0.45, abs=0.005)


def test_training_days_from_six_n_d():
    flops = 6 * 7e9 * 2e12
    per_second = 1024 * 312e12 * 0.40
    days = flops / per_second / 86_400
    assert flops == pytest.approx(8.4e22)
    assert days == pytest.approx(value_of("pretrain-training-days-from-6nd"), abs=0.05)


def test_padding_waste_and_packing():
    context, docs = 2048, [100, 400, 1000, 2500]
    rows = [100, 400, 1000, 2048, 2500 - 2048]  # one document per row, the long one split
    waste = (len(rows) * context - sum(docs)) / (len(rows) * context)
    assert waste == pytest.approx(value_of("pretrain-packing-padding-waste"), abs=0.001)
    packed_tokens = sum(docs) + len(docs)  # an end-of-text token after each document
    packed_rows = math.ceil(packed_tokens / context)
    assert packed_rows == 2
    assert (packed_rows * context - packed_tokens) / (packed_rows * context) < 0.03


def test_gradient_accumulation_needs_the_global_token_count():
    import torch.nn.functional as F

    torch.manual_seed(0)
    weight = torch.randn(8, 5, requires_grad=True)
    counts = [3, 10, 1, 6]  # real tokens per micro-batch
    micro = [(torch.randn(n, 8), torch.randint(5, (n,))) for n in counts]

    def grad(loss_fn):
        weight.grad = None
        for x, y in micro:
            loss_fn(x, y).backward()
        return weight.grad.clone()

    x_all = torch.cat([x for x, _ in micro])
    y_all = torch.cat([y for _, y in micro])
    weight.grad = None
    F.cross_entropy(x_all @ weight, y_all).backward()
    big_batch = weight.grad.clone()

    mean_of_means = grad(lambda x, y: F.cross_entropy(x @ weight, y) / len(micro))
    summed = grad(lambda x, y: F.cross_entropy(x @ weight, y, reduction="sum") / sum(counts))
    assert torch.allclose(summed, big_batch, atol=1e-6)
    assert not torch.allclose(mean_of_means, big_batch, atol=1e-3)
    # With equal counts (packed rows) the mean of means is exact.
    micro = [(torch.randn(5, 8), torch.randint(5, (5,))) for _ in range(4)]
    x_all = torch.cat([x for x, _ in micro])
    y_all = torch.cat([y for _, y in micro])
    weight.grad = None
    F.cross_entropy(x_all @ weight, y_all).backward()
    big_batch = weight.grad.clone()
    assert torch.allclose(
        grad(lambda x, y: F.cross_entropy(x @ weight, y) / 4), big_batch, atol=1e-6
    )


def test_canonical_tokenization_is_a_lower_bound():
    from minimodels.tokenizers import ByteBPETokenizer

    # A byte-level BPE whose merges make "ab" one token: "ab" is also spelled by "a" + "b".
    tok = ByteBPETokenizer([(ord("a"), ord("b"))])
    ab, a, b = tok.encode("ab")[0], ord("a"), ord("b")
    assert tok.encode("ab") == [ab] and tok.decode([a, b]) == tok.decode([ab]) == "ab"
    # A unigram model with an end-of-text token: every token sequence ending in it has a probability.
    p = {ab: 0.2, a: 0.3, b: 0.3, "eot": 0.2}
    canonical = p[ab] * p["eot"]
    marginal = canonical + p[a] * p[b] * p["eot"]  # both token sequences that spell "ab"
    assert marginal > canonical
    assert -math.log2(canonical) > -math.log2(marginal)  # the canonical score overstates the bits


def test_critical_batch_size_grows_as_the_loss_falls():
    def critical(loss):  # Kaplan et al. Eq. 1.4, in millions of tokens
        return 2e8 / loss ** (1 / 0.21) / 1e6

    assert [round(critical(loss), 2) for loss in (4, 3, 2)] == [0.27, 1.07, 7.37]
    assert critical(0.87 * 3) / critical(3) == pytest.approx(2, rel=0.05)  # 13 % lower loss
