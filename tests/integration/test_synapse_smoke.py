"""The harness itself: real homeservers that real nio clients talk through.

If these fail, every other integration test would fail for a reason that is not hgw's, so they
check the harness's promises directly: messages flow, errors are clear, two organisations run
side by side without seeing each other, and a restart keeps port and data.
"""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import uuid

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    RoomCreateResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from tests.integration.synapse import RegisteredUser, SynapseError, SynapseServer

pytestmark = pytest.mark.synapse

# No store, no encryption, and errors surface instead of being retried for ever.
CLIENT_CONFIG = AsyncClientConfig(
    store=None,
    encryption_enabled=False,
    store_sync_tokens=False,
    max_limit_exceeded=0,
    max_timeouts=2,
    request_timeout=30,
)


def unique(prefix: str) -> str:
    """A fresh localpart: the homeserver lives for the whole session, names must not clash."""
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def client_for(server: SynapseServer, user: RegisteredUser) -> AsyncClient:
    client = AsyncClient(server.url, user.user_id, user.device_id, config=CLIENT_CONFIG)
    client.restore_login(user.user_id, user.device_id, user.access_token)
    return client


async def next_message(client: AsyncClient, room_id: str, event_id: str) -> RoomMessageText:
    """Long-poll ``sync`` until ``event_id`` shows up in ``room_id``'s timeline."""
    while True:
        response = await client.sync(timeout=5_000)
        assert isinstance(response, SyncResponse), response
        room = response.rooms.join.get(room_id)
        for event in room.timeline.events if room else []:
            if isinstance(event, RoomMessageText) and event.event_id == event_id:
                return event


async def test_two_clients_exchange_a_message(synapse: SynapseServer) -> None:
    alice_user = synapse.register_user(unique("alice"))
    bob_user = synapse.register_user(unique("bob"))
    alice, bob = client_for(synapse, alice_user), client_for(synapse, bob_user)
    try:
        created = await alice.room_create(invite=[bob.user_id])
        assert isinstance(created, RoomCreateResponse), created
        assert isinstance(await bob.sync(timeout=0), SyncResponse)  # bob's position: before
        assert created.room_id in bob.invited_rooms
        joined = await bob.join(created.room_id)
        assert isinstance(joined, JoinResponse), joined

        sent = await alice.room_send(
            created.room_id, "m.room.message", {"msgtype": "m.text", "body": "привет, Bob"}
        )
        assert isinstance(sent, RoomSendResponse), sent
        event = await asyncio.wait_for(next_message(bob, created.room_id, sent.event_id), 30)

        assert event.body == "привет, Bob"
        assert event.sender == alice_user.user_id
        assert alice_user.user_id.endswith(":internal.test")
    finally:
        await alice.close()
        await bob.close()


def test_registering_a_taken_name_is_a_clear_error(synapse: SynapseServer) -> None:
    name = unique("carol")
    first = synapse.register_user(name, "correct horse", admin=True)
    assert first.user_id == f"@{name}:internal.test"
    assert first.password == "correct horse"
    assert (
        synapse.request(
            "GET", "/_matrix/client/v3/account/whoami", access_token=first.access_token
        )["user_id"]
        == first.user_id
    )

    with pytest.raises(SynapseError, match="already taken") as refused:
        synapse.register_user(name)
    assert refused.value.errcode == "M_USER_IN_USE"
    assert refused.value.status == 400


def test_two_homeservers_run_side_by_side(
    synapse: SynapseServer, partner_synapse: SynapseServer
) -> None:
    assert (synapse.server_name, partner_synapse.server_name) == ("internal.test", "partner.test")
    assert synapse.port != partner_synapse.port
    for server in (synapse, partner_synapse):
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert "versions" in server.request("GET", "/_matrix/client/versions")

    name = unique("same")
    internal = synapse.register_user(name)
    partner = partner_synapse.register_user(name)  # same localpart, another organisation
    assert internal.user_id == f"@{name}:internal.test"
    assert partner.user_id == f"@{name}:partner.test"

    whoami = "/_matrix/client/v3/account/whoami"
    assert (
        partner_synapse.request("GET", whoami, access_token=partner.access_token)["user_id"]
        == partner.user_id
    )
    with pytest.raises(SynapseError) as foreign:  # each server knows only its own tokens
        partner_synapse.request("GET", whoami, access_token=internal.access_token)
    assert foreign.value.errcode == "M_UNKNOWN_TOKEN"


async def test_restart_keeps_port_and_data_and_a_taken_port_is_a_clear_error(
    synapse: SynapseServer,
) -> None:
    user = synapse.register_user(unique("dora"))
    port, url = synapse.port, synapse.url
    whoami = "/_matrix/client/v3/account/whoami"

    synapse.kill()  # a crash: no clean shutdown
    assert not synapse.running
    with pytest.raises(urllib.error.URLError, match="Connection refused"):  # nothing listens
        synapse.request("GET", "/_matrix/client/versions", timeout=2)

    # Someone else took the port meanwhile: the restart must say so, not hang or move.
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(SynapseError, match=f"port {port} is taken"):
            await synapse.start_async()
        assert not synapse.running

    await synapse.start_async()
    assert (synapse.port, synapse.url) == (port, url)
    assert synapse.request("GET", whoami, access_token=user.access_token)["user_id"] == (
        user.user_id
    )
    with pytest.raises(SynapseError, match="already taken"):
        synapse.register_user(user.user_id[1:].split(":")[0])
