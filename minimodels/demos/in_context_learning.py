"""In-context learning on a tiny GPT: a rule it can only know from the examples in its prompt.

Every sequence carries a fresh random dictionary from 8 keys to 8 values. It alternates examples
and queries: the token "key 3 has value 5", then a query token "value of key 1?", then another
example, another query... The model is trained to answer every query. Because the dictionary
changes from sequence to sequence, no weight can memorise it: the only way to answer is to find
an example with the queried key *earlier in the prompt* and read its value off.

After training, the weights are frozen and the model is given new dictionaries it has never
seen. Queries whose key appeared among the earlier examples are answered almost always; queries
whose key did not appear are at chance (1 in 8). The task is specified by demonstrations in the
input, with no gradient step: few-shot prompting in miniature. (One attention layer learns this
lookup within seconds; GPT-3's few-shot abilities are far broader, and how much of them is the
same kind of lookup is an open question.)
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from minimodels.gpt import GPT, GPTConfig
from minimodels.results import Check, Lines, Metric, Table
from minimodels.train import set_threads

KEYS = VALUES = 8
QUERY = VALUES  # tokens 8..15: "what is the value of key k?"
PAIR = VALUES + KEYS  # tokens 16..79: "key k has value v", one token per (k, v)


@dataclass
class Config:
    pairs: int = 12  # examples per sequence, each followed by one query: 24 tokens
    steps: int = 400
    batch: int = 64
    lr: float = 3e-3


def make_batch(n: int, pairs: int, g: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Sequences "example, query, example, query, ...", each with its own random dictionary.

    Returns tokens (n, 2 * pairs), answers (n, pairs) (the value each query asks for) and
    shown (n, pairs) (whether an earlier example in the sequence showed the queried key)."""
    tables = torch.stack([torch.randperm(VALUES, generator=g) for _ in range(n)])  # (n, 8)
    keys = torch.randint(0, KEYS, (n, pairs), generator=g)  # keys of the examples
    asked = torch.randint(0, KEYS, (n, pairs), generator=g)  # keys the queries ask about
    examples = PAIR + keys * VALUES + torch.gather(tables, 1, keys)  # (n, pairs)
    tokens = torch.stack([examples, QUERY + asked], dim=2).reshape(n, 2 * pairs)
    answers = torch.gather(tables, 1, asked)  # (n, pairs)
    # Query i comes after examples 0..i: was its key among them?
    shown = ((asked[:, :, None] == keys[:, None, :]).tril()).any(dim=2)  # (n, pairs)
    return tokens, answers, shown


def run(steps: int = 400, seed: int = 0, progress=None) -> list:
    set_threads()
    cfg = Config(steps=steps)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = GPT(
        GPTConfig(
            vocab_size=PAIR + KEYS * VALUES,
            block_size=2 * cfg.pairs,
            n_layer=1,
            n_head=2,
            n_embd=64,
        )
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    losses = []
    for step in range(cfg.steps):
        tokens, answers, _ = make_batch(cfg.batch, cfg.pairs, g)  # (B, T), (B, pairs)
        logits = model(tokens)[:, 1::2, :VALUES]  # (B, pairs, 8): the output at each query
        loss = F.cross_entropy(logits.reshape(-1, VALUES), answers.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if progress and step % 50 == 0:
            progress(
                step / cfg.steps,
                {
                    "en": f"step {step}, loss {loss.item():.3f}",
                    "zh": f"第 {step} 步，损失 {loss.item():.3f}",
                },
                None,
            )

    # Frozen weights from here on: new dictionaries the model has never seen.
    model.eval()
    tokens, answers, shown = make_batch(2000, cfg.pairs, torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        predicted = model(tokens)[:, 1::2, :VALUES].argmax(-1)  # (n, pairs)
    correct = predicted == answers  # (n, pairs)
    acc_seen = correct[shown].float().mean().item()
    acc_new = correct[~shown].float().mean().item()
    # By the number of examples in the prompt before the query (1 ... pairs).
    by_shots = [correct[:, i][shown[:, i]].float().mean().item() for i in range(cfg.pairs)]
    zero_shot = [correct[:, i][~shown[:, i]].float().mean().item() for i in range(cfg.pairs)]

    return [
        Lines(
            x=list(range(1, cfg.steps + 1)),
            series={"loss": losses},
            series_labels={"loss": {"en": "training loss", "zh": "训练损失"}},
            title={"en": "Training on random dictionaries", "zh": "在随机字典上训练"},
            x_label={"en": "step", "zh": "步数"},
            y_label={"en": "cross-entropy (nats)", "zh": "交叉熵（奈特）"},
        ),
        Table(
            columns=[
                {"en": "examples in the prompt", "zh": "提示中的示例数"},
                {"en": "accuracy, query key shown before", "zh": "准确率：查询的键出现过"},
                {"en": "accuracy, query key not shown", "zh": "准确率：查询的键未出现过"},
            ],
            rows=[
                [k, f"{a:.3f}", f"{b:.3f}"]
                for k, a, b in zip(range(1, cfg.pairs + 1), by_shots, zero_shot, strict=True)
            ],
            title={"en": "Frozen weights, new dictionaries", "zh": "权重冻结，全新的字典"},
        ),
        Metric(
            {"en": "accuracy when the prompt shows the key", "zh": "提示中出现过该键时的准确率"},
            round(acc_seen, 3),
        ),
        Metric(
            {
                "en": "accuracy when it does not (chance 0.125)",
                "zh": "提示中未出现该键时的准确率（随机 0.125）",
            },
            round(acc_new, 3),
        ),
        Check(
            {
                "en": "with the key in the prompt, the frozen model answers far above chance (> 0.8)",
                "zh": "提示中出现过该键时，冻结的模型远高于随机水平（> 0.8）",
            },
            acc_seen > 0.8,
            f"{acc_seen:.3f}",
        ),
        Check(
            {
                "en": "without it, the model is at chance (< 0.2): the answer came from the prompt",
                "zh": "没有出现过时，模型处于随机水平（< 0.2）：答案来自提示",
            },
            acc_new < 0.2,
            f"{acc_new:.3f}",
        ),
    ]
