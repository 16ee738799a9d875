import math

import pytest
import torch

from minimodels import train as train_module
from minimodels.bert import Bert, BertConfig
from minimodels.gpt import GPT, GPTConfig
from minimodels.tokenizers import BERT_SPECIALS, CharTokenizer
from minimodels.train import Batches, TrainConfig, lr_at, split_train_val, train

TEXT = "".join(
    f"Document {d}. Attention lets token {i} look at token {i + d}; the mask decides who sees whom.\n"
    for d in range(12)
    for i in range(6)
)
DOCUMENTS = [TEXT[i : i + 500] for i in range(0, len(TEXT), 500)]


def tiny_gpt(vocab_size, seed=0):
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=vocab_size, block_size=32, n_layer=2, n_head=2, n_embd=32))


def tiny_bert(vocab_size, seed=0):
    torch.manual_seed(seed)
    return Bert(BertConfig(vocab_size=vocab_size, max_position=32, n_layer=2, n_head=2, n_embd=32,
                           n_inner=64, dropout=0.0))  # fmt: skip


def quick(objective, **kw):
    defaults = dict(objective=objective, steps=30, batch_size=8, block_size=32, lr=3e-3,
                    warmup_steps=5, eval_every=10, eval_windows=16)  # fmt: skip
    return TrainConfig(**{**defaults, **kw})


def test_training_is_deterministic_under_a_seed():
    tok = CharTokenizer.train(TEXT)
    a = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, quick("clm"))
    b = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, quick("clm"))
    c = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, quick("clm", seed=1))
    assert a.losses == b.losses and a.val_losses == b.val_losses
    assert a.losses != c.losses


def test_callback_sees_every_step_and_can_stop_training():
    tok = CharTokenizer.train(TEXT)
    seen = []

    def callback(p):
        seen.append(p)
        return p.step == 20

    result = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, quick("clm"), callback)
    assert [p.step for p in seen] == list(range(1, 21))
    assert all(p.steps == 30 and p.tokens_per_s > 0 and math.isfinite(p.loss) for p in seen)
    assert all(b.elapsed >= a.elapsed for a, b in zip(seen, seen[1:], strict=False))
    assert [p.step for p in seen if p.val_loss is not None] == [10, 20]
    assert len(result.losses) == 20 and [s for s, _ in result.val_losses] == [10, 20]


@pytest.mark.parametrize("objective", ["clm", "mlm", "mlm+nsp"])
def test_every_objective_learns(objective):
    if objective == "clm":
        tok = CharTokenizer.train(TEXT)
        model = tiny_gpt(tok.vocab_size)
    else:
        tok = CharTokenizer.train(TEXT, specials=BERT_SPECIALS)
        model = tiny_bert(tok.vocab_size)
    result = train(model, tok, DOCUMENTS, quick(objective, steps=60, eval_every=0))
    first = sum(result.losses[:5]) / 5
    last = sum(result.losses[-5:]) / 5
    assert first > math.log(tok.vocab_size) - 0.3 + (0.6 if objective == "mlm+nsp" else 0)
    assert last < first - 0.5
    assert result.val_losses[-1][0] == 60


def test_split_is_the_last_tenth_of_the_token_stream():
    docs = [torch.arange(0, 50), torch.arange(50, 95), torch.arange(95, 100)]
    train_docs, val_docs = split_train_val(docs, 0.1)
    assert torch.equal(torch.cat(train_docs), torch.arange(90))
    assert torch.equal(torch.cat(val_docs), torch.arange(90, 100))


def test_whole_split_windows_make_every_token_a_target_once():
    config = TrainConfig(block_size=8)
    batches = Batches([torch.arange(1000)], config, None, torch.Generator())
    batch = batches.get(0, whole_split=True)
    targets = batch["y"].flatten()
    assert torch.equal(targets, torch.arange(1, len(targets) + 1))
    assert len(targets) > 1000 - 8 - 1


def test_mlm_nsp_batches_are_packed_pairs():
    tok = CharTokenizer.train(TEXT, specials=BERT_SPECIALS)
    docs = [torch.tensor(tok.encode(d)) for d in DOCUMENTS]
    config = TrainConfig(objective="mlm+nsp", block_size=33)
    batch = Batches(docs, config, tok, torch.Generator().manual_seed(0)).get(64)
    cls, sep = tok.token_to_id["[CLS]"], tok.token_to_id["[SEP]"]
    assert batch["x"].shape == (64, 33)  # [CLS] 15 [SEP] 15 [SEP]
    assert (batch["x"][:, 0] == cls).all() and (batch["x"][:, [16, 32]] == sep).all()
    assert (batch["token_type"][:, 17:] == 1).all() and (batch["token_type"][:, :17] == 0).all()
    assert 10 < batch["is_random"].sum() < 54


