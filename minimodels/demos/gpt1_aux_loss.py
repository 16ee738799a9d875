"""GPT-1's auxiliary LM loss during fine-tuning (Radford et al. 2018, Section 3.2).

GPT-1 fine-tunes a pre-trained language model on a labelled task with L3 = L2 + λ·L1: L2 is the
task's loss, L1 the language-modelling loss on the same fine-tuning text, λ = 0.5. The paper
says this helps generalisation and speeds up convergence (and, in its ablation, helps on the
larger datasets, not on the smaller ones).

The toy task, in the spirit of CoLA (one of GPT-1's tasks: is this sentence acceptable?): a
window of 31 characters of this app's answers (the English corpus), or the same characters in a
random order. Is the window real text or shuffled? As in GPT-1, an extract
token goes at the end of the input (here the tokenizer's [CLS], unused in pre-training) and a new
linear layer reads the last layer's state there. Both runs start from the same pre-trained tiny
GPT, with the same new layer, the same batches and the same steps; only the loss differs. The
test windows come from the answers held out of pre-training. The losses on the fine-tuning text
are measured on a fixed sample of its windows (TRAIN_SAMPLE), the same for every model.
"""

import copy
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from minimodels.attention import causal_mask
from minimodels.demos.trained import (
    BLOCK,
    GPT_STEPS,
    LOSS_AXIS,
    STEP_AXIS,
    fast_bf16,
    scaled,
    tiny_gpt,
)
from minimodels.results import Check, Lines, Metric, Table, Text

LAMBDA = 0.5  # GPT-1's weight of the auxiliary LM loss
TRAIN_SAMPLE = 1000  # fine-tuning windows the losses are measured on (all of them: 10,000+)
CLASSES = ("original", "shuffled")
NAMES = {"L2 only": {"en": "L2 only", "zh": "仅 L2"}}  # "L2 + 0.5·L1" reads the same in both
LOSS_NAMES = {  # the live chart's curves
    "task loss": {"en": "task loss", "zh": "任务损失"},
    "LM loss": {"en": "LM loss", "zh": "语言模型损失"},
}


