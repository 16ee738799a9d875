"""Self-attention vs recurrent vs convolutional layers (Vaswani et al. 2017, Table 1), measured.

For a sequence of n vectors of width d and a kernel of width k, one layer costs about
    self-attention  n²·d      recurrent  n·d²      convolution  k·n·d²
multiply-adds, and the longest path a signal travels from the first position to the last is
    self-attention  1 layer   recurrent  n − 1 steps   convolution  ⌈(n−1)/(k−1)⌉ layers
                                                          (dilated: ⌈log_k n⌉ layers).
Here the FLOPs are counted on real PyTorch layers, the paths are traced through real layer
stacks, and the layers are timed on this machine.
"""

import math
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from minimodels.attention import MultiHeadAttention, causal_mask
from minimodels.results import Check, Lines, Table, Text
from minimodels.train import set_threads

NAMES = {  # the layers' names as a learner reads them, in the charts
    "self-attention": {"en": "self-attention", "zh": "自注意力"},
    "recurrent": {"en": "recurrent", "zh": "循环"},
    "convolution": {"en": "convolution", "zh": "卷积"},
    "dilated convolution": {"en": "dilated convolution", "zh": "空洞卷积"},
}


class CausalConv(nn.Module):
    """Conv1d over the sequence that only looks back: (B, n, d) -> (B, n, d)."""

    def __init__(self, d, k, dilation=1):
        super().__init__()
        self.pad = (k - 1) * dilation  # padding on the left only
        self.conv = nn.Conv1d(d, d, k, dilation=dilation)

    def forward(self, x):
        return self.conv(F.pad(x.transpose(1, 2), (self.pad, 0))).transpose(1, 2)


def layers(d, k):
    """One layer of each kind, width d; each maps (1, n, d) -> (1, n, d)."""
    attention = MultiHeadAttention(d, n_head=1)
    rnn = nn.RNN(d, d, batch_first=True)
    return {
        # return_weights=True takes the explicit path (the fused kernel hides its matmuls).
        "self-attention": lambda x: attention(x, return_weights=True)[0],
        "attention module": attention,
        "recurrent": lambda x: rnn(x)[0],
        "convolution": CausalConv(d, k),
    }


def count_flops(layer, x):
    with FlopCounterMode(display=False) as counter:
        layer(x)
    return counter.get_total_flops()  # 2 FLOPs per multiply-add, matmuls and convolutions only


def path_length(step, n):
    """Layers until position n - 1 depends on position 0: follow a 1 through the layers."""
    reached = torch.zeros(1, 1, n)
    reached[0, 0, 0] = 1.0  # (1, 1, n): which positions the first token's signal has reached
    for depth in range(1, n + 1):
        reached = (step(reached, depth) > 0).float()
        if reached[0, 0, -1] > 0:
            return depth
    return None


def conv_step(k, dilated):
    """One causal conv layer with all-ones weights (no cancellation): the signal spreads."""

    def step(reached, depth):
        dilation = k ** (depth - 1) if dilated else 1
        pad = F.pad(reached, ((k - 1) * dilation, 0))
        return F.conv1d(pad, torch.ones(1, 1, k), dilation=dilation)

    return step


def attention_step(weights):
    """One attention layer with these (n, n) weights; a softmax makes every one of them > 0."""
    return lambda reached, depth: reached @ weights.T


def layers_to_cover(n, k):
    """Smallest L with k**L >= n: dilations 1, k, k², … give a stack of L layers a span of k**L."""
    depth = 0
    while k**depth < n:
        depth += 1
    return depth


