"""The daemon's configuration: TOML in, validated frozen objects out.

Every field has a docstring because ``config.example.toml`` is generated from the same knowledge
and admins read both. Loading is strict: unknown keys, wrong types and out-of-range values are
errors that name the file, the key and (when it can be found) the line — a typo in a policy
gateway must never fall back to a default silently.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import platformdirs

from gateway import policy_refs
from gateway.errors import ConfigError, HgwError, PolicyError
from gateway.model import ChatRef, Link, LinkId, NetworkName
from gateway.policy_refs import Known, RuleLines
from gateway.secrets import Secret
from gateway.tomlreader import SourceText, TableReader

Role = Literal["admin", "operator", "auditor"]
ROLES: tuple[Role, ...] = ("admin", "operator", "auditor")
LOG_LEVELS = ("debug", "info", "warning", "error")
RESERVED_NETWORKS = ("matrix", "telegram")
CONFIG_ENV = "HGW_CONFIG"
_MATRIX_USER_ID = re.compile(r"@[^:\s]+:[^\s]+")
_MATRIX_ROOM = re.compile(r"#[^:\s]+:\S+|![^:\s]+(?::\S+)?")
"""An alias ``#name:server`` or a room id: ``!opaque:server``, or ``!opaque`` alone from room
version 12 on (MSC4291: the id is the create event's hash, no server part)."""
ROOM_HINT = 'write a room id "!id:server" ("!id" from room version 12) or an alias "#name:server"'
_TELEGRAM_CHAT = re.compile(
    r"-?\d+"  # a user or chat id; groups and channels are -100…
    r"|@[A-Za-z][A-Za-z0-9_]{0,31}"  # @username (the bridge asks Telegram)
    r"|(?:https://)?t\.me/[A-Za-z][A-Za-z0-9_]{0,31}"  # a public link
    r"|\+[\d\s().-]{7,25}"  # a phone number, looked up by the bridge
)
ROOT_KEYS = ("gateway", "store", "control", "matrix", "telegram", "partners", "links", "policy",
             "metrics")  # fmt: skip


def default_config_path() -> Path:
    """``$HGW_CONFIG`` if set, else the per-user config dir (``~/.config/hgw/config.toml``)."""
    if env := os.environ.get(CONFIG_ENV):
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir("hgw")) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("hgw"))


def default_socket(data_dir: Path) -> Path:
    """``$XDG_RUNTIME_DIR/hgw/control.sock``; without a runtime dir, inside the private data dir.

    Never a shared /tmp path: another user could create the directory first.
    """
    if runtime := os.environ.get("XDG_RUNTIME_DIR"):
        # Not platformdirs.user_runtime_dir: on a runtime dir it dislikes it falls back to
        # /tmp/runtime-UID, one socket path shared by every daemon of that user. The socket's
        # own directory is created 0700 and its owner checked by the control server.
        return Path(runtime) / "hgw" / "control.sock"
    return data_dir / "control.sock"


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    data_dir: Path
    """Where the store, sessions and media cache live; created with mode 0700."""
    log_level: str = "info"
    """One of debug, info, warning, error."""
    log_format: Literal["text", "json"] = "text"
    """``json`` emits one object per line for log shippers."""


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: Path
    """The SQLite archive; defaults to ``<data_dir>/hgw.sqlite3``."""
    synchronous: Literal["full", "normal"] = "full"
    """``full`` survives power loss; ``normal`` survives a crashed daemon but not a lost machine."""
    retention_days: int = 0
    """Delete archived messages older than this many days; 0 keeps everything."""
    audit_key_file: Path | None = None
    """The key that authenticates the audit chain's head; defaults to ``<data_dir>/audit.key``.
    Kept out of the database on purpose (whoever can write the store but not read this file
    cannot cut the audit log undetected); created 0600 at the first start, refused when group
    or others can read it."""


@dataclass(frozen=True, slots=True)
class ControlUser:
    role: Role
    links: tuple[LinkId, ...] = ()
    """For operators: the links whose conversations they may read and answer."""
    matrix_user: str | None = None
    """Their own Matrix id: unread messages that mention it (or their @name) count as mentions."""


