"""The text the app's demo models learn from: its own question bank, plus files the user supplies.

Nothing is downloaded. The bank is read from a folder passed in (questions/<topic>/<id>.yaml), so
this package does not depend on the app. Every answer becomes one document per language; a user
file is split into documents at blank lines (paragraphs, or a play's speeches).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import yaml

LANGUAGES = ("en", "zh")


def bank_documents(bank_dir: str | Path, languages: Sequence[str] = LANGUAGES) -> list[str]:
    """The answers of every question in bank_dir, one document per answer and language.

    Files whose name starts with "_" (templates) and files that do not parse are skipped: the bank
    is being written while the app runs, and a half-saved file must not stop a demo.
    """
    documents = []
    for path in sorted(Path(bank_dir).glob("*/*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            continue
        answer = data.get("answer") if isinstance(data, dict) else None
        if not isinstance(answer, dict):
            continue
        for lang in languages:
            text = answer.get(lang)
            if isinstance(text, str) and text.strip():
                documents.append(text.strip() + "\n\n")
    return documents


def split_documents(text: str) -> list[str]:
    """Split at blank lines; each document ends with one blank line, so joined they read as before."""
    return [part.strip("\n") + "\n\n" for part in re.split(r"\n\s*\n", text) if part.strip()]


def build_corpus(
    bank_dir: str | Path | None,
    extra_files: Sequence[str | Path] = (),
    languages: Sequence[str] = LANGUAGES,
) -> list[str]:
    """Documents from the bank's answers, then from each extra UTF-8 file, in that order.

    A file that is not valid UTF-8 raises UnicodeDecodeError: better told than trained on mojibake.
    """
    documents = bank_documents(bank_dir, languages) if bank_dir is not None else []
    for path in extra_files:
        documents += split_documents(Path(path).read_text(encoding="utf-8"))
    return documents
