"""The README states facts about the repo that tests can check."""

import re

from studyapp.bank import load_bank, size_table
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