def median_ms(layer, x, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        layer(x)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)[len(times) // 2]


@torch.no_grad()
def run(n: int = 512, d: int = 64, k: int = 3) -> list:
    set_threads()
    torch.manual_seed(0)
    layer = layers(d, k)
    x = torch.randn(1, n, d)  # (B, n, d)

    # 1. FLOPs counted on the real layers, against the formulas (2 FLOPs per multiply-add).
    formulas = {
        # q, k, v and output projections: 4·n·d²; scores QKᵀ and weights·V: 2·n²·d.
        "self-attention": (2 * (4 * n * d * d + 2 * n * n * d), "2·(4·n·d² + 2·n²·d)"),
        # each step multiplies the input and the previous state by a d x d matrix.
        "recurrent": (2 * (2 * n * d * d), "2·(2·n·d²)"),
        # each output position mixes k input positions through d x d matrices.
        "convolution": (2 * (k * n * d * d), "2·(k·n·d²)"),
    }
    counted = {name: count_flops(layer[name], x) for name in formulas}
    flop_rows = [
        [NAMES[name], f"{counted[name]:,}", formula, f"{value:,}"]
        for name, (value, formula) in formulas.items()
    ]

    # 2. Longest path, traced through stacks of layers. Attention uses its real causal weights.
    _, weights = layer["attention module"](x, causal_mask(n), return_weights=True)  # (1, 1, n, n)
    paths = {
        "self-attention": (path_length(attention_step(weights[0, 0]), n), 1, "O(1)"),
        "convolution": (
            path_length(conv_step(k, False), n),
            math.ceil((n - 1) / (k - 1)),
            "O(n/k)",
        ),
        "dilated convolution": (
            path_length(conv_step(k, True), n),
            layers_to_cover(n, k),
            "O(log_k n)",
        ),
    }
    path_rows = [
        [NAMES[name], str(traced), str(expected), big_o]
        for name, (traced, expected, big_o) in paths.items()
    ]
    # A recurrent layer has no stack to trace: h_{n-1} reaches x_0 through n - 1 state updates.
    steps = {"en": f"{n - 1} steps", "zh": f"{n - 1} 步"}
    path_rows.insert(1, [NAMES["recurrent"], "—", steps, "O(n)"])

    # 3. Timing at four lengths, the same layers (attention on its fused kernel now).
    timed = {
        "self-attention": lambda x: layer["attention module"](x)[0],  # the fused kernel
        "recurrent": layer["recurrent"],
        "convolution": layer["convolution"],
    }
    lengths = [max(8, n // 8), max(8, n // 4), max(8, n // 2), n]
    ms = {name: [] for name in timed}
    flops = {name: [] for name in timed}
    for length in lengths:
        xs = torch.randn(1, length, d)
        for name, f in timed.items():
            f(xs)  # warm-up
            ms[name].append(median_ms(f, xs))
            flops[name].append(count_flops(layer[name], xs))
    growth = {name: ms[name][-1] / ms[name][-2] for name in ms}  # time(n) / time(n/2)
    flop_ratio = counted["self-attention"] / counted["recurrent"]
    time_ratio = ms["self-attention"][-1] / ms["recurrent"][-1]
    slower = time_ratio < flop_ratio  # the recurrence got less done per millisecond

    return [
        Table(
            columns=[
                {"en": "layer", "zh": "层类型"},
                {"en": "FLOPs counted", "zh": "计数得到的 FLOPs"},
                {"en": "formula", "zh": "公式"},
                {"en": "formula's value", "zh": "公式的值"},
            ],
            rows=flop_rows,
            title={
                "en": f"FLOPs of one layer at n = {n}, d = {d}, k = {k} (torch FlopCounterMode)",
                "zh": f"单层的 FLOPs，n = {n}，d = {d}，k = {k}（torch FlopCounterMode 计数）",
            },
        ),
        Check(
            {
                "en": "The counted FLOPs equal the formulas exactly: n²·d for attention's scores, "
                "n·d² for the recurrence, k·n·d² for the convolution",
                "zh": "计数得到的 FLOPs 与公式完全相等：注意力分数 n²·d，循环 n·d²，卷积 k·n·d²",
            },
            all(counted[name] == value for name, (value, _) in formulas.items()),
            {
                "en": "; ".join(f"{name}: {counted[name]:,}" for name in counted),
                "zh": "；".join(f"{NAMES[name]['zh']}：{counted[name]:,}" for name in counted),
            },
        ),
        Table(
            columns=[
                {"en": "layer", "zh": "层类型"},
                {"en": "path traced (layers or steps)", "zh": "追踪到的路径（层数或步数）"},
                {"en": "formula", "zh": "公式"},
                {"en": "Vaswani Table 1", "zh": "Vaswani 表 1"},
            ],
            rows=path_rows,
            title={
                "en": f"Longest path from position 0 to position {n - 1}",
                "zh": f"从位置 0 到位置 {n - 1} 的最长路径",
            },
        ),
        Check(
            {
                "en": "The traced paths equal the formulas: 1 layer of attention, ⌈(n−1)/(k−1)⌉ "
                "stacked convolutions, ⌈log_k n⌉ dilated ones",
                "zh": "追踪得到的路径长度与公式一致：注意力 1 层，堆叠卷积 ⌈(n−1)/(k−1)⌉ 层，空洞卷积 ⌈log_k n⌉ 层",
            },
            all(traced == expected for traced, expected, _ in paths.values()),
            {
                "en": ", ".join(f"{name}: {traced}" for name, (traced, _, _) in paths.items()),
                "zh": "，".join(
                    f"{NAMES[name]['zh']}：{traced}" for name, (traced, _, _) in paths.items()
                ),
            },
        ),
        Lines(
            x=lengths,
            series=flops,
            series_labels=NAMES,
            title={
                "en": "FLOPs per layer against n (counted)",
                "zh": "单层 FLOPs 随 n 的变化（计数）",
            },
            x_label="n",
            y_label="FLOPs",
            log_y=True,
        ),
        Lines(
            x=lengths,
            series=ms,
            series_labels=NAMES,
            title={
                "en": "Time per layer against n (measured)",
                "zh": "单层耗时随 n 的变化（实测）",
            },
            x_label="n",
            y_label={"en": "ms", "zh": "毫秒"},
            log_y=True,
        ),
        Text(
            {
                "en": f"Measured on this machine (noisy): doubling n from {lengths[-2]} to {n} "
                + ", ".join(f"multiplied the {name} time by {g:.1f}" for name, g in growth.items())
                + f". At n = {n} attention did {flop_ratio:.1f}× the recurrent layer's FLOPs in "
                f"{time_ratio:.1f}× its time"
                + (": a recurrence is n small steps, one after another" if slower else "")
                + ". Counting FLOPs honestly, attention also pays 4·n·d² for its projections, the "
                "same order as the recurrence, so its n²·d term only decides the cost once n "
                "approaches d. What Vaswani et al. stress for n < d is the other column: a "
                "recurrent layer needs n sequential steps, self-attention one parallel step, and "
                "its path between any two positions is a single layer.",
                "zh": f"在这台机器上实测（有噪声）：n 从 {lengths[-2]} 翻倍到 {n}，"
                + "，".join(
                    f"{NAMES[name]['zh']}的耗时变为 {g:.1f} 倍" for name, g in growth.items()
                )
                + f"。n = {n} 时，注意力的 FLOPs 是循环层的 {flop_ratio:.1f} 倍，耗时是它的 "
                f"{time_ratio:.1f} 倍"
                + ("：循环必须一小步接一小步地走 n 步" if slower else "")
                + "。如实计算 FLOPs 的话，注意力还要为投影付出 4·n·d²，与循环层同一量级，所以它的 n²·d "
                "项要到 n 接近 d 时才决定成本。Vaswani 等人在 n < d 时强调的是另一列：循环层需要 n 个"
                "顺序步骤，自注意力只需一个可并行的步骤，而且任意两个位置之间的路径只有一层。",
            }
        ),
    ]
