from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.config import load_config, parse_config
from gateway.errors import ConfigError, SecretFileError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config.example.toml"

MINIMAL_MATRIX = """
[gateway]
data_dir = "data"

[matrix]
homeserver = "http://127.0.0.1:8008"
user_id = "@hgw:internal.test"
password_file = "secret"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def secret(tmp_path: Path, name: str = "secret", mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text("hunter2\n", encoding="utf-8")
    path.chmod(mode)
    return path


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(EXAMPLE, check_secrets=False)
    assert config.matrix is not None
    assert config.telegram is not None
    assert [link.id for link in config.links] == ["acme-supplier", "globex-client"]
    assert config.links[0].outbound_format == "{sender_name}: {body}"
    assert config.control.users["alice"].links == ("acme-supplier", "globex-client")
    assert config.control.users["alice"].matrix_user == "@alice:internal.test"
    assert config.control.socket_mode == 0o600
    # relative paths resolve against the file's directory, not the working directory
    assert config.store.path == REPO / "hgw-data" / "hgw.sqlite3"
    assert config.policy is not None


def test_example_partner_section_is_valid_once_uncommented(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    start = lines.index("# [partners.acme]")
    end = lines.index("", start)
    lines[start:end] = [line.removeprefix("# ") for line in lines[start:end]]
    config_file = tmp_path / "config.toml"
    config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(config_file, check_secrets=False)
    assert config.partners["acme"].homeserver == "https://matrix.acme.example"
    assert config.partners["acme"].admins == ("@it:acme.example",)


def test_minimal_config_uses_defaults(tmp_path: Path) -> None:
    secret(tmp_path)
    config = load_config(write(tmp_path, MINIMAL_MATRIX))
    assert config.store.path == tmp_path / "data" / "hgw.sqlite3"
    assert config.store.synchronous == "full"
    assert config.matrix is not None
    assert config.matrix.password is not None
    assert config.matrix.password.reveal() == "hunter2"
    assert "hunter2" not in repr(config)


def test_malformed_toml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[gateway]\nlog_level = "info"\ndata_dir = \n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == 3
    assert info.value.column is not None
    assert str(info.value).startswith(f"{path}:3:")
    assert "invalid TOML" in str(info.value)


def test_unknown_key_is_named_with_the_closest_valid_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[gateway]\ndata_dir = "d"\nlog_levle = "debug"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "gateway.log_levle: unknown key" in message
    assert "did you mean 'log_level'?" in message
    assert info.value.line == 3


def test_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"matirx: unknown key \(did you mean 'matrix'\?\)"):
        load_config(write(tmp_path, '[matirx]\nhomeserver = "x"\n'))


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("[store]\nretention_days = -1\n", r"store.retention_days: must be at least 0, got -1"),
        ('[store]\nretention_days = "ten"\n', r"store.retention_days: must be an integer"),
        ('[store]\nsynchronous = "fsync"\n', r"store.synchronous: must be one of 'full', 'normal'"),
        ('[gateway]\nlog_level = "verbose"\n', r"gateway.log_level: must be one of"),
        ('[control]\nsocket_mode = "0666"\n', r"control.socket_mode: must not grant access"),
        ('[control]\nsocket_mode = "rw"\n', r"control.socket_mode: must be an octal mode"),
        ('[control.users]\nbob = { role = "root" }\n', r"control.users.bob.role: must be one of"),
        (
            '[control.users]\nbob = { role = "admin", matrix_user = "bob" }\n',
            r"control.users.bob.matrix_user: 'bob' is not a Matrix user id",
        ),
        ("[gateway]\nlog_format = 3\n", r"gateway.log_format: must be a string, not an integer"),
    ],
)
def test_wrong_type_or_range_is_explained(tmp_path: Path, snippet: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_config(write(tmp_path, snippet))


def test_link_must_reference_configured_network_and_valid_ids(tmp_path: Path) -> None:
    secret(tmp_path)
    text = MINIMAL_MATRIX + (
        '\n[[links]]\nid = "a"\ninternal_room = "!r:x"\nexternal_network = "telegram"\n'
        'external_chat = "@p"\n'
    )
    with pytest.raises(ConfigError, match="a link uses telegram but \\[telegram\\] is not"):
        load_config(write(tmp_path, text))
    operator = '[control.users]\nbob = { role = "operator", links = ["nope"] }\n'
    with pytest.raises(ConfigError, match=r"control\.users\.bob\.links: no link with id 'nope'"):
        load_config(write(tmp_path, operator, "c2.toml"))


def test_missing_secret_file_says_how_to_create_it(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL_MATRIX)
    with pytest.raises(SecretFileError) as info:
        load_config(path)
    message = str(info.value)
    assert str(tmp_path / "secret") in message
    assert "does not exist" in message
    assert "install -m 600" in message
    # structure alone is still checkable on a machine without the secrets
    assert load_config(path, check_secrets=False).matrix is not None


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_secret_readable_by_others_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    secret_path = secret(tmp_path, mode=mode)
    with pytest.raises(SecretFileError) as info:
        load_config(write(tmp_path, MINIMAL_MATRIX))
    assert f"mode {mode:04o}" in str(info.value)
    assert f"chmod 600 {secret_path}" in str(info.value)


def test_empty_secret_and_inline_secret_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("  \n")
    path.chmod(0o600)
    with pytest.raises(SecretFileError, match="secret file is empty"):
        load_config(write(tmp_path, MINIMAL_MATRIX))
    inline = MINIMAL_MATRIX.replace('password_file = "secret"', 'password = "hunter2"')
    with pytest.raises(ConfigError, match="secrets are not accepted inline"):
        load_config(write(tmp_path, inline, "inline.toml"))


def test_secret_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = MINIMAL_MATRIX.replace('password_file = "secret"', 'password_env = "HGW_TEST_PW"')
    path = write(tmp_path, text)
    with pytest.raises(SecretFileError, match="HGW_TEST_PW is not set"):
        load_config(path)
    monkeypatch.setenv("HGW_TEST_PW", "s3cret")
    config = load_config(path)
    assert config.matrix is not None
    assert config.matrix.password is not None
    assert config.matrix.password.reveal() == "s3cret"


def test_missing_config_file_points_at_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist \(create one with `hgw init`"):
        load_config(tmp_path / "nope.toml")


def test_parse_config_rejects_non_table_policy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="policy: must be a table"):
        parse_config('policy = "strict"\n', tmp_path / "c.toml")


def test_secret_file_not_readable_by_group_is_accepted(tmp_path: Path) -> None:
    path = secret(tmp_path, mode=0o400)
    assert os.stat(path).st_mode & 0o077 == 0
    load_config(write(tmp_path, MINIMAL_MATRIX))


def test_example_policy_is_the_shipped_default() -> None:
    import tomllib

    from gateway.policy import default_policy_table

    example = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert example["policy"] == default_policy_table()
    assert load_config(EXAMPLE, check_secrets=False).policy.rules


def test_policy_rule_naming_a_missing_link_or_network_is_refused(tmp_path: Path) -> None:
    """Issue 15 item 5: a scoped rule that can never fire is an error at its own line."""
    example = EXAMPLE.read_text(encoding="utf-8")
    rule = '\n[[policy.rules]]\nname = "acme-hold"\nlinks = ["acme-suplier"]\naction = "hold"\n'
    path = write(tmp_path, example + rule)
    with pytest.raises(ConfigError) as info:
        load_config(path, check_secrets=False)
    line = len(example.splitlines()) + 4
    assert str(info.value) == (
        f"{path}:{line}: rule 'acme-hold': links: no link 'acme-suplier'"
        " (did you mean 'acme-supplier'?)"
    )
    path = write(
        tmp_path, example + rule.replace('links = ["acme-suplier"]', 'networks = ["telgram"]')
    )
    with pytest.raises(ConfigError, match=r"networks: no network 'telgram' is configured"):
        load_config(path, check_secrets=False)


# -- issue 16 item 5: errors point at the line to fix -----------------------------------------

TWO_LINKS = (
    MINIMAL_MATRIX
    + """
