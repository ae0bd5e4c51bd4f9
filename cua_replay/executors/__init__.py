"""Executors carry validated actions out: in a real browser, or from a recording."""

from __future__ import annotations

from .base import Executor

__all__ = ["Executor"]
