"""fp16 vs bf16 on real gradients: why fp16 needs loss scaling and both need fp32 master weights.

Three 16-bit questions, each answered on a tiny untrained GPT (2 layers, width 64) and one batch of
random tokens, the same in every run:

1. Range. torch.finfo gives each format's largest value, smallest normal value and epsilon (the
   gap between 1 and the next number). bf16 keeps fp32's 8 exponent bits, so it has fp32's range
   with fewer digits; fp16 has 5 exponent bits: more digits, a much narrower range.
2. Loss scaling. The same forward and backward pass runs in fp32 (the reference), in fp16, in fp16
   with the loss multiplied by 2^k (the gradients divided by 2^k afterwards, in fp32), and in
   bf16. Small gradients fall below fp16's smallest normal number (2^-14) and lose digits, or below
   2^-24 and become 0; scaling lifts them back into range.
3. Master weights. One Adam-sized step (on Adam's first step every weight moves by exactly lr)
   is added to the weights stored in fp32, fp16 and bf16. Where lr is smaller than half the gap
   between a weight and its neighbour, the 16-bit sum rounds back to the old weight: the update is
   lost. An fp32 master copy keeps it.
"""

import copy

import torch
import torch.nn.functional as F

from minimodels.gpt import GPT, GPTConfig
from minimodels.results import Check, Metric, Table, Text

FORMATS = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
# Sign, exponent and mantissa bits (IEEE 754 binary32 and binary16; Google's bfloat16).
BITS = {"fp32": (1, 8, 23), "fp16": (1, 5, 10), "bf16": (1, 8, 7)}


def tiny_gpt(vocab: int, seed: int) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=vocab, block_size=64, n_layer=2, n_head=4, n_embd=64))


def gradients(model: GPT, x, y, dtype: torch.dtype, loss_scale: float) -> torch.Tensor:
    """All parameter gradients of one batch, computed in `dtype`, returned unscaled in fp32."""
    model = copy.deepcopy(model).to(dtype)
    logits = model(x)  # (B, T, V), in dtype
    # The loss itself is reduced in fp32, as every mixed-precision recipe does.
    loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten())
    (loss * loss_scale).backward()  # every gradient below is computed and stored in dtype
    return torch.cat([p.grad.float().flatten() / loss_scale for p in model.parameters()])


