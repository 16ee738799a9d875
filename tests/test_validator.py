"""Every validator rule has a failing fixture whose finding names the exact file, line and rule."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from studyapp.bank.validate import RULES, question_files, validate_files
from studyapp.bank.yamlfile import read_yaml
from tests.bankfixtures import REPO, VALID, write_question


def findings(root: Path) -> list[str]:
    report = validate_files(question_files([root]), known_demos={"mlm-loss"}, root=root)
    return [f"{p.path}:{p.line}:{p.rule}" for p in report.problems]


def replace_line(text: str, lineno: int, new: str) -> str:
    lines = text.split("\n")
    lines[lineno - 1] = new
    return "\n".join(lines)


def insert_after(text: str, lineno: int, new: str) -> str:
    lines = text.split("\n")
    lines.insert(lineno, new)
    return "\n".join(lines)


F = "bert/sample-question.yaml"

# rule id -> (file text, expected findings as path:line:RULE)
CASES: dict[str, tuple[str | bytes, list[str]]] = {
    "Y001": (VALID + "#" * 300_000 + "\n", [f"{F}:1:Y001"]),
    "Y002": (VALID.encode().replace(b"Why can", b"\xffWhy can"), [f"{F}:8:Y002"]),
    "Y003": (replace_line(VALID, 6, "tags: [bert"), [f"{F}:7:Y003"]),
    "Y004": (insert_after(VALID, 5, "difficulty: 3"), [f"{F}:6:Y004"]),
    "Y005": (replace_line(VALID, 6, "tags: &t [bert]"), [f"{F}:6:Y005"]),
    "Y006": (
        replace_line(VALID, 5, "difficulty: !!python/object/apply:os.getpid []"),
        [f"{F}:5:Y006"],
    ),
    "Y007": ("# yaml-language-server: $schema=../schema.json\n# nothing else\n", [f"{F}:1:Y007"]),
    "Y008": (
        "# yaml-language-server: $schema=../schema.json\n- id: sample-question\n",
        [f"{F}:2:Y008"],
    ),
    "Y009": (
        replace_line(VALID, 16, "    where: Section 3.1 (Task #1 Masked LM)"),
        [f"{F}:16:Y009"],
    ),
    "S001": (replace_line(VALID, 9, ""), [f"{F}:7:S001"]),
    "S002": (replace_line(VALID, 5, "difficulty: 5"), [f"{F}:5:S002"]),
    "S003": (insert_after(VALID, 6, "hint: think of the mask"), [f"{F}:7:S003"]),
    "Q001": (VALID.split("\n", 1)[1], [f"{F}:1:Q001"]),
    "Q002": (replace_line(VALID, 2, "id: another-name"), [f"{F}:2:Q002"]),
    "Q003": (replace_line(VALID, 3, "topic: gpt"), [f"{F}:3:Q003"]),
    "Q004": (replace_line(VALID, 12, '  zh: "   "'), [f"{F}:12:Q004"]),
    "Q005": (
        replace_line(VALID, 11, "  en: It is trained to predict $x_i from both sides."),
        [f"{F}:11:Q005"],
    ),
    "Q006": (replace_line(VALID, 4, "type: choice"), [f"{F}:4:Q006"]),
    "Q007": (
        replace_line(VALID, 4, "type: numeric") + "numeric:\n  value: 3\n  tolerance: -1\n",
        [f"{F}:20:Q007"],
    ),
    "Q008": (replace_line(VALID, 15, "    url: ftp://arxiv.org/abs/1810.04805"), [f"{F}:15:Q008"]),
    "Q009": (insert_after(VALID, 6, "demo: no-such-demo"), [f"{F}:7:Q009"]),
    "Y010": (
        replace_line(VALID, 11, "  en: It is \u202etrained\u202c to predict."),
        [f"{F}:11:Y010"],
    ),
    "Q010": (
        replace_line(VALID, 11, "  en: See ![the mask](https://tracker.example/p.png?u=me)."),
        [f"{F}:11:Q010"],
    ),
    "Q011": (replace_line(VALID, 11, r"  en: Train $\rule{5000em}{5000em}$."), [f"{F}:11:Q011"]),
    "Q012": (replace_line(VALID, 4, "type: code"), [f"{F}:4:Q012"]),
    "Q013": (replace_line(VALID, 12, "  zh: '**答案。**当然是两侧。'"), [f"{F}:12:Q013"]),
    "B002": (
        replace_line(VALID, 17, "related: [sample-question, no-such-question]"),
        [f"{F}:17:B002", f"{F}:17:B002"],
    ),
    "B003": (
        insert_after(VALID, 17, "deepens: [sample-question, no-such-question]"),
        [f"{F}:18:B003", f"{F}:18:B003"],
    ),
}


def test_every_rule_has_a_fixture():
    assert set(CASES) | {"B001"} == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_is_reported_at_the_offending_line(rule, tmp_path):
    text, expected = CASES[rule]
    path = tmp_path / F
    path.parent.mkdir(parents=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert findings(tmp_path) == expected


# Where each finding of CASES stood (line and column) when files were parsed by PyYAML's
# pure-Python parser; libyaml must report the same.
LOCATED = {
    "B002": [f"{F}:17:11: B002", f"{F}:17:28: B002"],
    "B003": [f"{F}:18:11: B003", f"{F}:18:28: B003"],
    "Q001": [f"{F}:1:1: Q001"],
    "Q002": [f"{F}:2:1: Q002"],
    "Q003": [f"{F}:3:1: Q003"],
    "Q004": [f"{F}:12:3: Q004"],
    "Q005": [f"{F}:11:3: Q005"],
    "Q006": [f"{F}:4:1: Q006"],
    "Q007": [f"{F}:20:3: Q007"],
    "Q008": [f"{F}:15:5: Q008"],
    "Q009": [f"{F}:7:1: Q009"],
    "Q010": [f"{F}:11:3: Q010"],
    "Q011": [f"{F}:11:3: Q011"],
    "Q012": [f"{F}:4:1: Q012"],
    "Q013": [f"{F}:12:3: Q013"],
    "S001": [f"{F}:7:1: S001"],
    "S002": [f"{F}:5:1: S002"],
    "S003": [f"{F}:7:1: S003"],
    "Y001": [f"{F}:1:1: Y001"],
    "Y002": [f"{F}:8:7: Y002"],
    "Y003": [f"{F}:7:9: Y003"],
    "Y004": [f"{F}:6:1: Y004"],
    "Y005": [f"{F}:6:7: Y005"],
    "Y006": [f"{F}:5:13: Y006"],
    "Y007": [f"{F}:1:1: Y007"],
    "Y008": [f"{F}:2:1: Y008"],
    "Y009": [f"{F}:16:29: Y009"],
    "Y010": [f"{F}:11:13: Y010"],
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_is_reported_at_the_same_line_and_column_as_before(rule, tmp_path):
    text, _ = CASES[rule]
    path = tmp_path / F
    path.parent.mkdir(parents=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    report = validate_files(question_files([tmp_path]), known_demos={"mlm-loss"}, root=tmp_path)
    assert [" ".join(str(p).split(" ")[:2]) for p in report.problems] == LOCATED[rule]


# Harder places to locate, with the findings PyYAML's pure-Python parser gave: columns after
# Chinese characters (libyaml counts characters, not bytes), a byte-order mark with CR LF line
# ends, flow collections, a nested tag, a file that ends inside a key.
TRICKY = {
    "after-chinese": (
        replace_line(VALID, 16, "    where: 第 3.1 节 (任务 #1)"),
        "16:23: Y009 ' #' starts a YAML comment, so the text ends at '第 3.1 节 (任务': quote the value",
    ),
    "flow-mapping": (
        VALID + "numeric: {value: 1, tolerance: 0, value: 2}\n",
        "18:35: Y004 duplicate key 'value' (first on line 18); YAML would keep only the last",
    ),
    "alias-in-flow": (
        replace_line(VALID, 17, "related: [sample-question, *a]"),
        "17:28: Y005 anchors and aliases (& and *) are not allowed",
    ),
    "bom-crlf": (
        ("\ufeff" + CASES["Y009"][0]).replace("\n", "\r\n"),
        "16:29: Y009 ' #' starts a YAML comment, so the text ends at 'Section 3.1 (Task': quote "
        "the value",
    ),
    "nested-tag": (
        replace_line(VALID, 7, "question: !!set").replace("  en: Why can", "  ? Why can", 1),
        "7:11: Y006 tag 'tag:yaml.org,2002:set' is not allowed",
    ),
    "ends-inside-a-key": (VALID + "demo", "18:5: Y003 invalid YAML: could not find expected ':'"),
    "empty-document": (
        "---\n#",
        "2:2: Y008 top level is a single value; expected a mapping of fields",
    ),
}


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_places_are_located_as_before(case, tmp_path):
    text, expected = TRICKY[case]
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    assert [str(p) for p in read_yaml(path, "x").problems] == [f"x:{expected}"]


def reference_positions(node: yaml.Node, loc: tuple = ()) -> dict[tuple, tuple[int, int]]:
    """Every key's and item's (line, col) from nodes composed by PyYAML's pure-Python parser."""
    found = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = loc + (yaml.SafeLoader("").construct_object(key),)
            found[here] = (key.start_mark.line + 1, key.start_mark.column + 1)
            found.update(reference_positions(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found[loc + (i,)] = (item.start_mark.line + 1, item.start_mark.column + 1)
            found.update(reference_positions(item, loc + (i,)))
    return found


def test_every_key_of_the_shipped_bank_is_located_as_by_the_pure_python_parser():
    files = question_files([REPO / "questions"])
    assert len(files) > 300
    for path in files:
        text = path.read_text(encoding="utf-8")
        doc = read_yaml(path)
        assert doc.problems == []
        assert doc.data == yaml.load(text, Loader=yaml.SafeLoader), path
        assert doc.positions == reference_positions(yaml.compose(text, Loader=yaml.SafeLoader))


def validate_text(tmp_path: Path, text: str) -> list[str]:
    write_question(tmp_path, text)
    report = validate_files(question_files([tmp_path]), known_demos={"mlm-loss"}, root=tmp_path)
    return [f"{p.line}:{p.col}:{p.rule} {p.message}" for p in report.problems]


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "LEFT-TO-RIGHT ISOLATE"),
        ("\u200b", "ZERO WIDTH SPACE"),
        ("\u2060", "WORD JOINER"),
        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
        ("\x07", "a control character"),
        ("\x1b", "a control character"),
    ],
)
def test_invisible_and_control_characters_are_located(tmp_path, char, name):
    # in an id, a tag and a text alike; the finding points at the character itself
    for lineno, line in [(2, "id: sample-{}question"), (6, "tags: [be{}rt]")]:
        found = validate_text(tmp_path, replace_line(VALID, lineno, line.format(char)))
        col = line.index("{") + 1
        assert found == [f"{lineno}:{col}:Y010 U+{ord(char):04X} ({name}): remove it"]
    text = VALID.replace("trained to predict", f"trained {char}to predict")
    assert validate_text(tmp_path, text)[0].startswith("11:")


