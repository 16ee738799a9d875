"""The bank is parsed once per process and re-read only when its files change; each file's
findings are kept on disk while the file stays the same."""

import gc
import json
import os
import re
import time
from pathlib import Path

import pytest

import studyapp.bank.load as bank
from tests.bankfixtures import REPO, VALID, write_question
from tests.test_validator import replace_line


def test_bank_is_cached_and_reloaded_on_change(tmp_path, monkeypatch):
    monkeypatch.setattr(bank, "RECHECK_SECONDS", 0.0)
    loads = []
    real_load = bank.load_bank
    monkeypatch.setattr(
        bank, "load_bank", lambda root, files: loads.append(root) or real_load(root, files)
    )
    write_question(tmp_path, VALID)
    first = bank.get_bank(tmp_path)
    assert bank.get_bank(tmp_path) is first and len(loads) == 1

    write_question(tmp_path, VALID.replace("sample-question", "second-one"), qid="second-one")
    assert sorted(bank.get_bank(tmp_path).questions) == ["sample-question", "second-one"]
    (tmp_path / "bert" / "second-one.yaml").unlink()
    assert sorted(bank.get_bank(tmp_path).questions) == ["sample-question"]
    assert len(loads) == 3


def test_the_apps_bank_is_kept_out_of_the_garbage_collectors_sight(tmp_path):
    # else every full collection (Streamlit runs one after each script run) walks all of it
    write_question(tmp_path, VALID)
    question = bank.get_bank(tmp_path).questions["sample-question"]
    assert gc.is_tracked(question)
    assert not any(
        tracked is question for tracked in gc.get_objects()
    )  # frozen ones are not listed


def test_between_checks_the_files_are_not_looked_at(tmp_path, monkeypatch):
    monkeypatch.setattr(bank, "RECHECK_SECONDS", 3600.0)
    write_question(tmp_path, VALID)
    first = bank.get_bank(tmp_path)
    write_question(tmp_path, VALID.replace("sample-question", "second-one"), qid="second-one")
    assert bank.get_bank(tmp_path) is first


# The parse cache on disk: each file's findings and validated question, kept while the file's
# size and modification time stay the same.
LONG_AGO = time.time() - 3600  # files this old have settled (see SETTLE_SECONDS)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def checks(monkeypatch):
    """The files actually read and checked (not taken from the cache), by name."""
    checked = []
    real = bank.check_file
    monkeypatch.setattr(
        bank, "check_file", lambda f, *args: checked.append(f.name) or real(f, *args)
    )
    return checked


def settled(path, when=LONG_AGO):
    os.utime(path, (when, when))
    return path


def summary(report):
    return (
        {qid: q.model_dump() for qid, q in report.questions.items()},
        [str(p) for p in report.problems],
        report.files_checked,
    )


def test_unchanged_files_come_from_the_cache(tmp_path, cache_dir, checks):
    bank_dir = tmp_path / "questions"
    settled(write_question(bank_dir, VALID))
    broken = replace_line(VALID.replace("sample-question", "broken-one"), 5, "difficulty: 5")
    broken = broken.replace("related: []", "related: [nowhere]")
    settled(write_question(bank_dir, broken, qid="broken-one"))
    first = bank.load_bank(bank_dir)
    assert sorted(checks) == ["broken-one.yaml", "sample-question.yaml"]
    [stored] = (cache_dir / "bank").glob("*.jsonl")
    lines = stored.read_text(encoding="utf-8").split("\n")[1:]
    assert {json.loads(line.split("\t")[0]) for line in lines} == {
        "bert/sample-question.yaml",
        "bert/broken-one.yaml",
    }
    checks.clear()
    second = bank.load_bank(bank_dir)
    assert checks == []
    assert summary(second) == summary(first)
    assert [str(p) for p in second.problems] == [
        "bert/broken-one.yaml:5:1: S002 difficulty: Input should be less than or equal to 3",
    ]
    assert second.paths == first.paths == {"sample-question": bank_dir / F_VALID}


