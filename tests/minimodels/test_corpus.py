import pytest

from minimodels.corpus import bank_documents, build_corpus, split_documents


def write_question(folder, topic, name, en, zh):
    (folder / topic).mkdir(parents=True, exist_ok=True)
    (folder / topic / name).write_text(
        f"id: {name[:-5]}\nquestion:\n  en: Q?\n  zh: 问？\nanswer:\n  en: |\n    {en}\n"
        f"  zh: |\n    {zh}\nchoices:\n  - text: {{en: not used, zh: 不用}}\n    correct: true\n",
        encoding="utf-8",
    )


@pytest.fixture
def bank(tmp_path):
    write_question(tmp_path, "bert", "b-one.yaml", "BERT is an encoder.", "BERT 是编码器。")
    write_question(tmp_path, "gpt", "a-two.yaml", "GPT is a decoder.", "GPT 是解码器。")
    write_question(tmp_path, "gpt", "_template.yaml", "TEMPLATE", "模板")
    (tmp_path / "gpt" / "broken.yaml").write_text("answer: [unclosed\n", encoding="utf-8")
    (tmp_path / "gpt" / "list.yaml").write_text("- just a list\n", encoding="utf-8")
    (tmp_path / "gpt" / "latin1.yaml").write_bytes("answer: {en: caf\xe9}".encode("latin-1"))
    return tmp_path


def test_bank_answers_in_both_languages_in_path_order(bank):
    docs = bank_documents(bank)
    assert docs == [
        "BERT is an encoder.\n\n",
        "BERT 是编码器。\n\n",
        "GPT is a decoder.\n\n",
        "GPT 是解码器。\n\n",
    ]
    assert bank_documents(bank, languages=("zh",)) == ["BERT 是编码器。\n\n", "GPT 是解码器。\n\n"]


def test_extra_files_are_split_into_paragraphs(bank, tmp_path):
    extra = tmp_path / "notes.txt"
    extra.write_text(
        "First paragraph\nstill first.\n\n\nSecond.\n   \nThird 第三。\n", encoding="utf-8"
    )
    docs = build_corpus(bank, [extra])
    assert docs[4:] == ["First paragraph\nstill first.\n\n", "Second.\n\n", "Third 第三。\n\n"]
    assert build_corpus(None, [extra]) == docs[4:]
    assert split_documents("") == []


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe not utf-8 \xe9")
    with pytest.raises(UnicodeDecodeError):
        build_corpus(None, [bad])