def test_newlines_tabs_and_crlf_are_fine(tmp_path):
    text = replace_line(VALID, 11, '  en: "It is trained\tto predict $x_i$."').replace("\n", "\r\n")
    assert validate_text(tmp_path, "\ufeff" + text) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://arxiv.org/abs/1810.04805)![x](https://tracker.example/p.png",
        "https://arxiv.org/abs/1810.04805 onerror",
        "https://arxiv.org/abs/[1810]",
        'https://arxiv.org/abs/"1810"',
        "https://arxiv.org/abs/<b>",
        "https://arxiv.org/abs/1810!",
        "javascript:alert(1)",
        "https:///no-host",
        "https://user:pw@arxiv.org/abs/1810.04805",
        "https://arxiv.org:99999/abs",
        "http://[::1/abs",
    ],
)
def test_source_urls_that_could_break_a_link_are_refused(tmp_path, url):
    found = validate_text(tmp_path, replace_line(VALID, 15, f"    url: '{url}'"))
    assert [f.split(" ")[0] for f in found] == ["15:5:Q008"]


def test_well_formed_urls_pass(tmp_path):
    for url in [
        "https://en.wikipedia.org/wiki/Transformer_%28deep_learning_architecture%29",
        "https://arxiv.org/pdf/1810.04805v2#page=4",
        "http://jalammar.github.io/illustrated-bert/?x=1&y=2",
    ]:
        assert validate_text(tmp_path, replace_line(VALID, 15, f"    url: '{url}'")) == []


