import math

import pytest
import torch

from minimodels.bert import Bert, BertConfig
from minimodels.masking import mask_tokens, masked_lm_loss

V = 70
CONFIG = BertConfig(vocab_size=V, max_position=32, n_layer=2, n_head=4, n_embd=64, n_inner=256)


def make(config=CONFIG, seed=0):
    torch.manual_seed(seed)
    return Bert(config).eval()


def ids(seed, shape=(2, 20)):
    return torch.randint(5, V, shape, generator=torch.Generator().manual_seed(seed))


def test_future_tokens_do_change_past_outputs():
    model = make()
    x = ids(1)
    t = 9
    changed = x.clone()
    changed[:, t + 1 :] = 5 + (x[:, t + 1 :] - 5 + 1) % (V - 5)
    a, b = model(x).mlm_logits, model(changed).mlm_logits
    assert (a[:, : t + 1] - b[:, : t + 1]).abs().amax(dim=-1).min() > 1e-4  # every position


def test_padding_is_invisible_to_real_tokens():
    model = make()
    x = ids(2)
    am = torch.ones_like(x)
    am[:, 12:] = 0
    other_padding = x.clone()
    other_padding[:, 12:] = 0
    a = model(x, attention_mask=am).hidden
    b = model(other_padding, attention_mask=am).hidden
    torch.testing.assert_close(a[:, :12], b[:, :12], atol=1e-5, rtol=0)
    without_mask = model(x).hidden
    assert (a[:, :12] - without_mask[:, :12]).abs().max() > 1e-3


def test_attention_maps_are_returned_for_every_layer():
    model = make()
    x = ids(3)
    am = torch.ones_like(x)
    am[1, 15:] = 0
    tt = torch.zeros_like(x)
    tt[:, 10:] = 1
    out = model(x, tt, am, return_attentions=True)
    assert len(out.attentions) == CONFIG.n_layer
    for w in out.attentions:
        assert w.shape == (2, 4, 20, 20)
        torch.testing.assert_close(w.sum(-1), torch.ones(2, 4, 20))
        assert w[1, :, :, 15:].max() == 0
    plain = model(x, tt, am)
    assert plain.attentions is None
    torch.testing.assert_close(out.mlm_logits, plain.mlm_logits, atol=1e-5, rtol=0)
    assert out.nsp_logits.shape == (2, 2) and out.pooled.shape == (2, 64)


def test_segment_ids_matter():
    model = make()
    x = ids(4)
    tt = torch.zeros_like(x)
    tt[:, 10:] = 1
    assert (model(x, tt).hidden - model(x).hidden).abs().max() > 1e-3


def test_initial_mlm_loss_is_close_to_ln_vocab_size():
    model = make(BertConfig(vocab_size=V, max_position=64, n_layer=4, n_head=4, n_embd=128,
                            n_inner=512))  # fmt: skip
    x = ids(5, (16, 64))
    inputs, labels = mask_tokens(x, mask_id=4, special_ids=range(5), vocab_size=V,
                                 generator=torch.Generator().manual_seed(0))  # fmt: skip
    loss = masked_lm_loss(model(inputs).mlm_logits, labels)
    assert abs(loss.item() - math.log(V)) < 0.1


def test_mlm_decoder_is_tied_to_the_word_embedding():
    model = make()
    assert model.mlm.word_embedding.weight is model.embeddings.tok_emb.weight
    n_unique = sum(p.numel() for p in model.parameters())
    n_listed = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    assert n_listed - n_unique == V * 64


def test_nsp_head_needs_the_pooler():
    with pytest.raises(ValueError, match="pooler"):
        BertConfig(pooler=False, nsp_head=True)
    model = make(BertConfig(vocab_size=V, max_position=32, n_layer=1, n_head=2, n_embd=16,
                            n_inner=32, pooler=False, nsp_head=False))  # fmt: skip
    out = model(ids(6))
    assert out.pooled is None and out.nsp_logits is None and out.mlm_logits.shape == (2, 20, V)
