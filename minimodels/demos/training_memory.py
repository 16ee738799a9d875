"""Training memory per parameter, measured on a real model, then scaled up with ZeRO's formula.

A tiny GPT takes one real optimizer step in three set-ups, and we add up the bytes of every tensor
that stays alive between steps (`numel() * element_size()`), split by role:

- fp32 + Adam: weights, gradients, Adam's first and second moments, 4 bytes each: 16 bytes.
- fp32 + SGD with momentum: weights, gradients, one momentum buffer: 12 bytes.
- mixed precision + Adam (Micikevicius et al. 2018; ZeRO Section 3.1): a 16-bit working copy of
  the weights and its 16-bit gradients for the forward and backward passes, and in fp32 a master
  copy of the weights plus both Adam moments: 2 + 2 + 12 = 16 bytes.

The measured bytes per parameter must equal these formulas exactly. Then the same arithmetic sizes
a real model (parameters from `minimodels.params.count_params`) and shows what ZeRO's three stages
leave on each of N data-parallel GPUs: stage 1 shards the optimizer states, stage 2 the gradients
too, stage 3 the weights too. Activations, buffers and fragmentation come on top of all this.
"""

import copy

import torch
import torch.nn.functional as F

from minimodels.gpt import GPT, GPTConfig
from minimodels.params import PRESETS, count_params
from minimodels.results import Check, Metric, Table, Text

# Bytes per parameter of the model states (ZeRO Section 3.1: 2Ψ + 2Ψ + KΨ with K = 12 for Adam).
FORMULA = {"fp32 + Adam": 16, "fp32 + SGD-momentum": 12, "bf16 mixed + Adam": 16}


def nbytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def one_step(model: GPT, x, y, optimizer_name: str, mixed: bool) -> dict[str, int]:
    """Take one optimizer step; return the bytes alive afterwards, by role."""
    master = copy.deepcopy(model)  # fp32 weights the optimizer updates
    params = list(master.parameters())
    if optimizer_name == "adam":
        optimizer = torch.optim.AdamW(params, lr=1e-3)
    else:
        optimizer = torch.optim.SGD(params, lr=1e-3, momentum=0.9)
    # Mixed precision: forward and backward run on a 16-bit working copy of the weights.
    working = copy.deepcopy(master).to(torch.bfloat16) if mixed else master
    loss = F.cross_entropy(working(x).float().flatten(0, 1), y.flatten())
    loss.backward()
    if mixed:  # hand the 16-bit gradients to the fp32 master weights, one tensor at a time
        for p_master, p_work in zip(params, working.parameters(), strict=True):
            p_master.grad = p_work.grad.float()
    optimizer.step()
    if mixed:  # the fp32 gradient copies were temporary; refresh the working weights
        for p_master, p_work in zip(params, working.parameters(), strict=True):
            p_master.grad = None
            p_work.data.copy_(p_master.data)
    states = [t for s in optimizer.state.values() for t in s.values() if t.dim() > 0]
    out = {
        "weights": nbytes(working.parameters()),
        "gradients": nbytes(p.grad for p in working.parameters()),
        "optimizer states": nbytes(states),  # Adam's step counters are scalars: left out
    }
    if mixed:
        out["fp32 master weights"] = nbytes(params)
    return out