def make_split(stream: Tensor, extract: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Cut a token stream into windows of BLOCK - 1 tokens; shuffle the characters of half of them,
    chosen at random; end every window with the extract token. Returns x (N, BLOCK), y (N,)."""
    n = len(stream) // (BLOCK - 1)
    windows = stream[: n * (BLOCK - 1)].view(n, BLOCK - 1)  # (N, BLOCK - 1)
    y = torch.randint(2, (n,), generator=generator)  # 1 = shuffled
    x = torch.stack(
        [
            w[torch.randperm(BLOCK - 1, generator=generator)] if label else w
            for w, label in zip(windows, y, strict=True)
        ]
    )
    return torch.cat([x, torch.full((n, 1), extract)], dim=1), y


def make_dataset(corpus, seed: int) -> dict[str, Tensor]:
    """Training windows from the pre-training split, test windows from the validation split:
    answers the model has never read."""
    g = torch.Generator().manual_seed(seed)
    extract = corpus.tokenizer.token_to_id["[CLS]"]
    train_x, train_y = make_split(corpus.train_ids, extract, g)
    test_x, test_y = make_split(corpus.val_ids, extract, g)
    sample = torch.randperm(len(train_x), generator=g)[:TRAIN_SAMPLE]
    return {
        "train_x": train_x,
        "train_y": train_y,
        "sample_x": train_x[sample],
        "sample_y": train_y[sample],
        "test_x": test_x,
        "test_y": test_y,
    }


def hidden_states(gpt, idx: Tensor) -> Tensor:
    """idx (B, T) -> the last layer's states (B, T, C): GPT.forward without the LM head."""
    pos = torch.arange(idx.size(1))
    x = gpt.drop(gpt.tok_emb(idx) + gpt.pos_emb(pos))  # (B, T, C)
    mask = causal_mask(idx.size(1))
    for block in gpt.blocks:
        x = block(x, mask)
    return gpt.ln_f(x)


def losses(gpt, head: nn.Linear, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """(L1 the LM loss on the window's characters, L2 the classification loss, class logits)."""
    h = hidden_states(gpt, x)  # (B, T, C)
    lm_logits = gpt.lm_head(h[:, :-2])  # (B, T - 2, V): predict characters 1 .. T - 2
    l1 = F.cross_entropy(lm_logits.flatten(0, 1), x[:, 1:-1].flatten())
    class_logits = head(h[:, -1])  # (B, 2): read at the extract token
    return l1, F.cross_entropy(class_logits, y), class_logits


@torch.no_grad()
def evaluate(gpt, head, x: Tensor, y: Tensor, chunk: int = 500) -> dict[str, float]:
    """Mean LM loss, task loss and accuracy over all windows, a chunk at a time (the LM logits of
    thousands of windows at once would take gigabytes)."""
    was_training = gpt.training
    gpt.eval()
    totals = {"lm": 0.0, "task": 0.0, "acc": 0.0}
    for i in range(0, len(x), chunk):
        xs, ys = x[i : i + chunk], y[i : i + chunk]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast_bf16()):  # as in training
            l1, l2, logits = losses(gpt, head, xs, ys)
        totals["lm"] += l1.item() * len(xs)
        totals["task"] += l2.item() * len(xs)
        totals["acc"] += (logits.argmax(-1) == ys).sum().item()
    gpt.train(was_training)
    return {k: v / len(x) for k, v in totals.items()}


def fine_tune(pretrained, data, lam: float, steps: int, seed: int, progress) -> dict:
    gpt = copy.deepcopy(pretrained)  # never change the shared model
    torch.manual_seed(seed)
    head = nn.Linear(gpt.config.n_embd, len(CLASSES))  # the same initial head in both runs
    params = list(gpt.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    g = torch.Generator().manual_seed(seed)  # the same batches in both runs
    n, batch_size = len(data["train_x"]), 32
    log = {"step": [], "task loss": [], "LM loss": []}
    seen = {"task": [], "lm": []}
    every = max(1, steps // 25)
    gpt.train()
    for step in range(1, steps + 1):
        i = torch.randint(n, (batch_size,), generator=g)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast_bf16()):
            l1, l2, _ = losses(gpt, head, data["train_x"][i], data["train_y"][i])
        loss = l2 + lam * l1  # lam = 0: the task loss alone
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        seen["task"].append(l2.item())
        seen["lm"].append(l1.item())
        if step % every == 0 or step == steps:
            log["step"].append(step)
            log["task loss"].append(sum(seen["task"]) / len(seen["task"]))
            log["LM loss"].append(sum(seen["lm"]) / len(seen["lm"]))
            seen = {"task": [], "lm": []}
            if progress:
                name = "L2 only" if lam == 0 else f"L2 + {lam}·L1"
                name_zh = NAMES[name]["zh"] if name in NAMES else name
                task = log["task loss"][-1]
                text = {
                    "en": f"{name}: step {step}/{steps} · task loss {task:.3f}",
                    "zh": f"{name_zh}：第 {step}/{steps} 步 · 任务损失 {task:.3f}",
                }
                curve = Lines(
                    x=list(log["step"]),
                    series={k: list(v) for k, v in log.items() if k != "step"},
                    series_labels=LOSS_NAMES,
                    x_label=STEP_AXIS,
                    y_label=LOSS_AXIS,
                )
                progress(step / steps, text, curve)
    return {
        "log": log,
        "train": evaluate(gpt, head, data["sample_x"], data["sample_y"]),
        "test": evaluate(gpt, head, data["test_x"], data["test_y"]),
    }


def run(steps: int = 50, pretrain_steps: int = GPT_STEPS, seed: int = 0, progress=None) -> list:
    pre = tiny_gpt(pretrain_steps, seed, scaled(progress, 0.0, 0.5))  # the shared tiny GPT
    data = make_dataset(pre.corpus, seed)
    plain = fine_tune(pre.model, data, 0.0, steps, seed, scaled(progress, 0.5, 0.75))
    aux = fine_tune(pre.model, data, LAMBDA, steps, seed, scaled(progress, 0.75, 1.0))

    probe = nn.Linear(pre.model.config.n_embd, len(CLASSES))  # unused: evaluate() wants a head
    before = {
        split: evaluate(pre.model, probe, data[f"{key}_x"], data[f"{key}_y"])["lm"]
        for split, key in (("train", "sample"), ("test", "test"))
    }
    n_test = len(data["test_y"])
    majority = max(data["test_y"].float().mean().item(), 1 - data["test_y"].float().mean().item())
    diff = aux["test"]["acc"] - plain["test"]["acc"]
    p = (aux["test"]["acc"] + plain["test"]["acc"]) / 2
    noise = math.sqrt(2 * p * (1 - p) / n_test)  # std of the difference of two such accuracies
    return [
        Lines(
            x=plain["log"]["step"],
            series={
                "L2 only": plain["log"]["task loss"],
                f"L2 + {LAMBDA}·L1": aux["log"]["task loss"],
            },
            series_labels=NAMES,
            title={
                "en": "Task loss L2 on the training batches (chance: ln 2 = 0.693)",
                "zh": "训练批次上的任务损失 L2（随机猜测：ln 2 = 0.693）",
            },
            x_label=STEP_AXIS,
            y_label={"en": "task loss", "zh": "任务损失"},
        ),
        Lines(
            x=plain["log"]["step"],
            series={
                "L2 only": plain["log"]["LM loss"],
                f"L2 + {LAMBDA}·L1": aux["log"]["LM loss"],
            },
            series_labels=NAMES,
            title={
                "en": "LM loss L1 on the same batches (optimised only in the second run)",
                "zh": "同一批次上的语言模型损失 L1（只有第二次微调在优化它）",
            },
            x_label=STEP_AXIS,
            y_label={"en": "LM loss", "zh": "语言模型损失"},
        ),
        Table(
            columns=[
                {"en": "run", "zh": "微调方式"},
                {"en": "test accuracy", "zh": "测试准确率"},
                {"en": "test task loss", "zh": "测试任务损失"},
                {"en": "LM loss, fine-tuning text", "zh": "语言模型损失（微调文本）"},
                {"en": "LM loss, test text", "zh": "语言模型损失（测试文本）"},
            ],
            rows=[
                [
                    NAMES.get(name, name),
                    f"{r['test']['acc']:.1%}",
                    round(r["test"]["task"], 3),
                    round(r["train"]["lm"], 3),
                    round(r["test"]["lm"], 3),
                ]
                for name, r in (("L2 only", plain), (f"L2 + {LAMBDA}·L1", aux))
            ]
            + [
                [
                    {"en": "pre-trained, before fine-tuning", "zh": "预训练模型，微调前"},
                    "—",
                    "—",
                    round(before["train"], 3),
                    round(before["test"], 3),
                ]
            ],
            title={
                "en": f"After {steps} steps; {len(data['train_y'])} training windows (the "
                f"losses on the fine-tuning text: {len(data['sample_y'])} of them) and {n_test} "
                "test windows",
                "zh": f"{steps} 步之后；训练窗口 {len(data['train_y'])} 个（微调文本上的损失在其中 "
                f"{len(data['sample_y'])} 个上测量），测试窗口 {n_test} 个",
            },
        ),
        Metric({"en": "majority-class accuracy", "zh": "多数类准确率"}, f"{majority:.1%}"),
        Metric(
            {"en": "accuracy difference (aux − plain)", "zh": "准确率差（辅助 − 仅任务）"},
            f"{diff:+.1%}",
            {
                "en": f"noise level about ±{noise:.1%} (one std)",
                "zh": f"噪声水平约 ±{noise:.1%}（一个标准差）",
            },
        ),
        Text(
            {
                "en": f"With the auxiliary loss the test accuracy changed by {diff:+.1%} "
                f"({plain['test']['acc']:.1%} → {aux['test']['acc']:.1%}); with {n_test} test "
                f"windows one standard deviation of such a difference is about {noise:.1%}, so "
                + (
                    "this is within the noise. "
                    if abs(diff) < 2 * noise
                    else "this is beyond the noise of the test set, though one seed and one task "
                    "prove little. "
                )
                + "What the auxiliary loss does reliably is keep the language model: its LM loss "
                "on the fine-tuning text stays low, while the task loss alone lets it drift.",
                "zh": f"加入辅助损失后，测试准确率变化 {diff:+.1%}（{plain['test']['acc']:.1%} → "
                f"{aux['test']['acc']:.1%}）；测试窗口只有 {n_test} 个，这种差值的一个标准差约为 {noise:.1%}，"
                + (
                    "所以它在噪声范围之内。"
                    if abs(diff) < 2 * noise
                    else "超出了测试集的噪声，但一个种子、一个任务说明不了太多。"
                )
                + "辅助损失稳定做到的是保住语言模型：它在微调文本上的语言模型损失保持较低，"
                "而只用任务损失时会漂移变差。",
            }
        ),
        Check(
            {
                "en": "Both runs finished, and the auxiliary run's LM loss on the fine-tuning text "
                "is lower than the task-only run's",
                "zh": "两次微调都已完成，且辅助损失那一次在微调文本上的语言模型损失低于只用任务损失的那一次",
            },
            len(plain["log"]["step"]) == len(aux["log"]["step"]) > 0
            and aux["train"]["lm"] < plain["train"]["lm"],
            {
                "en": f"LM loss {aux['train']['lm']:.3f} (L2 + {LAMBDA}·L1) vs "
                f"{plain['train']['lm']:.3f} (L2 only); {before['train']:.3f} before fine-tuning",
                "zh": f"语言模型损失 {aux['train']['lm']:.3f}（L2 + {LAMBDA}·L1），"
                f"{plain['train']['lm']:.3f}（仅 L2）；微调前 {before['train']:.3f}",
            },
        ),
    ]
