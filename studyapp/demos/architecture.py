"""Demos for modern decoder-only architecture and positions (RMSNorm, SwiGLU, RoPE, ALiBi, MoE)."""

from studyapp.demos import Demo

DEMOS: list[Demo] = []