F_VALID = "bert/sample-question.yaml"


def test_bank_rules_are_applied_afresh_to_cached_files(tmp_path, cache_dir, checks):
    bank_dir = tmp_path / "questions"
    linked = replace_line(VALID, 17, "related: [sample-question, second-one]")
    settled(write_question(bank_dir, linked))
    first = bank.load_bank(bank_dir)
    assert [str(p).split(" ")[:2] for p in first.problems] == [
        [f"{F_VALID}:17:11:", "B002"],
        [f"{F_VALID}:17:28:", "B002"],
    ]
    second = VALID.replace("sample-question", "second-one")
    settled(write_question(bank_dir, second, qid="second-one"))
    checks.clear()
    report = bank.load_bank(bank_dir)
    assert checks == ["second-one.yaml"]  # the first file came from the cache
    assert [str(p).split(" ")[:2] for p in report.problems] == [[f"{F_VALID}:17:11:", "B002"]]


@pytest.mark.parametrize("edit", ["size", "same-size"])
def test_an_edit_invalidates_the_entry(tmp_path, cache_dir, checks, edit):
    bank_dir = tmp_path / "questions"
    path = settled(write_question(bank_dir, VALID))
    assert bank.load_bank(bank_dir).questions["sample-question"].difficulty == 2
    if edit == "size":
        text = replace_line(VALID, 5, "difficulty:   3")
    else:  # same size: only the modification time tells
        text = replace_line(VALID, 5, "difficulty: 3")
    assert (len(text) == len(VALID)) == (edit == "same-size")
    path.write_text(text, encoding="utf-8")
    settled(path, LONG_AGO + 60)
    checks.clear()
    assert bank.load_bank(bank_dir).questions["sample-question"].difficulty == 3
    assert checks == ["sample-question.yaml"]


def test_a_file_changed_just_now_is_checked_on_every_load(tmp_path, cache_dir, checks):
    # within the file system's clock tick a second edit may keep both size and time
    write_question(tmp_path, VALID)
    bank.load_bank(tmp_path)
    bank.load_bank(tmp_path)
    assert checks == ["sample-question.yaml"] * 2


def replace_field(text: str, which: int, value: str) -> str:
    """The cache's text with field `which` (0 name, 1 stamp and findings, 2 question) of its
    first entry replaced."""
    header, entry, *rest = text.split("\n")
    fields = entry.split("\t")
    fields[which] = value
    return "\n".join([header, "\t".join(fields), *rest])


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "\x00\xff garbage",
        lambda text: text.replace('"difficulty":2', '"difficulty":"very"'),  # refused by the schema
        lambda text: replace_field(text, 1, "[1, 2, 3]"),  # stamp and findings of the wrong shape
        lambda text: replace_field(text, 1, "{not json"),
        lambda text: replace_field(text, 2, "[]"),  # a question that is not an object
        lambda text: text.replace('"version": "', '"version": "another validator ', 1),
    ],
)
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path, cache_dir, checks, damage):
    bank_dir = tmp_path / "questions"
    settled(write_question(bank_dir, VALID))
    expected = summary(bank.load_bank(bank_dir))
    [stored] = (cache_dir / "bank").glob("*.jsonl")
    damaged = damage(stored.read_text(encoding="utf-8"))
    assert damaged != stored.read_text(encoding="utf-8")
    stored.write_text(damaged, encoding="utf-8")
    checks.clear()
    assert summary(bank.load_bank(bank_dir)) == expected
    assert checks == ["sample-question.yaml"]
    checks.clear()
    assert summary(bank.load_bank(bank_dir)) == expected  # the cache was rewritten whole
    assert checks == []


