"""Demos for the BERT family, tokenization and generation methods (CGMH, SimBERT, PEGASUS, in-context learning)."""

from studyapp.demos import Demo

DEMOS: list[Demo] = []
