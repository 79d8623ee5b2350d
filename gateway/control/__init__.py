"""The control API: JSON-RPC 2.0 over a Unix socket, for ``hgw tui``, ``hgw status`` and scripts.

The contract is ``docs/control-api.md``. The pieces, each small:

- :mod:`~gateway.control.protocol` — framing, requests, error codes (no I/O);
- :mod:`~gateway.control.peer` — who is on the other end (``SO_PEERCRED`` → OS user);
- :mod:`~gateway.control.roles` — which role may call what, and which links an operator sees;
- :mod:`~gateway.control.server` — the socket, connections, subscriptions;
- :mod:`~gateway.control.methods` — the methods, grouped by concern;
- :mod:`~gateway.control.views` — MessageView / ConversationView from store rows;
- :mod:`~gateway.control.hub` — in-process events the router and approvals publish;
- :mod:`~gateway.control.client` — the asyncio client ``hgw status`` and the TUI use.
"""

from __future__ import annotations