@dataclass(frozen=True, slots=True)
class ControlConfig:
    socket: Path
    """The control API's Unix socket; defaults to ``$XDG_RUNTIME_DIR/hgw/control.sock``."""
    socket_mode: int = 0o600
    """Permission bits of the socket file; group access only if roles map group members."""
    users: Mapping[str, ControlUser] = field(default_factory=dict)
    """OS user name → role. Anyone not listed is refused."""


@dataclass(frozen=True, slots=True)
class MetricsConfig:
    host: str
    """Loopback only (``127.0.0.1``, ``::1`` or ``localhost``): the figures name links and chats."""
    port: int


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    homeserver: str
    """Client-server API base URL, e.g. ``https://matrix.example.org``."""
    user_id: str
    """The relay bot's full Matrix id, e.g. ``@hgw:example.org``."""
    password: Secret | None
    access_token: Secret | None
    device_name: str = "hgw"
    management_room: str | None = None
    """Room id or alias where admins type ``!hgw`` commands."""
    admins: tuple[str, ...] = ()
    """Matrix ids allowed to run admin commands and to invite the bot."""
    max_media_bytes: int = 50 * 1024 * 1024
    portal_invite: tuple[str, ...] = ()
    """Who is invited to a portal room hgw opens (``!hgw pm``, assigning a contact); the
    admins when empty."""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    api_id: int
    api_hash: Secret
    session: Path
    """telethon session file, created 0600; refused if readable by others."""
    bot_token: Secret | None = None
    """Log in as a bot; without it, a user account logs in with ``hgw telegram login``."""
    phone: str | None = None
    max_media_bytes: int = 50 * 1024 * 1024
    unknown_contacts: str = "queue"
    """A message from someone no link covers: ``"queue"`` waits in reception for an admin
    (``!hgw assign``); ``"portal"`` opens a portal room for them at once."""


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration."""

    source_path: Path | None
    gateway: GatewayConfig
    store: StoreConfig
    control: ControlConfig
    matrix: MatrixConfig | None
    telegram: TelegramConfig | None
    links: tuple[Link, ...]
    policy: Any
    partners: Mapping[str, MatrixConfig] = field(default_factory=dict)
    """External Matrix homeservers (partner organisations), by network name."""
    metrics: MetricsConfig | None = None
    """``[metrics] listen``: the Prometheus endpoint, off when absent."""
    """A :class:`gateway.policy.PolicySet`; typed loosely to keep config free of policy imports."""

    def secrets(self) -> list[Secret]:
        found: list[Secret] = []
        if self.matrix:
            found += [s for s in (self.matrix.password, self.matrix.access_token) if s]
        if self.telegram:
            found += [s for s in (self.telegram.api_hash, self.telegram.bot_token) if s]
        for partner in self.partners.values():
            found += [s for s in (partner.password, partner.access_token) if s]
        return found


# -- loading ---------------------------------------------------------------------------------------


def load_config(path: Path | None = None, *, check_secrets: bool = True) -> Config:
    """Read and validate a config file.

    ``check_secrets=False`` validates everything but the presence and permissions of secret
    files — for checking a config on a machine that does not hold the secrets.
    """
    path = path if path is not None else default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "config file does not exist",
            file=path,
            hint="create one with `hgw init`, or pass -c FILE",
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config file: {err}", file=path) from None
    config = parse_config(text, path)
    if check_secrets:
        for secret in config.secrets():
            secret.check()
    return config


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """``tomllib.loads`` whose error names the file, line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # Python < 3.14 has no lineno/colno attributes; the position ends the message
        position = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(err))
        reason = str(err)[: position.start()] if position else str(err)
        line, column = (int(position[1]), int(position[2])) if position else (None, None)
        raise ConfigError(f"invalid TOML: {reason}", file=path, line=line, column=column) from None


