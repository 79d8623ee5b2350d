"""The harness itself: a real homeserver that two real nio clients talk through."""

from __future__ import annotations

import asyncio

import pytest
from nio import AsyncClient, JoinResponse, RoomCreateResponse, RoomMessageText, RoomSendResponse

from tests.integration.synapse import SynapseError, SynapseServer


async def login(server: SynapseServer, name: str) -> AsyncClient:
    user = server.register_user(name)
    client = AsyncClient(server.url, user.user_id)
    client.access_token, client.user_id, client.device_id = (
        user.access_token,
        user.user_id,
        user.device_id,
    )
    return client


async def test_two_clients_exchange_a_message(synapse: SynapseServer) -> None:
    alice, bob = await login(synapse, "smoke_alice"), await login(synapse, "smoke_bob")
    try:
        created = await alice.room_create(invite=[bob.user_id])
        assert isinstance(created, RoomCreateResponse)
        assert isinstance(await bob.join(created.room_id), JoinResponse)
        await bob.sync(timeout=0)  # position bob before the message
        sent = await alice.room_send(
            created.room_id, "m.room.message", {"msgtype": "m.text", "body": "привет, Bob"}
        )
        assert isinstance(sent, RoomSendResponse)

        async def receive() -> RoomMessageText:
            while True:
                response = await bob.sync(timeout=5000)
                room = response.rooms.join.get(created.room_id)
                for event in room.timeline.events if room else []:
                    if isinstance(event, RoomMessageText) and event.event_id == sent.event_id:
                        return event

        event = await asyncio.wait_for(receive(), 30)
        assert event.body == "привет, Bob"
        assert event.sender == alice.user_id
    finally:
        await alice.close()
        await bob.close()


def test_registering_a_taken_name_is_a_clear_error(synapse: SynapseServer) -> None:
    synapse.register_user("smoke_carol")
    with pytest.raises(SynapseError, match="User ID already taken"):
        synapse.register_user("smoke_carol")


def test_two_homeservers_run_side_by_side(
    synapse: SynapseServer, partner_synapse: SynapseServer
) -> None:
    assert synapse.port != partner_synapse.port
    internal = synapse.register_user("side_a")
    partner = partner_synapse.register_user("side_a")
    assert internal.user_id == "@side_a:internal.test"
    assert partner.user_id == "@side_a:partner.test"
