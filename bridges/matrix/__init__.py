"""The Matrix network adapter (matrix-nio): relay bot, sync loop, sending, media, formatting."""

from __future__ import annotations

from bridges.matrix.adapter import MatrixBridge

__all__ = ["MatrixBridge"]
