"""Model connection settings: sources, precedence, secrets and the errors that say what to do.

One precedence, field by field: explicit value (CLI flag) > environment variable >
``[model]`` table of the config file > default. Every test passes its environment
(``_environ``) and working directory (``_cwd``) in, except the ones that check the
defaults (``os.environ``, ``./cua-replay.toml``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from cua_replay.backends import backend_from_settings
from cua_replay.errors import CuaReplayError, InvalidSetting, MissingSetting
from cua_replay.settings import FLAGS, Settings

SECRET = "sk-secret-0123456789abcdef"
TOKEN = "entra-token-0123456789abcdef"

# Beyond the ones tests/conftest.py clears: every variable Settings reads.
OTHER_VARIABLES = (
    "AZURE_OPENAI_ENDPOINT",
    "OPENAI_API_VERSION",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "CUA_REPLAY_PROVIDER",
    "CUA_REPLAY_MODEL",
    "PYDANTIC_SETTINGS_DEBUG",
)


@pytest.fixture(autouse=True)
def _no_model_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OTHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a TOML basic string
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(value)


def write_config(
    directory: Path, table: Mapping[str, object], name: str = "cua-replay.toml"
) -> Path:
    path = directory / name
    lines = ["[model]", *(f"{key} = {toml_value(value)}" for key, value in table.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(
    tmp_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    file: Mapping[str, object] | None = None,
    **explicit: Any,
) -> Settings:
    """Settings from these explicit values, this environment and (if given) ./cua-replay.toml."""
    if file is not None:
        write_config(tmp_path, file)
    return Settings(_environ=env or {}, _cwd=tmp_path, **explicit)


def plain(settings: Settings, name: str) -> object:
    value = getattr(settings, name)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


# -- precedence ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One field: a distinct value per source, and what else it needs to be valid."""

    name: str
    explicit: object
    variable: str | None  # the environment variable, None if the field has none
    env: str | None
    file: object
    default: object
    needs: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.name}-{self.needs.get('provider', 'openai')}"


AZURE: dict[str, Any] = {"provider": "azure"}
CASES = [
    Case("model", "m-flag", "CUA_REPLAY_MODEL", "m-env", "m-file", None),
    Case("base_url", "http://flag/v1", "OPENAI_BASE_URL", "http://env/v1", "http://file/v1", None),
    Case("api_key", "sk-flag", "OPENAI_API_KEY", "sk-env", "sk-file", None),
    Case("api_key", "az-flag", "AZURE_OPENAI_API_KEY", "az-env", "az-file", None, AZURE),
    Case("organization", "org-flag", "OPENAI_ORG_ID", "org-env", "org-file", None),
    Case("project", "proj-flag", "OPENAI_PROJECT_ID", "proj-env", "proj-file", None),
    Case(
        "azure_endpoint",
        "https://flag.openai.azure.com",
        "AZURE_OPENAI_ENDPOINT",
        "https://env.openai.azure.com",
        "https://file.openai.azure.com",
        None,
        AZURE,
    ),
    Case("api_version", "v-flag", "OPENAI_API_VERSION", "v-env", "v-file", None, AZURE),
    Case("azure_ad_token", "t-flag", "AZURE_OPENAI_AD_TOKEN", "t-env", "t-file", None, AZURE),
    # No environment variable: explicit > file > default.
    Case("azure_ad", False, None, None, True, False, AZURE),
    Case("timeout", 5.0, None, None, 30.0, 600.0),
    Case("max_retries", 0, None, None, 7, 2),
]
ENV_CASES = [case for case in CASES if case.variable is not None]


def env_of(case: Case) -> dict[str, str]:
    return {} if case.variable is None or case.env is None else {case.variable: case.env}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_explicit_value_beats_environment_and_file(case: Case, tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        env=env_of(case),
        file={case.name: case.file},
        **case.needs,
        **{case.name: case.explicit},
    )
    assert plain(settings, case.name) == case.explicit
    assert settings.origin(case.name) == FLAGS.get(case.name, f"argument {case.name}")


@pytest.mark.parametrize("case", ENV_CASES, ids=str)
def test_environment_beats_file(case: Case, tmp_path: Path) -> None:
    settings = load(tmp_path, env=env_of(case), file={case.name: case.file}, **case.needs)
    assert plain(settings, case.name) == case.env
    assert settings.origin(case.name) == f"env {case.variable}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_file_beats_default(case: Case, tmp_path: Path) -> None:
    settings = load(tmp_path, file={case.name: case.file}, **case.needs)
    assert plain(settings, case.name) == case.file
    assert settings.origin(case.name) == f"{tmp_path / 'cua-replay.toml'} [model] {case.name}"
    assert settings.config_file == tmp_path / "cua-replay.toml"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_default_applies_when_no_source_sets_the_field(case: Case, tmp_path: Path) -> None:
    settings = load(tmp_path, **case.needs)
    assert plain(settings, case.name) == case.default
    assert settings.origin(case.name) == "default"
    assert settings.config_file is None


