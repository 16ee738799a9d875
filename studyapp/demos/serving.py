"""Demos for efficient attention and serving (KV cache, MQA/GQA, speculative decoding, beam search)."""

from studyapp.demos import Demo

DEMOS: list[Demo] = []
