"""Mixture-of-experts routing: where tokens go, what overflows, what a balancing loss fixes, and
what the model costs in parameters versus compute.

A router (one linear layer, d -> E) scores every token against E experts; each token goes to its
top-k experts, weighted by a softmax over those k scores (Mixtral's rule; Switch uses k = 1).
An expert processes at most `capacity = capacity_factor · k · N / E` tokens per batch; the rest
overflow and skip the layer (they pass through the residual connection only).

Switch Transformer's auxiliary loss, E · Σ_i f_i · P_i (f_i: share of assignments to expert i,
P_i: mean router probability for expert i), equals 1 when routing is uniform. f is not
differentiable, P is: minimising the product pushes probability away from overloaded experts.
Here a router on clustered tokens starts unbalanced; 200 Adam steps on the auxiliary loss alone
spread the load and cut the overflow.

Cost: all E experts must be stored, but each token runs through only k of them. For Mixtral
8x7B's published shapes that is about 47B parameters stored and 13B used per token.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from minimodels.results import Check, Lines, Metric, Table
from minimodels.train import set_threads

TOKENS, WIDTH, CLUSTERS, STEPS = 4096, 32, 6, 200


@dataclass(frozen=True)
class MoEShape:
    """A decoder with SwiGLU experts and grouped-query attention, no biases."""

    d: int
    layers: int
    d_ff: int
    heads: int
    kv_heads: int
    vocab: int
    experts: int
    top_k: int

    def counts(self) -> tuple[int, int]:
        """(parameters stored, parameters used per token)."""
        head = self.d // self.heads
        attention = 2 * self.d * self.d + 2 * self.d * self.kv_heads * head  # W_Q, W_O; W_K, W_V
        expert = 3 * self.d * self.d_ff  # SwiGLU: gate, up, down
        shared = self.layers * (attention + self.d * self.experts + 2 * self.d)  # router, 2 norms
        shared += 2 * self.vocab * self.d + self.d  # untied embedding and output head, final norm
        return (
            shared + self.layers * self.experts * expert,
            shared + self.layers * self.top_k * expert,
        )


# Mixtral 8x7B's configuration (Jiang et al. 2024, Table 1).
MIXTRAL = MoEShape(
    d=4096, layers=32, d_ff=14336, heads=32, kv_heads=8, vocab=32000, experts=8, top_k=2
)


def route(logits, top_k):
    """Top-k experts per token and their weights (softmax over the k chosen scores)."""
    top, chosen = logits.topk(top_k, dim=-1)  # (N, k) each
    return chosen, F.softmax(top, dim=-1)


def loads(chosen, experts):
    """Assignments per expert, (E,)."""
    return torch.bincount(chosen.flatten(), minlength=experts)


def overflow(load, capacity):
    """Assignments beyond an expert's capacity: they skip the expert."""
    return int((load - capacity).clamp(min=0).sum())


def balance_loss(logits, chosen, experts):
    """Switch Transformer: E · Σ f_i P_i; f from the hard choices, P from the softmax."""
    f = loads(chosen, experts).float() / chosen.numel()
    p = F.softmax(logits, dim=-1).mean(0)
    return experts * (f * p).sum()


