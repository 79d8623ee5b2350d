from __future__ import annotations

import pytest

from gateway.approvals import ApprovalQueue
from gateway.management import Services, is_command, run_command
from tests.unit.relay import LINK, settled, staff

ADMIN, STAFF = "@security:internal.test", "@alice:internal.test"


@pytest.fixture
def services(env) -> Services:
    store, _router, dispatcher, _m, _t = env
    return Services(
        store=store,
        approvals=ApprovalQueue(store, dispatcher),
        links=lambda: [LINK],
        policy_test=lambda text: f"decision for {text!r}",
    )


async def cmd(services: Services, text: str, *, admin: bool = True) -> str:
    assert is_command(text)
    return await run_command(
        text, sender=ADMIN if admin else STAFF, is_admin=admin, services=services
    )


async def test_help_lists_commands_with_examples(services: Services) -> None:
    text = await cmd(services, "!hgw help")
    for name in ("status", "links", "approve", "reject", "override", "policy test"):
        assert f"• {name} — " in text
    assert "Example: !hgw approve 12" in text
    staff_help = await cmd(services, "!hgw", admin=False)
    assert "approve" not in staff_help
    assert "status" in staff_help


async def test_admin_commands_refuse_non_admins(services: Services) -> None:
    reply = await cmd(services, "!hgw approve 1", admin=False)
    assert reply.startswith("`approve` is for hgw admins only")


async def test_approve_from_the_management_room(env, services: Services) -> None:
    store, router, _d, _m, telegram = env
    await router.message(staff("$1", "HOLDME please"))
    listing = await cmd(services, "!hgw approvals")
    assert listing.startswith("• #1 [inn] link acme: 'HOLDME please'")
    assert await cmd(services, "!hgw approve #1") == (
        "Approval #1 approved; the message is on its way."
    )
    await telegram.wait_for(1)
    assert (await cmd(services, "!hgw approve 1")).startswith("approve: approval #1 was already")
    await settled(store)
    assert await cmd(services, "!hgw status") == "Outbox: sent 3. Waiting for approval: 0."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!hgw approve", "Usage: !hgw approve 12"),
        ("!hgw approve twelve", "Usage: !hgw approve 12"),
        ("!hgw frobnicate", "Unknown command 'frobnicate'"),
        ('!hgw reject 1 "unterminated', "Could not read that command"),
        ("!hgw approve 42", "approve: no approval #42"),
        ("!hgw override 1 ok", "override: an override needs a written justification"),
        ("!hgw policy test 4276 1234", "decision for '4276 1234'"),
        ("!hgw links", "• acme: !acme:internal.test ⇄ telegram:100"),
    ],
)
async def test_bad_or_odd_input_gets_a_useful_reply(
    services: Services, line: str, expected: str
) -> None:
    assert (await cmd(services, line)).startswith(expected)
