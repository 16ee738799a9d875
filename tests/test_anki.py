"""The Anki export: the `.apkg` is opened as Anki would (a zip holding an SQLite collection) and
its notes, GUIDs, decks, tags, math and escaping are checked."""

import io
import json
import re
import sqlite3
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies

from studyapp.bank.anki import (
    DECK_ROOT,
    FIELDS,
    apkg_bytes,
    markdown_html,
    question_note,
    source_html,
    stable_id,
)
from studyapp.bank.load import load_bank
from studyapp.bank.schema import Question
from tests.bankfixtures import REPO, VALID, open_app, study_bank, write_question

CODE_QUESTION = REPO / "questions" / "alignment" / "implement-lora-linear.yaml"

# Answers a contributor could write, each line an attack or a trap for the converter.
HOSTILE = VALID.replace("id: sample-question", "id: hostile-answer").replace(
    "  en: It is trained to predict $x_i$ from both sides.\n",
    "  en: |\n"
    "    Inline $a_i * b_j * c_k$ and **bold** and `code $x_y$`.\n"
    "    $$\\sum_{i} w_i * x_i < y_{*}$$\n"
    "    <script>alert('owned')</script> <b onmouseover=alert(1)>hover</b>\n"
    "    [click me](javascript:alert(1)) and [the paper](https://arxiv.org/abs/1810.04805)\n"
    "    A plain \\\\( is not math; [sound:boom.mp3] plays nothing.\n",
)


@pytest.fixture
def small_bank(tmp_path: Path) -> Path:
    """One question of each type, plus the hostile answer, in three topics."""
    root = study_bank(tmp_path / "questions")
    write_question(root, HOSTILE, qid="hostile-answer")
    code = re.sub(r"(?m)^related: .*$", "related: []", CODE_QUESTION.read_text(encoding="utf-8"))
    write_question(root, code, topic="alignment", qid=CODE_QUESTION.stem)
    report = load_bank(root)
    assert not report.problems, report.problems
    return root


class Deck:
    """An exported package, read back from its SQLite collection."""

    def __init__(self, data: bytes, tmp_path: Path):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert "collection.anki2" in archive.namelist()
            path = tmp_path / f"collection-{len(list(tmp_path.glob('collection-*')))}.anki2"
            path.write_bytes(archive.read("collection.anki2"))
        db = sqlite3.connect(path)
        col_models, col_decks = db.execute("SELECT models, decks FROM col").fetchone()
        self.models = json.loads(col_models)
        self.decks = {int(k): v["name"] for k, v in json.loads(col_decks).items()}
        self.notes = {}
        for nid, guid, mid, flds, tags in db.execute("SELECT id, guid, mid, flds, tags FROM notes"):
            fields = dict(zip(FIELDS, flds.split("\x1f"), strict=True))
            self.notes[fields["Id"]] = {
                "nid": nid,
                "guid": guid,
                "mid": mid,
                "tags": tags.split(),
                **fields,
            }
        self.deck_of = {
            nid: self.decks[did] for nid, did in db.execute("SELECT nid, did FROM cards")
        }
        self.card_count = db.execute("SELECT count(*) FROM cards").fetchone()[0]
        db.close()


def export(root: Path, tmp_path: Path, language: str = "both") -> Deck:
    return Deck(apkg_bytes(load_bank(root).questions.values(), language), tmp_path)


def test_one_note_and_card_per_question_in_its_topic_deck(small_bank, tmp_path):
    deck = export(small_bank, tmp_path)
    assert sorted(deck.notes) == [
        "gpt2-small-params",
        "hostile-answer",
        "implement-lora-linear",
        "pick-the-encoder",
        "sample-question",
    ]
    assert deck.card_count == 5
    topics = {"sample-question": "bert", "gpt2-small-params": "sizes"}
    topics["implement-lora-linear"] = "alignment"
    for qid, topic in topics.items():
        assert deck.deck_of[deck.notes[qid]["nid"]] == f"studyapp::{topic}"
    assert set(deck.decks.values()) - {"Default"} == {
        "studyapp::alignment",
        "studyapp::bert",
        "studyapp::sizes",
    }
    # Deck and note type ids come from fixed strings, so an update lands in the same places.
    assert {stable_id("deck", "studyapp::bert")} <= set(deck.decks)
    [model] = deck.models.values()
    assert [f["name"] for f in model["flds"]] == list(FIELDS)
    assert {int(model["id"])} == {n["mid"] for n in deck.notes.values()}


