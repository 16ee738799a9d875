"""Reference solutions of the code exercises, each a thin call into the modules learners read.

An exercise's tests compare the learner's function with one of these (or with a function in
another `minimodels` module directly), in float64. Keep them as short as the idea allows: the app
shows this source after a learner solves the exercise.
"""

from torch import Tensor

from minimodels.attention import causal_mask, scaled_dot_product_attention


def causal_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    """(B, T, d) queries, keys, values -> (B, T, d): position t attends to positions 0..t."""
    mask = causal_mask(q.size(-2), k.size(-2), device=q.device)  # (T, T), True = may attend
    out, _ = scaled_dot_product_attention(q, k, v, mask, return_weights=True)  # explicit formula
    return out
