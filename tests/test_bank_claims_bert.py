"""Claims in the `bert` and `sizes` questions that are computed rather than quoted.

Each test recomputes a figure a question states in its answer or its keyed option, from the
models in `minimodels` (built on the meta device, so the count is of real modules) or from the
arithmetic the answer describes. A question names the test in a source's `computed_by`.
"""

from dataclasses import replace

import torch

from minimodels.params import PRESETS, count_params, count_params_meta


def _share(part: int, total: int) -> float:
    return round(100 * part / total, 1)


def test_bert_base_embedding_share_is_about_22_percent():
    # bert-embedding-parameter-share: token + position + segment tables and their LayerNorm.
    counts = count_params_meta(PRESETS["bert-base"])
    config = PRESETS["bert-base"]
    embedding_layernorm = 2 * config.n_embd
    embeddings = counts["embeddings"] + embedding_layernorm
    assert counts["total"] == 109_482_240
    assert embeddings == 23_837_184
    assert _share(embeddings, counts["total"]) == 21.8
    assert _share(config.vocab_size * config.n_embd, counts["total"]) == 21.4


def test_bert_token_embeddings_are_21_percent_of_base_and_9_percent_of_large():
    # bert-strengths-weaknesses: the embedding table is not "much of the parameter budget".
    shares = {}
    for name in ("bert-base", "bert-large"):
        config = PRESETS[name]
        shares[name] = _share(config.vocab_size * config.n_embd, count_params_meta(config)["total"])
    assert shares == {"bert-base": 21.4, "bert-large": 9.3}


def test_gpt2_embedding_share_falls_from_small_to_xl():
    # embedding-share-small-vs-large: (V + n_ctx) d against the whole (tied) model.
    shares = {}
    for name in ("gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl"):
        counts = count_params_meta(PRESETS[name])
        shares[name] = _share(counts["embeddings"], counts["total"])
    assert shares == {"gpt2-small": 31.6, "gpt2-medium": 14.8, "gpt2-large": 8.5, "gpt2-xl": 5.3}


def test_gpt2_paper_counts_are_close_to_the_shapes_with_gpt1_vocabulary_and_context():
    # gpt2-117m-miscount: the observation (not OpenAI's explanation) that the paper's
    # 117M / 345M / 762M / 1542M match the four shapes counted with 40,478 tokens and 512 positions.
    millions = []
    for name in ("gpt2-small", "gpt2-medium", "gpt2-large", "gpt2-xl"):
        config = replace(PRESETS[name], vocab_size=40478, block_size=512)
        millions.append(round(count_params(config)["total"] / 1e6, 1))
    assert millions == [116.5, 344.3, 760.9, 1541.1]
    assert count_params(PRESETS["gpt2-small"])["total"] == 124_439_808  # the released weights


def test_summed_embeddings_equal_one_linear_map_of_the_concatenated_one_hots():
    # bert-embedding-sum-is-linear: sum of three lookups == stacked table applied to [o_t; o_s; o_p],
    # and concatenate-then-project-to-d == a sum of lookups in folded tables.
    generator = torch.Generator().manual_seed(0)
    vocab, segments, positions, d = 50, 2, 16, 8
    w_tok, w_seg, w_pos = (
        torch.randn(n, d, generator=generator) for n in (vocab, segments, positions)
    )
    token, segment, position = 17, 1, 5
    summed = w_tok[token] + w_seg[segment] + w_pos[position]

    one_hots = torch.cat(
        [
            torch.nn.functional.one_hot(torch.tensor(token), vocab),
            torch.nn.functional.one_hot(torch.tensor(segment), segments),
            torch.nn.functional.one_hot(torch.tensor(position), positions),
        ]
    ).float()
    stacked = torch.cat([w_tok, w_seg, w_pos])
    torch.testing.assert_close(stacked.T @ one_hots, summed)

    project = torch.randn(d, 3 * d, generator=generator)  # [a; b; c] (3d) -> d
    concatenated = torch.cat([w_tok[token], w_seg[segment], w_pos[position]])
    folded = [w @ project[:, i * d : (i + 1) * d].T for i, w in enumerate((w_tok, w_seg, w_pos))]
    torch.testing.assert_close(
        project @ concatenated, folded[0][token] + folded[1][segment] + folded[2][position]
    )


def test_twenty_tokens_per_parameter_at_gpt3_compute():
    # chinchilla-gpt3-undertrained: D = 20 N and C = 6 N D give N = sqrt(C / 120).
    compute = 6 * 175e9 * 300e9  # GPT-3's budget under C = 6ND
    n = (compute / 120) ** 0.5
    assert round(n / 1e9, 1) == 51.2
    assert round(20 * n / 1e12, 2) == 1.02
    assert round(300e9 / 175e9, 1) == 1.7  # GPT-3's own tokens per parameter
