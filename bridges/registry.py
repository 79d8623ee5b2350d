"""Build the configured bridges: the one place that knows every adapter class.

The daemon asks for ``{network name: bridge}`` and never imports nio or telethon itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gateway.config import Config, MatrixConfig
from gateway.model import Direction, NetworkName

log = logging.getLogger(__name__)


def _matrix_bridge(
    config: MatrixConfig, *, network: str, direction: Direction, state_dir: Path
) -> Any:
    from bridges.matrix.adapter import MatrixBridge

    token = config.access_token.reveal() if config.access_token else None
    return MatrixBridge(
        config.homeserver,
        config.user_id,
        state_dir=state_dir,
        password=None if token else (config.password.reveal() if config.password else None),
        access_token=token,
        network=network,
        direction=direction,
        allowed_inviters=config.admins,
        max_media_bytes=config.max_media_bytes,
        device_name=config.device_name,
    )


def build_bridges(config: Config) -> dict[NetworkName, Any]:
    """One bridge per configured network; secrets are read here, at start, and nowhere else."""
    bridges: dict[NetworkName, Any] = {}
    state = config.gateway.data_dir / "networks"
    if config.matrix is not None:
        bridges[NetworkName("matrix")] = _matrix_bridge(
            config.matrix,
            network="matrix",
            direction=Direction.OUTBOUND,
            state_dir=state / "matrix",
        )
    for name, partner in config.partners.items():
        bridges[NetworkName(name)] = _matrix_bridge(
            partner, network=name, direction=Direction.INBOUND, state_dir=state / name
        )
    if config.telegram is not None:
        log.warning(
            "[telegram] is configured but this hgw has no Telegram bridge yet; deliveries to"
            " Telegram links wait in the outbox until one runs"
        )
    return bridges


__all__ = ["build_bridges"]
