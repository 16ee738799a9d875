import os
import string
from pathlib import Path

import pytest

from minimodels.corpus import (
    CORPUS_ENV,
    ENGLISH_CHARACTERS,
    CorpusFileError,
    demo_documents,
    formula_text,
    plain_prose,
)

REPO_BANK = Path(__file__).resolve().parents[2] / "questions"
MARKUP = set("\\{}^|#*$`_")

RICH_ANSWER = r"""## Why it works

The **attention** weights are *softmax* of $\frac{QK^\top}{\sqrt{d}}$, with
$d = 64$ and $\beta$ tuned; see [the paper](https://arxiv.org/abs/1706.03762) and `softmax`.
Prices like $5 and $10 are not formulas.

$$
p(x) = \prod_t p(x_t \mid x_{<t})
$$

| model | layers |
|-------|--------|
| BERT  | 12     |

```python
import torch
print(torch.__version__)  # {code}
```

- first point with \(a^2\) inline
- second point, <b>bold</b> in HTML
<div class="note">a raw HTML block</div>

Line one\
line two with `x[i] ** 2` code.
"""


def write_question(folder, topic, name, en, zh):
    (folder / topic).mkdir(parents=True, exist_ok=True)
    indent = "\n    "
    (folder / topic / name).write_text(
        f"id: {name[:-5]}\nquestion:\n  en: Q?\n  zh: 问？\nanswer:\n"
        f"  en: |\n    {indent.join(en.splitlines())}\n"
        f"  zh: |\n    {indent.join(zh.splitlines())}\n"
        "choices:\n  - text: {en: not used, zh: 不用}\n    correct: true\n",
        encoding="utf-8",
    )


@pytest.fixture
def bank(tmp_path, monkeypatch):
    monkeypatch.delenv(CORPUS_ENV, raising=False)
    folder = tmp_path / "bank"
    write_question(folder, "bert", "b-one.yaml", "BERT is an **encoder**.", "BERT 是**编码器**。")
    write_question(folder, "gpt", "a-two.yaml", RICH_ANSWER, "GPT 是解码器，\n用 $x_t$ 预测。")
    write_question(folder, "gpt", "_template.yaml", "TEMPLATE", "模板")
    (folder / "gpt" / "broken.yaml").write_text("answer: [unclosed\n", encoding="utf-8")
    (folder / "gpt" / "list.yaml").write_text("- just a list\n", encoding="utf-8")
    (folder / "gpt" / "latin1.yaml").write_bytes("answer: {en: caf\xe9}".encode("latin-1"))
    return folder


def test_markdown_math_tables_code_links_and_html_are_gone(bank):
    docs = demo_documents(bank, "en")
    assert docs[0] == "BERT is an encoder.\n\n"
    rich = docs[1]
    assert rich == (
        "Why it works\n"
        "The attention weights are softmax of the formula, with d = 64 and beta tuned; "
        "see the paper and softmax. Prices like 5 and 10 are not formulas.\n"
        "first point with the formula inline\n"
        "second point, bold in HTML\n"
        "Line one\nline two with code.\n\n"
    )
    for gone in ("BERT  | 12", "import torch", "prod", "arxiv", "<b>", "note", "frac", "layers"):
        assert gone not in rich
    assert not MARKUP & set(rich)


def test_chinese_answers_never_appear_in_the_english_corpus(bank):
    english, chinese = demo_documents(bank, "en"), demo_documents(bank, "zh")
    assert not any("\u4e00" <= c <= "\u9fff" for doc in english for c in doc)
    # a Chinese line wrap is no space; a formula becomes the Chinese word for it
    assert chinese == ["BERT 是编码器。\n\n", "GPT 是解码器，用公式预测。\n\n"]
    with pytest.raises(ValueError, match="language"):
        demo_documents(bank, "fr")