def test_provider_follows_the_same_precedence(tmp_path: Path) -> None:
    variable = {"CUA_REPLAY_PROVIDER": "azure"}
    assert load(tmp_path, env=variable, file={"provider": "azure"}, provider="openai").provider == (
        "openai"
    )
    assert load(tmp_path, env=variable, file={"provider": "openai"}).provider == "azure"
    assert load(tmp_path, file={"provider": "azure"}).provider == "azure"
    (tmp_path / "cua-replay.toml").unlink()
    assert load(tmp_path).provider == "openai"


def test_provider_picks_which_api_key_variable_is_read(tmp_path: Path) -> None:
    both = {"OPENAI_API_KEY": "sk-openai", "AZURE_OPENAI_API_KEY": "az-azure"}
    assert plain(load(tmp_path, env=both), "api_key") == "sk-openai"
    assert plain(load(tmp_path, env={**both, "CUA_REPLAY_PROVIDER": "azure"}), "api_key") == (
        "az-azure"
    )
    assert load(tmp_path, env={"AZURE_OPENAI_API_KEY": "az"}).api_key is None
    assert load(tmp_path, env={"OPENAI_API_KEY": "sk"}, provider="azure").api_key is None


def test_provider_name_is_case_and_space_insensitive(tmp_path: Path) -> None:
    assert load(tmp_path, env={"CUA_REPLAY_PROVIDER": " Azure "}).provider == "azure"


def test_azure_variables_are_not_read_for_openai(tmp_path: Path) -> None:
    env = {
        "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com",
        "OPENAI_API_VERSION": "2025-03-01-preview",
        "AZURE_OPENAI_AD_TOKEN": TOKEN,
    }
    settings = load(tmp_path, env=env)
    assert (settings.azure_endpoint, settings.api_version, settings.azure_ad_token) == (
        None,
        None,
        None,
    )


def test_empty_and_none_values_count_as_not_set(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        env={"OPENAI_API_KEY": "", "CUA_REPLAY_MODEL": "m-env"},
        file={"api_key": "sk-file"},
        model=None,
        base_url="",
    )
    assert plain(settings, "api_key") == "sk-file"
    assert settings.model == "m-env"
    assert settings.base_url is None


def test_defaults_read_os_environ_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, {"model": "m-file", "api_key": "sk-file"})
    settings = Settings()
    assert (settings.model, plain(settings, "api_key")) == ("m-file", "sk-env")
    assert settings.config_file == tmp_path / "cua-replay.toml"


def test_explicit_config_file_replaces_the_default_one(tmp_path: Path) -> None:
    write_config(tmp_path, {"model": "m-default-file"})
    (tmp_path / "conf").mkdir()
    write_config(tmp_path / "conf", {"timeout": 9.0}, name="other.toml")
    settings = Settings(_environ={}, _cwd=tmp_path, _config_file="conf/other.toml")
    assert (settings.model, settings.timeout) == (None, 9.0)
    assert settings.config_file == tmp_path / "conf" / "other.toml"


def test_config_file_without_a_model_table_sets_nothing(tmp_path: Path) -> None:
    (tmp_path / "cua-replay.toml").write_text('[other]\nmodel = "x"\n', encoding="utf-8")
    assert load(tmp_path).model is None


# -- Azure alternatives --------------------------------------------------------------------

ENDPOINT = "https://res.openai.azure.com"
V1 = "https://res.openai.azure.com/openai/v1/"


def test_base_url_flag_beats_endpoint_variable(tmp_path: Path) -> None:
    settings = load(
        tmp_path, env={"AZURE_OPENAI_ENDPOINT": ENDPOINT}, provider="azure", base_url=V1
    )
    assert (settings.base_url, settings.azure_endpoint) == (V1, None)


def test_endpoint_variable_beats_base_url_in_file(tmp_path: Path) -> None:
    settings = load(
        tmp_path, env={"AZURE_OPENAI_ENDPOINT": ENDPOINT}, file={"base_url": V1}, provider="azure"
    )
    assert (settings.base_url, settings.azure_endpoint) == (None, ENDPOINT)


