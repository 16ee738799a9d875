from minimodels import bench
from minimodels.gpt import GPTConfig
from minimodels.train import TrainConfig


def test_flops_per_token_is_6n_plus_attention():
    config = GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, bias=False)
    n = 804_096 - 64 * 128  # nanoGPT's count: all parameters minus the position embedding
    assert bench.flops_per_token(config) == 6 * n + 12 * 4 * 64 * 128


def test_bench_reaches_an_easy_target_and_reports(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question.\n" * 400, encoding="utf-8")
    tiny = bench.Recipe(
        GPTConfig(block_size=16, n_layer=1, n_head=2, n_embd=32, bias=False),
        TrainConfig(steps=200, batch_size=8, block_size=16, lr=1e-2, warmup_steps=10),
        eval_every=20,
    )
    monkeypatch.setattr(bench, "RECIPES", {"fast": tiny, "nanogpt": tiny})
    monkeypatch.setattr(bench, "matmul_peak", lambda *a, **k: 1e11)
    bench.main(["gpt", "--corpus", str(corpus), "--target-val-loss", "1.5", "--recipe", "both"])
    out = capsys.readouterr().out
    assert "fast: to target" in out and "nanogpt: to target" in out
    assert "never" not in out and out.count("(1/1 runs)") == 2
    ratio_line = next(line for line in out.splitlines() if line.startswith("fast / nanogpt"))
    assert "per seed" in ratio_line and "target <= 0.33x" in ratio_line


def run(seconds, total):
    return {"seconds": seconds, "total_seconds": total}


def test_ratio_is_fast_time_to_target_over_the_reference():
    assert bench.time_ratio(run(30.0, 31.0), run(100.0, 101.0)) == 0.3
    # A reference that never gets there is charged its whole run.
    assert bench.time_ratio(run(30.0, 31.0), run(None, 120.0)) == 0.25
    assert bench.time_ratio(run(None, 60.0), run(100.0, 101.0)) is None


def test_the_clock_stops_at_the_first_whole_split_evaluation_at_or_below_target(monkeypatch):
    """Evaluations happen only every eval_every steps once the recent training loss is within
    GATE of the target; the first one at or below the target stops training and the clock."""
    text = "to be or not to be, that is the question.\n" * 400
    tiny = bench.Recipe(
        GPTConfig(block_size=16, n_layer=1, n_head=2, n_embd=32, bias=False),
        TrainConfig(steps=300, batch_size=8, block_size=16, lr=1e-2, warmup_steps=10),
        eval_every=20,
    )
    val_losses = []
    evaluate = bench.evaluate

    def spy(model, batch, config):
        val_losses.append(evaluate(model, batch, config))
        return val_losses[-1]

    monkeypatch.setattr(bench, "evaluate", spy)
    result = bench.run_once(tiny, text, target=1.2, seed=0)
    during = val_losses[: result["evals"]]
    assert result["evals"] >= 1 and result["step"] % 20 == 0 and result["step"] < 300
    assert result["evals"] < result["step"] // 20  # the gate skipped the early, hopeless ones
    assert during[-1] == result["val_loss"] <= 1.2 < min(during[:-1], default=9.0)
    assert result["seconds"] is not None and result["seconds"] <= result["total_seconds"]
    # Checked again in float32 afterwards, outside the clock.
    assert abs(result["val_loss_fp32"] - result["val_loss"]) < 0.05


def test_recipes_take_turns_in_alternating_order_and_the_ratio_is_printed(monkeypatch, capsys):
    order = []
    seconds = {"fast": [30.0, 40.0, 35.0], "nanogpt": [None, None, None]}

    def fake_run_once(recipe, text, target, seed):
        name = "fast" if recipe is bench.RECIPES["fast"] else "nanogpt"
        order.append((name, seed))
        fast = name == "fast"
        return {"seconds": seconds[name][seed], "total_seconds": 41.0 if fast else 100.0 + seed,
                "train_seconds": 1.0, "step": 1, "val_loss": 1.8, "val_loss_fp32": 1.8,
                "evals": 1, "eval_seconds": 0.1, "tokens_per_s": 1.0, "flops_per_token": 1.0}  # fmt: skip

    monkeypatch.setattr(bench, "run_once", fake_run_once)
    monkeypatch.setattr(bench, "matmul_peak", lambda *a, **k: 1e11)
    bench.main(["gpt", "--corpus", __file__, "--recipe", "both", "--runs", "3"])
    assert order == [("fast", 0), ("nanogpt", 0), ("nanogpt", 1), ("fast", 1), ("fast", 2),
                     ("nanogpt", 2)]  # fmt: skip
    last = capsys.readouterr().out.splitlines()[-1]
    # median 35 s over nanogpt's median whole run, 101 s; per seed 30/100, 40/101, 35/102.
    assert "0.35x" in last and "per seed 0.30, 0.40, 0.34" in last and "NOT met" in last
