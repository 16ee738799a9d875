import math

import pytest
import torch
import torch.nn.functional as F

from minimodels.attention import KVCache
from minimodels.gpt import GPT, GPTConfig, generate, sample_next

V = 65
CONFIG = GPTConfig(vocab_size=V, block_size=32, n_layer=2, n_head=4, n_embd=64)


def make(config=CONFIG, seed=0):
    torch.manual_seed(seed)
    return GPT(config).eval()


def test_initial_loss_is_close_to_ln_vocab_size():
    model = make(GPTConfig(vocab_size=V, block_size=64, n_layer=4, n_head=4, n_embd=128))
    g = torch.Generator().manual_seed(1)
    idx = torch.randint(V, (8, 65), generator=g)
    logits = model(idx[:, :-1])
    loss = F.cross_entropy(logits.flatten(0, 1), idx[:, 1:].flatten())
    assert abs(loss.item() - math.log(V)) < 0.1


@pytest.mark.parametrize("pre_norm", [True, False])
def test_future_tokens_never_change_past_logits(pre_norm):
    model = make(GPTConfig(vocab_size=V, block_size=32, n_layer=2, n_head=4, n_embd=64,
                           pre_norm=pre_norm, final_norm=pre_norm))  # fmt: skip
    g = torch.Generator().manual_seed(2)
    idx = torch.randint(V, (2, 20), generator=g)
    t = 9
    changed = idx.clone()
    changed[:, t + 1 :] = (idx[:, t + 1 :] + 1 + torch.randint(V - 1, (2, 10), generator=g)) % V
    a, b = model(idx), model(changed)
    torch.testing.assert_close(a[:, : t + 1], b[:, : t + 1], atol=1e-6, rtol=0)
    assert (a[:, t + 1 :] - b[:, t + 1 :]).abs().max() > 1e-3


def test_residual_projections_start_smaller():
    model = make(GPTConfig(vocab_size=V, block_size=32, n_layer=8, n_head=4, n_embd=256))
    proj = model.blocks[0].attn.proj.weight.std().item()
    qkv = model.blocks[0].attn.qkv.weight.std().item()
    assert abs(qkv - 0.02) < 0.001
    assert abs(proj - 0.02 / math.sqrt(2 * 8)) < 0.0005
    assert model.lm_head.weight is model.tok_emb.weight


def test_a_single_batch_can_be_memorised():
    model = make()
    model.train()
    g = torch.Generator().manual_seed(3)
    idx = torch.randint(V, (4, 33), generator=g)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(150):
        logits = model(idx[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), idx[:, 1:].flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1


def test_cached_logits_equal_uncached_logits():
    model = make()
    idx = torch.randint(V, (2, 12), generator=torch.Generator().manual_seed(4))
    caches = [KVCache() for _ in model.blocks]
    first = model(idx[:, :5], caches)
    steps = [model(idx[:, i : i + 1], caches) for i in range(5, 12)]
    cached = torch.cat([first] + steps, dim=1)
    torch.testing.assert_close(cached, model(idx), atol=1e-5, rtol=0)


@pytest.mark.parametrize("new_tokens", [10, 40])  # 40 runs past block_size = 32
def test_greedy_generation_is_identical_with_and_without_cache(new_tokens):
    model = make()
    prompt = torch.randint(V, (3, 5), generator=torch.Generator().manual_seed(5))
    cached = generate(model, prompt, new_tokens, temperature=0, use_cache=True)
    uncached = generate(model, prompt, new_tokens, temperature=0, use_cache=False)
    assert cached.shape == (3, 5 + new_tokens)
    assert torch.equal(cached, uncached)
    assert torch.equal(cached[:, :5], prompt)


def test_sampling_is_reproducible_with_a_generator_and_cache_agnostic():
    model = make()
    prompt = torch.zeros(2, 1, dtype=torch.long)
    runs = [
        generate(
            model, prompt, 20, top_k=10, use_cache=c, generator=torch.Generator().manual_seed(6)
        )
        for c in (True, True, False)
    ]
    assert torch.equal(runs[0], runs[1])
    assert torch.equal(runs[0], runs[2])


def test_top_k_and_top_p_restrict_the_candidates():
    logits = torch.tensor([[3.0, 2.0, 1.0, 0.0, -1.0]]).repeat(2000, 1)
    g = torch.Generator().manual_seed(7)
    assert set(sample_next(logits, top_k=2, generator=g).unique().tolist()) == {0, 1}
    # softmax of the row: 0.636, 0.234, 0.086, ... ; top_p=0.8 keeps tokens 0 and 1 only
    assert set(sample_next(logits, top_p=0.8, generator=g).unique().tolist()) == {0, 1}
    assert set(sample_next(logits, top_p=0.5, generator=g).unique().tolist()) == {0}
    assert set(sample_next(logits, generator=g).unique().tolist()) == {0, 1, 2, 3, 4}
    assert torch.equal(sample_next(logits[:3], temperature=0), torch.zeros(3, 1, dtype=torch.long))


def test_low_temperature_concentrates_on_the_argmax():
    logits = torch.tensor([[1.0, 0.5, 0.0]]).repeat(4000, 1)
    g = torch.Generator().manual_seed(8)
    hot = (sample_next(logits, temperature=2.0, generator=g) == 0).float().mean()
    cold = (sample_next(logits, temperature=0.1, generator=g) == 0).float().mean()
    assert cold > 0.99 > 0.5 > hot