[telegram]
api_id = 1
api_hash_env = "HGW_TEST_HASH"
phone = "+70000000000"

[partners.acme]
homeserver = "https://matrix.acme.example"
user_id = "@hgw:acme.example"
password_env = "HGW_TEST_PW"

[[links]]
id = "first"
internal_room = "!first:internal.test"
external_network = "telegram"
external_chat = "100"

[[links]]
id = "second"
internal_room = "!second:internal.test"
external_network = "telegram"
external_chat = "200"
"""
)


def second_link_to(network: str, chat: str) -> str:
    """``TWO_LINKS`` with the second link pointing elsewhere."""
    return TWO_LINKS.replace(
        'external_network = "telegram"\nexternal_chat = "200"',
        f'external_network = "{network}"\nexternal_chat = "{chat}"',
    )


def line_of(text: str, needle: str, nth: int = 0) -> int:
    """1-based line of the ``nth`` line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[nth]


def check_error(tmp_path: Path, text: str) -> str:
    """The one-line error for ``text``, with the file name cut to ``config.toml``."""
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), check_secrets=False)
    message = str(info.value)
    assert "\n" not in message
    return message.replace(str(tmp_path) + "/", "")


def test_two_links_are_valid(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO_LINKS), check_secrets=False)
    assert [link.external.chat_id for link in config.links] == ["100", "200"]


