from dataclasses import replace

import pytest

from minimodels.params import PARTS, PRESETS, count_params, count_params_meta

PUBLISHED = {
    "gpt2-small": 124_439_808,
    "gpt2-medium": 354_823_168,
    "gpt2-large": 774_030_080,
    "gpt1": 116_534_784,
    "bert-base": 109_482_240,  # encoder + pooler
    "bert-base-no-pooler": 108_891_648,
    "bert-base-mlm": 109_514_298,  # MLM head, no pooler
    "bert-large": 335_141_888,  # encoder + pooler
}


@pytest.mark.parametrize("name", PUBLISHED)
def test_analytic_count_matches_the_published_total(name):
    assert count_params(PRESETS[name])["total"] == PUBLISHED[name]


@pytest.mark.parametrize("name", PUBLISHED)
def test_meta_device_count_matches_part_by_part(name):
    counted = count_params_meta(PRESETS[name])
    assert counted == count_params(PRESETS[name])
    assert counted["total"] == PUBLISHED[name]
    assert set(counted) == {*PARTS, "total"}


def test_breakdown_of_gpt2_small():
    parts = count_params(PRESETS["gpt2-small"])
    d = 768
    assert parts["embeddings"] == 50257 * d + 1024 * d
    assert parts["attention"] + parts["mlp"] + parts["norms"] - 2 * d == 12 * (12 * d * d + 13 * d)
    assert parts["heads"] == 0  # tied to the token embedding


def test_bert_heads():
    base = count_params(PRESETS["bert-base"])
    assert base["heads"] == 590_592  # the pooler: 768 * 768 + 768
    mlm = count_params(PRESETS["bert-base-mlm"])
    assert mlm["heads"] == 768 * 768 + 768 + 2 * 768 + 30522


def test_every_preset_agrees_and_switches_change_the_count():
    for config in PRESETS.values():
        assert count_params(config) == count_params_meta(config)
    small = PRESETS["gpt2-small"]
    assert count_params(replace(small, bias=False))["total"] < count_params(small)["total"]
    no_final = replace(small, final_norm=False)
    assert count_params_meta(no_final)["total"] == 124_439_808 - 2 * 768