def test_a_validator_change_drops_the_cache(tmp_path, cache_dir, checks, monkeypatch):
    bank_dir = tmp_path / "questions"
    settled(write_question(bank_dir, insert_demo(VALID, "mlm-loss")))
    monkeypatch.setattr(bank, "registered_demos", lambda: {"mlm-loss"})
    assert bank.load_bank(bank_dir).problems == []
    monkeypatch.setattr(bank, "registered_demos", lambda: set())  # the demo was unregistered
    rules = [p.rule for p in bank.load_bank(bank_dir).problems]
    assert rules == ["Q009"]
    assert checks == ["sample-question.yaml"] * 2
    assert bank.validator_version({"a"}) != bank.validator_version(set())


def insert_demo(text, demo):
    return text.replace("related: []", f"related: []\ndemo: {demo}")


def test_a_question_that_json_cannot_carry_is_not_cached(tmp_path, cache_dir, checks):
    # a code test's inputs are free-form: a YAML date there would come back from JSON a string
    source = REPO / "questions" / "alignment" / "implement-lora-linear.yaml"
    text = source.read_text(encoding="utf-8")
    dated = text.replace("      inputs:\n", "      inputs:\n        when: 2024-01-02\n", 1)
    dated = re.sub(
        r"(?m)^related: .*$", "related: []", dated
    )  # its related questions are elsewhere
    assert dated != text
    path = settled(write_question(tmp_path, dated, topic="alignment", qid=source.stem))
    first = bank.load_bank(tmp_path)
    assert first.problems == []
    assert str(first.questions[source.stem].code.tests[0].inputs["when"]) == "2024-01-02"
    bank.load_bank(tmp_path)
    assert checks == [path.name] * 2


def test_the_cache_lives_in_the_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYAPP_CACHE_DIR", str(tmp_path / "mine"))
    assert bank.cache_folder() == tmp_path / "mine" / "bank"
    monkeypatch.delenv("STUDYAPP_CACHE_DIR")
    import platformdirs

    assert bank.cache_folder() == Path(platformdirs.user_cache_dir("studyapp")) / "bank"


def test_a_10000_file_bank_loads(tmp_path, cache_dir):
    bank_dir = tmp_path / "questions"
    for topic in range(20):
        (bank_dir / f"t{topic}").mkdir(parents=True)
    for i in range(10_000):
        qid, topic = f"q{i:05d}", f"t{i % 20}"
        path = bank_dir / topic / f"{qid}.yaml"
        path.write_text(VALID.replace("sample-question", qid).replace("bert\n", f"{topic}\n", 1))
        settled(path)
    first = bank.load_bank(bank_dir)
    assert len(first.questions) == first.files_checked == 10_000 and first.problems == []
    assert first.questions["q09999"].topic == "t19"
    again = bank.load_bank(bank_dir)  # from the cache
    assert again.questions == first.questions
    assert list(again.questions)[:2] == ["q00000", "q00020"]  # path order: t0/q00000, t0/q00020


def test_search_words_are_cut_once_per_question_text(tmp_path, cache_dir, monkeypatch):
    from studyapp.bank import search
    from tests.bankfixtures import study_bank

    questions = bank.load_bank(study_bank(tmp_path / "questions")).questions
    cut = []
    real = search._document
    monkeypatch.setattr(search, "_document", lambda q: cut.append(q.id) or real(q))
    first = search.SearchIndex(questions).search("BERT 编码器")
    assert sorted(cut) == sorted(questions) and first
    cut.clear()
    assert search.SearchIndex(questions).search("BERT 编码器") == first
    assert cut == []  # every question's words came from the cache
    edited = dict(questions)
    edited["sample-question"] = questions["sample-question"].model_copy(
        update={"tags": ["bert", "encoder-only"]}
    )
    search.SearchIndex(edited)
    assert cut == ["sample-question"]
    [stored] = cache_dir.glob("bank/search-words.json")
    stored.write_text('{"version": "damaged', encoding="utf-8")
    cut.clear()
    assert search.SearchIndex(questions).search("BERT 编码器") == first
    assert sorted(cut) == sorted(questions)
