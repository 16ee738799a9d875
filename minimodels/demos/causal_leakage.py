"""Change one token and see which outputs move: a GPT never looks ahead, BERT looks everywhere.

Both models are untrained (random weights, fixed seed) and read your sentence one character per
token. We change the character at position t and compare the logits before and after. In the
GPT, positions before t cannot see position t through any layer, so their logits are unchanged to
the last bit. In BERT every position attends to t, so every position's logits move.
"""

import torch

from minimodels.bert import Bert, BertConfig
from minimodels.gpt import GPT, GPTConfig
from minimodels.results import Check, Lines, Table
from minimodels.tokenizers import CharTokenizer
from minimodels.train import set_threads

FLOOR = 1e-10  # where the chart draws an unchanged logit


@torch.no_grad()
def run(sentence: str, position: int = 10, seed: int = 0) -> list:
    set_threads()
    tok = CharTokenizer.train(sentence + "#")  # "#" guarantees a second character to swap in
    ids = torch.tensor([tok.encode(sentence)])  # (1, T)
    T, V = ids.shape[1], tok.vocab_size
    t = min(position, T - 1)

    # The same sentence with the token at position t replaced by another one.
    changed = ids.clone()
    changed[0, t] = (ids[0, t] + 1) % V

    # Two tiny untrained models of the same size; eval() turns dropout off.
    torch.manual_seed(seed)
    gpt = GPT(GPTConfig(vocab_size=V, block_size=T, n_layer=2, n_head=2, n_embd=32)).eval()
    bert = Bert(
        BertConfig(vocab_size=V, max_position=T, n_layer=2, n_head=2, n_embd=32, n_inner=128,
                   pooler=False, nsp_head=False)
    ).eval()  # fmt: skip

    # Largest change of any logit, per position: (T,) for each model.
    gpt_delta = (gpt(changed) - gpt(ids)).abs().amax(dim=-1)[0]
    bert_delta = (bert(changed).mlm_logits - bert(ids).mlm_logits).abs().amax(dim=-1)[0]

    before = gpt_delta[:t].max().item() if t > 0 else 0.0  # GPT positions that precede t
    gpt_from_t = gpt_delta[t:].min().item()
    bert_min = bert_delta.min().item()
    chars = tok.decode(ids[0].tolist())
    return [
        Table(
            columns=[
                {"en": "position", "zh": "位置"},
                {"en": "token", "zh": "token（词元）"},
                {"en": "GPT max |Δlogit|", "zh": "GPT 最大 |Δlogit|"},
                {"en": "BERT max |Δlogit|", "zh": "BERT 最大 |Δlogit|"},
            ],
            rows=[
                [
                    i,
                    repr(chars[i]) + (f" → {tok.vocab[changed[0, t]]!r}" if i == t else ""),
                    f"{gpt_delta[i]:.2e}",
                    f"{bert_delta[i]:.2e}",
                ]
                for i in range(T)
            ],
            title={
                "en": f"Changing the token at position {t}: how much each position's logits move",
                "zh": f"改变位置 {t} 的 token：每个位置的 logits 变化多少",
            },
        ),
        Lines(
            x=list(range(T)),
            series={  # a log axis cannot show 0: exact zeros are drawn at FLOOR
                "GPT": gpt_delta.clamp(min=FLOOR).tolist(),
                "BERT": bert_delta.clamp(min=FLOOR).tolist(),
            },
            series_labels={
                "GPT": {"en": "GPT (causal)", "zh": "GPT（因果注意力）"},
                "BERT": {"en": "BERT (bidirectional)", "zh": "BERT（双向注意力）"},
            },
            title={
                "en": f"max |Δlogit| by position (exactly 0 is drawn at {FLOOR:g})",
                "zh": f"各位置的 max |Δlogit|（恰好为 0 的画在 {FLOOR:g}）",
            },
            x_label={"en": "position", "zh": "位置"},
            y_label="max |Δlogit|",
            log_y=True,
        ),
        Check(
            {
                "en": f"GPT: the logits at positions 0…{t - 1} do not change at all",
                "zh": f"GPT：位置 0…{t - 1} 的 logits 完全不变",
            },
            t > 0 and before < 1e-6,
            {
                "en": f"largest change before position {t}: {before:.1e}",
                "zh": f"位置 {t} 之前的最大变化：{before:.1e}",
            }
            if t > 0
            else {
                "en": "no position comes before 0: use a sentence of at least two characters",
                "zh": "位置 0 之前没有位置：请用至少两个字符的句子",
            },
        ),
        Check(
            {
                "en": f"GPT: the logits from position {t} on do change",
                "zh": f"GPT：从位置 {t} 开始的 logits 都会变化",
            },
            gpt_from_t > 0,
            {
                "en": f"smallest change from position {t} on: {gpt_from_t:.1e}",
                "zh": f"从位置 {t} 起的最小变化：{gpt_from_t:.1e}",
            },
        ),
        Check(
            {
                "en": "BERT: the logits at every position change",
                "zh": "BERT：每个位置的 logits 都会变化",
            },
            bert_min > 1e-6,
            {
                "en": f"smallest change over all {T} positions: {bert_min:.1e}",
                "zh": f"全部 {T} 个位置上的最小变化：{bert_min:.1e}",
            },
        ),
    ]
