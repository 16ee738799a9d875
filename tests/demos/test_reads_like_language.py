"""Issue 16: after the default training run, the tiny GPT writes something that reads like
language: mostly words of its training text, and none of the Markdown or TeX the bank's answers
are written in (the old corpus taught it "$1 个 \\ix\\t{mes + 152$").

Measured with the engine's default of 300 steps (temperature 0.8, 400 characters, seed 0): on
the old corpus 17 % of the words were known, with "$1$" and "**"; on the clean English corpus
40 %, and no markup; at 600 steps 67 %."""

import inspect
import re

import pytest
import torch

from minimodels.demos.gpt_train import run as gpt_train_run
from minimodels.demos.trained import load_corpus, tiny_gpt
from minimodels.gpt import generate

CONTROL = set("*#$\\{}^|`")
WORD = re.compile(r"[A-Za-z]{2,}")  # letters only, 2 or more


@pytest.mark.slow
def test_a_sample_after_the_default_run_reads_like_language():
    # The gpt-train demo's defaults, whatever they are: the run a learner gets.
    params = {name: p.default for name, p in inspect.signature(gpt_train_run).parameters.items()}
    gpt = tiny_gpt(params["steps"], params["seed"], language=params["language"])
    tok = gpt.tokenizer
    prompt = torch.tensor([tok.encode(params["prompt"])])
    out = generate(
        gpt.model,
        prompt,
        400,
        temperature=params["temperature"],
        generator=torch.Generator().manual_seed(0),
    )
    sample = tok.decode(out[0, prompt.size(1) :].tolist())
    training_text = tok.decode(load_corpus(params["language"]).train_ids.tolist())
    known = set(WORD.findall(training_text))
    words = WORD.findall(sample)
    share = sum(w in known for w in words) / len(words)
    print(f"{share:.0%} of {len(words)} words known; sample: {sample!r}")
    assert len(sample) >= 300 and len(words) >= 30
    assert share >= 0.60, sample
    assert not CONTROL & set(sample), sample
