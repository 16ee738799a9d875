"""Random mutations of valid files only ever produce located validator findings, never exceptions."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.bank.validate import RULES, bad_url, question_files, validate_files
from tests.bankfixtures import REPO, VALID

CHOICE_FILE = REPO / "questions" / "mlm-loss" / "mlm-loss-which-positions.yaml"
SEEDS = [VALID.encode(), CHOICE_FILE.read_bytes()]
FRAGMENTS = [
    b":",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"!!python/object/apply:os.system [x]",
    b"\t",
    b"\xff\xfe",
    b'"',
    b"'",
    b"[",
    b"{",
    b"}",
    b"]",
    b"$",
    b"$$",
    b"\n  ",
    b"\n",
    b"#",
    b"? ",
    b"|",
    b">-",
    b"id: x",
    b"type: choice",
    b"correct: maybe",
    b"<<: *a",
    b"\x00",
    b"\xe4\xb8",
    b"%YAML 1.1\n",
    b"---\n",
    b"...\n",
    b"~",
    b"null",
    b"1e309",
    b"-1",
]


@st.composite
def mutated(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["insert", "delete", "swap-lines", "dup-line", "truncate"]))
        lines = bytes(data).split(b"\n")
        if op == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.sampled_from(FRAGMENTS))
        elif op == "delete" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at : at + draw(st.integers(1, 40))] = b""
        elif op == "swap-lines" and len(lines) > 1:
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
        elif op == "dup-line":
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            data = bytearray(b"\n".join(lines))
        elif op == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=mutated())
def test_mutations_give_findings_not_exceptions(tmp_path: Path, content: bytes):
    path = tmp_path / "bert" / "sample-question.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    report = validate_files(question_files([tmp_path]), known_demos=set(), root=tmp_path)
    n_lines = content.count(b"\n") + 1
    for problem in report.problems:
        assert problem.rule in RULES
        assert 1 <= problem.line <= n_lines
        assert problem.col >= 1
    # A file is either served or reported, never both, never neither.
    assert bool(report.questions) != bool(report.problems)


@settings(max_examples=500, deadline=None)
@given(
    url=st.one_of(
        st.text(max_size=80),
        st.builds(
            "{}://{}{}".format,
            st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
            st.text(max_size=30),
            st.text(max_size=30),
        ),
    )
)
def test_any_source_url_is_judged_without_an_exception(url):
    why = bad_url(url)
    if why is None:  # accepted: it cannot leave a Markdown link or carry a space or quote
        assert url.lower().startswith(("http://", "https://"))
        assert not any(c in url for c in "()[]<>!\"' `\\{}|^\n")