def test_key_flag_beats_token_variable(tmp_path: Path) -> None:
    settings = load(
        tmp_path, env={"AZURE_OPENAI_AD_TOKEN": TOKEN}, provider="azure", api_key=SECRET
    )
    assert (plain(settings, "api_key"), settings.azure_ad_token) == (SECRET, None)


def test_token_variable_beats_key_variable_as_in_the_sdk(tmp_path: Path) -> None:
    env = {"AZURE_OPENAI_AD_TOKEN": TOKEN, "AZURE_OPENAI_API_KEY": SECRET}
    settings = load(tmp_path, env=env, provider="azure")
    assert (settings.api_key, plain(settings, "azure_ad_token")) == (None, TOKEN)


def test_azure_ad_flag_beats_key_variable(tmp_path: Path) -> None:
    settings = load(tmp_path, env={"AZURE_OPENAI_API_KEY": SECRET}, provider="azure", azure_ad=True)
    assert (settings.azure_ad, settings.api_key) == (True, None)


def test_key_variable_beats_azure_ad_in_file(tmp_path: Path) -> None:
    settings = load(
        tmp_path, env={"AZURE_OPENAI_API_KEY": SECRET}, file={"azure_ad": True}, provider="azure"
    )
    assert (settings.azure_ad, plain(settings, "api_key")) == (False, SECRET)


@pytest.mark.parametrize(
    ("env", "file", "explicit", "named"),
    [
        # both places in the environment: the SDK refuses both too
        (
            {"AZURE_OPENAI_ENDPOINT": ENDPOINT, "OPENAI_BASE_URL": V1},
            None,
            {},
            ["env AZURE_OPENAI_ENDPOINT", "env OPENAI_BASE_URL"],
        ),
        # both places as flags
        (
            {},
            None,
            {"azure_endpoint": ENDPOINT, "base_url": V1},
            ["--azure-endpoint", "--base-url"],
        ),
        # Entra ID and a key, both as flags
        ({}, None, {"azure_ad": True, "api_key": SECRET}, ["--azure-ad", "--api-key"]),
        # Entra ID and a static token, both in the file
        (
            {},
            {"azure_ad": True, "azure_ad_token": TOKEN},
            {},
            ["[model] azure_ad", "[model] azure"],
        ),
    ],
)
def test_alternatives_from_one_source_raise(
    tmp_path: Path,
    env: dict[str, str],
    file: dict[str, Any] | None,
    explicit: dict[str, Any],
    named: list[str],
) -> None:
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path, env=env, file=file, provider="azure", **explicit)
    message = str(caught.value)
    assert "Conflicting Azure OpenAI settings" in message
    assert "set only one of them" in message
    assert all(name in message for name in named), message
    assert SECRET not in message and TOKEN not in message


@pytest.mark.parametrize(
    ("name", "value", "flag"),
    [
        ("azure_endpoint", ENDPOINT, "--azure-endpoint"),
        ("api_version", "2025-03-01-preview", "--api-version"),
        ("azure_ad", True, "--azure-ad"),
        ("azure_ad_token", TOKEN, "argument azure_ad_token"),
    ],
)
def test_azure_only_setting_for_openai_raises(
    tmp_path: Path, name: str, value: Any, flag: str
) -> None:
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path, **{name: value})
    message = str(caught.value)
    assert f"{name} is an Azure OpenAI setting (from {flag})" in message
    assert "provider='openai' (from the default)" in message
    assert "--provider azure" in message and "CUA_REPLAY_PROVIDER=azure" in message
    assert TOKEN not in message


def test_azure_only_setting_in_file_for_openai_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path, file={"azure_endpoint": ENDPOINT}, provider="openai")
    assert str(tmp_path / "cua-replay.toml") in str(caught.value)
    assert "(from --provider)" in str(caught.value)
    assert caught.value.path == tmp_path / "cua-replay.toml"


def test_azure_ad_false_is_allowed_for_openai(tmp_path: Path) -> None:
    assert load(tmp_path, azure_ad=False).azure_ad is False


