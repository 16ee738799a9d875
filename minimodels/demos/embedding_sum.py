"""BERT's input: token + segment + position embeddings, added. Why adding loses nothing.

Looking up three tables and adding the rows is the same as writing the token, the segment and the
position as one-hot vectors, stacking them into one long vector, and applying a single linear
layer. Adding is therefore not a lossy shortcut for concatenating: it *is* "concatenate, then
project", the first thing any network does with its input.
"""

import torch
import torch.nn.functional as F
from torch import nn

from minimodels.bert import BertConfig, Embeddings
from minimodels.results import Check, Heatmap, Metric, Table, Text
from minimodels.tokenizers import BERT_SPECIALS, pre_tokenize
from minimodels.train import set_threads

MAX_POSITION, SEGMENTS = 64, 2


@torch.no_grad()
def run(sentence_a: str, sentence_b: str, width: int = 32, seed: int = 0) -> list:
    set_threads()
    # 1. [CLS] A [SEP] B [SEP], a vocabulary of the two sentences' own words.
    a, b = pre_tokenize(sentence_a), pre_tokenize(sentence_b)
    tokens = (["[CLS]", *a, "[SEP]", *b, "[SEP]"])[:MAX_POSITION]
    vocab = list(BERT_SPECIALS) + sorted(set(a + b) - set(BERT_SPECIALS))
    V, T = len(vocab), len(tokens)
    ids = torch.tensor([[vocab.index(t) for t in tokens]])  # (1, T)
    segments = torch.tensor([[0] * (len(a) + 2) + [1] * (len(b) + 1)])[:, :T]  # (1, T) A = 0, B = 1
    positions = torch.arange(T)[None, :]  # (1, T)

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=V, max_position=MAX_POSITION, n_embd=width)
    emb = Embeddings(config).eval()  # BERT's embedding layer: three tables, then LayerNorm

    # 2. Three lookups, added.
    summed = emb.tok_emb(ids) + emb.seg_emb(segments) + emb.pos_emb(positions)  # (1, T, C)

    # 3. One linear layer on the concatenated one-hot vectors [token | segment | position].
    one_hot = torch.cat(
        [
            F.one_hot(ids, V),  # (1, T, V)
            F.one_hot(segments, SEGMENTS),  # (1, T, 2)
            F.one_hot(positions, MAX_POSITION),  # (1, T, P)
        ],
        dim=-1,
    ).float()  # (1, T, V + 2 + P)
    linear = nn.Linear(V + SEGMENTS + MAX_POSITION, width, bias=False)
    # Its weight is the three tables stacked: (V + 2 + P, C), transposed as nn.Linear stores it.
    linear.weight.copy_(torch.cat([emb.tok_emb.weight, emb.seg_emb.weight, emb.pos_emb.weight]).T)
    projected = linear(one_hot)  # (1, T, C)
    diff = (summed - projected).abs().max().item()

    # 4. BERT's embedding layer is exactly this sum followed by LayerNorm.
    ln_diff = (emb(ids, segments) - emb.ln(summed)).abs().max().item()

    # 5. Read each sum back: compare it with every possible (token, segment, position) sum.
    every = (
        emb.tok_emb.weight[:, None, None, :]  # (V, 1, 1, C)
        + emb.seg_emb.weight[None, :, None, :]  # (1, 2, 1, C)
        + emb.pos_emb.weight[None, None, :, :]  # (1, 1, P, C)
    ).reshape(-1, width)  # (V * 2 * P, C)
    distances = torch.cdist(summed[0], every)  # (T, V * 2 * P)
    nearest = distances.argmin(dim=-1)  # (T,) flat index of (token, segment, position)
    decoded = torch.stack(
        [
            nearest // (SEGMENTS * MAX_POSITION),
            nearest // MAX_POSITION % SEGMENTS,
            nearest % MAX_POSITION,
        ]
    )  # (3, T)
    truth = torch.stack([ids[0], segments[0], positions[0]])  # (3, T)
    runner_up = distances.sort(dim=-1).values[:, 1].min().item()  # closest wrong combination

    return [
        Table(
            columns=[
                {"en": "position", "zh": "位置"},
                {"en": "token", "zh": "token（词元）"},
                {"en": "segment", "zh": "段"},
                {"en": "token emb[:3]", "zh": "token 嵌入[:3]"},
                {"en": "segment emb[:3]", "zh": "段嵌入[:3]"},
                {"en": "position emb[:3]", "zh": "位置嵌入[:3]"},
                {"en": "sum[:3]", "zh": "和[:3]"},
            ],
            rows=[
                [
                    i,
                    tokens[i],
                    "AB"[segments[0, i]],
                    *(
                        ", ".join(f"{v:+.2f}" for v in e[0, i, :3].tolist())
                        for e in (
                            emb.tok_emb(ids),
                            emb.seg_emb(segments),
                            emb.pos_emb(positions),
                            summed,
                        )
                    ),
                ]
                for i in range(T)
            ],
            title={
                "en": "Three lookups, added (first 3 of the numbers)",
                "zh": "三次查表，相加（显示前 3 个数）",
            },
        ),
        Heatmap(
            one_hot[0, :, : V + SEGMENTS + T].tolist(),  # positions T…P-1 are never used here
            [
                *vocab,
                {"en": "seg A", "zh": "段 A"},
                {"en": "seg B", "zh": "段 B"},
                *({"en": f"pos {p}", "zh": f"位置 {p}"} for p in range(T)),
            ],
            tokens,
            {
                "en": f"The same input as one vector per token: [token one-hot | segment | position], "
                f"{V} + {SEGMENTS} + {MAX_POSITION} = {one_hot.shape[-1]} wide with three 1s "
                f"(position columns {T}…{MAX_POSITION - 1} are all 0 and not drawn)",
                "zh": f"同样的输入写成每个 token 一个向量：[token one-hot | 段 | 位置]，宽 {V} + "
                f"{SEGMENTS} + {MAX_POSITION} = {one_hot.shape[-1]}，其中三个 1"
                f"（位置列 {T}…{MAX_POSITION - 1} 全为 0，未画出）",
            },
            "one-hot",
        ),
        Check(
            {
                "en": "token + segment + position embedding = one linear layer applied to the "
                "concatenated one-hot vectors",
                "zh": "token 嵌入 + 段嵌入 + 位置嵌入 = 对拼接起来的 one-hot 向量做一次线性变换",
            },
            diff < 1e-6,
            {"en": f"max |difference| = {diff:.1e}", "zh": f"|差值| 的最大值 = {diff:.1e}"},
        ),
        Check(
            {
                "en": "BERT's embedding layer outputs LayerNorm(this sum)",
                "zh": "BERT 的嵌入层输出的正是 LayerNorm(这个和)",
            },
            ln_diff < 1e-5,
            {"en": f"max |difference| = {ln_diff:.1e}", "zh": f"|差值| 的最大值 = {ln_diff:.1e}"},
        ),
        Metric(
            {"en": "combinations the sum is compared with", "zh": "与之比较的组合数"},
            f"{every.shape[0]:,}",
            {"en": "V × 2 × P", "zh": "V × 2 × P"},
        ),
        Metric(
            {"en": "closest wrong combination", "zh": "最近的错误组合的距离"},
            f"{runner_up:.3f}",
            {
                "en": "Euclidean distance; the right one is at 0",
                "zh": "欧氏距离；正确组合的距离为 0",
            },
        ),
        Check(
            {
                "en": "Each sum can be read back: its nearest (token, segment, position) sum is the "
                "right one at every position",
                "zh": "每个和都能被还原：在每个位置上，距离最近的（token，段，位置）组合都是正确的那个",
            },
            bool((decoded == truth).all()),
            {
                "en": f"{int((decoded == truth).all(dim=0).sum())} of {T} positions decoded "
                "correctly",
                "zh": f"{T} 个位置中有 {int((decoded == truth).all(dim=0).sum())} 个还原正确",
            },
        ),
        Text(
            {
                "en": "**Why adding loses nothing a learned model needs.** The sum is a linear map of "
                "the stacked one-hot vectors, as checked above. Concatenating the three embeddings "
                "instead and projecting the result back to width d gives e_tok·W₁ + e_seg·W₂ + "
                "e_pos·W₃: again a sum of three learned tables, so it can express nothing more. "
                "And because all three tables are learned, training can give token, segment and "
                "position directions that stay apart in d dimensions, where random directions are "
                "already nearly orthogonal; the layers after it can then read each one out. The "
                "caveat: real BERT has d = 768 against 30,522 + 2 + 512 one-hot slots, so not every "
                "combination can stay separable. The model only needs the ones that occur.",
                "zh": "**为什么相加不会丢掉模型需要的信息。** 如上面验证的，这个和是堆叠 one-hot 向量的一个"
                "线性映射。若改为把三个嵌入拼接起来再投影回 d 维，得到的是 e_tok·W₁ + e_seg·W₂ + "
                "e_pos·W₃：仍然是三个可学习表之和，表达能力并不更强。而且三张表都是学出来的，训练可以让"
                "token、段和位置的方向在 d 维空间里彼此分开（高维空间中随机方向本来就近乎正交），后面的层"
                "就能分别读出它们。需要注意：真实的 BERT 只有 d = 768，而 one-hot 槽位有 30,522 + 2 + "
                "512 个，不可能让每一种组合都可分；模型只需要区分实际出现的那些组合。",
            }
        ),
    ]
