"""Every text field of an outgoing message, named — what the policy reads besides the body.

A bridge sends more than ``text``: a link's URL goes into an HTML ``href`` or a Telegram
``text_url`` entity, a mention's id into a pill, a code block's language into a ``class``, a
file's name into ``filename``/``body``/``DocumentAttributeFilename``, its declared type into
``mimetype``. Each of those can carry a card number as well as the body can (the red team's
``<a href="…?pan=…">payment link</a>``), so each is judged.

The rule that keeps this complete: bridges build what they send only from
:class:`gateway.model.Delivery`, whose text-bearing fields are exactly the ones named here
(``tests/unit/policy/test_projection.py`` checks every string a bridge puts into an event
against this projection). A new field on ``Delivery`` or ``Message`` that can hold sender
text must get a name here and a redaction in :func:`redact_fields`, or that test fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from gateway.model import Message, Span
from gateway.policy.findings import Finding
from gateway.policy.redact import redact

_FIELD_PREFIXES = ("span:", "file:")


def fields(message: Message) -> tuple[tuple[str, str], ...]:
    """``(name, value)`` of every non-empty text field of ``message`` other than its body."""
    out: list[tuple[str, str]] = []
    for index, span in enumerate(message.spans):
        if span.extra:
            out.append((f"span:{index}", span.extra))
    for index, attachment in enumerate(message.attachments):
        if attachment.name:
            out.append((f"file:{index}:name", attachment.name))
        if attachment.declared_mime:
            out.append((f"file:{index}:mime", attachment.declared_mime))
    return tuple(out)


def is_field(where: str | None) -> bool:
    """Whether a finding's ``where`` names one of :func:`fields` (not the body, a split
    number in the body, or a file's contents)."""
    return where is not None and where.startswith(_FIELD_PREFIXES)


def redact_fields(
    message: Message, chosen: Iterable[tuple[Finding, str]]
) -> tuple[tuple[Span, ...], Mapping[int, tuple[str, str | None]]]:
    """The spans with their extras redacted, and the redacted ``(name, mime)`` per attachment.

    ``chosen`` are field findings (``where`` names the field) with their mode, mask or label.
    """
    by_field: dict[str, list[tuple[Finding, str]]] = {}
    for finding, mode in chosen:
        if is_field(finding.where):
            by_field.setdefault(finding.where, []).append((finding, mode))
    spans = list(message.spans)
    for index, span in enumerate(spans):
        found = by_field.get(f"span:{index}")
        if found and span.extra:
            spans[index] = replace(span, extra=redact(span.extra, (), found)[0])
    files: dict[int, tuple[str, str | None]] = {}
    for index, attachment in enumerate(message.attachments):
        name = by_field.get(f"file:{index}:name")
        mime = by_field.get(f"file:{index}:mime")
        if name or mime:
            files[index] = (
                redact(attachment.name, (), name)[0] if name else attachment.name,
                redact(attachment.declared_mime or "", (), mime)[0]
                if mime
                else attachment.declared_mime,
            )
    return tuple(spans), files


__all__ = ["fields", "is_field", "redact_fields"]
