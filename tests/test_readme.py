"""The README states facts about the repo that tests can check."""

import re

from studyapp.bank.load import load_bank, size_table
from tests.bankfixtures import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_bank_size_table_is_current():
    block = re.search(r"<!-- bank-sizes:.*?-->\n(.*?)\n<!-- /bank-sizes -->", README, re.DOTALL)
    assert block, "README lost its bank-sizes block"
    assert block.group(1) == size_table(load_bank(REPO / "questions").questions), (
        "README's bank table is stale: paste the output of `studyapp bank sizes`"
    )


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = re.search(r"## Set-up: two commands.*?```sh\n(.*?)```", README, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in setup.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    ci = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == ["make test"]


def test_layout_table_lists_every_package():
    block = re.search(r"<!-- layout:.*?-->\n(.*?)\n<!-- /layout -->", README, re.DOTALL)
    assert block, "README lost its layout block"
    listed = set(re.findall(r"^\| `(studyapp/[\w.]+/?)`", block.group(1), re.MULTILINE))
    packages = {
        f"studyapp/{p.name}/" for p in (REPO / "studyapp").iterdir() if (p / "__init__.py").exists()
    }
    assert packages <= listed, f"README's layout table misses {sorted(packages - listed)}"
    assert {x for x in listed if x.endswith("/")} <= packages, "README lists a package that is gone"
    for path in listed:
        assert (REPO / path).exists(), path


def test_demo_table_is_current():
    from collections import Counter

    from studyapp.demos import catalogue

    block = re.search(r"<!-- demos:.*?-->\n(.*?)\n<!-- /demos -->", README, re.DOTALL)
    assert block, "README lost its demos block"
    questions = load_bank(REPO / "questions").questions.values()
    assert block.group(1) == catalogue(Counter(q.demo for q in questions if q.demo)), (
        "README's demo table is stale: paste the output of `studyapp demo list --markdown`"
    )
