import math

import torch
import torch.nn.functional as F

from minimodels.masking import IGNORE_INDEX, mask_tokens, masked_lm_loss, nsp_pairs, pack_pair

V = 1000
PAD, UNK, CLS, SEP, MASK = range(5)
SPECIAL = [PAD, UNK, CLS, SEP, MASK]


def batch(seed=0, rows=40, cols=504):
    """20,160 ordinary tokens, each row [CLS] ... [SEP] [PAD] [PAD] with ordinary tokens in between."""
    x = torch.randint(5, V, (rows, cols), generator=torch.Generator().manual_seed(seed))
    x[:, 0], x[:, -3], x[:, -2:] = CLS, SEP, PAD
    return x


def corrupt(x, seed=0, p=0.15):
    g = torch.Generator().manual_seed(seed)
    return mask_tokens(x, mask_id=MASK, special_ids=SPECIAL, vocab_size=V, p=p, generator=g)


def test_rates_match_bert_within_four_standard_deviations():
    x = batch()
    ordinary = ~torch.isin(x, torch.tensor(SPECIAL))
    inputs, labels = corrupt(x)
    selected = labels != IGNORE_INDEX
    masked = selected & (inputs == MASK)
    replaced = selected & (inputs != MASK) & (inputs != x)
    unchanged = selected & (inputs == x)
    m = ordinary.sum().item()  # only ordinary tokens can be selected
    expected = [(selected, 0.15), (masked, 0.12), (replaced, 0.015), (unchanged, 0.015)]
    for observed, share in expected:
        sd = math.sqrt(share * (1 - share) / m)
        assert abs(observed.sum().item() / m - share) < 4 * sd, (observed.sum().item(), share)
    assert m >= 20_000
    assert not (selected & ~ordinary).any()  # no special token is ever selected
    assert torch.equal(inputs[~ordinary], x[~ordinary])


def test_labels_hold_the_original_token_only_where_selected():
    x = batch(1)
    inputs, labels = corrupt(x, seed=1)
    selected = labels != IGNORE_INDEX
    assert torch.equal(labels[selected], x[selected])
    assert (labels[~selected] == IGNORE_INDEX).all()
    assert torch.equal(inputs[~selected], x[~selected])  # unselected tokens are untouched


def test_random_replacements_are_never_special_tokens():
    x = batch(2)
    inputs, labels = corrupt(x, seed=2, p=1.0)  # select everything ordinary
    replaced = (labels != IGNORE_INDEX) & (inputs != MASK) & (inputs != x)
    assert replaced.sum() > 1500
    assert not torch.isin(inputs[replaced], torch.tensor(SPECIAL)).any()


def test_masking_is_deterministic_under_a_seed():
    x = batch(3)
    a, b, c = corrupt(x, seed=5), corrupt(x, seed=5), corrupt(x, seed=6)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_masked_lm_loss_is_the_mean_over_selected_positions():
    g = torch.Generator().manual_seed(7)
    logits = torch.randn(3, 12, 20, generator=g)
    labels = torch.full((3, 12), IGNORE_INDEX)
    positions = [(0, 1), (0, 5), (1, 0), (2, 11), (2, 3)]
    for r, c in positions:
        labels[r, c] = int(torch.randint(20, (1,), generator=g))
    log_probs = F.log_softmax(logits, dim=-1)
    by_hand = -sum(log_probs[r, c, labels[r, c]] for r, c in positions) / len(positions)
    torch.testing.assert_close(masked_lm_loss(logits, labels), by_hand)
    mean_over_all = F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten())
    assert abs(mean_over_all - by_hand) > 1e-3  # the ignored positions would change it


def test_nsp_pairs_are_half_true_next_half_from_another_document():
    docs = [[torch.tensor([100 * d + i]) for i in range(5)] for d in range(6)]
    pairs = nsp_pairs(docs, 4000, torch.Generator().manual_seed(8))
    is_next = [label == 0 for _, _, label in pairs]
    assert abs(sum(is_next) / 4000 - 0.5) < 4 * math.sqrt(0.25 / 4000)
    for a, b, label in pairs:
        doc_a, seg_a = divmod(a.item(), 100)
        doc_b, seg_b = divmod(b.item(), 100)
        if label == 0:
            assert (doc_b, seg_b) == (doc_a, seg_a + 1)
        else:
            assert doc_b != doc_a
    other_docs = {divmod(b.item(), 100)[0] for _, b, label in pairs if label == 1}
    assert other_docs == set(range(6))


def test_pack_pair_layout():
    ids, token_type = pack_pair(torch.tensor([7, 8]), torch.tensor([9, 10, 11]), CLS, SEP)
    assert ids.tolist() == [CLS, 7, 8, SEP, 9, 10, 11, SEP]
    assert token_type.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
