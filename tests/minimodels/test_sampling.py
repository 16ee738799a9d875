import torch

from minimodels.bert import Bert, BertConfig
from minimodels.sampling import gibbs_chain, gibbs_sample

V, CLS, SEP, MASK = 40, 2, 3, 4
SPECIAL = [0, 1, 2, 3, 4]


def model():
    torch.manual_seed(0)
    return Bert(BertConfig(vocab_size=V, max_position=16, n_layer=1, n_head=2, n_embd=32,
                           n_inner=64, pooler=False, nsp_head=False))  # fmt: skip


def chain(m, seed, **kw):
    kw = {"iterations": 60, "burn_in": 30, "top_k": 5, **kw}
    g = torch.Generator().manual_seed(seed)
    return list(gibbs_chain(m, 10, cls_id=CLS, sep_id=SEP, mask_id=MASK, special_ids=SPECIAL,
                            n_samples=3, generator=g, **kw))  # fmt: skip


def test_each_iteration_rewrites_at_most_one_position_and_keeps_cls_sep():
    states = chain(model(), 0)
    assert len(states) == 60
    for a, b in zip(states, states[1:], strict=False):
        assert ((a != b).sum(dim=1) <= 1).all()
    last = states[-1]
    assert last.shape == (3, 12)
    assert (last[:, 0] == CLS).all() and (last[:, -1] == SEP).all()
    assert not torch.isin(states[-1][:, 1:-1], torch.tensor(SPECIAL)).any()  # all masks filled


def test_after_burn_in_top_1_writes_the_models_argmax():
    m = model()
    states = chain(m, 1, burn_in=0, top_k=1, iterations=20)
    for before, after in zip(states, states[1:], strict=False):
        for row in range(3):
            changed = (before[row] != after[row]).nonzero()
            if len(changed):
                pos = changed.item()
                masked = after[row].clone()
                masked[pos] = MASK
                logits = m(masked[None]).mlm_logits[0, pos]
                logits[SPECIAL] = float("-inf")
                assert after[row, pos] == logits.argmax()


def test_sampling_is_deterministic_under_a_seed():
    m = model()
    a = gibbs_sample(m, 10, cls_id=CLS, sep_id=SEP, mask_id=MASK, special_ids=SPECIAL,
                     iterations=30, generator=torch.Generator().manual_seed(2))  # fmt: skip
    b = gibbs_sample(m, 10, cls_id=CLS, sep_id=SEP, mask_id=MASK, special_ids=SPECIAL,
                     iterations=30, generator=torch.Generator().manual_seed(2))  # fmt: skip
    assert torch.equal(a, b)
    assert a.shape == (1, 12)
