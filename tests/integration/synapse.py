"""The tests' homeserver is the demo's: one launcher, :mod:`gateway.demo.homeserver`."""

from gateway.demo.homeserver import RegisteredUser, SynapseError, SynapseServer, free_port

__all__ = ["RegisteredUser", "SynapseError", "SynapseServer", "free_port"]
