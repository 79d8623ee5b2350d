"""Invariant 3, judged on what leaves: render → judge → the outbox row, for every field.

Three kinds of test:
- a property: a secret put into any text field of a random outgoing message (body, link URL,
  mention, file name, declared type, the display name a link's format fills in) is never let
  out by the default policy;
- redaction masks the value in every field it appears in, and the outbox row built from the
  verdict carries no trace of it;
- a structural check that every string field a bridge can read from a Delivery is either
  judged (named by ``gateway.policy.projection``) or listed here as not sender text — so a
  new field cannot be added without deciding which it is.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.control.views import policy_view
from gateway.model import (
    Attachment,
    ChatRef,
    Delivery,
    Direction,
    Link,
    LinkId,
    Message,
    NetworkName,
    Route,
    Span,
    SpanKind,
    UserRef,
)
from gateway.outbound import leaving, outbox_payload, render
from gateway.policy import EvaluationContext, default_policy, evaluate, load_policy, scan
from gateway.policy.confidence import STRONG_CUES
from gateway.policy.projection import fields
from gateway.verdicts import from_decision
from tests.unit.policy.helpers import NOON, context

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CARDS = ["4276380123456787", "4276 3801 2345 6787", "2200-1234-5678-9019", "5469 3800 1234 5673"]
SECRETS = [*CARDS, "Коммерческая тайна", "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8"]
WORDS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz абвгдеёжзийклмнопрстуфхцчшщыэюя,.!?", max_size=30
)
FORMATS = [None, "{sender_name}: {body}", "[{sender_name}] {body}", "{body}\n— {sender_name}"]
FIELDS = ["body", "link", "mention", "file name", "file type", "display name"]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_the_sample_cards_are_valid() -> None:
    assert all(luhn_ok(re.sub(r"\D", "", c)) for c in CARDS)


@st.composite
def outgoing(draw: st.DrawFn, secret: str | None, where: str | None) -> tuple[Message, Route]:
    """A random outbound message on a link with a random format, ``secret`` put in ``where``."""
    text = draw(WORDS).strip() or "see"
    # random letters that spell a cue word ("imei", "order") introduce a card as something
    # else, by design (confidence.STRONG): such a draw tests nothing about redaction
    assume(not STRONG_CUES.search(text.lower()))
    url = "https://example.org/" + draw(st.sampled_from(["pay", "doc/1", "a?b=c"]))
    mention = "@" + draw(st.sampled_from(["ivan", "olga"])) + ":corp.example"
    name = draw(st.sampled_from(["report.txt", "notes.txt", "плaн.txt"]))
    mime = "text/plain"
    display = draw(st.sampled_from(["Anna", "Иван Петров", None]))
    if where == "body":
        at = draw(st.integers(0, len(text)))
        text = f"{text[:at]} {secret} {text[at:]}"
    elif where == "link":
        url = f"{url}?pan={secret}"
    elif where == "mention":
        mention = f"@{secret}:corp.example"
    elif where == "file name":
        name = f"{secret}.txt"
    elif where == "file type":
        mime = f"text/plain; name={secret}"
    elif where == "display name":
        display = secret
    spans = (Span(0, min(3, len(text)), SpanKind.LINK, url),)
    if len(text) > 4:
        spans += (Span(4, 1, SpanKind.MENTION, mention),)
    elif where == "mention":
        spans += (Span(0, 1, SpanKind.MENTION, mention),)
    files = draw(st.sampled_from([0, 1])) or (1 if where in ("file name", "file type") else 0)
    attachments = tuple(Attachment(name, mime, 5, data=b"hello") for _ in range(files))
    template = draw(st.sampled_from(FORMATS))
    if where == "display name" and template is None:
        template = "{sender_name}: {body}"
    link = Link(
        LinkId("acme"),
        ChatRef(NetworkName("matrix"), "!room:corp.example"),
        ChatRef(NetworkName("telegram"), "acme"),
        outbound_format=template,
    )
    sender = UserRef(NetworkName("matrix"), "@anna:corp.example", display)
    message = Message(
        link.internal, sender, "$1", Direction.OUTBOUND, text, spans, attachments, sent_at=NOON
    )
    return message, Route(link, Direction.OUTBOUND)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def row_of(message: Message, route: Route, policy: Any) -> tuple[str, dict[str, Any]]:
    """The router's three steps, as it takes them: render, judge that, build the row."""
    rendered = render(route, message)
    decision = evaluate(policy, rendered, route, context=EvaluationContext(now=NOON))
    verdict = from_decision(decision)
    out = leaving(rendered, verdict)
    return verdict.action, outbox_payload(out, reply_to=None, edit_of=None)


@SETTINGS
@given(data=st.data(), secret=st.sampled_from(SECRETS), where=st.sampled_from(FIELDS))
def test_a_secret_in_any_field_never_leaves(data: st.DataObject, secret: str, where: str) -> None:
    message, route = data.draw(outgoing(secret, where))
    action, _row = row_of(message, route, default_policy())
    assert action in ("block", "hold"), (where, message)


@SETTINGS
@given(data=st.data())
def test_clean_messages_stay_allowed(data: st.DataObject) -> None:
    """The property above would hold for a policy that blocks everything: it does not."""
    message, route = data.draw(outgoing(None, None))
    assume(not scan(message.text))  # random words may spell a stamp ("secret" alone)
    action, row = row_of(message, route, default_policy())
    assert action == "allow", message
    assert row["text"] == render(route, message).text


MASK_CARDS = load_policy(
    {
        "rules": [
            {
                "name": "mask-cards",
                "direction": "outbound",
                "kinds": ["card"],
                "action": "redact",
                "redact": "mask",
            }
        ]
    }
)