def run(experts: int = 8, top_k: int = 2, capacity_factor: float = 1.25, seed: int = 0) -> list:
    set_threads()
    if top_k >= experts:
        raise ValueError(f"top_k ({top_k}) must be below the number of experts ({experts})")
    g = torch.Generator().manual_seed(seed)
    # Tokens from a few clusters, as real hidden states are: (N, d)
    centres = 3 * torch.randn(CLUSTERS, WIDTH, generator=g)
    x = centres[torch.randint(0, CLUSTERS, (TOKENS,), generator=g)] + torch.randn(
        TOKENS, WIDTH, generator=g
    )
    router = torch.nn.Linear(WIDTH, experts, bias=False)
    with torch.no_grad():
        router.weight.copy_(torch.randn(experts, WIDTH, generator=g) / WIDTH**0.5)
    capacity = int(capacity_factor * top_k * TOKENS / experts)

    with torch.no_grad():
        before, _ = route(router(x), top_k)
    load_before = loads(before, experts)

    # Train the router on the balancing loss alone.
    optimizer = torch.optim.Adam(router.parameters(), lr=0.01)
    curve = []
    for _ in range(STEPS):
        logits = router(x)  # (N, E)
        chosen, _ = route(logits, top_k)
        loss = balance_loss(logits, chosen, experts)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        curve.append(loss.item())
    with torch.no_grad():
        after, _ = route(router(x), top_k)
    load_after = loads(after, experts)

    uniform = experts * (torch.full((experts,), 1 / experts) ** 2).sum().item()  # f = P = 1/E
    dropped = overflow(load_before, capacity), overflow(load_after, capacity)
    imbalance = [(load.max() / load.float().mean()).item() for load in (load_before, load_after)]
    stored, active = MIXTRAL.counts()

    return [
        Table(
            columns=[
                {"en": "expert", "zh": "专家"},
                {"en": "tokens before", "zh": "训练前 token 数"},
                {"en": "tokens after", "zh": "训练后 token 数"},
            ],
            rows=[
                [str(i), int(a), int(b)]
                for i, (a, b) in enumerate(zip(load_before, load_after, strict=True))
            ],
            title={
                "en": f"{TOKENS:,} tokens, top-{top_k} of {experts} experts, capacity {capacity} each",
                "zh": f"{TOKENS:,} 个 token，从 {experts} 个专家中选 top-{top_k}，每个专家容量 {capacity}",
            },
        ),
        Metric(
            {"en": "Overflowing assignments before / after", "zh": "训练前 / 后溢出的分配数"},
            f"{dropped[0]:,} / {dropped[1]:,}",
        ),
        Check(
            {
                "en": "Routing is as uniform as it gets when the balancing loss is 1: E · Σ (1/E)(1/E) = 1",
                "zh": "路由完全均匀时平衡损失为 1：E · Σ (1/E)(1/E) = 1",
            },
            abs(uniform - 1) < 1e-6,
            {"en": f"{uniform:.6f}", "zh": f"{uniform:.6f}"},
        ),
        Check(
            {
                "en": "Training the router on the balancing loss spreads the load and cuts the overflow",
                "zh": "用平衡损失训练路由器后，负载变得均衡，溢出减少",
            },
            imbalance[1] < imbalance[0] and dropped[1] <= dropped[0],
            {
                "en": f"busiest expert {imbalance[0]:.2f}× the mean before, {imbalance[1]:.2f}× after; "
                f"loss {curve[0]:.3f} → {curve[-1]:.3f}",
                "zh": f"最忙的专家从平均值的 {imbalance[0]:.2f} 倍降到 {imbalance[1]:.2f} 倍；"
                f"损失 {curve[0]:.3f} → {curve[-1]:.3f}",
            },
        ),
        Lines(
            x=list(range(1, STEPS + 1)),
            series={"loss": curve},
            series_labels={"loss": {"en": "balancing loss", "zh": "平衡损失"}},
            title={
                "en": "E · Σ f_i P_i while training the router",
                "zh": "训练路由器时的 E · Σ f_i P_i",
            },
            x_label={"en": "step", "zh": "步数"},
            y_label={"en": "loss", "zh": "损失"},
        ),
        Table(
            columns=[
                {"en": "model", "zh": "模型"},
                {"en": "parameters stored", "zh": "存储的参数"},
                {"en": "parameters used per token", "zh": "每个 token 用到的参数"},
            ],
            rows=[["Mixtral 8x7B", f"{stored / 1e9:.2f}B", f"{active / 1e9:.2f}B"]],
            title={"en": "Counted from the published shapes", "zh": "按公开的结构参数计算"},
        ),
        Check(
            {
                "en": "Mixtral 8x7B stores about 47B parameters but uses about 13B per token, as its "
                "paper states",
                "zh": "Mixtral 8x7B 存储约 470 亿参数，每个 token 只用约 130 亿，与论文所述一致",
            },
            round(stored / 1e9) == 47 and round(active / 1e9) == 13,
            {"en": f"{stored:,} and {active:,}", "zh": f"{stored:,} 和 {active:,}"},
        ),
    ]
