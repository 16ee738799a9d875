"""Demos for fine-tuning and alignment (SFT, LoRA, RLHF, DPO, label smoothing)."""

from studyapp.demos import Demo

DEMOS: list[Demo] = []