@SETTINGS
@given(
    data=st.data(),
    card=st.sampled_from(CARDS),
    places=st.sets(st.sampled_from(["body", "link", "file name", "file type"]), min_size=1),
)
def test_redaction_masks_the_value_in_every_field(
    data: st.DataObject, card: str, places: set[str]
) -> None:
    message, route = data.draw(outgoing(card, "body" if "body" in places else None))
    spans = tuple(
        dataclasses.replace(s, extra=f"{s.extra}?pan={card}")
        if "link" in places and s.kind is SpanKind.LINK
        else s
        for s in message.spans
    )
    name = f"{card}.txt" if "file name" in places else "report.txt"
    mime = f"text/plain; name={card}" if "file type" in places else "text/plain"
    files = (Attachment(name, mime, 5, data=b"hello"),) if places - {"body", "link"} else ()
    message = dataclasses.replace(message, spans=spans, attachments=files)
    action, row = row_of(message, route, MASK_CARDS)
    assert action == "redact"
    digits = re.sub(r"\D", "", card)
    for value in strings(row):
        assert digits not in re.sub(r"\D", "", value), (value, row)
    assert row["text"].count("•") >= (len(digits) if "body" in places else 0)


def test_redaction_in_a_link_keeps_the_rest_of_the_url() -> None:
    link = Link(
        LinkId("acme"),
        ChatRef(NetworkName("matrix"), "!r:corp.example"),
        ChatRef(NetworkName("telegram"), "acme"),
    )
    message = Message(
        link.internal,
        UserRef(NetworkName("matrix"), "@anna:corp.example"),
        "$1",
        Direction.OUTBOUND,
        "payment link",
        (Span(0, 7, SpanKind.LINK, "https://pay.example/checkout?pan=4276380123456787"),),
        sent_at=NOON,
    )
    _action, row = row_of(message, Route(link, Direction.OUTBOUND), MASK_CARDS)
    assert row["text"] == "payment link"
    assert row["spans"] == [[0, 7, "link", "https://pay.example/checkout?pan=••••••••••••••••"]]


# -- structure: every string a bridge can read is judged or declared inert ---------------------

JUDGED = {
    (Delivery, "text"),
    (Delivery, "spans"),
    (Delivery, "attachments"),
    (Delivery, "reaction"),  # judged as the text of its own probe message (router.reaction)
    (Span, "extra"),
    (Attachment, "name"),
    (Attachment, "declared_mime"),
}
"""Fields whose text the policy reads (gateway.policy.projection, or the body itself)."""
NOT_SENDER_TEXT = {
    (Delivery, "target"),  # where to send: a configured chat
    (Delivery, "idempotency_key"),  # ours, random
    (Delivery, "reply_to_remote_id"),  # the target network's own id
    (Delivery, "target_remote_id"),  # the target network's own id
    (Delivery, "operation"),
    (Delivery, "kind"),
    (Span, "kind"),
    (Attachment, "native_ref"),  # the source network's media id: bridges upload bytes instead
    (Attachment, "digest"),  # ours: SHA-256 of the bytes in the media cache
    (Attachment, "data"),  # the bytes: scanned as a file (gateway.policy.attachments)
}


@pytest.mark.parametrize("cls", [Delivery, Span, Attachment])
def test_every_text_field_a_bridge_reads_is_judged_or_declared_inert(cls: type) -> None:
    hints = get_type_hints(cls)
    textual = {
        (cls, f.name)
        for f in dataclasses.fields(cls)
        if any(t in str(hints[f.name]) for t in ("str", "Span", "Attachment", "ChatRef", "bytes"))
    }
    unclassified = textual - JUDGED - NOT_SENDER_TEXT
    assert unclassified == set(), (
        "a new text-bearing field: add it to gateway.policy.projection.fields (and redact it "
        "in redact_fields), or say here why no sender text can ride in it"
    )


def test_projection_names_every_judged_field_it_can() -> None:
    message = Message(
        ChatRef(NetworkName("matrix"), "!r"),
        UserRef(NetworkName("matrix"), "@a"),
        "$1",
        Direction.OUTBOUND,
        "body",
        (Span(0, 1, SpanKind.LINK, "https://x.example"), Span(1, 1, SpanKind.BOLD)),
        (Attachment("a.txt", "text/plain", 1),),
    )
    assert fields(message) == (
        ("span:0", "https://x.example"),
        ("file:0:name", "a.txt"),
        ("file:0:mime", "text/plain"),
    )


def test_redacted_ranges_shown_in_the_timeline_are_in_the_stored_body() -> None:
    """Findings are offsets in the rendered text ("Anna: …"); the TUI marks the stored body."""
    link = Link(
        LinkId("acme"),
        ChatRef(NetworkName("matrix"), "!r:corp.example"),
        ChatRef(NetworkName("telegram"), "acme"),
        outbound_format="{sender_name} (ACME Corp): {body}",
    )
    body = "card 4276 3801 2345 6787 ok"
    message = Message(
        link.internal,
        UserRef(NetworkName("matrix"), "@anna:corp.example", "Anna"),
        "$1",
        Direction.OUTBOUND,
        body,
        sent_at=NOON,
    )
    route = Route(link, Direction.OUTBOUND)
    decision = evaluate(MASK_CARDS, render(route, message), route, context=context())
    view = policy_view({"action": decision.action, "decision": decision.as_dict()})
    [[start, end]] = view["redacted"]
    assert body[start:end] == "4276 3801 2345 6787"