@pytest.mark.parametrize(
    "text",
    [
        "![mask](//cdn.example/m.png)",
        "![mask]( <http://cdn.example/m.png>)",
        "![mask][fig] and later [fig]: https://cdn.example/m.png",
        '<IMG src="https://cdn.example/m.png">',
        "![x](data:image/png;base64,AAAA)",
    ],
)
def test_remote_images_are_refused_everywhere_they_render(tmp_path, text):
    assert "Q010" in validate_text(tmp_path, replace_line(VALID, 11, f"  en: '{text}'"))[0]
    where = replace_line(VALID, 16, f"    where: '{text}'")
    assert "Q010" in validate_text(tmp_path, where)[0]


def test_images_and_macros_in_code_are_only_shown(tmp_path):
    text = replace_line(VALID, 11, "  en: 'Write `![x](http://a.b/c.png)` or `\\rule{1em}{1em}`.'")
    assert validate_text(tmp_path, text) == []


@pytest.mark.parametrize(
    "macro",
    [
        r"\kern{5000em}",
        r"\hspace*{9999em}",
        r"\raisebox{9999em}{x}",
        r"\Huge x",
        r"\def\a{\b\b}",
        r"\newcommand{\a}{x}",
        r"\href{https://e.example}{x}",
        r"\includegraphics{https://e.example/x.png}",
        r"\begin{aligned}a\\[9999em]b\end{aligned}",
        r"\char\"202E",
    ],
)
def test_katex_macros_that_blow_up_or_reach_out_are_refused(tmp_path, macro):
    found = validate_text(tmp_path, replace_line(VALID, 11, f"  en: 'It is ${macro}$.'"))
    assert [f.split(" ")[0] for f in found] == ["11:3:Q011"]


