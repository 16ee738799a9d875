"""Demos for pre-training practice (packing, schedules, mixed precision, memory, scaling laws)."""

from studyapp.demos import Demo

DEMOS: list[Demo] = []