def test_schedule_warms_up_then_decays_to_min_lr():
    config = TrainConfig(steps=1000, warmup_steps=100, lr=1e-3, min_lr=1e-4)
    assert lr_at(0, config) < 2e-5
    assert lr_at(100, config) == pytest.approx(1e-3)
    assert lr_at(1000, config) == pytest.approx(1e-4)
    lrs = [lr_at(s, config) for s in range(100, 1001)]
    assert all(b <= a for a, b in zip(lrs, lrs[1:], strict=False))


def test_threads_are_set_once(monkeypatch):
    monkeypatch.setattr(train_module, "_threads", None)
    before = torch.get_num_threads()
    try:
        assert train_module.set_threads(1) == 1
        assert train_module.set_threads(2) == 1  # the first choice stays
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_muon_trains_the_block_matrices_and_adamw_the_rest():
    tok = CharTokenizer.train(TEXT)
    model = tiny_gpt(tok.vocab_size)
    muon, adamw = train_module.make_optimizers(model, quick("clm", optimizer="muon"))
    assert isinstance(muon, torch.optim.Muon) and isinstance(adamw, torch.optim.AdamW)
    names = {id(p): n for n, p in model.named_parameters()}
    in_muon = sorted(names[id(p)] for g in muon.param_groups for p in g["params"])
    in_adamw = sorted(names[id(p)] for g in adamw.param_groups for p in g["params"])
    per_block = ["attn.proj.weight", "attn.qkv.weight", "mlp.fc.weight", "mlp.proj.weight"]
    assert in_muon == [f"blocks.{i}.{n}" for i in range(2) for n in per_block]
    # Embeddings (the head is tied to tok_emb) and every vector stay on AdamW; nothing is left out.
    assert "tok_emb.weight" in in_adamw and "pos_emb.weight" in in_adamw
    assert all(p.dim() == 2 for g in muon.param_groups for p in g["params"])
    assert sorted(in_muon + in_adamw) == sorted(names.values())
    decayed = [names[id(p)] for g in adamw.param_groups if g["weight_decay"] for p in g["params"]]
    assert sorted(decayed) == ["pos_emb.weight", "tok_emb.weight"]


def test_muon_split_of_bert_keeps_heads_and_pooler_on_adamw():
    tok = CharTokenizer.train(TEXT, specials=BERT_SPECIALS)
    model = tiny_bert(tok.vocab_size)
    hidden, other, vectors = train_module.param_groups(model)
    names = {id(p): n for n, p in model.named_parameters()}
    assert {names[id(p)].split(".")[0] for p in hidden} == {"blocks"}
    assert len(hidden) == 2 * 4  # qkv, proj and the MLP's two layers, per block
    assert sorted(names[id(p)] for p in other) == [
        "embeddings.pos_emb.weight",
        "embeddings.seg_emb.weight",
        "embeddings.tok_emb.weight",
        "mlm.dense.weight",
        "nsp.weight",
        "pooler.weight",
    ]
    assert all(p.dim() == 1 for p in vectors)


def test_muon_learns_and_follows_the_schedule_at_its_own_rate(monkeypatch):
    tok = CharTokenizer.train(TEXT)
    config = quick("clm", optimizer="muon", steps=60, eval_every=0, muon_lr=0.02)
    rates = []
    original_step = torch.optim.Muon.step

    def record(self, *args, **kwargs):
        rates.append(self.param_groups[0]["lr"])
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Muon, "step", record)
    result = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, config)
    assert rates == pytest.approx([lr_at(s, config) * 0.02 / config.lr for s in range(60)])
    first, last = sum(result.losses[:5]) / 5, sum(result.losses[-5:]) / 5
    assert last < first - 0.5
    again = train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, config)
    assert again.losses == result.losses  # deterministic under the seed


def test_unknown_optimizer_or_a_model_without_blocks_is_a_clear_error():
    tok = CharTokenizer.train(TEXT)
    with pytest.raises(ValueError, match="adamw"):
        train(tiny_gpt(tok.vocab_size), tok, DOCUMENTS, quick("clm", optimizer="sgd"))
    with pytest.raises(ValueError, match="blocks"):
        train_module.param_groups(torch.nn.Sequential(torch.nn.Linear(4, 4)))
