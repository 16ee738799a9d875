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
    assert "sooner than nanogpt" in out
