"""RMSNorm vs LayerNorm, and why a language model normalises per token rather than per batch.

For one token's vector a of width d:
    LayerNorm(a) = (a − mean(a)) / std(a)          two statistics: re-centres and re-scales
    RMSNorm(a)   = a / sqrt(mean(a²))              one statistic: re-scales only
(gain and bias left out; eps = 1e-5 in both). The two agree exactly when mean(a) = 0, both are
unchanged when a is multiplied by c > 0, and only LayerNorm is unchanged when a constant is added
to every feature (Zhang & Sennrich 2019 keep re-scaling invariance and drop re-centring).

BatchNorm instead averages each feature over the batch and the time steps. In a causal language
model that means token 0's output depends on other sequences and on later tokens: change one token
at the end of another sequence and BatchNorm's output for the first token moves. LayerNorm and
RMSNorm use only the token's own d features.
"""

import torch
import torch.nn.functional as F

from minimodels.results import Check, Metric, Table
from minimodels.train import set_threads

EPS = 1e-5


def layer_norm(a):
    """(..., d) -> (..., d): re-centre, then divide by the standard deviation (biased, as torch)."""
    mean = a.mean(-1, keepdim=True)
    var = ((a - mean) ** 2).mean(-1, keepdim=True)
    return (a - mean) / torch.sqrt(var + EPS)


def rms_norm(a):
    """(..., d) -> (..., d): divide by the root mean square; no mean is computed."""
    return a / torch.sqrt((a**2).mean(-1, keepdim=True) + EPS)


def batch_norm(a):
    """(B, T, d) -> (B, T, d): each feature normalised over all B·T tokens (training mode)."""
    return F.batch_norm(a.transpose(1, 2), None, None, training=True, eps=EPS).transpose(1, 2)


def gap(a, b):
    return (a - b).abs().max().item()


