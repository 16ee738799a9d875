"""The bank as a whole meets its bar: size, mix of types, share with live demos, coverage."""

from studyapp.bank.load import load_bank
from tests.bankfixtures import REPO

REPORT = load_bank(REPO / "questions")
QUESTIONS = list(REPORT.questions.values())
TOPICS = {
    "bert",
    "mlm-loss",
    "gpt",
    "attention",
    "architecture",
    "tokenization",
    "decoding",
    "sizes",
}


def share(predicate) -> float:
    return sum(map(predicate, QUESTIONS)) / len(QUESTIONS)


def test_the_shipped_bank_is_valid():
    assert REPORT.problems == []


def test_size_and_topics():
    assert len(QUESTIONS) >= 150
    assert {q.topic for q in QUESTIONS} == TOPICS
    assert min(sum(q.topic == t for q in QUESTIONS) for t in TOPICS) >= 10


def test_mix_of_types():
    assert share(lambda q: q.type == "choice") >= 0.30
    assert share(lambda q: q.type == "numeric") >= 0.10


def test_at_least_40_percent_link_a_live_demo():
    assert share(lambda q: q.demo is not None) >= 0.40


def test_every_choice_explains_every_option_and_sources_have_locators():
    for q in QUESTIONS:
        assert all(s.where.strip() for s in q.sources), q.id
        for choice in q.choices or []:
            assert choice.why.en.strip() and choice.why.zh.strip(), q.id