def run(preset: str = "gpt2-xl", gpus: int = 64, seed: int = 0) -> list:
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=256, block_size=32, n_layer=2, n_head=4, n_embd=64))
    n_params = sum(p.numel() for p in model.parameters())
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(256, (4, 32), generator=gen)  # (B, T)
    y = torch.randint(256, (4, 32), generator=gen)

    measured = {
        "fp32 + Adam": one_step(model, x, y, "adam", mixed=False),
        "fp32 + SGD-momentum": one_step(model, x, y, "sgd", mixed=False),
        "bf16 mixed + Adam": one_step(model, x, y, "adam", mixed=True),
    }
    roles = ("weights", "gradients", "fp32 master weights", "optimizer states")
    per_param = {name: sum(parts.values()) / n_params for name, parts in measured.items()}
    rows = [
        [name, *[parts.get(role, 0) / n_params for role in roles], per_param[name], FORMULA[name]]
        for name, parts in measured.items()
    ]

    # Scale up: a real model's parameter count, ZeRO's stages on `gpus` data-parallel GPUs.
    psi = count_params(PRESETS[preset])["total"]
    gb = 1e9
    stages = {
        "baseline (no sharding)": (2 + 2 + 12) * psi,
        "ZeRO-1: optimizer states sharded": (2 + 2) * psi + 12 * psi / gpus,
        "ZeRO-2: + gradients sharded": 2 * psi + (2 + 12) * psi / gpus,
        "ZeRO-3: + weights sharded": 16 * psi / gpus,
    }
    stage_names = {
        "baseline (no sharding)": {"en": "baseline (no sharding)", "zh": "基线（不切分）"},
        "ZeRO-1: optimizer states sharded": {
            "en": "ZeRO-1: optimizer states sharded",
            "zh": "ZeRO-1：切分优化器状态",
        },
        "ZeRO-2: + gradients sharded": {
            "en": "ZeRO-2: + gradients sharded",
            "zh": "ZeRO-2：再切分梯度",
        },
        "ZeRO-3: + weights sharded": {
            "en": "ZeRO-3: + weights sharded",
            "zh": "ZeRO-3：再切分权重",
        },
    }
    # ZeRO's Figure 1 example, recomputed: 7.5B parameters on 64 GPUs.
    zero_paper = [round(v / gb, 1) for v in (16 * 7.5e9, 4 * 7.5e9 + 12 * 7.5e9 / 64,
                                              2 * 7.5e9 + 14 * 7.5e9 / 64, 16 * 7.5e9 / 64)]  # fmt: skip

    return [
        Metric({"en": "Parameters of the tiny GPT", "zh": "小 GPT 的参数量"}, n_params),
        Table(
            columns=[
                {"en": "set-up", "zh": "设置"},
                {"en": "weights", "zh": "权重"},
                {"en": "gradients", "zh": "梯度"},
                {"en": "fp32 master weights", "zh": "fp32 主权重"},
                {"en": "optimizer states", "zh": "优化器状态"},
                {"en": "measured total", "zh": "实测合计"},
                {"en": "formula", "zh": "公式"},
            ],
            rows=rows,
            title={
                "en": "Bytes per parameter alive after one real step",
                "zh": "真实走一步之后，每个参数占用的字节数",
            },
        ),
        Table(
            columns=[
                {"en": "on each GPU", "zh": "每个 GPU 上"},
                {
                    "en": f"GB for {preset} ({psi:,} parameters)",
                    "zh": f"{preset}（{psi:,} 个参数）的 GB 数",
                },
            ],
            rows=[[stage_names[name], round(v / gb, 2)] for name, v in stages.items()],
            title={
                "en": f"Model states with mixed-precision Adam on {gpus} GPUs",
                "zh": f"混合精度 Adam 在 {gpus} 个 GPU 上的模型状态",
            },
        ),
        Text(
            {
                "en": f"ZeRO's Figure 1 example (7.5B parameters, 64 GPUs), recomputed: "
                f"{zero_paper[0]}, {zero_paper[1]}, {zero_paper[2]} and {zero_paper[3]} GB. "
                "Activations are not model states: they grow with batch size and sequence length.",
                "zh": f"重算 ZeRO 图 1 的例子（75 亿参数、64 个 GPU）：{zero_paper[0]}、{zero_paper[1]}、"
                f"{zero_paper[2]} 和 {zero_paper[3]} GB。激活不属于模型状态：它随 batch 大小和序列长度增长。",
            }
        ),
        Check(
            {
                "en": "Measured bytes per parameter equal the formula in every set-up "
                "(16 for Adam, fp32 or mixed; 12 for SGD with momentum)",
                "zh": "每种设置下实测的每参数字节数都等于公式（Adam 无论 fp32 还是混合精度都是 16；"
                "带动量的 SGD 是 12）",
            },
            all(per_param[name] == FORMULA[name] for name in FORMULA),
            {
                "en": ", ".join(f"{k}: {v:g}" for k, v in per_param.items()),
                "zh": "，".join(f"{k}：{v:g}" for k, v in per_param.items()),
            },
        ),
        Check(
            {
                "en": "Mixed precision does not shrink the model states: its fp32 master copy "
                "and Adam moments are 12 of the 16 bytes",
                "zh": "混合精度并没有减少模型状态：fp32 主权重和 Adam 的两个矩占了 16 字节中的 12 字节",
            },
            (
                measured["bf16 mixed + Adam"]["fp32 master weights"]
                + measured["bf16 mixed + Adam"]["optimizer states"]
            )
            == 12 * n_params,
        ),
        Check(
            {
                "en": "ZeRO's Figure 1 figures come out of the formula: 120, 31.4, 16.6, 1.9 GB",
                "zh": "由公式可以得到 ZeRO 图 1 的数字：120、31.4、16.6、1.9 GB",
            },
            zero_paper == [120.0, 31.4, 16.6, 1.9],
            {"en": str(zero_paper), "zh": str(zero_paper)},
        ),
    ]
