"""Claims in the architecture and tokenization questions that are computed rather than quoted.

Each test recomputes a figure a question states, so that the question can name it in
`computed_by` and an edit that changes the answer or the code it describes fails here."""

import torch

from minimodels.demos import attention_rank


def _collapse_after_depth(causal: bool, skip: bool, generator: torch.Generator) -> float:
    runs = [
        attention_rank.collapse(64, 8, causal, skip, generator)
        for _ in range(attention_rank.SEEDS)
    ]
    return torch.tensor(runs).mean(dim=0)[-1].item()


def test_skip_connections_stop_rank_collapse_in_12_random_attention_layers():
    # The attention-rank demo's defaults (n = 64, d = 8, seed 0, 12 layers, mean of 20 stacks),
    # drawn in the demo's order: the probe's q and k first, then the four stacks.
    g = torch.Generator().manual_seed(0)
    torch.randn(64, 8, generator=g, dtype=torch.float64)
    torch.randn(64, 8, generator=g, dtype=torch.float64)
    bidirectional = _collapse_after_depth(False, False, g)
    causal = _collapse_after_depth(True, False, g)
    bidirectional_skip = _collapse_after_depth(False, True, g)
    causal_skip = _collapse_after_depth(True, True, g)
    # architecture-residual-connections: "2e-16 for bidirectional and 7e-3 for causal attention
    # without skips, and about 0.6 for both with skips".
    assert bidirectional < 1e-15
    assert 5e-3 < causal < 8e-3
    assert 0.5 < causal_skip < 0.6 < bidirectional_skip < 0.7
