"""The Prometheus endpoint of a running daemon, scraped over HTTP on loopback."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gateway.config import parse_config
from gateway.errors import ConfigError
from tests.integration.test_control_support import running, until, write_config
from tests.unit.relay import partner


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return answer.read().decode()


async def test_metrics_count_messages_by_action_and_time_the_policy(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path / "config.toml",
        tmp_path / "run" / "control.sock",
        tail=f'\n[metrics]\nlisten = "127.0.0.1:{port}"\n',
    )
    async with running(config) as env:
        await env.telegram.sink.message(partner("p1", "hello"))
        await env.telegram.sink.message(partner("p2", "card 4111 1111 1111 1111"))
        admin = await env.client()
        await admin.call("send", link_id="acme", text="INN 7707083893")
        await admin.call("send", link_id="acme", text="card 4111 1111 1111 1111")
        env.telegram.retry_after = 3600  # this one waits in the queue
        env.telegram.transient_failures["WAITS"] = 1
        await admin.call("send", link_id="acme", text="WAITS for the partner")
        await env.matrix.wait_for(2)
        await until(lambda: _attempted(env, "WAITS"))
        await env.daemon.metrics.update_gauges(env.daemon)
        text = await asyncio.to_thread(scrape, port)
    inbound = 'hgw_messages_total{action="allow",direction="inbound",network="telegram"} 2.0'
    assert inbound in text
    assert 'hgw_messages_total{action="hold",direction="outbound",network="matrix"} 1.0' in text
    assert "hgw_policy_seconds_count 5.0" in text
    assert 'hgw_messages_total{action="block",direction="outbound",network="matrix"} 1.0' in text
    assert 'hgw_queue_pending{network="telegram"} 1.0' in text
    assert 'hgw_deliveries_total{network="matrix",outcome="sent"}' in text
    assert "hgw_held 1.0" in text
    assert 'hgw_flood_wait_seconds{network="telegram"} 0.0' in text
    with pytest.raises(urllib.error.URLError):  # stopped with the daemon
        await asyncio.to_thread(scrape, port)


def test_metrics_listen_only_on_loopback(tmp_path: Path) -> None:
    text = write_config(tmp_path / "c.toml", tmp_path / "s.sock").read_text()
    with pytest.raises(ConfigError, match=r"metrics\.listen: must be a loopback address"):
        parse_config(text + '\n[metrics]\nlisten = "0.0.0.0:9464"\n', tmp_path / "c.toml")
    config = parse_config(text + '\n[metrics]\nlisten = "[::1]:9000"\n', tmp_path / "c.toml")
    assert config.metrics is not None
    assert (config.metrics.host, config.metrics.port) == ("::1", 9000)


async def _attempted(env: object, marker: str) -> bool:
    return any(marker in d.text for d in env.telegram.attempts)  # type: ignore[attr-defined]