# -- invalid values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "file", "explicit", "expected"),
    [
        # a bad flag value: its name, the value, the flag
        ({}, None, {"timeout": -1}, ["timeout=-1", "argument timeout", "greater than 0"]),
        ({}, None, {"provider": "azur"}, ["provider='azur'", "--provider", "'openai' or 'azure'"]),
        ({}, None, {"base_url": "api.openai.com"}, ["--base-url", "http:// or https://"]),
        ({}, None, {"max_retries": -1}, ["max_retries=-1", "Pass a valid max_retries= argument"]),
        # a misspelt keyword lists the real ones
        ({}, None, {"modle": "m"}, ["modle (from argument modle)", "no such setting", "model,"]),
        # a bad variable: its name and how to fix it
        ({"CUA_REPLAY_PROVIDER": "bogus"}, None, {}, ["env CUA_REPLAY_PROVIDER", "Fix or unset"]),
        ({"OPENAI_BASE_URL": "localhost:8080"}, None, {}, ["env OPENAI_BASE_URL", "Fix or unset"]),
        # a bad file value: the file
        ({}, {"timeout": "soon"}, {}, ["timeout='soon'", "[model] timeout", "Fix it in"]),
        ({}, {"azure_ad": "yes"}, {"provider": "azure"}, ["azure_ad='yes'", "[model] azure_ad"]),
    ],
)
def test_invalid_value_names_its_source(
    tmp_path: Path,
    env: dict[str, str],
    file: dict[str, Any] | None,
    explicit: dict[str, Any],
    expected: list[str],
) -> None:
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path, env=env, file=file, **explicit)
    message = str(caught.value)
    assert message.startswith("Invalid setting ")
    assert all(part in message for part in expected), message
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CuaReplayError)
    if file is not None:
        assert caught.value.path == tmp_path / "cua-replay.toml"
        assert str(tmp_path / "cua-replay.toml") in message


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load(tmp_path)
    with pytest.raises(ValueError, match="frozen"):
        settings.model = "other"  # type: ignore[misc]


def test_origin_of_an_unknown_field_raises(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="modle"):
        load(tmp_path).origin("modle")