def test_ordinary_katex_passes(tmp_path):
    text = r"  en: 'It is $\left(\frac{QK^\top}{\sqrt{d_k}}\right)\,\quad \text{big}$.'"
    assert validate_text(tmp_path, replace_line(VALID, 11, text)) == []


def test_valid_fixture_has_no_finding(bank_dir):
    report = validate_files(question_files([bank_dir]), root=bank_dir)
    assert report.problems == []
    assert list(report.questions) == ["sample-question"]


def test_duplicate_id_across_folders(tmp_path):
    write_question(tmp_path, VALID)
    write_question(tmp_path, replace_line(VALID, 3, "topic: gpt"), topic="gpt")
    assert findings(tmp_path) == ["gpt/sample-question.yaml:2:B001"]


def test_choice_without_a_correct_option(tmp_path):
    text = replace_line(VALID, 4, "type: choice") + (
        "choices:\n  - text: {en: A, zh: 甲}\n    correct: false\n    why: {en: wrong, zh: 否}\n"
    )
    write_question(tmp_path, text)
    assert findings(tmp_path) == [f"{F}:18:Q006"]


def test_fields_of_another_type_are_rejected(tmp_path):
    write_question(tmp_path, VALID + "numeric:\n  value: 3\n  tolerance: 0\n")
    assert findings(tmp_path) == [f"{F}:18:Q007"]


def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    write_question(
        tmp_path,
        replace_line(VALID, 5, f'difficulty: !!python/object/apply:os.system ["touch {marker}"]'),
    )
    assert findings(tmp_path) == [f"{F}:5:Y006"]
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]" for i in range(8)
    ]
    write_question(
        tmp_path, "# yaml-language-server: $schema=../schema.json\n" + "\n".join(bomb) + "\n"
    )
    assert findings(tmp_path) == [f"{F}:2:Y005"]


