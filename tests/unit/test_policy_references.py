"""Policy rules that name things that do not exist (issue 15, item 5): a rule scoped to a link,
network, sender or contact that can never match is an error at the rule's own line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.config import parse_config
from gateway.errors import ConfigError, PolicyError
from gateway.policy_source import PolicySource, load_file
from gateway.store import Store

CONFIG = """\
[gateway]
data_dir = "data"

[matrix]
homeserver = "http://127.0.0.1:8008"
user_id = "@hgw:internal.test"
password_file = "secret"

[telegram]
api_id = 1
api_hash_file = "secret"
phone = "+70000000000"

[partners.acme]
homeserver = "https://matrix.acme.example"
user_id = "@gw:acme.example"
password_file = "secret"

[control.users]
alice = { role = "admin" }

[[links]]
id = "acme-supplier"
internal_room = "!acme:internal.test"
external_network = "telegram"
external_chat = "@acme_supplier"

[[links]]
id = "globex-client"
internal_room = "!globex:internal.test"
external_network = "acme"
external_chat = "!globex:acme.example"

[[policy.rules]]
name = "cards"
kinds = ["card"]
links = ["acme-supplier"]
action = "block"

[[policy.rules]]
name = "scoped"
action = "hold"
"""


def config_with(tmp_path: Path, *lines: str) -> Path:
    """CONFIG with ``lines`` added to the last rule ("scoped"), from line 43 on."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def error(tmp_path: Path, *lines: str) -> ConfigError:
    path = config_with(tmp_path, *lines)
    with pytest.raises(ConfigError) as info:
        parse_config(path.read_text(encoding="utf-8"), path)
    return info.value


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return max(number for number, line in enumerate(lines, start=1) if line.startswith(text))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'links = ["acme-suplier"]',
            "rule 'scoped': links: no link 'acme-suplier' (did you mean 'acme-supplier'?)",
        ),
        (
            'networks = ["telgram"]',
            "rule 'scoped': networks: no network 'telgram' is configured"
            " (did you mean 'telegram'?)",
        ),
        (
            'networks = ["matrix"]',
            "rule 'scoped': networks: 'matrix' is the internal network; networks are a link's"
            " external network (external networks: acme, telegram)",
        ),
        (
            'senders = ["@anna"]',
            "rule 'scoped': senders: '@anna' is a username, not an id: it never matches",
        ),
        ('senders = ["anna"]', "rule 'scoped': senders: 'anna' is not an id"),
        (
            'senders = ["os:alise"]',
            "rule 'scoped': senders: no control user 'alise' for sender 'os:alise'"
            " (did you mean 'alice'?)",
        ),
        (
            'contacts = ["@acme_supplier"]',
            "rule 'scoped': contacts: '@acme_supplier' is how link 'acme-supplier' names its"
            ' chat; rules see the chat\'s id (scope the rule with links = ["acme-supplier"])',
        ),
        (
            'except_contacts = ["+79161234567"]',
            "rule 'scoped': except_contacts: '+79161234567' is a phone number",
        ),
        ('contacts = ["#acme:acme.example"]', "is a room alias, not an id"),
    ],
)
def test_a_name_that_cannot_match_is_an_error_at_its_line(
    tmp_path: Path, line: str, message: str
) -> None:
    err = error(tmp_path, line)
    path = tmp_path / "config.toml"
    assert message in str(err)
    assert err.line == line_of(path, line.split(" =")[0])
    assert str(err).startswith(f"{path}:{err.line}: rule 'scoped': ")


def test_the_line_is_the_offending_rules_own_key(tmp_path: Path) -> None:
    # "cards" (first) names links too: the error must point at "scoped"'s links line
    err = error(tmp_path, 'links = ["globex-clent"]')
    assert CONFIG.splitlines()[36] == 'links = ["acme-supplier"]'  # line 37, in "cards"
    assert err.line == 43
    assert "did you mean 'globex-client'?" in str(err)


def test_a_kind_error_points_at_the_rule_that_has_it(tmp_path: Path) -> None:
    err = error(tmp_path, 'kinds = ["crad"]')  # "cards" has a kinds line before this one
    assert err.line == 43
    assert "rule 'scoped': kinds: unknown detector kind 'crad'; did you mean 'card'?" in str(err)


@pytest.mark.parametrize(
    "lines",
    [
        ['links = ["acme-supplier", "globex-client"]'],
        ['networks = ["telegram", "acme"]'],
        ['senders = ["@anna:internal.test", "123456789", "os:alice"]'],
        ['contacts = ["-1001234567890", "!globex:acme.example", "@ivan:acme.example"]'],
        ['kinds = ["tender"]', "[[policy.detectors]]", 'kind = "tender"', 'keywords = ["тендер"]'],
    ],
)
def test_names_that_exist_pass(tmp_path: Path, lines: list[str]) -> None:
    path = config_with(tmp_path, *lines)
    config = parse_config(path.read_text(encoding="utf-8"), path)
    assert [rule.name for rule in config.policy.rules] == ["cards", "scoped"]


def test_an_unconfigured_built_in_network_says_what_to_add(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[policy.rules]]\nname = "tg"\nnetworks = ["telegram"]\naction = "hold"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"no network 'telegram' is configured \(add a \["):
        parse_config(path.read_text(encoding="utf-8"), path)


# --- a policy file on its own ----------------------------------------------------------------


def test_a_policy_file_checks_what_it_can_and_warns_about_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'language = "ru"\n\n[[rules]]\nname = "acme"\nlinks = ["acme-supplier"]\n'
        'networks = ["telgram", "acme"]\naction = "hold"\n',
        encoding="utf-8",
    )
    policy, warnings = load_file(path)
    assert [rule.name for rule in policy.rules] == ["acme"]
    assert warnings == [
        f"{path}:5: rule 'acme': links: link 'acme-supplier' not checked: a policy file has no"
        " [[links]] (`hgw config check` checks it)",
        f"{path}:6: rule 'acme': networks: network 'telgram' is not built in (did you mean"
        " 'telegram'? partner networks: see `hgw config check`)",
        f"{path}:6: rule 'acme': networks: network 'acme' is not built in (partner networks:"
        " see `hgw config check`)",
    ]


def test_a_policy_file_still_refuses_what_it_settles(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        '[policy]\n[[policy.rules]]\nname = "x"\nsenders = ["anna"]\naction = "hold"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=re.escape(f"{path}:4: rule 'x': senders: 'anna'")):
        load_file(path)
    path.write_text('[[rules]]\nname = "x"\naction = "hld"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:3: rule 'x': action: must be one")):
        load_file(path)


# --- a policy set through the control API ----------------------------------------------------


async def test_policy_set_refuses_a_misspelt_network(tmp_path: Path) -> None:
    path = config_with(tmp_path)
    config = parse_config(path.read_text(encoding="utf-8"), path)
    source = PolicySource()
    source.apply(config)
    async with Store.open(tmp_path / "hgw.sqlite3") as store:
        bad = '[[rules]]\nname = "x"\nnetworks = ["telgram"]\naction = "hold"\n'
        with pytest.raises(PolicyError, match="did you mean 'telegram'"):
            await source.save(store, bad, actor="test")
        # a link made at runtime is in no file: policy.set does not refuse its name
        runtime = '[[rules]]\nname = "x"\nlinks = ["made-at-runtime"]\naction = "hold"\n'
        policy = await source.save(store, runtime, actor="test")
    assert [rule.name for rule in policy.rules] == ["x"]
