"""The disk cache of finished training runs: keyed by everything that decides the result, bounded,
written atomically, and read defensively."""

import json
import logging
import math
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from minimodels.results import Check, Heatmap, Lines, Metric, Table, Text, TokenStrip
from studyapp.demos import REGISTRY, diskcache
from studyapp.demos.diskcache import DemoCache, code_hash, decode_parts, encode_parts
from tests.bankfixtures import REPO, VALID, write_question

GPT = REGISTRY["gpt-train"]
PARTS = [
    Metric({"en": "val loss", "zh": "验证损失"}, 1.875, {"en": "nats", "zh": "奈特"}),
    Table(["token", {"en": "count", "zh": "次数"}], [["th", 12, {"en": "yes", "zh": "是"}]], "t"),
    Lines(
        [0.0, 50.0], {"train": [4.2, 2.5], "val": [4.1, math.nan]}, {"val": {"en": "v", "zh": "验"}}
    ),
    Heatmap([[0.25, 0.75]], ["a", "b"], ["q"], "attention", "weight"),
    TokenStrip(["Att", "ention"], ["merged", "byte"], {"merged": "merged"}, "BPE"),
    Text({"en": "**Sample:** the model", "zh": "**样本：** 模型"}),
    Check({"en": "below the bigram baseline", "zh": "低于二元基线"}, True, "1.88 < 2.45"),
]


@pytest.fixture
def bank(tmp_path, monkeypatch):
    """A one-question bank, the training text of every test here."""
    folder = tmp_path / "questions"
    write_question(folder, VALID)
    monkeypatch.setenv("STUDYAPP_BANK", str(folder))
    monkeypatch.delenv("STUDYAPP_CORPUS", raising=False)
    return folder


@pytest.fixture
def cache(tmp_path, bank):
    return DemoCache(tmp_path / "cache" / "demos")


def store(cache: DemoCache, params: dict, parts=PARTS, trained_at: float = 1_000.0):
    return cache.store(cache.identity(GPT, params), parts, trained_at, 12.5)


def same_parts(got: list, want: list) -> bool:
    """Equal part by part, NaN equal to NaN (the JSON round trip keeps it)."""
    return json.dumps(encode_parts(got)) == json.dumps(encode_parts(want))


def test_a_stored_run_reads_back_whole(cache):
    params = GPT.defaults()
    path = store(cache, params)
    assert path.parent == cache.folder and path.suffix == ".json"
    cached = cache.load(GPT, dict(params))
    assert cached.trained_at == 1_000.0 and cached.seconds == 12.5
    assert same_parts(cached.parts, PARTS)
    assert [type(p) for p in cached.parts] == [type(p) for p in PARTS]
    assert math.isnan(cached.parts[2].series["val"][1])
    assert cached.parts[1].rows[0][2] == {"en": "yes", "zh": "是"}


def test_numpy_numbers_in_a_part_are_stored_as_plain_numbers(cache):
    parts = [Metric("loss", np.float32(1.5)), Lines(np.arange(3), {"a": np.array([1.0, 2, 3])})]
    store(cache, GPT.defaults(), parts)
    metric, lines = cache.load(GPT, GPT.defaults()).parts
    assert metric.value == 1.5 and lines.x == [0, 1, 2] and lines.series["a"] == [1.0, 2.0, 3.0]


def test_the_entry_changes_with_the_parameters(cache):
    store(cache, GPT.defaults())
    assert cache.load(GPT, {**GPT.defaults(), "seed": 1}) is None
    assert cache.load(GPT, {**GPT.defaults(), "temperature": 0.9}) is None
    assert cache.load(REGISTRY["decoding"], GPT.defaults()) is None  # another demo
    assert cache.load(GPT, GPT.defaults()) is not None


def test_the_entry_changes_with_the_training_code(cache, monkeypatch):
    store(cache, GPT.defaults())
    monkeypatch.setattr(diskcache, "code_hash", lambda: "0" * 64)
    assert cache.load(GPT, GPT.defaults()) is None


def test_the_code_hash_covers_every_file_of_minimodels(tmp_path, monkeypatch):
    engine = tmp_path / "minimodels"
    (engine / "demos").mkdir(parents=True)
    for name in ("train.py", "demos/gpt_train.py"):
        (engine / name).write_bytes((REPO / "minimodels" / name).read_bytes())
    monkeypatch.setattr(diskcache, "MINIMODELS", engine)
    hashes = []
    for change in (None, "train.py", "demos/gpt_train.py", "demos/new_demo.py"):
        if change:
            with open(engine / change, "a") as file:
                file.write("\n# a change\n")
        code_hash.cache_clear()
        hashes.append(code_hash())
    code_hash.cache_clear()
    assert len(set(hashes)) == 4


def test_the_entry_changes_with_the_bank_and_the_users_files(cache, bank, tmp_path, monkeypatch):
    store(cache, GPT.defaults())
    answer = next(bank.glob("*/*.yaml"))
    original = answer.read_text()
    answer.write_text(original.replace("both sides", "either side"))
    assert cache.load(GPT, GPT.defaults()) is None
    answer.write_text(original)  # the same text again: the same entry
    assert cache.load(GPT, GPT.defaults()) is not None

    write_question(bank, VALID.replace("sample-question", "another-question"))
    assert cache.load(GPT, GPT.defaults()) is None  # a new answer file
    store(cache, GPT.defaults())

    play = tmp_path / "play.txt"
    play.write_text("First Citizen:\nBefore we proceed any further, hear me speak.\n")
    monkeypatch.setenv("STUDYAPP_CORPUS", str(play))
    assert cache.load(GPT, GPT.defaults()) is None  # the user's own text
    store(cache, GPT.defaults())
    assert cache.load(GPT, GPT.defaults()) is not None
    play.write_text("All:\nSpeak, speak.\n")
    assert cache.load(GPT, GPT.defaults()) is None