def test_guids_are_stable_across_exports_and_edits(small_bank, tmp_path):
    first = export(small_bank, tmp_path)
    again = export(small_bank, tmp_path)
    path = small_bank / "bert" / "sample-question.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("from both sides", "from context on both sides"),
        encoding="utf-8",
    )
    edited = export(small_bank, tmp_path)
    guids = {qid: note["guid"] for qid, note in first.notes.items()}
    assert len(set(guids.values())) == len(guids)
    assert {qid: n["guid"] for qid, n in again.notes.items()} == guids
    assert {qid: n["guid"] for qid, n in edited.notes.items()} == guids
    assert "from both sides" in first.notes["sample-question"]["Answer"]
    assert "from context on both sides" in edited.notes["sample-question"]["Answer"]
    assert "from both sides" not in edited.notes["sample-question"]["Answer"]
    # The type's id does not depend on the content either: it is the same object for Anki.
    assert list(first.models) == list(edited.models)


def test_tags_name_topic_type_difficulty_and_the_questions_tags(small_bank, tmp_path):
    deck = export(small_bank, tmp_path)
    assert sorted(deck.notes["implement-lora-linear"]["tags"]) == sorted(
        [
            "studyapp::topic::alignment",
            "studyapp::type::code",
            "studyapp::difficulty::2",
            "studyapp::tag::lora",
            "studyapp::tag::fine-tuning",
            "studyapp::tag::implement",
        ]
    )
    spaced = Question.model_validate(
        {**load_bank(small_bank).questions["sample-question"].model_dump(), "tags": ["two words"]}
    )
    assert "studyapp::tag::two_words" in question_note(spaced).tags


def test_math_becomes_mathjax_with_underscores_and_asterisks_intact(small_bank, tmp_path):
    answer = export(small_bank, tmp_path, "en").notes["hostile-answer"]["Answer"]
    assert r"\(a_i * b_j * c_k\)" in answer
    assert r"\[\sum_{i} w_i * x_i &lt; y_{*}\]" in answer
    assert "<strong>bold</strong>" in answer and "<em>" not in answer
    assert "<code>code $x_y$</code>" in answer  # code is never math
    # Outside math a word joiner parts a backslash from its bracket (MathJax reads the decoded
    # text) and `[` is a character reference (Anki looks for `[sound:` in the HTML source).
    assert "\\\u2060( is not math" in answer and "&#91;sound:boom.mp3]" in answer
    assert answer.count(r"\(") == 1 and answer.count(r"\[") == 1


def test_raw_html_from_the_bank_arrives_escaped(small_bank, tmp_path):
    answer = export(small_bank, tmp_path).notes["hostile-answer"]["Answer"]
    assert "&lt;script&gt;alert(" in answer and "<script" not in answer
    assert "&lt;b onmouseover=alert(1)&gt;" in answer and "<b " not in answer
    # The validator refuses `<img>` (rule Q010); past it, it would still arrive as text.
    q = load_bank(small_bank).questions["sample-question"]
    text = {"en": "<img src=x onerror=alert(1)>", "zh": "<img src=x onerror=alert(1)>"}
    note = question_note(Question.model_validate({**q.model_dump(), "answer": text}))
    assert "&lt;img src=x onerror=alert(1)&gt;" in note.fields[1]
    assert "<img" not in "".join(note.fields)
    assert "<img" not in markdown_html("![pixel](https://example.org/p.png)")  # nothing fetched


def test_only_http_links_become_links(small_bank, tmp_path):
    answer = export(small_bank, tmp_path).notes["hostile-answer"]["Answer"]
    assert re.findall(r'href="([^"]*)"', answer) == ["https://arxiv.org/abs/1810.04805"]
    assert "javascript:alert(1)" in answer and 'href="javascript' not in answer
    for other in ("ftp://example.org/f", "mailto:a@example.org", "relative/page", "//evil.org"):
        assert "<a" not in markdown_html(f"[elsewhere]({other}) <{other}>"), other
    q = load_bank(small_bank).questions["sample-question"]
    sneaky = {"title": "x", "url": "javascript:alert(1)", "where": "here", "quote": "<q>"}
    bad = Question.model_validate({**q.model_dump(), "sources": [sneaky]})
    assert source_html(bad.sources[0]) == (
        "<li>x, here<blockquote><p>&lt;q&gt;</p>\n</blockquote></li>"
    )