def parse_config(text: str, path: Path) -> Config:
    data = parse_toml(text, path)
    source = SourceText(path, text)
    root = TableReader(data, "", source)
    root.reject_unknown(ROOT_KEYS, _needs(data))
    base = path.parent
    gateway = _gateway(root.table("gateway"), base)
    store = _store(root.table("store"), gateway.data_dir, base)
    partners = _partners(root.table("partners"), base)
    links = _links(root, ("telegram", *partners))
    control = _control(root.table("control"), base, {link.id for link in links}, gateway.data_dir)
    matrix = _matrix(root.table("matrix"), base)
    telegram = _telegram(root.table("telegram"), gateway.data_dir, base)
    if matrix is None and links:
        raise root.error("links", "links need an internal network", "add a [matrix] section")
    for index, link in enumerate(links):
        if telegram is None and link.external.network == "telegram":
            raise root.error(
                f"links[{index}].external_network",
                "a link uses telegram but [telegram] is not configured",
            )
    policy = _policy(root, source, text)
    metrics = _metrics(root.table("metrics"))
    root.finish()
    config = Config(
        path, gateway, store, control, matrix, telegram, tuple(links), policy, partners, metrics
    )
    rules = data.get("policy", {}).get("rules")
    if isinstance(rules, list):  # the shipped default names nothing
        policy_refs.check(rules, text, path, policy_names(config))
    return config


def _needs(data: Mapping[str, Any]) -> dict[str, str]:
    """What breaks without a network's table — the hint for a misspelt ``[matirx]``."""
    links = data.get("links")
    links = [x for x in links if isinstance(x, dict)] if isinstance(links, list) else []
    needs = {}
    if links:
        needs["matrix"] = "(without [matrix] the links have no internal network)"
    if any(x.get("external_network") == "telegram" for x in links):
        needs["telegram"] = "(without [telegram] the links to telegram have no account)"
    return needs


def _metrics(t: TableReader | None) -> MetricsConfig | None:
    if t is None:
        return None
    listen = t.string("listen", "127.0.0.1:9464")
    host, _, port_text = listen.rpartition(":")
    host = host.strip("[]")
    if host not in ("127.0.0.1", "::1", "localhost") or not port_text.isdigit():
        raise t.error(
            "listen", f"must be a loopback address with a port, got {listen!r}", '"127.0.0.1:9464"'
        )
    t.finish()
    return MetricsConfig(host, int(port_text))


def _gateway(table: TableReader | None, base: Path) -> GatewayConfig:
    t = table or TableReader({}, "gateway", None)
    config = GatewayConfig(
        data_dir=t.path("data_dir", default_data_dir(), base=base),
        log_level=t.string("log_level", "info", choices=LOG_LEVELS),
        log_format=t.string("log_format", "text", choices=("text", "json")),
    )
    t.finish()
    return config


def _store(table: TableReader | None, data_dir: Path, base: Path) -> StoreConfig:
    t = table or TableReader({}, "store", None)
    config = StoreConfig(
        path=t.path("path", data_dir / "hgw.sqlite3", base=base),
        synchronous=t.string("synchronous", "full", choices=("full", "normal")),
        retention_days=t.integer("retention_days", 0, min=0, max=36500),
        audit_key_file=t.path("audit_key_file", data_dir / "audit.key", base=base),
    )
    t.finish()
    return config


def _control(
    table: TableReader | None, base: Path, link_ids: set[str], data_dir: Path
) -> ControlConfig:
    t = table or TableReader({}, "control", None)
    mode_text = t.string("socket_mode", "0600")
    try:
        mode = int(mode_text, 8)
    except ValueError:
        reason = f'must be an octal mode like "0600", got {mode_text!r}'
        raise t.error("socket_mode", reason) from None
    if mode & 0o007:
        raise t.error("socket_mode", "must not grant access to others", 'use "0600" or "0660"')
    users: dict[str, ControlUser] = {}
    users_table = t.table("users")
    for name, user in users_table.tables() if users_table else []:
        links = user.str_list("links", ())
        for link in links:
            if link not in link_ids:
                raise user.error("links", f"no link with id {link!r}", "see the [[links]] ids")
        matrix_user = user.string("matrix_user", None)
        if matrix_user is not None and not _MATRIX_USER_ID.fullmatch(matrix_user):
            raise user.error(
                "matrix_user", f"{matrix_user!r} is not a Matrix user id", 'write "@name:server"'
            )
        users[name] = ControlUser(
            role=user.string("role", choices=ROLES), links=links, matrix_user=matrix_user
        )
        user.finish()
    config = ControlConfig(
        socket=t.path("socket", default_socket(data_dir), base=base),
        socket_mode=mode,
        users=users,
    )
    t.finish()
    return config