def test_least_recently_used_entries_go_when_the_folder_is_over_its_bound(cache):
    paths = [store(cache, {**GPT.defaults(), "seed": seed}) for seed in range(3)]
    for age, path in zip((300, 200, 100), paths, strict=True):  # seed 0 oldest, seed 2 newest
        os.utime(path, (time.time() - age, time.time() - age))
    sizes = [path.stat().st_size for path in paths]
    cache.max_bytes = sum(sizes) + 10  # room for three entries, not four
    assert cache.load(GPT, {**GPT.defaults(), "seed": 0}) is not None  # now the most recent
    store(cache, {**GPT.defaults(), "seed": 3})
    kept = {s for s in range(4) if cache.load(GPT, {**GPT.defaults(), "seed": s}) is not None}
    assert kept == {0, 2, 3}  # seed 1 was the least recently used
    assert len(cache.entries()) == 3


def test_an_entry_bigger_than_the_bound_is_not_stored(cache):
    cache.max_bytes = 100
    assert store(cache, GPT.defaults()) is None
    assert cache.entries() == []


CORRUPTIONS = {
    "truncated": lambda body: body[: len(body) // 2],
    "not utf-8": lambda body: b"\xff\xfe" + body,
    "not an object": lambda body: b"[1, 2, 3]",
    "unknown part": lambda body: body.replace(b'"part": "Check"', b'"part": "Exec"'),
    "wrong field type": lambda body: body.replace(b'"value": 1.875', b'"value": [1, 2]'),
    "missing field": lambda body: body.replace(b'"passed": true, ', b""),
    "extra field": lambda body: body.replace(b'"passed": true', b'"passed": true, "x": 1'),
    "another run's": lambda body: body.replace(b'"seed": 0', b'"seed": 7'),
    "another format": lambda body: body.replace(b'"format": 1', b'"format": 0'),
    "parts not a list": lambda body: body.replace(b'"parts": [', b'"parts": {"a": [') + b"}",
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_or_foreign_entry_is_ignored_and_removed(cache, corruption, caplog):
    path = store(cache, GPT.defaults())
    body = path.read_bytes()
    changed = CORRUPTIONS[corruption](body)
    assert changed != body, "the corruption must change the entry"
    path.write_bytes(changed)
    with caplog.at_level(logging.WARNING, logger="studyapp.demos.diskcache"):
        assert cache.load(GPT, GPT.defaults()) is None
    assert not path.exists()
    assert "removing unreadable demo cache entry" in caplog.text
    store(cache, GPT.defaults())  # the next run's result is stored again
    assert same_parts(cache.load(GPT, GPT.defaults()).parts, PARTS)


def test_a_write_that_fails_midway_leaves_the_old_entry_and_no_temporary_file(cache, monkeypatch):
    store(cache, GPT.defaults(), trained_at=1_000.0)

    def crash(*args):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(diskcache.os, "replace", crash)
        assert store(cache, GPT.defaults(), [Text("new")], trained_at=2_000.0) is None
    cached = cache.load(GPT, GPT.defaults())
    assert cached.trained_at == 1_000.0 and same_parts(cached.parts, PARTS)
    assert sorted(p.name for p in cache.folder.iterdir()) == [p.name for p in cache.entries()]


def test_a_dead_writers_temporary_file_is_never_read_and_is_cleaned_up(cache):
    store(cache, GPT.defaults())
    cache.folder.joinpath(".half-written.tmp").write_bytes(b'{"identity": ')
    stale = cache.folder / ".stale.tmp"
    stale.write_bytes(b"{")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    assert len(cache.entries()) == 1
    store(cache, {**GPT.defaults(), "seed": 1})
    assert not stale.exists() and cache.folder.joinpath(".half-written.tmp").exists()


def test_a_part_that_is_not_a_result_type_is_not_stored(cache):
    class Custom:
        pass

    assert store(cache, GPT.defaults(), [Custom()]) is None
    with pytest.raises(TypeError, match="not one of minimodels.results' parts"):
        encode_parts([Custom()])
    with pytest.raises(KeyError):
        decode_parts([{"part": "Custom", "fields": {}}])


def test_a_cached_result_and_its_code_are_shown_without_importing_torch(cache, tmp_path):
    """What the page needs for a cached training demo: the entry, and the demo's source."""
    code_hash.cache_clear()  # as the new process will see the code (others may be editing it)
    store(cache, GPT.defaults())
    script = (
        "import sys\n"
        "from studyapp.demos import REGISTRY\n"
        "from studyapp.demos.diskcache import DemoCache\n"
        f"cached = DemoCache({str(cache.folder)!r}).load(REGISTRY['gpt-train'],"
        " REGISTRY['gpt-train'].defaults())\n"
        "from studyapp.demos import source_of\n"
        "code = source_of(REGISTRY['gpt-train'])\n"
        "print(len(cached.parts), 'def run(' in code, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.split() == [str(len(PARTS)), "True", "False"]


def test_the_default_folder_is_demos_under_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(tmp_path / "mine"))
    assert DemoCache().folder == tmp_path / "mine" / "demos"