def test_an_error_in_the_second_link_points_at_its_own_line(tmp_path: Path) -> None:
    text = TWO_LINKS.replace('"!second:internal.test"', '"second-room"')
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'internal_room', 1)}: links[1].internal_room: "
        """'second-room' is not a Matrix room (write a room id "!id:server" ("!id" from room"""
        ' version 12) or an alias "#name:server")'
    )
    text = TWO_LINKS.replace('id = "second"\n', "")
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, '[[links]]', 1)}: links[1].id: is required but missing"
    )


def test_a_typo_that_loses_a_required_key_is_named_at_its_line(tmp_path: Path) -> None:
    text = TWO_LINKS.replace("homeserver = ", "homeserer = ", 1)
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'homeserer')}: [matrix]: unknown key 'homeserer'"
        " — did you mean 'homeserver'? (homeserver is required)"
    )
    text = TWO_LINKS.replace('external_chat = "200"', 'externa_chat = "200"')
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'externa_chat')}: [[links]] #2: unknown key 'externa_chat'"
        " — did you mean 'external_chat'? (external_chat is required)"
    )
    text = TWO_LINKS.replace("api_hash_env", "api_hsh_env")
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'api_hsh_env')}: [telegram]: unknown key 'api_hsh_env'"
        " — did you mean 'api_hash_env'? (api_hash_env is required)"
    )
    text = TWO_LINKS.replace('password_env = "HGW_TEST_PW"', 'pasword_env = "HGW_TEST_PW"')
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'pasword_env')}: [partners.acme]: unknown key"
        " 'pasword_env' — did you mean 'password_env'?"
        " (the bot needs a password or an access token)"
    )


def test_a_misspelt_table_is_named_before_what_it_breaks(tmp_path: Path) -> None:
    text = TWO_LINKS.replace("[matrix]", "[matirx]")
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, '[matirx]')}: matirx: unknown key (did you mean 'matrix'?"
        " (without [matrix] the links have no internal network))"
    )
    text = TWO_LINKS.replace("[telegram]", "[telegarm]")
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, '[telegarm]')}: telegarm: unknown key (did you mean"
        " 'telegram'? (without [telegram] the links to telegram have no account))"
    )


def test_a_link_to_an_unconfigured_network_points_at_that_link(tmp_path: Path) -> None:
    text = second_link_to("acme", "!r:acme.example")
    start = text.index("[telegram]")
    text = text[:start] + text[text.index("[partners.acme]") :]
    assert check_error(tmp_path, text) == (
        f"config.toml:{line_of(text, 'external_network')}: links[0].external_network:"
        " a link uses telegram but [telegram] is not configured"
    )


@pytest.mark.parametrize(
    ("network", "chat", "expected"),
    [
        ("telegram", "not a chat!!", "'not a chat!!' is not a Telegram chat"),
        ("telegram", "acme_supplier", "'acme_supplier' is not a Telegram chat"),
        ("telegram", "+7 12", "'+7 12' is not a Telegram chat"),
        ("telegram", "!room:internal.test", "'!room:internal.test' is not a Telegram chat"),
        ("acme", "@acme_supplier", "'@acme_supplier' is not a Matrix room on acme"),
        ("acme", "room", "'room' is not a Matrix room on acme"),
        ("acme", "!has space", "'!has space' is not a Matrix room on acme"),
    ],
)
def test_external_chat_must_have_the_shape_its_network_takes(
    tmp_path: Path, network: str, chat: str, expected: str
) -> None:
    text = second_link_to(network, chat)
    message = check_error(tmp_path, text)
    assert message.startswith(
        f"config.toml:{line_of(text, 'external_chat', 1)}: links[1].external_chat: {expected}"
    )
    assert "write " in message


@pytest.mark.parametrize(
    ("network", "chat"),
    [
        ("telegram", "123456789"),
        ("telegram", "-1001234567890"),
        ("telegram", "@acme_supplier"),
        ("telegram", "https://t.me/acme_supplier"),
        ("telegram", "t.me/acme_supplier"),
        ("telegram", "+7 916 123-45-67"),
        ("acme", "!room:acme.example"),
        ("acme", "#sales:acme.example"),
        ("acme", "!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM"),  # room version 12: no server
    ],
)
def test_external_chat_shapes_the_bridges_accept(tmp_path: Path, network: str, chat: str) -> None:
    text = second_link_to(network, chat)
    assert load_config(write(tmp_path, text), check_secrets=False).links[1].external.chat_id == chat


def test_missing_secret_in_a_missing_directory_says_to_create_both(tmp_path: Path) -> None:
    text = MINIMAL_MATRIX.replace('password_file = "secret"', 'password_file = "secrets/pw"')
    with pytest.raises(SecretFileError) as info:
        load_config(write(tmp_path, text))
    directory = tmp_path / "secrets"
    assert info.value.hint == (
        f"create it with: install -d -m 700 {directory} && install -m 600 /dev/null"
        f" {directory / 'pw'} and write the secret into it"
    )