# -- config file errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        # not TOML at all
        (b"[model\nmodel = 'x'\n", "cannot be read as TOML"),
        # not UTF-8
        (b'[model]\nmodel = "\xff"\n', "cannot be read as TOML"),
        # "model" is a string, not the [model] table
        (b'model = "gpt-5.4"\n', "'model' must be a table"),
        # a misspelt key lists the valid ones
        (b'[model]\nmodle = "x"\n', "unknown key(s) 'modle' in [model]. Valid keys: provider,"),
        # a value of the wrong type
        (b'[model]\nmax_retries = "many"\n', "max_retries='many'"),
    ],
)
def test_config_file_error_names_the_file(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "cua-replay.toml"
    path.write_bytes(content)
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message, message
    assert caught.value.path == path


def test_missing_explicit_config_file_raises(tmp_path: Path) -> None:
    with pytest.raises(InvalidSetting) as caught:
        Settings(_environ={}, _cwd=tmp_path, _config_file="missing.toml")
    message = str(caught.value)
    assert f"Config file not found: {tmp_path / 'missing.toml'} (from --config)" in message
    assert "./cua-replay.toml" in message


def test_config_file_that_is_a_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(InvalidSetting, match="cannot be read as TOML") as caught:
        Settings(_environ={}, _cwd=tmp_path, _config_file=tmp_path)
    assert str(tmp_path) in str(caught.value)


# -- secrets -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["explicit", "env", "file"])
def test_secrets_never_appear_in_repr_str_or_json(tmp_path: Path, source: str) -> None:
    values = {"api_key": SECRET, "azure_ad_token": TOKEN}
    variables = {"AZURE_OPENAI_API_KEY": SECRET, "AZURE_OPENAI_AD_TOKEN": TOKEN}
    settings = load(
        tmp_path,
        env=variables if source == "env" else {},
        file=values if source == "file" else None,
        provider="azure",
        **(values if source == "explicit" else {}),
    )
    assert settings.azure_ad_token is not None  # the token wins over the key
    shown = [repr(settings), str(settings), settings.model_dump_json(), f"{settings!r}"]
    assert all(SECRET not in text and TOKEN not in text for text in shown)
    assert "**********" in repr(settings)


@pytest.mark.parametrize(
    ("file", "explicit"),
    [
        # a secret of the wrong type in the file
        ({"api_key": [SECRET]}, {}),
        # a secret under a misspelt keyword
        (None, {"apikey": SECRET}),
        # another field is invalid while a secret is set
        (None, {"api_key": SECRET, "timeout": 0}),
        # a secret where the provider does not take it
        (None, {"azure_ad_token": SECRET}),
        # conflicting credentials
        (None, {"provider": "azure", "azure_ad": True, "api_key": SECRET}),
    ],
)
def test_secrets_never_appear_in_errors_or_tracebacks(
    tmp_path: Path, file: dict[str, Any] | None, explicit: dict[str, Any]
) -> None:
    with pytest.raises(InvalidSetting) as caught:
        load(tmp_path, file=file, **explicit)
    printed = "".join(traceback.format_exception(caught.value))
    assert SECRET not in printed
    assert SECRET not in repr(caught.value)
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_secrets_never_appear_in_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PYDANTIC_SETTINGS_DEBUG", "1")  # pydantic-settings logs every source
    caplog.set_level(logging.DEBUG)
    settings = load(
        tmp_path,
        env={"AZURE_OPENAI_API_KEY": SECRET},
        file={"api_version": "preview"},
        provider="azure",
        base_url="http://127.0.0.1:9/openai/v1/",
    )
    backend = backend_from_settings(settings)
    asyncio.run(backend.aclose())
    assert "Resolving settings for 'Settings'" in caplog.text  # the debug log did run
    assert "API key from env AZURE_OPENAI_API_KEY" in caplog.text
    assert SECRET not in caplog.text


# -- missing settings ----------------------------------------------------------------------


class NeverCalled:
    """A credential that must not be used."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        raise AssertionError("the credential was used")


@pytest.mark.parametrize(
    ("env", "explicit", "variables", "flags"),
    [
        # OpenAI without a key ("" is no key)
        ({"OPENAI_API_KEY": ""}, {}, ["OPENAI_API_KEY"], ["--api-key"]),
        # Azure without any credential
        (
            {"AZURE_OPENAI_ENDPOINT": ENDPOINT, "OPENAI_API_VERSION": "2025-03-01-preview"},
            {"provider": "azure"},
            ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN"],
            ["--api-key", "--azure-ad"],
        ),
        # Azure without an endpoint or base URL
        (
            {"AZURE_OPENAI_API_KEY": SECRET},
            {"provider": "azure"},
            ["AZURE_OPENAI_ENDPOINT"],
            ["--azure-endpoint", "--base-url"],
        ),
        # Azure endpoint without an API version
        (
            {"AZURE_OPENAI_API_KEY": SECRET},
            {"provider": "azure", "azure_endpoint": ENDPOINT},
            ["OPENAI_API_VERSION"],
            ["--api-version"],
        ),
    ],
)
def test_missing_setting_names_its_variable_and_flag(
    tmp_path: Path,
    env: dict[str, str],
    explicit: dict[str, Any],
    variables: list[str],
    flags: list[str],
) -> None:
    settings = load(tmp_path, env=env, **explicit)
    with pytest.raises(MissingSetting) as caught:
        backend_from_settings(settings)
    message = str(caught.value)
    assert all(name in message for name in [*variables, *flags]), message
    assert (list(caught.value.env), list(caught.value.flags)) == (variables, flags)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CuaReplayError)
    assert SECRET not in message and SECRET not in repr(caught.value)


def test_missing_openai_key_message_is_exact(tmp_path: Path) -> None:
    with pytest.raises(MissingSetting) as caught:
        backend_from_settings(load(tmp_path))
    assert str(caught.value) == "No API key: set OPENAI_API_KEY or pass --api-key."
    assert repr(caught.value) == (
        "MissingSetting(setting='api_key', env=('OPENAI_API_KEY',), flags=('--api-key',))"
    )


def test_missing_azure_credential_offers_entra_id(tmp_path: Path) -> None:
    settings = load(tmp_path, provider="azure", base_url=V1)
    with pytest.raises(MissingSetting) as caught:
        backend_from_settings(settings)
    assert "set AZURE_OPENAI_API_KEY, pass --api-key, or use --azure-ad for Microsoft Entra ID" in (
        str(caught.value)
    )


def test_missing_model_names_its_variable_and_flag(tmp_path: Path) -> None:
    with pytest.raises(MissingSetting) as caught:
        load(tmp_path).require_model()
    assert "CUA_REPLAY_MODEL" in str(caught.value) and "--model" in str(caught.value)
    assert load(tmp_path, env={"CUA_REPLAY_MODEL": "gpt-5.4"}).require_model() == "gpt-5.4"


@pytest.mark.parametrize(
    "explicit",
    [
        # OpenAI has no Entra ID
        {"api_key": SECRET},
        # Azure with a key: the credential would be ignored
        {"provider": "azure", "base_url": V1, "api_key": SECRET},
    ],
)
def test_credential_without_azure_ad_raises(tmp_path: Path, explicit: dict[str, Any]) -> None:
    with pytest.raises(InvalidSetting, match="--azure-ad") as caught:
        backend_from_settings(load(tmp_path, **explicit), credential=NeverCalled())
    assert SECRET not in str(caught.value)