def test_choices_numeric_code_and_sources(small_bank, tmp_path):
    notes = export(small_bank, tmp_path, "en").notes
    choice = notes["pick-the-encoder"]
    assert "The encoder" in choice["Question"] and "The decoder" in choice["Question"]
    assert "✔" not in choice["Question"]  # the key is only on the back
    assert re.search(
        r'class="right".*✔.*The encoder.*BERT is the encoder stack\.', choice["Answer"], re.S
    )
    assert re.search(r'class="wrong".*✘.*The decoder.*That is GPT\.', choice["Answer"], re.S)
    numeric = notes["gpt2-small-params"]["Answer"]
    assert '<p class="value">124,439,808 parameters</p>' in numeric
    assert "accepted within ± 0 parameters" in numeric
    from studyapp.app.widgets import unit_label  # what the app and the CLI pass

    chinese = Deck(apkg_bytes(load_bank(small_bank).questions.values(), "zh", unit_label), tmp_path)
    assert '<p class="value">124,439,808 个参数</p>' in chinese.notes["gpt2-small-params"]["Answer"]
    code = notes["implement-lora-linear"]
    assert "raise NotImplementedError" in code["Question"]  # the starter on the front
    assert "frozen + (alpha / r) * update" in code["Answer"]  # the reference solution on the back
    assert "frozen + (alpha / r)" not in code["Question"]
    assert '<pre><code class="language-python">' in code["Answer"]
    sources = notes["sample-question"]["Sources"]
    assert '<a href="https://arxiv.org/abs/1810.04805">BERT</a>, Section 3.1' in sources
    quoted = CODE_QUESTION.read_text(encoding="utf-8")
    assert "quote:" in quoted  # the shipped exercise cites its source verbatim
    lora = load_bank(CODE_QUESTION.parent.parent).questions["implement-lora-linear"]
    first_quote = next(s.quote for s in lora.sources if s.quote)
    assert first_quote.split()[0] in code["Sources"] and "<blockquote>" in code["Sources"]


def test_language_option(small_bank, tmp_path):
    english = export(small_bank, tmp_path, "en").notes["sample-question"]
    chinese = export(small_bank, tmp_path, "zh").notes["sample-question"]
    both = export(small_bank, tmp_path, "both").notes["sample-question"]
    assert "left to right" in english["Question"] and "从左到右" not in english["Question"]
    assert "从左到右" in chinese["Question"] and "left to right" not in chinese["Question"]
    assert "答案" in chinese["Answer"] and "Answer" not in chinese["Answer"]
    assert both["Question"].index('lang="en"') < both["Question"].index('lang="zh"')
    assert "left to right" in both["Question"] and "从左到右" in both["Question"]
    assert english["guid"] == chinese["guid"] == both["guid"]
    with pytest.raises(ValueError, match="language"):
        apkg_bytes([], "fr")


class _Balance(HTMLParser):
    VOID = {"hr", "br", "img", "input"}

    def __init__(self):
        super().__init__()
        self.open: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag not in {"script", "img", "iframe", "style", "object"}, tag
        assert all(not name.startswith("on") for name, _ in attrs), attrs
        self.hrefs += [value for name, value in attrs if name == "href"]
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag


def test_the_shipped_bank_exports_well_formed_notes(tmp_path):
    report = load_bank(REPO / "questions")
    deck = Deck(apkg_bytes(report.questions.values()), tmp_path)
    assert sorted(deck.notes) == sorted(report.questions)
    assert len({n["guid"] for n in deck.notes.values()}) == len(report.questions)
    for qid, note in deck.notes.items():
        q = report.questions[qid]
        assert deck.deck_of[note["nid"]] == f"{DECK_ROOT}::{q.topic}"
        assert f"studyapp::topic::{q.topic}" in note["tags"]
        for name in ("Question", "Answer", "Sources"):
            parser = _Balance()
            parser.feed(note[name])
            parser.close()
            assert parser.open == [], (qid, name, parser.open)
            assert all(re.match(r"https?://", href) for href in parser.hrefs), (qid, parser.hrefs)
            # Every `$` of the bank became a MathJax delimiter; code keeps its own.
            outside_code = re.sub(r"<code[^>]*>.*?</code>", "", note[name], flags=re.DOTALL)
            assert "$" not in outside_code, (qid, name)
        assert 'lang="en"' in note["Question"] and 'lang="zh"' in note["Question"]
        assert len(note["Answer"]) > 40


