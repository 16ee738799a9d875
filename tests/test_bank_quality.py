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
    assert len(QUESTIONS) >= 320
    assert sum(q.type == "code" for q in QUESTIONS) >= 30
    topics = {q.topic for q in QUESTIONS}
    assert topics >= TOPICS
    assert min(sum(q.topic == t for q in QUESTIONS) for t in topics) >= 10


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


# -- choices test knowledge, not test-taking (item-writing practice: the key is not the longest) --

SINGLE_KEY = [q for q in QUESTIONS if q.type == "choice" and sum(c.correct for c in q.choices) == 1]
MAX_KEY_LONGEST = 0.35  # chance with four options is 0.25
MAX_MEAN_GAP = 0.15
MAX_KEY_RATIO = 1.6  # one question's key against its distractors' mean length


def _lengths(q, lang: str) -> tuple[int, list[int]]:
    key = next(len(getattr(c.text, lang).strip()) for c in q.choices if c.correct)
    others = [len(getattr(c.text, lang).strip()) for c in q.choices if not c.correct]
    return key, others


def _key_is_longest(q, lang: str) -> bool:
    key, others = _lengths(q, lang)
    return key > max(others)


def test_the_key_is_rarely_the_longest_option():
    assert len(SINGLE_KEY) >= 30
    for lang in ("en", "zh"):
        longest = sorted(q.id for q in SINGLE_KEY if _key_is_longest(q, lang))
        share_longest = len(longest) / len(SINGLE_KEY)
        assert share_longest <= MAX_KEY_LONGEST, (
            f"{lang}: the key is the longest option in {len(longest)}/{len(SINGLE_KEY)} "
            f"single-answer choice questions ({share_longest:.0%} > {MAX_KEY_LONGEST:.0%}); "
            f"shorten the key or lengthen a distractor in: {', '.join(longest)}"
        )


def test_keys_and_distractors_have_the_same_mean_length():
    for lang in ("en", "zh"):
        keys = [_lengths(q, lang)[0] for q in SINGLE_KEY]
        others = [n for q in SINGLE_KEY for n in _lengths(q, lang)[1]]
        gap = sum(keys) / len(keys) / (sum(others) / len(others)) - 1
        assert abs(gap) <= MAX_MEAN_GAP, f"{lang}: keys are {gap:+.0%} longer than distractors"


def test_no_key_stands_out_by_length():
    outliers = []
    for q in SINGLE_KEY:
        for lang in ("en", "zh"):
            key, others = _lengths(q, lang)
            if key > MAX_KEY_RATIO * sum(others) / len(others):
                outliers.append(
                    f"{q.id} ({lang}: key {key} chars, distractors ~{sum(others) // len(others)})"
                )
    assert not outliers, "the key is much longer than its distractors in: " + "; ".join(outliers)


def test_the_key_is_not_always_in_one_position():
    # The app shuffles options, but a file read on its own (or exported) should not leak either.
    positions = [next(i for i, c in enumerate(q.choices) if c.correct) for q in SINGLE_KEY]
    top = max(positions.count(i) for i in set(positions))
    assert top / len(positions) <= 0.40, f"{top}/{len(positions)} keys sit in one position"


# -- every answer can be checked: a verbatim quote at the locator, or the test that computes it --


def _checkable(q) -> bool:
    return any(s.quote or s.computed_by for s in q.sources)


def test_at_least_90_percent_of_questions_quote_their_source_or_name_a_test():
    missing = sorted(q.id for q in QUESTIONS if not _checkable(q))
    assert len(missing) <= 0.10 * len(QUESTIONS), (
        f"{len(missing)}/{len(QUESTIONS)} questions have neither a quote nor a test: "
        + ", ".join(missing)
    )


def test_named_tests_exist():
    for q in QUESTIONS:
        for s in q.sources:
            if s.computed_by:
                path, _, name = s.computed_by.partition("::")
                file = REPO / path
                assert file.exists(), f"{q.id}: {path} does not exist"
                assert f"def {name}(" in file.read_text(encoding="utf-8"), (
                    f"{q.id}: {path} has no test {name}"
                )
