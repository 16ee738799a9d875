import pytest
import torch

transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()

from minimodels.hf import (  # noqa: E402
    bert_config_from_hf,
    gpt_config_from_hf,
    load_hf_bert,
    load_hf_gpt2,
)


def perturb(model, seed):
    """HF initialises biases to 0 and LayerNorms to 1/0; randomise everything so that a bias or
    LayerNorm loaded into the wrong place cannot hide."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model.eval()


@pytest.fixture(scope="module")
def hf_gpt2():
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=97,
        n_positions=24,
        n_embd=48,
        n_layer=2,
        n_head=4,
        bos_token_id=0,
        eos_token_id=0,
    )
    return perturb(transformers.GPT2LMHeadModel(config), 1)


@pytest.fixture(scope="module")
def hf_bert():
    torch.manual_seed(0)
    config = transformers.BertConfig(
        vocab_size=97, max_position_embeddings=24, hidden_size=48, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=96,
    )  # fmt: skip
    return perturb(transformers.BertForPreTraining(config), 2)


def tokens(seed, shape=(3, 24)):
    return torch.randint(97, shape, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def test_gpt2_logits_match(hf_gpt2):
    config = gpt_config_from_hf(hf_gpt2.config.to_dict())
    assert (config.norm_eps, config.gelu) == (1e-5, "tanh")
    ours = load_hf_gpt2(hf_gpt2.state_dict(), config)
    x = tokens(3)
    torch.testing.assert_close(ours(x), hf_gpt2(x).logits, atol=1e-4, rtol=0)


@torch.no_grad()
def test_gpt2_with_the_wrong_gelu_would_be_caught(hf_gpt2):
    config = gpt_config_from_hf(hf_gpt2.config.to_dict())
    config.gelu = "none"
    ours = load_hf_gpt2(hf_gpt2.state_dict(), config)
    x = tokens(3)
    assert (ours(x) - hf_gpt2(x).logits).abs().max() > 1e-4


@torch.no_grad()
def test_bert_logits_match_with_padding_and_segments(hf_bert):
    config = bert_config_from_hf(hf_bert.config.to_dict())
    assert (config.norm_eps, config.gelu) == (1e-12, "none")
    ours = load_hf_bert(hf_bert.state_dict(), config)
    x = tokens(4)
    am = torch.ones_like(x)
    am[1, 15:] = 0
    am[2, 6:] = 0
    tt = torch.zeros_like(x)
    tt[:, 10:] = 1
    theirs = hf_bert(input_ids=x, token_type_ids=tt, attention_mask=am)
    mine = ours(x, tt, am)
    torch.testing.assert_close(mine.mlm_logits, theirs.prediction_logits, atol=1e-4, rtol=0)
    torch.testing.assert_close(mine.nsp_logits, theirs.seq_relationship_logits, atol=1e-4, rtol=0)


@torch.no_grad()
def test_bert_encoder_only_and_old_gamma_beta_names(hf_bert):
    renamed = {"LayerNorm.weight": "LayerNorm.gamma", "LayerNorm.bias": "LayerNorm.beta"}
    old_style = {}
    for k, v in hf_bert.state_dict().items():
        for new, old in renamed.items():
            k = k.replace(new, old)
        old_style[k] = v
    config = bert_config_from_hf(hf_bert.config.to_dict(), mlm_head=False, nsp_head=False)
    ours = load_hf_bert(old_style, config)
    x = tokens(5)
    theirs = hf_bert.bert(input_ids=x)
    mine = ours(x)
    torch.testing.assert_close(mine.hidden, theirs.last_hidden_state, atol=1e-4, rtol=0)
    torch.testing.assert_close(mine.pooled, theirs.pooler_output, atol=1e-4, rtol=0)