def test_math_in_code_and_escaped_dollars_is_not_math(tmp_path):
    text = replace_line(
        VALID, 11, r"  en: 'It costs \$5 and `$x` is code; $$a$$ and $b$ are math.'"
    )
    write_question(tmp_path, text)
    assert findings(tmp_path) == []


def test_broken_files_leave_the_others_served(tmp_path):
    write_question(tmp_path, VALID)
    write_question(tmp_path, VALID, qid="a-copy-with-the-wrong-id")
    write_question(tmp_path, "- not a mapping\n", qid="also-broken")
    report = validate_files(question_files([tmp_path]), root=tmp_path)
    assert list(report.questions) == ["sample-question"]
    assert sorted(report.broken_files) == [
        "bert/a-copy-with-the-wrong-id.yaml",
        "bert/also-broken.yaml",
    ]
    assert [p.rule for p in report.broken_files["bert/a-copy-with-the-wrong-id.yaml"]] == [
        "B001",
        "Q002",
    ]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studyapp", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_located_errors_and_exits_1(tmp_path):
    write_question(tmp_path / "questions", replace_line(VALID, 5, "difficulty: 5"))
    result = run_cli("validate", "questions", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("questions/bert/sample-question.yaml:5:1: S002 difficulty:")


def test_cli_on_the_shipped_bank_exits_0():
    result = run_cli("validate", cwd=REPO)
    assert result.returncode == 0, result.stdout
    assert " 0 problems" in result.stderr


def test_committed_schema_is_current():
    result = run_cli("schema", "--check", cwd=REPO)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "stuck"),
    [
        ("**答案。**当然", True),  # closing between punctuation and a letter
        ("选**“主要”句子**，即", True),  # opening between a letter and punctuation
        ("先用**中文分词工具（LTP）**切词", True),
        ("**答案**。当然", False),
        ("选“**主要**”句子，即", False),
        ("**Why.** Because", False),  # English: a space follows the closing run
        ("`a ** b` and **bold**", False),  # code spans are not Markdown
        ("$x^{**}$ and **bold**", False),  # nor is math
        ("2.0**16 only once", False),  # a lone run is literal by intent
        ("**one**\n\n**two。**三", True),  # paragraphs are checked one by one
    ],
)
def test_bold_that_commonmark_cannot_close_is_found(text, stuck):
    from studyapp.bank.validate import unclosed_bold

    assert (unclosed_bold(text) is not None) == stuck


def test_q013_agrees_with_a_commonmark_parser_on_every_text_of_the_bank():
    """The rule is a cheap reading of CommonMark's flanking rules. markdown-it (a CommonMark parser)
    must render every rendered text of the shipped bank with one <strong> per pair of ** runs, none
    nested and no ** left over exactly when the rule finds nothing; likewise for each text broken
    the way 54 Chinese answers once were (the punctuation moved back inside the bold)."""
    import re

    from markdown_it import MarkdownIt

    from studyapp.bank.load import default_bank_dir, load_bank
    from studyapp.bank.validate import _MASK, rendered_texts, unclosed_bold

    md = MarkdownIt("commonmark")

    def misrendered(text: str) -> bool:
        # code and math keep their delimiters (they decide flanking) but not their contents
        masked = _MASK.sub(lambda m: m[0][0] + "x" * (len(m[0]) - 2) + m[0][-1], text)
        html = md.render(masked)
        runs = len(re.findall(r"(?<![*\\])\*\*(?!\*)", masked))
        nested = re.search(r"<strong>(?:(?!</strong>).)*<strong>", html, flags=re.DOTALL)
        return "**" in html or bool(nested) or html.count("<strong>") != runs // 2

    broken = re.compile(r"\*\*([^*\n]+?)\*\*([。，：；])(?=[^\s*])")
    checked = planted = 0
    for q in load_bank(default_bank_dir()).questions.values():
        for _, text in rendered_texts(q):
            if text.count("**") < 2:
                continue
            assert (unclosed_bold(text) is not None) == misrendered(text), text
            checked += 1
            if broken.search(text):
                bad = broken.sub(r"**\1\2**", text, count=1)
                assert (unclosed_bold(bad) is not None) == misrendered(bad), bad
                planted += misrendered(bad)
    assert checked > 300 and planted > 40
