"""Real homeservers for integration tests: started lazily, once per session, always stopped.

``synapse`` is the company's internal homeserver; ``partner_synapse`` a partner organisation's.
Each starts only when a test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.synapse import SynapseServer


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = SynapseServer(tmp_path_factory.mktemp("synapse-internal"), "internal.test")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def partner_synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = SynapseServer(tmp_path_factory.mktemp("synapse-partner"), "partner.test")
    server.start()
    try:
        yield server
    finally:
        server.stop()
