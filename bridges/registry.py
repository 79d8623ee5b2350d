"""Build the configured bridges: the one place that knows every adapter class.

The daemon asks for ``{network name: bridge}`` and never imports nio or telethon itself.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from gateway.config import Config, MatrixConfig, TelegramConfig
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


def build_bridges(config: Config, *, telegram_sandbox: Any = None) -> dict[NetworkName, Any]:
    """One bridge per configured network; secrets are read here, at start, and nowhere else.

    ``telegram_sandbox`` (a :class:`bridges.telegram.sandbox.Sandbox`) puts the in-process
    Telegram under the client instead of the network: for tests and ``hgw demo``.
    """
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
        bridges[NetworkName("telegram")] = _telegram_bridge(config.telegram, telegram_sandbox)
    return bridges


def _telegram_bridge(config: TelegramConfig, sandbox: Any) -> Any:
    from bridges.telegram.adapter import TelegramBridge

    return TelegramBridge(
        api_id=config.api_id,
        api_hash=config.api_hash.reveal(),
        session=config.session,
        bot_token=config.bot_token.reveal() if config.bot_token else None,
        max_media_bytes=config.max_media_bytes,
        sandbox=sandbox,
    )


__all__ = ["build_bridges"]