@torch.no_grad()
def run(width: int = 64, mean_shift: float = 1.0, seed: int = 0) -> list:
    set_threads()
    g = torch.Generator().manual_seed(seed)
    B, T, d = 4, 8, width
    x = torch.randn(B, T, d, generator=g, dtype=torch.float64)
    x = x + mean_shift * torch.randn(B, T, 1, generator=g, dtype=torch.float64)  # a mean per token

    # 1. The hand-written norms are PyTorch's.
    same_as_torch = max(
        gap(layer_norm(x), F.layer_norm(x, (d,), eps=EPS)),
        gap(rms_norm(x), F.rms_norm(x, (d,), eps=EPS)),
    )
    # 2. Equal on centred vectors, different otherwise.
    centred = x - x.mean(-1, keepdim=True)
    equal_when_centred = gap(layer_norm(centred), rms_norm(centred))
    differ = gap(layer_norm(x), rms_norm(x))
    # 3. Invariances: multiply every feature by 3, or add 2 to every feature.
    scaled, shifted = 3.0 * x, x + 2.0
    rows = [
        [
            {"en": "multiply by 3", "zh": "乘以 3"},
            gap(layer_norm(scaled), layer_norm(x)),
            gap(rms_norm(scaled), rms_norm(x)),
        ],
        [
            {"en": "add 2 to every feature", "zh": "每个特征加 2"},
            gap(layer_norm(shifted), layer_norm(x)),
            gap(rms_norm(shifted), rms_norm(x)),
        ],
    ]
    # 4. Change the last token of sequence 1; watch the first token of sequence 0.
    edited = x.clone()
    edited[1, -1] = torch.randn(d, generator=g, dtype=torch.float64) * 5
    moved = {
        name: gap(norm(edited)[0, 0], norm(x)[0, 0])
        for name, norm in (("layer", layer_norm), ("rms", rms_norm), ("batch", batch_norm))
    }
    rms_of_output = rms_norm(x).pow(2).mean(-1).sqrt()  # (B, T): 1 up to eps

    def shown(v):
        return f"{v:.1e}"

    return [
        Metric(
            {
                "en": "Largest |LayerNorm − RMSNorm| on these vectors",
                "zh": "这些向量上 |LayerNorm − RMSNorm| 的最大值",
            },
            f"{differ:.3f}",
            {
                "en": f"per-token mean shift {mean_shift}",
                "zh": f"每个 token 的均值偏移 {mean_shift}",
            },
        ),
        Check(
            {
                "en": "The hand-written LayerNorm and RMSNorm match torch's layer_norm and rms_norm",
                "zh": "手写的 LayerNorm 和 RMSNorm 与 torch 的 layer_norm、rms_norm 一致",
            },
            same_as_torch < 1e-12,
            {"en": f"largest gap {same_as_torch:.1e}", "zh": f"最大差值 {same_as_torch:.1e}"},
        ),
        Check(
            {
                "en": "On vectors with zero mean RMSNorm and LayerNorm give the same output",
                "zh": "在均值为零的向量上，RMSNorm 与 LayerNorm 的输出相同",
            },
            equal_when_centred < 1e-12,
            {
                "en": f"largest gap {equal_when_centred:.1e}",
                "zh": f"最大差值 {equal_when_centred:.1e}",
            },
        ),
        Table(
            columns=[
                {"en": "change to the input", "zh": "对输入的改动"},
                {"en": "LayerNorm output moves by", "zh": "LayerNorm 输出的变化"},
                {"en": "RMSNorm output moves by", "zh": "RMSNorm 输出的变化"},
            ],
            rows=[[r[0], shown(r[1]), shown(r[2])] for r in rows],
            title={
                "en": "Invariances, largest change over all tokens",
                "zh": "不变性：所有 token 上的最大变化",
            },
        ),
        Check(
            {
                "en": "Both are unchanged (up to eps) when a vector is re-scaled; only LayerNorm is unchanged when "
                "a constant is added to every feature",
                "zh": "向量整体缩放时两者都不变（只差 eps 的影响）；每个特征加上同一个常数时，只有 LayerNorm 不变",
            },
            rows[0][1] < 1e-3 and rows[0][2] < 1e-3 and rows[1][1] < 1e-9 and rows[1][2] > 1e-2,
            {
                "en": f"RMSNorm moves by {rows[1][2]:.3f} under the shift",
                "zh": f"平移时 RMSNorm 的输出变化 {rows[1][2]:.3f}",
            },
        ),
        Check(
            {
                "en": "RMSNorm's output has root mean square 1 (length √d) for every token",
                "zh": "每个 token 经 RMSNorm 后均方根为 1（长度为 √d）",
            },
            bool(((rms_of_output - 1).abs() < 1e-3).all()),
            {
                "en": f"between {rms_of_output.min().item():.5f} and {rms_of_output.max().item():.5f}",
                "zh": f"介于 {rms_of_output.min().item():.5f} 与 {rms_of_output.max().item():.5f} 之间",
            },
        ),
        Table(
            columns=[
                {"en": "norm", "zh": "归一化"},
                {
                    "en": "output of sequence 0, token 0 moves by",
                    "zh": "序列 0 第 0 个 token 输出的变化",
                },
            ],
            rows=[
                ["LayerNorm", shown(moved["layer"])],
                ["RMSNorm", shown(moved["rms"])],
                ["BatchNorm", shown(moved["batch"])],
            ],
            title={
                "en": "Change the last token of sequence 1",
                "zh": "改动序列 1 的最后一个 token",
            },
        ),
        Check(
            {
                "en": "BatchNorm lets a later token of another sequence change the first token's "
                "output; LayerNorm and RMSNorm do not",
                "zh": "BatchNorm 让另一条序列中靠后的 token 改变了第一个 token 的输出；LayerNorm 和 RMSNorm 不会",
            },
            moved["layer"] == 0.0 and moved["rms"] == 0.0 and moved["batch"] > 1e-3,
            {
                "en": f"BatchNorm: {moved['batch']:.3f}; LayerNorm and RMSNorm: exactly 0",
                "zh": f"BatchNorm：{moved['batch']:.3f}；LayerNorm 与 RMSNorm：恰好为 0",
            },
        ),
    ]
