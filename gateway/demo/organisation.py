"""The demo company and its partners: who exists, which rooms, and the config that ties them.

Inside: a local Synapse with staff ``alice`` and ``bob``, the admin ``security`` and the relay
bot; one portal room per partner and the management room. Outside: the Telegram sandbox with
the company's account, a supplier, a client and a stranger nobody has linked yet. The config
is the example config's shape with demo values; the OS user running the demo is its admin.
"""

from __future__ import annotations

import getpass
import secrets
from dataclasses import dataclass
from pathlib import Path

from nio import AsyncClient, RoomCreateResponse

from bridges.telegram.sandbox import Sandbox, SandboxUser
from bridges.telegram.session import open_session
from gateway.demo.homeserver import RegisteredUser, SynapseServer

DEMO_POLICY_EXTRA = """
[[policy.rules]]
name = "mask-phones-out"
description = "Phone numbers leave the company masked."
priority = 20
direction = "outbound"
kinds = ["phone"]
action = "redact"

[[policy.rules]]
name = "emails-out-noted"
description = "An e-mail address may go out; the admins' room hears of it."
priority = 15
direction = "outbound"
kinds = ["email"]
action = "notify"
"""


@dataclass
class Organisation:
    homeserver: SynapseServer
    alice: RegisteredUser
    bob: RegisteredUser
    security: RegisteredUser
    bot: RegisteredUser
    acme_room: str
    globex_room: str
    admin_room: str
    sandbox: Sandbox
    company: SandboxUser
    acme: SandboxUser
    globex: SandboxUser
    stranger: SandboxUser

    def staff(self) -> dict[str, RegisteredUser]:
        return {"alice": self.alice, "bob": self.bob, "security": self.security}


async def create(homeserver: SynapseServer) -> Organisation:
    """Register the people and create the rooms; the bot joins once the daemon runs."""
    users = {
        name: homeserver.register_user(name, f"{name}-{secrets.token_urlsafe(6)}")
        for name in ("alice", "bob", "security", "hgw")
    }
    security = await _client(homeserver, users["security"])
    try:
        bot = users["hgw"].user_id
        acme = await _room(security, "ACME Supplies (Telegram)", [users["alice"], bot])
        globex = await _room(security, "Globex (Telegram)", [users["bob"], bot])
        admin = await _room(security, "hgw admin", [bot])
    finally:
        await security.close()
    for name, room in (("alice", acme), ("bob", globex)):
        client = await _client(homeserver, users[name])
        await client.join(room)
        await client.close()

    sandbox = Sandbox()
    world = sandbox.world
    company = world.add_user("Company", username="company_desk", phone="+70000000001")
    return Organisation(
        homeserver=homeserver,
        alice=users["alice"],
        bob=users["bob"],
        security=users["security"],
        bot=users["hgw"],
        acme_room=acme,
        globex_room=globex,
        admin_room=admin,
        sandbox=sandbox,
        company=company,
        acme=world.add_user("Pavel", last_name="(ACME Supplies)", username="acme_supplier"),
        globex=world.add_user("Maria", last_name="(Globex)", username="globex_client"),
        stranger=world.add_user("Olga", last_name="(Newco)", username="newco_olga"),
    )


async def _client(homeserver: SynapseServer, user: RegisteredUser) -> AsyncClient:
    client = AsyncClient(homeserver.url, user.user_id, device_id=user.device_id)
    client.access_token = user.access_token
    client.user_id = user.user_id
    return client


async def _room(owner: AsyncClient, name: str, invite: list[RegisteredUser | str]) -> str:
    ids = [u if isinstance(u, str) else u.user_id for u in invite]
    response = await owner.room_create(name=name, invite=ids)
    if not isinstance(response, RoomCreateResponse):
        raise RuntimeError(f"the demo homeserver did not create {name!r}: {response}")
    return str(response.room_id)


def write_config(org: Organisation, directory: Path, policy_toml: str) -> Path:
    """The demo's config file, secrets beside it (0600), the Telegram session logged in."""
    secrets_dir = directory / "secrets"
    secrets_dir.mkdir(mode=0o700, exist_ok=True)
    for name, value in (("matrix-password", org.bot.password), ("telegram-api-hash", "demo")):
        path = secrets_dir / name
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)
    session = open_session(directory / "data" / "telegram.session")
    org.sandbox.log_in(session, org.company)
    session.close()
    config = directory / "config.toml"
    config.write_text(
        f"""# hgw demo configuration (generated; see config.example.toml for every option)
[gateway]
data_dir = "data"

[control]
socket = "control.sock"

[control.users]
{getpass.getuser()} = {{ role = "admin" }}

[matrix]
homeserver = "{org.homeserver.url}"
user_id = "{org.bot.user_id}"
password_file = "secrets/matrix-password"
management_room = "{org.admin_room}"
admins = ["{org.security.user_id}"]
portal_invite = ["{org.security.user_id}", "{org.alice.user_id}"]

[telegram]
api_id = 1
api_hash_file = "secrets/telegram-api-hash"
phone = "{org.company.phone}"
unknown_contacts = "queue"

[[links]]
id = "acme-supplier"
internal_room = "{org.acme_room}"
external_network = "telegram"
external_chat = "@{org.acme.username}"
format = "{{sender_name}}: {{body}}"

[[links]]
id = "globex-client"
internal_room = "{org.globex_room}"
external_network = "telegram"
external_chat = "@{org.globex.username}"
format = "{{sender_name}}: {{body}}"

{policy_toml}
{DEMO_POLICY_EXTRA}
""",
        encoding="utf-8",
    )
    config.chmod(0o600)
    return config


__all__ = ["Organisation", "create", "write_config"]
