"""Real homeservers for integration tests: started lazily, once per session, always stopped.

``synapse`` is the company's internal homeserver (``internal.test``); ``partner_synapse`` a
partner organisation's (``partner.test``). Each starts only when a selected test asks for it;
when the first one is needed, every homeserver that the selected tests will need is started at
the same time, since a start is mostly Synapse importing itself (about 2 s of one core).
``homeservers`` hands out further ones by server name for tests that need a third organisation.

A test may stop or kill a homeserver to test outages. If it fails before bringing it back, the
next test still gets a running one (``_homeservers_up``), so one failure does not cascade.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.synapse import SynapseServer

# Fixture name -> server name of the homeserver it provides.
_FIXTURES = {"synapse": "internal.test", "partner_synapse": "partner.test"}


class Homeservers:
    """The session's homeservers, one per server name, created and started on first use."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._servers: dict[str, SynapseServer] = {}

    def __call__(self, server_name: str) -> SynapseServer:
        """The running homeserver for ``server_name``, started now if this is the first ask."""
        self.start(server_name)
        return self._servers[server_name]

    def start(self, *server_names: str) -> None:
        """Start the named homeservers that are not up yet, concurrently."""
        wanted = [name for name in dict.fromkeys(server_names) if not self._is_up(name)]
        for name in wanted:
            if name not in self._servers:
                directory = self._tmp_path_factory.mktemp(f"synapse-{name}", numbered=True)
                self._servers[name] = SynapseServer(directory, name)
        if len(wanted) == 1:
            self._servers[wanted[0]].start()
        elif wanted:
            with ThreadPoolExecutor(len(wanted), thread_name_prefix="synapse-start") as pool:
                # list(): re-raise the first start-up failure here, with Synapse's log tail.
                list(pool.map(lambda name: self._servers[name].start(), wanted))

    def ensure_running(self) -> None:
        """Bring back any homeserver that a previous test stopped and did not restart."""
        self.start(*(name for name, server in self._servers.items() if not server.running))

    def stop_all(self) -> None:
        """Stop every homeserver; one that will not stop does not keep the others running."""
        errors: list[BaseException] = []
        for server in self._servers.values():
            try:
                server.stop()
            except BaseException as err:  # stop the rest first, then report
                errors.append(err)
        if errors:
            raise errors[0]

    def _is_up(self, server_name: str) -> bool:
        server = self._servers.get(server_name)
        return server is not None and server.running


def _wanted_by(items: Iterable[pytest.Item]) -> list[str]:
    """Server names of the homeserver fixtures that the selected tests use."""
    used = {name for item in items for name in getattr(item, "fixturenames", ())}
    return [server for fixture, server in _FIXTURES.items() if fixture in used]


@pytest.fixture(scope="session")
def homeservers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Homeservers]:
    registry = Homeservers(tmp_path_factory)
    try:
        yield registry
    finally:
        registry.stop_all()


@pytest.fixture(scope="session")
def synapse(homeservers: Homeservers, request: pytest.FixtureRequest) -> SynapseServer:
    """The internal homeserver, ``internal.test``."""
    homeservers.start(*_wanted_by(request.session.items))
    return homeservers(_FIXTURES["synapse"])


@pytest.fixture(scope="session")
def partner_synapse(homeservers: Homeservers, request: pytest.FixtureRequest) -> SynapseServer:
    """A partner organisation's homeserver, ``partner.test``: no federation with the other."""
    homeservers.start(*_wanted_by(request.session.items))
    return homeservers(_FIXTURES["partner_synapse"])


@pytest.fixture(autouse=True)
def _homeservers_up(request: pytest.FixtureRequest) -> None:
    """Restart a homeserver left down by an earlier test, before a test that uses it."""
    if any(fixture in request.fixturenames for fixture in (*_FIXTURES, "homeservers")):
        registry: Homeservers = request.getfixturevalue("homeservers")
        registry.ensure_running()
