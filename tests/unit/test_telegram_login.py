"""``hgw telegram login`` against the sandbox: the real telethon sign-in flow, SRP 2FA included."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from telethon import TelegramClient

from bridges.telegram.login import LoginError, log_in
from bridges.telegram.sandbox import Sandbox
from bridges.telegram.session import open_session
from gateway.errors import SecretFileError


def client_for(sandbox: Sandbox, path: Path) -> TelegramClient:
    client = TelegramClient(open_session(path), 1, "0123456789abcdef")
    sandbox.attach(client)
    return client


async def test_user_with_two_step_verification_logs_in_and_the_session_is_private(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox()
    world = sandbox.world
    world.add_user("Company", phone="+70000000001", password="correct horse")
    passwords = iter(["wrong", "correct horse"])
    path = tmp_path / "data" / "telegram.session"
    client = client_for(sandbox, path)
    me = await log_in(
        client,
        phone="+70000000001",
        bot_token=None,
        ask_code=lambda: world.login_code("+70000000001"),
        ask_password=lambda: next(passwords),
    )
    await client.disconnect()
    assert me.first_name == "Company"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    again = client_for(sandbox, path)  # what the daemon does next: no questions asked
    await again.connect()
    assert await again.is_user_authorized()
    await again.disconnect()


async def test_wrong_codes_and_unknown_phones_are_clear_errors(tmp_path: Path) -> None:
    sandbox = Sandbox()
    sandbox.world.add_user("Company", phone="+70000000001")
    client = client_for(sandbox, tmp_path / "a.session")
    with pytest.raises(LoginError, match="wrong three times"):
        await log_in(
            client,
            phone="+70000000001",
            bot_token=None,
            ask_code=lambda: "00000",
            ask_password=lambda: "",
        )
    await client.disconnect()
    client = client_for(sandbox, tmp_path / "b.session")
    with pytest.raises(LoginError, match="does not know the phone number"):
        await log_in(
            client,
            phone="+79999999999",
            bot_token=None,
            ask_code=lambda: "",
            ask_password=lambda: "",
        )
    await client.disconnect()


async def test_bot_logs_in_with_its_token(tmp_path: Path) -> None:
    sandbox = Sandbox()
    bot = sandbox.world.add_user("Relay", username="relay_bot", bot=True)
    client = client_for(sandbox, tmp_path / "bot.session")
    me = await log_in(
        client,
        phone=None,
        bot_token=sandbox.world.bot_token(bot),
        ask_code=lambda: "",
        ask_password=lambda: "",
    )
    assert me.bot
    await client.disconnect()
    client = client_for(sandbox, tmp_path / "bad.session")
    with pytest.raises(LoginError, match="bot token"):
        await log_in(
            client, phone=None, bot_token="1:nope", ask_code=lambda: "", ask_password=lambda: ""
        )
    await client.disconnect()


def test_a_session_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "telegram.session"
    path.write_bytes(b"")
    os.chmod(path, 0o644)
    with pytest.raises(SecretFileError, match="chmod 600"):
        open_session(path)


def test_login_without_a_telegram_section_says_so(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[gateway]\ndata_dir = "data"\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "telegram", "login", "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "no [telegram] section" in done.stderr
    assert "Traceback" not in done.stderr