def studyapp(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "studyapp", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO)


def test_cli_writes_the_deck(small_bank, tmp_path):
    write_question(small_bank, VALID.replace("difficulty: 2", "difficulty: 9"), qid="broken")
    out = tmp_path / "deck.apkg"
    args = ["bank", "export", "--format", "apkg", "--bank", str(small_bank), "--language", "zh"]
    result = studyapp(*args, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "skipped: " in result.stderr and "broken.yaml" in result.stderr
    assert "wrote 5 notes" in result.stderr
    deck = Deck(out.read_bytes(), tmp_path)
    assert len(deck.notes) == 5
    assert "从左到右" in deck.notes["sample-question"]["Question"]
    assert "left to right" not in deck.notes["sample-question"]["Question"]
    assert "124,439,808 个参数" in deck.notes["gpt2-small-params"]["Answer"]
    missing = studyapp(*args)
    assert missing.returncode == 2 and "needs -o FILE" in missing.stderr
    nowhere = studyapp(*args, "-o", str(tmp_path / "no" / "such" / "deck.apkg"))
    assert nowhere.returncode == 2 and "cannot write" in nowhere.stderr


def test_settings_button_downloads_the_deck(small_bank, tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.runtime.media_file_manager import MediaFileManager

    monkeypatch.setenv("STUDYAPP_BANK", str(small_bank))
    monkeypatch.setenv("STUDYAPP_DB", str(tmp_path / "progress.db"))
    st.cache_resource.clear()
    served = {}
    add_deferred = MediaFileManager.add_deferred

    def remember(self, callable_, mimetype, coordinates, file_name=None, **kw):
        served[file_name] = callable_
        return add_deferred(self, callable_, mimetype, coordinates, file_name=file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", remember)
    at = open_app("settings")
    labels = [b.label for b in at.get("download_button")]
    assert "Download the Anki deck (.apkg)" in labels
    at.radio(key="anki_language").set_value("en").run()
    assert not at.exception
    deck = Deck(served["studyapp-en.apkg"](), tmp_path)
    assert len(deck.notes) == 5
    assert 'lang="zh"' not in deck.notes["sample-question"]["Question"]
    st.cache_resource.clear()


SAFE_TAGS = {"p", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "br"}
SAFE_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "s"}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    strategies.lists(
        strategies.sampled_from(
            [
                "<script>",
                "<img src=x onerror=alert(1)>",
                "</p>",
                "<a href='x'>",
                "$",
                "$$",
                "`",
                "```\n",
                "\\",
                "(",
                ")",
                "[",
                "]",
                "[t](javascript:alert(1))",
                "[t](https://a.org/)",
                "<https://a.org>",
                "![i](https://a.org/i.png)",
                "_",
                "*",
                "\n",
                "\n\n",
                "- ",
                "| a |",
                "&amp;",
                '"',
                "'",
                "x",
                "中文",
                " ",
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_any_bank_text_becomes_safe_html(text):
    out = markdown_html(text)
    parser = _Safe()
    parser.feed(out)
    parser.close()
    assert all(href.startswith("https://a.org") for href in parser.hrefs), parser.hrefs
    assert set(parser.tags) <= SAFE_TAGS, parser.tags


class _Safe(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        assert all(name in {"href", "class"} for name, _ in attrs), attrs
        self.hrefs += [value for name, value in attrs if name == "href"]


@pytest.mark.parametrize(
    ("text", "bold"),
    [
        ("**答案是 $\\ln 2$。**当两者相等", r"答案是 \(\ln 2\)。"),  # punctuation, then Chinese
        ("**奖励模型（RM）。**SFT 模型", "奖励模型（RM）。"),  # Chinese punctuation, then Latin
        ("当**“引号”**后", "“引号”"),
        ("中**粗体**字", "粗体"),
        ("a **b** c", "b"),
    ],
)
def test_bold_closes_next_to_chinese_as_the_bank_writes_it(text, bold):
    assert f"<strong>{bold}</strong>" in markdown_html(text)


def test_ascii_emphasis_keeps_commonmark_rules():
    assert markdown_html("**a.**b") == "<p>**a.**b</p>\n"
    assert (
        markdown_html("snake_case_name and 2 * 3 * 4") == "<p>snake_case_name and 2 * 3 * 4</p>\n"
    )