def run(vocab: str = "2048", scale_exponent: int = 16, lr: float = 1e-4, seed: int = 0) -> list:
    vocab = int(vocab)  # a choice of the app's menu, as text
    model = tiny_gpt(vocab, seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(vocab, (16, 64), generator=gen)  # (B, T) inputs
    y = torch.randint(vocab, (16, 64), generator=gen)  # (B, T) targets

    # 1. The formats.
    format_rows = []
    for name, dtype in FORMATS.items():
        info = torch.finfo(dtype)
        format_rows.append([name, *BITS[name], f"{info.max:.6g}", f"{info.tiny:.3g}", info.eps])
    fp16, bf16, fp32 = torch.finfo(torch.float16), torch.finfo(torch.bfloat16), torch.finfo()

    # 2. The same gradients in four set-ups.
    scale = 2.0**scale_exponent
    reference = gradients(model, x, y, torch.float32, 1.0)
    nonzero = reference != 0
    magnitude = reference.abs()[nonzero]
    share_subnormal = (magnitude < fp16.tiny).float().mean().item()  # below 2^-14
    share_flushed = (magnitude < 2.0**-24 / 2).float().mean().item()  # rounds to 0 in fp16
    setups = {
        "fp16": (torch.float16, 1.0),
        f"fp16 × 2^{scale_exponent}": (torch.float16, scale),
        "bf16": (torch.bfloat16, 1.0),
    }
    lost, error = {}, {}
    for name, (dtype, s) in setups.items():
        g = gradients(model, x, y, dtype, s)
        lost[name] = ((g == 0) & nonzero).float().sum().item() / nonzero.sum().item()
        error[name] = ((g - reference).norm() / reference.norm()).item()
    unscaled, scaled = "fp16", f"fp16 × 2^{scale_exponent}"

    # 3. One step of size lr on every weight, stored in each format.
    weights = torch.cat([p.detach().flatten() for p in model.parameters()])  # fp32
    step = lr * torch.sign(reference)  # Adam's first step: m / sqrt(v) = g / |g|
    moving = step != 0
    unchanged = {}
    for name, dtype in FORMATS.items():
        w = weights.to(dtype)
        unchanged[name] = ((w + step.to(dtype) == w) & moving).float().sum().item()
        unchanged[name] /= moving.sum().item()

    return [
        Table(
            columns=[
                {"en": "format", "zh": "格式"},
                {"en": "sign", "zh": "符号位"},
                {"en": "exponent bits", "zh": "指数位"},
                {"en": "mantissa bits", "zh": "尾数位"},
                {"en": "largest", "zh": "最大值"},
                {"en": "smallest normal", "zh": "最小正规数"},
                {"en": "epsilon (gap after 1)", "zh": "机器精度（1 之后的间隔）"},
            ],
            rows=format_rows,
            title={"en": "Three floating-point formats", "zh": "三种浮点格式"},
        ),
        Metric(
            {
                "en": "fp32 gradients below fp16's smallest normal (2^-14)",
                "zh": "fp32 梯度中低于 fp16 最小正规数（2^-14）的比例",
            },
            f"{share_subnormal:.1%}",
            {"en": "these keep fewer digits in fp16", "zh": "它们在 fp16 中有效数字变少"},
        ),
        Metric(
            {
                "en": "fp32 gradients that round to 0 in fp16 (< 2^-25)",
                "zh": "在 fp16 中会舍入为 0 的 fp32 梯度（< 2^-25）",
            },
            f"{share_flushed:.3%}",
        ),
        Table(
            columns=[
                {"en": "backward pass in", "zh": "反向传播使用"},
                {"en": "non-zero gradients lost (became 0)", "zh": "丢失的非零梯度（变成 0）"},
                {"en": "relative error against fp32", "zh": "相对 fp32 的相对误差"},
            ],
            rows=[["fp32", f"{0:.4%}", f"{0:.2e}"]]
            + [[name, f"{lost[name]:.4%}", f"{error[name]:.2e}"] for name in setups],
            title={"en": "The same gradients, four ways", "zh": "同一组梯度，四种算法"},
        ),
        Table(
            columns=[
                {"en": "weights stored in", "zh": "权重存储格式"},
                {
                    "en": f"weights an update of {lr:g} leaves unchanged",
                    "zh": f"加上 {lr:g} 后仍不变的权重",
                },
            ],
            rows=[[name, f"{unchanged[name]:.2%}"] for name in FORMATS],
            title={
                "en": "One optimizer step, three storage formats",
                "zh": "一步优化更新，三种存储格式",
            },
        ),
        Text(
            {
                "en": "The model is untrained and the tokens random, so these numbers are one "
                "snapshot, not a measurement of a real run: how many gradients fall out of fp16's "
                "range depends on the model, the batch and the stage of training.",
                "zh": "模型未经训练、token 是随机的，所以这些数字只是一次快照，并不是真实训练中的测量："
                "有多少梯度落到 fp16 的范围之外，取决于模型、batch 以及训练所处的阶段。",
            }
        ),
        Check(
            {
                "en": "bf16 has fp32's range (same largest value to 1 %), fp16 tops out at 65504",
                "zh": "bf16 的范围与 fp32 相同（最大值相差不到 1%），fp16 最大只到 65504",
            },
            abs(bf16.max / fp32.max - 1) < 0.01 and fp16.max == 65504 and bf16.eps > fp16.eps,
            {
                "en": f"bf16 eps {bf16.eps} > fp16 eps {fp16.eps}: bf16 buys range with digits",
                "zh": f"bf16 的 eps {bf16.eps} > fp16 的 eps {fp16.eps}：bf16 用精度换取范围",
            },
        ),
        Check(
            {
                "en": "Loss scaling makes fp16 gradients more accurate and loses fewer of them",
                "zh": "损失缩放让 fp16 梯度更精确，丢失的也更少",
            },
            error[scaled] < error[unscaled] / 2 and lost[scaled] < lost[unscaled],
            {
                "en": f"relative error {error[unscaled]:.2e} → {error[scaled]:.2e}; "
                f"lost {lost[unscaled]:.4%} → {lost[scaled]:.4%}",
                "zh": f"相对误差 {error[unscaled]:.2e} → {error[scaled]:.2e}；"
                f"丢失 {lost[unscaled]:.4%} → {lost[scaled]:.4%}",
            },
        ),
        Check(
            {
                "en": "bf16 needs no scaling to keep small gradients, but is less precise "
                "than scaled fp16",
                "zh": "bf16 不需要缩放也能保住小梯度，但精度不如缩放后的 fp16",
            },
            lost["bf16"] < lost[unscaled] and error["bf16"] > error[scaled],
        ),
        Check(
            {
                "en": "Small updates vanish in 16-bit weights but not in fp32 master weights",
                "zh": "小的更新在 16 位权重里消失，在 fp32 主权重里不会",
            },
            unchanged["fp32"] == 0 and unchanged["bf16"] > unchanged["fp16"] > 0,
            {
                "en": f"unchanged: fp32 {unchanged['fp32']:.2%}, fp16 {unchanged['fp16']:.2%}, "
                f"bf16 {unchanged['bf16']:.2%}",
                "zh": f"不变的比例：fp32 {unchanged['fp32']:.2%}，fp16 {unchanged['fp16']:.2%}，"
                f"bf16 {unchanged['bf16']:.2%}",
            },
        ),
    ]