def test_the_english_bank_corpus_is_letters_digits_and_ordinary_punctuation():
    text = "".join(demo_documents(REPO_BANK, "en"))
    characters = set(text)
    print(
        f"English corpus: {len(text):,} characters, {len(text.split()):,} words, "
        f"{len(characters)} distinct characters"
    )
    assert characters <= ENGLISH_CHARACTERS
    assert set(string.ascii_letters) <= characters
    assert 60 <= len(characters) <= 100  # the raw answers had 127, with Chinese 1,194
    assert "the formula" in text and len(text) > 100_000


def test_formulas_that_read_as_text_stay(bank):
    assert formula_text(r"x \approx -0.75", "en") == "x ~ -0.75"
    assert formula_text(r"1{,}024 \times 768", "en") == "1,024 x 768"
    assert formula_text(r"\varepsilon", "en") == "epsilon"
    assert formula_text(r"\text{softmax}", "en") == "softmax"
    assert formula_text(r"d_{ff}", "en") == "the formula"
    assert formula_text(r"\sqrt{d}", "zh") == "公式"
    assert (
        plain_prose(r"for long contexts the $O(n^2)$ term") == "for long contexts the formula term"
    )


def test_user_files_are_read_cleaned_and_split_into_paragraphs(bank, tmp_path, monkeypatch):
    verse = tmp_path / "verse.txt"
    verse.write_text(
        "First Citizen:\nBefore we proceed *any* further,\nhear me speak.\n\n\n"
        "All:\nSpeak, speak.\n   \n这一段是中文。\n",
        encoding="utf-8",
    )
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe loss is $\\ell(x)$ **here**.\n", encoding="utf-8")
    monkeypatch.setenv(CORPUS_ENV, f"{verse}{os.pathsep}")
    docs = demo_documents(bank, "en", extra_files=[notes])
    assert docs[2:] == [
        "First Citizen:\nBefore we proceed any further,\nhear me speak.\n\n",
        "All:\nSpeak, speak.\n\n",
        "Notes\n\n",
        "The loss is the formula here.\n\n",
    ]
    assert demo_documents(None, "zh", [verse])[-1] == "这一段是中文。\n\n"


def test_a_file_that_is_not_utf8_is_refused_with_its_name(tmp_path, monkeypatch):
    monkeypatch.delenv(CORPUS_ENV, raising=False)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine text \xff\xfe not utf-8")
    with pytest.raises(CorpusFileError, match=r"bad\.txt is not UTF-8 text \(byte 10 is 0xff\)"):
        demo_documents(None, "en", [bad])
    monkeypatch.setenv(CORPUS_ENV, str(tmp_path / "missing.txt"))
    with pytest.raises(CorpusFileError, match=r"cannot read corpus file .*missing\.txt"):
        demo_documents(None, "en")


@pytest.fixture
def started(monkeypatch):
    """What `studyapp run` would have started Streamlit with: the corpus variable, or None."""
    import sys

    from streamlit.web import cli as stcli

    seen = {}
    monkeypatch.setattr(stcli, "main", lambda: seen.update(corpus=os.environ.get(CORPUS_ENV)) or 0)
    monkeypatch.setenv(CORPUS_ENV, "")  # so that monkeypatch restores what the CLI writes
    monkeypatch.delenv(CORPUS_ENV)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    return seen


def test_studyapp_run_passes_corpus_files_to_the_server(started, tmp_path, monkeypatch):
    from studyapp import cli

    first, second = tmp_path / "a.txt", tmp_path / "b.md"
    first.write_text("Some prose.\n", encoding="utf-8")
    second.write_text("# More prose\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", "--corpus", "a.txt", "--corpus", str(second)]) == 0
    assert started["corpus"] == os.pathsep.join([str(first), str(second)])
    assert demo_documents(None, "en") == ["Some prose.\n\n", "More prose\n\n"]


def test_studyapp_run_refuses_a_corpus_file_that_is_not_utf8(started, tmp_path, capsys):
    from studyapp import cli

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    assert cli.main(["run", "--corpus", str(bad)]) == 2
    assert "bad.txt is not UTF-8 text" in capsys.readouterr().err
    assert started == {}  # the server never started
