"""Demos for modern decoder-only architecture and positions: RoPE (relative scores, context
extension), sinusoidal shifts, RMSNorm vs LayerNorm vs BatchNorm, mixture-of-experts routing."""

from studyapp.demos import Demo, FloatParam, IntParam

SEED = IntParam("seed", {"en": "Random seed", "zh": "随机种子"}, 0, 0, 10_000)

DEMOS: list[Demo] = [
    Demo(
        id="rope-relative",
        title={
            "en": "RoPE: the score depends only on the offset",
            "zh": "RoPE：得分只取决于相对偏移",
        },
        explanation={
            "en": "Places one query vector and one key vector at every pair of positions, rotates "
            "them with RoPE and scores them. Every diagonal of the score matrix (one offset n − m) "
            "holds a single value, shifting all positions changes nothing, and rotation keeps "
            "lengths. The same vectors with sinusoidal encodings added before the projections give "
            "scores that change along the diagonals. A last chart shows what RoFormer's long-term "
            "decay is and is not: aligned vectors' scores fall with distance, random ones oscillate.",
            "zh": "把同一个 query 向量和同一个 key 向量放到每一对位置上，用 RoPE 旋转后计算得分。得分矩阵的"
            "每条对角线（同一个偏移 n − m）上只有一个值；所有位置一起平移，得分不变；旋转不改变长度。"
            "同样的向量若在投影之前加上正弦编码，得分会沿对角线变化。最后一张图说明 RoFormer 的远程衰减"
            "是什么、不是什么：方向一致的向量得分随距离下降，随机向量的得分则来回振荡。",
        },
        compute="minimodels.demos.rope_relative:run",
        params=(
            IntParam("dim", {"en": "Head dimension d", "zh": "每个头的维度 d"}, 64, 16, 128, 16),
            IntParam("length", {"en": "Positions shown", "zh": "显示的位置数"}, 16, 4, 48),
            IntParam(
                "offset", {"en": "Shift all positions by", "zh": "所有位置平移"}, 1000, 0, 100_000
            ),
            SEED,
        ),
    ),
    Demo(
        id="rope-scaling",
        title={
            "en": "Longer context for RoPE: extrapolation, interpolation, NTK-aware base",
            "zh": "延长 RoPE 的上下文：直接外推、位置插值、NTK 感知的基数",
        },
        explanation={
            "en": "A RoPE model trained on L positions has seen each rotary pair only at angles in "
            "[0, L·θ_i). Run on s·L positions, the demo counts which pairs meet angles they never "
            "saw: extrapolating, exactly the pairs whose wavelength exceeds L; with position "
            "interpolation, none, at the price of s times less angle between neighbours; with the "
            "NTK-aware base, the fastest pair keeps full resolution, the slowest is divided by s, "
            "and the pairs between still overshoot, but by less.",
            "zh": "在 L 个位置上训练的 RoPE 模型，每个旋转分量对只见过 [0, L·θ_i) 范围内的角度。在 s·L 个"
            "位置上运行时，演示统计哪些分量对遇到了从未见过的角度：直接外推时，恰好是波长超过 L 的那些；"
            "位置插值时一个也没有，代价是相邻 token 之间的角度差缩小为 1/s；使用 NTK 感知的基数时，最快的"
            "分量对保持原有分辨率，最慢的被除以 s，中间的分量对仍会超出，只是超出得少。",
        },
        compute="minimodels.demos.rope_scaling:run",
        params=(
            IntParam("dim", {"en": "Head dimension d", "zh": "每个头的维度 d"}, 128, 16, 256, 16),
            IntParam(
                "trained", {"en": "Trained length L", "zh": "训练长度 L"}, 2048, 128, 32_768, 128
            ),
            IntParam("scale", {"en": "Extension factor s", "zh": "扩展倍数 s"}, 4, 2, 32),
        ),
    ),
    Demo(
        id="sinusoid-shift",
        title={
            "en": "Sinusoidal encodings: one linear map moves every position k steps on",
            "zh": "正弦位置编码：同一个线性映射把每个位置向后移 k 步",
        },
        explanation={
            "en": "Builds the original Transformer's sinusoidal table and the block-diagonal "
            "rotation M_k, and checks that M_k·PE(p) = PE(p + k) at every position, as Vaswani et "
            "al. intended. It also checks what that does not give: PE(p)·PE(q) depends only on "
            "p − q but cannot tell before from after, and after random query and key projections "
            "the positional score is no longer a function of p − q.",
            "zh": "构造原始 Transformer 的正弦编码表和分块对角的旋转矩阵 M_k，验证在每个位置上都有 "
            "M_k·PE(p) = PE(p + k)，正如 Vaswani 等人的设计意图。它也验证了这件事给不了什么："
            "PE(p)·PE(q) 只取决于 p − q，却分不出前后；经过随机的 query、key 投影后，位置部分的得分"
            "就不再只是 p − q 的函数。",
        },
        compute="minimodels.demos.sinusoid_shift:run",
        params=(
            IntParam("d_model", {"en": "Model width d", "zh": "模型宽度 d"}, 64, 8, 512, 8),
            IntParam("offset", {"en": "Offset k", "zh": "偏移 k"}, 5, 1, 1000),
            IntParam(
                "positions", {"en": "Positions checked", "zh": "检查的位置数"}, 256, 32, 2048, 32
            ),
            SEED,
        ),
    ),
    Demo(
        id="rmsnorm-vs-layernorm",
        title={
            "en": "RMSNorm vs LayerNorm, and why not BatchNorm",
            "zh": "RMSNorm 与 LayerNorm 的对比，以及为什么不用 BatchNorm",
        },
        explanation={
            "en": "Normalises random token vectors with LayerNorm and RMSNorm written by hand "
            "(checked against torch). The two agree exactly on zero-mean vectors; both ignore a "
            "re-scaling, only LayerNorm ignores a constant added to every feature. Then one token "
            "at the end of another sequence is changed: BatchNorm's output for the first token "
            "moves, LayerNorm's and RMSNorm's do not, since they use only the token's own features.",
            "zh": "用手写的 LayerNorm 和 RMSNorm（与 torch 的实现核对过）归一化随机的 token 向量。两者在"
            "均值为零的向量上完全一致；对整体缩放两者都不变，对每个特征加同一个常数则只有 LayerNorm 不变。"
            "接着改动另一条序列末尾的一个 token：BatchNorm 对第一个 token 的输出随之改变，LayerNorm 和 "
            "RMSNorm 则不会，因为它们只用该 token 自己的特征。",
        },
        compute="minimodels.demos.norms:run",
        params=(
            IntParam("width", {"en": "Width d", "zh": "宽度 d"}, 64, 8, 512, 8),
            FloatParam(
                "mean_shift",
                {"en": "Spread of per-token means", "zh": "每个 token 均值的离散程度"},
                1.0,
                0.0,
                5.0,
                0.1,
            ),
            SEED,
        ),
    ),
    Demo(
        id="moe-routing",
        title={
            "en": "Mixture of experts: routing load, overflow, balancing loss and cost",
            "zh": "混合专家：路由负载、溢出、平衡损失与开销",
        },
        explanation={
            "en": "Routes 4,096 clustered tokens to the top-k of E experts with a random router and "
            "counts each expert's load against its capacity. Training the router on Switch "
            "Transformer's balancing loss alone, E · Σ f_i P_i, spreads the load and cuts the "
            "overflow. The loss is exactly 1 for uniform routing. A table counts Mixtral 8x7B's "
            "parameters from its published shapes: about 47B stored, about 13B used per token.",
            "zh": "用随机初始化的路由器把 4,096 个成簇分布的 token 分给 E 个专家中的 top-k，统计每个专家的"
            "负载与容量。只用 Switch Transformer 的平衡损失 E · Σ f_i P_i 训练路由器，负载就变得均衡、"
            "溢出减少；路由完全均匀时该损失恰好为 1。另一张表按 Mixtral 8x7B 公开的结构参数计算其参数量："
            "存储约 470 亿，每个 token 只用约 130 亿。",
        },
        compute="minimodels.demos.moe_routing:run",
        params=(
            IntParam("experts", {"en": "Experts E", "zh": "专家数 E"}, 8, 4, 64),
            IntParam(
                "top_k", {"en": "Experts per token k", "zh": "每个 token 的专家数 k"}, 2, 1, 2
            ),
            FloatParam(
                "capacity_factor",
                {"en": "Capacity factor", "zh": "容量因子"},
                1.25,
                1.0,
                2.0,
                0.05,
            ),
            SEED,
        ),
    ),
]