def _secret(t: TableReader, name: str, *, required: bool, base: Path) -> Secret | None:
    """``NAME_file`` or ``NAME_env``; an inline ``NAME`` is refused."""
    if t.has(name):
        t.raw(name)
        raise t.error(
            name,
            "secrets are not accepted inline in the config",
            f"put it in a 0600 file and set {name}_file, or name a variable in {name}_env",
        )
    file_key, env_key = f"{name}_file", f"{name}_env"
    if t.has(file_key) and t.has(env_key):
        raise t.error(file_key, f"set either {file_key} or {env_key}, not both")
    if t.has(file_key):
        return Secret(t.key_path(file_key), file=t.path(file_key, base=base))
    if t.has(env_key):
        return Secret(t.key_path(env_key), env=t.string(env_key))
    if required:
        raise t.missing(file_key, "is required", f"or set {env_key}", alternatives=(env_key,))
    return None


def _matrix(t: TableReader | None, base: Path) -> MatrixConfig | None:
    if t is None:
        return None
    homeserver = t.string("homeserver")
    if not homeserver.startswith(("http://", "https://")):
        raise t.error("homeserver", "must be an http:// or https:// URL")
    user_id = t.string("user_id")
    if not (user_id.startswith("@") and ":" in user_id):
        raise t.error("user_id", "must be a full Matrix id like @hgw:example.org")
    password = _secret(t, "password", required=False, base=base)
    token = _secret(t, "access_token", required=False, base=base)
    if password is None and token is None:
        raise t.missing(
            "password_file",
            "the bot needs a password or an access token",
            "set password_file (or access_token_file)",
            consequence="the bot needs a password or an access token",
            alternatives=("access_token_file", "password_env", "access_token_env"),
        )
    config = MatrixConfig(
        homeserver=homeserver.rstrip("/"),
        user_id=user_id,
        password=password,
        access_token=token,
        device_name=t.string("device_name", "hgw"),
        management_room=t.string("management_room", None),
        admins=t.str_list("admins", ()),
        max_media_bytes=t.integer("max_media_bytes", 50 * 1024 * 1024, min=1024),
        portal_invite=t.str_list("portal_invite", ()),
    )
    t.finish()
    return config


def _telegram(t: TableReader | None, data_dir: Path, base: Path) -> TelegramConfig | None:
    if t is None:
        return None
    config = TelegramConfig(
        api_id=t.integer("api_id", min=1),
        api_hash=_secret(t, "api_hash", required=True, base=base),  # type: ignore[arg-type]
        session=t.path("session", data_dir / "telegram.session", base=base),
        bot_token=_secret(t, "bot_token", required=False, base=base),
        phone=t.string("phone", None),
        max_media_bytes=t.integer("max_media_bytes", 50 * 1024 * 1024, min=1024),
        unknown_contacts=t.string("unknown_contacts", "queue", choices=("queue", "portal")),
    )
    if config.bot_token is None and config.phone is None:
        raise t.missing(
            "phone",
            "set phone (user account) or bot_token_file (bot)",
            consequence="set phone (user account) or bot_token_file (bot)",
            alternatives=("bot_token_file", "bot_token_env"),
        )
    t.finish()
    return config


def _partners(table: TableReader | None, base: Path) -> dict[str, MatrixConfig]:
    """``[partners.NAME]``: a partner organisation's own Matrix homeserver."""
    partners: dict[str, MatrixConfig] = {}
    for name, t in table.tables() if table else []:
        if name in RESERVED_NETWORKS or not name.replace("-", "").replace("_", "").isalnum():
            raise t.error("", f"{name!r} cannot name a partner network", "use e.g. [partners.acme]")
        network_type = t.string("type", "matrix", choices=("matrix",))
        assert network_type == "matrix"
        config = _matrix(t, base)
        assert config is not None
        partners[name] = config
    return partners


def _links(root: TableReader, external_networks: tuple[str, ...]) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()
    for t in root.table_list("links"):
        link_id = t.string("id")
        if link_id in seen:
            raise t.error("id", f"duplicate link id {link_id!r}")
        seen.add(link_id)
        room = t.string("internal_room")
        if not _MATRIX_ROOM.fullmatch(room):
            raise t.error(
                "internal_room",
                f"{room!r} is not a Matrix room",
                ROOM_HINT,
            )
        network = t.string("external_network", choices=external_networks)
        chat = t.string("external_chat")
        if problem := chat_shape_problem(network, chat):
            raise t.error("external_chat", *problem)
        links.append(
            Link(
                id=LinkId(link_id),
                internal=ChatRef(NetworkName("matrix"), room, t.string("name", None)),
                external=ChatRef(NetworkName(network), chat),
                outbound_format=t.string("format", None),
                enabled=t.boolean("enabled", True),
            )
        )
        t.finish()
    return links


def chat_shape_problem(network: str, chat: str) -> tuple[str, str] | None:
    """(reason, hint) when ``chat`` cannot name a chat on ``network``, else None.

    Only the shape: whether the chat exists is the bridge's question at start. Telegram takes
    what ``bridges/telegram`` resolves (an id, ``@username``, a ``t.me`` link, ``+phone``);
    every other external network is a partner Matrix homeserver (a room id or alias).
    """
    if network == "telegram":
        if _TELEGRAM_CHAT.fullmatch(chat) and (
            not chat.startswith("+") or 7 <= sum(c.isdigit() for c in chat) <= 15
        ):
            return None
        return (
            f"{chat!r} is not a Telegram chat",
            'write a numeric id ("123456789", a group "-100…"), "@username", '
            '"https://t.me/username" or a phone "+79161234567"',
        )
    if _MATRIX_ROOM.fullmatch(chat):
        return None
    return (
        f"{chat!r} is not a Matrix room on {network}",
        ROOM_HINT,
    )


def _policy(root: TableReader, source: SourceText, text: str) -> Any:
    from gateway import policy  # late import: config stays importable without the engine

    table = root.raw("policy", None)
    if table is None:
        return policy.default_policy()
    if not isinstance(table, dict):
        raise root.error("policy", "must be a table ([policy])")
    try:
        return policy.load_policy(table, source=str(source.path))
    except PolicyError as err:
        line = policy_error_line(err, table, text)
        raise ConfigError(str(err), file=source.path, line=line) from None
    except HgwError:
        raise


def policy_error_line(err: PolicyError, table: Mapping[str, Any], text: str) -> int | None:
    """The line a :class:`PolicyError` is about: the rule's own key when it names a rule (a key
    such as ``kinds`` is in many rules), else the first line that sets the key."""
    rules = table.get("rules")
    if err.rule and isinstance(rules, list):
        line = RuleLines(text).rule_line(rules, err.rule, err.key)
        if line is not None:
            return line
    return SourceText(Path(), text).line_of(f"policy.{err.key}" if err.key else "policy")


def policy_names(config: Config) -> Known:
    """What this config's policy rules may name (checked by :mod:`gateway.policy_refs`)."""
    networks = {*config.partners, *(["telegram"] if config.telegram is not None else [])}
    return Known(
        links=frozenset(link.id for link in config.links),
        networks=frozenset(networks),
        os_users=frozenset(config.control.users),
        chats={link.external.chat_id: link.id for link in config.links},
    )


__all__ = [
    "ROLES",
    "Config",
    "ControlConfig",
    "ControlUser",
    "GatewayConfig",
    "MatrixConfig",
    "MetricsConfig",
    "Role",
    "StoreConfig",
    "TelegramConfig",
    "chat_shape_problem",
    "default_config_path",
    "load_config",
    "parse_config",
    "parse_toml",
    "policy_error_line",
    "policy_names",
]
