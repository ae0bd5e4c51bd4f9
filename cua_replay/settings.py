"""The model connection of a run: which API, where, and with which credential.

Every field is resolved on its own, from the first source that sets it:

1. **explicit values**, ``Settings(model=..., api_key=...)``: how the CLI passes
   its flags (``--provider``, ``--model``, ``--base-url``, ``--api-key``,
   ``--azure-endpoint``, ``--api-version``, ``--azure-ad``);
2. **environment variables**, the SDK's own names (table below);
3. the ``[model]`` table of a **TOML config file**: the one passed as
   ``Settings(_config_file=...)`` (``--config``), else ``./cua-replay.toml`` if
   it exists (keys are the field names);
4. the **defaults**.

``None`` and ``""`` mean "not set" in every source, so the CLI passes its flags
straight through and ``export OPENAI_API_KEY=`` does not count as a key.

=================  ===============================  ===================================
field              provider ``openai``               provider ``azure``
=================  ===============================  ===================================
provider           CUA_REPLAY_PROVIDER               CUA_REPLAY_PROVIDER
model              CUA_REPLAY_MODEL                  CUA_REPLAY_MODEL (deployment name)
base_url           OPENAI_BASE_URL                   OPENAI_BASE_URL (Azure v1 API)
api_key            OPENAI_API_KEY                    AZURE_OPENAI_API_KEY
organization       OPENAI_ORG_ID                     OPENAI_ORG_ID
project            OPENAI_PROJECT_ID                 OPENAI_PROJECT_ID
azure_endpoint     (Azure only, rejected)            AZURE_OPENAI_ENDPOINT
api_version        (Azure only, rejected)            OPENAI_API_VERSION
azure_ad_token     (Azure only, rejected)            AZURE_OPENAI_AD_TOKEN
azure_ad, timeout, max_retries                       no environment variable
=================  ===============================  ===================================

The provider is resolved first and picks the environment names. With provider
``openai``, the Azure-only variables are not read, and Azure-only values given
explicitly or in the config file raise :class:`~cua_replay.errors.InvalidSetting`.

With provider ``azure``, two groups hold alternatives; the one from the
strongest source wins and the others are dropped:

* where: ``azure_endpoint`` (``{endpoint}/openai``, needs ``api_version``) or
  ``base_url`` (the v1 API, ``.../openai/v1/``); both from one source is an error;
* credential: ``azure_ad`` (Microsoft Entra ID through an Azure credential),
  ``azure_ad_token`` (a static Entra token) or ``api_key``; from one source,
  a token beats a key (as the SDK does) and anything else is an error.

Secrets are :class:`~pydantic.SecretStr` from the moment a source reads them:
they never appear in ``repr``, logs (pydantic-settings' debug log included) or
error messages. :meth:`Settings.origin` says where each value came from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ._config_file import CONFIG_FILE_NAME, CONFIG_FLAG, CONFIG_TABLE, read_table
from .errors import InvalidSetting, MissingSetting

__all__ = [
    "AZURE_ONLY_FIELDS",
    "CONFIG_FILE_NAME",
    "CONFIG_FLAG",
    "CONFIG_TABLE",
    "ENV_NAMES",
    "FLAGS",
    "SECRET_FIELDS",
    "Provider",
    "Settings",
]

Provider = Literal["openai", "azure"]

FLAGS: Final[Mapping[str, str]] = {
    "provider": "--provider",
    "model": "--model",
    "base_url": "--base-url",
    "api_key": "--api-key",
    "azure_endpoint": "--azure-endpoint",
    "api_version": "--api-version",
    "azure_ad": "--azure-ad",
}
"""The CLI flag of each field that has one."""

_COMMON_ENV: Final[Mapping[str, str]] = {
    "provider": "CUA_REPLAY_PROVIDER",
    "model": "CUA_REPLAY_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "organization": "OPENAI_ORG_ID",
    "project": "OPENAI_PROJECT_ID",
}
ENV_NAMES: Final[Mapping[str, Mapping[str, str]]] = {
    "openai": {**_COMMON_ENV, "api_key": "OPENAI_API_KEY"},
    "azure": {
        **_COMMON_ENV,
        "api_key": "AZURE_OPENAI_API_KEY",
        "azure_endpoint": "AZURE_OPENAI_ENDPOINT",
        "api_version": "OPENAI_API_VERSION",
        "azure_ad_token": "AZURE_OPENAI_AD_TOKEN",
    },
}
"""Per provider: field -> the environment variable it is read from."""

SECRET_FIELDS: Final = frozenset({"api_key", "azure_ad_token"})
AZURE_ONLY_FIELDS: Final = ("azure_endpoint", "api_version", "azure_ad", "azure_ad_token")
_AZURE_ALTERNATIVES: Final = (
    ("azure_endpoint", "base_url"),
    ("azure_ad", "azure_ad_token", "api_key"),
)


class Settings(BaseSettings):
    """How a run reaches the model; see the module docstring for sources and precedence.

    >>> Settings(model="computer-use-preview", api_key="sk-...")  # doctest: +SKIP
    """

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    provider: Provider = "openai"
    """``openai`` (OpenAI API, or anything speaking it) or ``azure`` (Azure OpenAI)."""
    model: str | None = None
    """The model, or on Azure the deployment name."""
    base_url: str | None = None
    """OpenAI-compatible base URL; on Azure the v1 API, ``https://RES.openai.azure.com/openai/v1/``."""
    api_key: SecretStr | None = None
    azure_endpoint: str | None = None
    """``https://RES.openai.azure.com``: requests go to ``{endpoint}/openai/...?api-version=``."""
    api_version: str | None = None
    azure_ad: bool = Field(default=False, strict=True)
    """Authenticate with Microsoft Entra ID through an Azure credential."""
    azure_ad_token: SecretStr | None = None
    """A static Microsoft Entra ID token (it expires: prefer ``azure_ad``)."""
    organization: str | None = None
    project: str | None = None
    timeout: float = Field(default=600.0, gt=0, allow_inf_nan=False)
    """Seconds per HTTP request."""
    max_retries: int = Field(default=2, ge=0)

    _origins: dict[str, str] = PrivateAttr(default_factory=dict)
    _config_file: Path | None = PrivateAttr(default=None)

    def __init__(
        self,
        /,
        *,
        _config_file: str | os.PathLike[str] | None = None,
        _environ: Mapping[str, str] | None = None,
        _cwd: str | os.PathLike[str] | None = None,
        **values: Any,
    ) -> None:
        """Resolve every field from ``values`` > ``_environ`` > config file > defaults.

        ``_environ`` defaults to ``os.environ`` and ``_cwd`` (where
        ``cua-replay.toml`` and a relative ``_config_file`` are looked up) to
        the working directory.
        """
        build = _Build.start(
            values,
            environ=os.environ if _environ is None else _environ,
            cwd=Path.cwd() if _cwd is None else Path(_cwd),
            config_file=None if _config_file is None else Path(_config_file),
        )
        with _building(build):
            try:
                super().__init__()
            except ValidationError as error:
                raise build.invalid(error) from None
        self._origins = build.origins(type(self).model_fields)
        self._config_file = build.config_file

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Our three layers, strongest first; pydantic-settings adds the defaults."""
        build = _BUILD.get()
        if build is None:  # built by pydantic-settings machinery, not by Settings(...)
            build = _Build.start({}, environ=os.environ, cwd=Path.cwd(), config_file=None)
        return tuple(_LayerSource(settings_cls, layer) for layer in build.layers)

    @field_validator("base_url", "azure_endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @property
    def config_file(self) -> Path | None:
        """The config file that was read, if any."""
        return self._config_file

    def origin(self, name: str) -> str:
        """Where field ``name`` came from: ``"--model"``, ``"env OPENAI_API_KEY"``, a config
        file (``"/path/cua-replay.toml [model] timeout"``) or ``"default"``."""
        if name not in type(self).model_fields:
            raise KeyError(f"No setting named {name!r}.")
        return self._origins.get(name, "default")

    def replace(self, origin: str, /, **values: Any) -> Settings:
        """A copy with ``values`` set (``None`` unsets), each marked as coming from ``origin``.

        For values the run decides itself once the sources were read (a fake
        server's endpoint, a scenario's model, the recording's model): they are
        not read from any source again, nor re-checked. Secrets become
        :class:`SecretStr`.
        """
        unknown = values.keys() - type(self).model_fields.keys()
        if unknown:
            raise KeyError(f"No setting named {sorted(unknown)[0]!r}.")
        for name in SECRET_FIELDS & values.keys():
            if isinstance(values[name], str):
                values[name] = SecretStr(values[name])
        copy = self.model_copy(update=values)
        copy._origins = {**self._origins, **dict.fromkeys(values, origin)}
        return copy

    def require_model(self) -> str:
        """The model (Azure: deployment) name, or :class:`MissingSetting` saying how to set it."""
        if self.model is None:
            raise MissingSetting(
                "No model: set CUA_REPLAY_MODEL or pass --model (on Azure, the deployment name).",
                setting="model",
                env=("CUA_REPLAY_MODEL",),
                flags=("--model",),
            )
        return self.model


# -- sources -------------------------------------------------------------------------------


@dataclass
class _Layer:
    """One source's values (already cleaned) and, per field, a label saying where it was set."""

    kind: Literal["explicit", "env", "file"]
    values: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: Any, label: str) -> None:
        if value is None or value == "":
            return
        if name == "provider" and isinstance(value, str):
            value = value.strip().lower()
        self.values[name] = value
        self.labels[name] = label

    def drop(self, name: str) -> None:
        self.values.pop(name, None)
        self.labels.pop(name, None)


class _LayerSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], layer: _Layer) -> None:
        super().__init__(settings_cls)
        self._layer = layer
        # names the layer in pydantic-settings' debug log
        self.__name__ = f"cua-replay {layer.kind}"

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._layer.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._layer.values)


_BUILD: ContextVar[_Build | None] = ContextVar("cua_replay_settings_build", default=None)


@contextmanager
def _building(build: _Build) -> Iterator[None]:
    token = _BUILD.set(build)
    try:
        yield
    finally:
        _BUILD.reset(token)


@dataclass
class _Build:
    """The layers of one ``Settings(...)`` call, strongest first."""

    layers: tuple[_Layer, ...]
    config_file: Path | None

    @classmethod
    def start(
        cls,
        explicit_values: Mapping[str, Any],
        *,
        environ: Mapping[str, str],
        cwd: Path,
        config_file: Path | None,
    ) -> _Build:
        explicit = _Layer("explicit")
        for name, value in explicit_values.items():
            explicit.set(name, value, FLAGS.get(name, f"argument {name}"))
        path, table = read_table(config_file, cwd=cwd, keys=tuple(Settings.model_fields))
        file = _Layer("file")
        for name, value in table.items():
            file.set(name, value, f"{path} [{CONFIG_TABLE}] {name}")
        provider = next(
            (
                value
                for value in (
                    explicit.values.get("provider"),
                    environ.get(_COMMON_ENV["provider"], "").strip().lower(),
                    file.values.get("provider"),
                )
                if value
            ),
            "openai",
        )
        if not isinstance(provider, str) or provider not in ENV_NAMES:
            provider = "invalid"  # validation reports it, with its source
        env = _Layer("env")
        for name, variable in ENV_NAMES.get(provider, _COMMON_ENV).items():
            env.set(name, environ.get(variable), f"env {variable}")
        build = cls((explicit, env, file), path)
        if provider == "openai":
            build._reject_azure_only()
        elif provider == "azure":
            for group in _AZURE_ALTERNATIVES:
                build._choose(group)
        for layer in build.layers:  # from here on, secrets print as '**********'
            for name in SECRET_FIELDS & layer.values.keys():
                if isinstance(layer.values[name], str):
                    layer.values[name] = SecretStr(layer.values[name])
        return build

    def origins(self, names: Mapping[str, object]) -> dict[str, str]:
        return {name: self.origin(name) for name in names}

    def origin(self, name: str) -> str:
        for layer in self.layers:
            if name in layer.labels:
                return layer.labels[name]
        return "default"

    def _provider_origin(self) -> str:
        origin = self.origin("provider")
        return "the default" if origin == "default" else origin

    def _reject_azure_only(self) -> None:
        for layer in self.layers:
            for name in AZURE_ONLY_FIELDS:
                if _present(layer, name):
                    raise InvalidSetting(
                        f"{name} is an Azure OpenAI setting (from {layer.labels[name]}), but "
                        f"provider='openai' (from {self._provider_origin()}). Pass --provider "
                        f"azure or set CUA_REPLAY_PROVIDER=azure, or remove {name}.",
                        setting=name,
                        source=layer.labels[name],
                        path=self.config_file if layer.kind == "file" else None,
                    )

    def _choose(self, group: tuple[str, ...]) -> None:
        """Keep the alternatives of ``group`` from the strongest source that sets any."""
        for rank, layer in enumerate(self.layers):
            chosen = [name for name in group if _present(layer, name)]
            if not chosen:
                continue
            if set(chosen) == {"azure_ad_token", "api_key"}:  # the SDK's rule: a token wins
                layer.drop("api_key")
            elif len(chosen) > 1:
                where = ", ".join(f"{name} ({layer.labels[name]})" for name in chosen)
                raise InvalidSetting(
                    f"Conflicting Azure OpenAI settings: {where} are alternatives; "
                    f"set only one of them.",
                    setting=chosen[0],
                    source=layer.labels[chosen[0]],
                    path=self.config_file if layer.kind == "file" else None,
                )
            for weaker in self.layers[rank + 1 :]:
                for name in group:
                    weaker.drop(name)
            return

    def invalid(self, error: ValidationError) -> InvalidSetting:
        """Our error for pydantic's, naming each value's source and never showing a secret."""
        problems: list[str] = []
        names: list[str] = []
        for item in error.errors(include_url=False):
            name = str(item["loc"][0]) if item["loc"] else "?"
            shown = name in Settings.model_fields and name not in SECRET_FIELDS
            value = f"={item['input']!r}" if shown else ""
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = f"no such setting; the settings are {', '.join(Settings.model_fields)}"
            names.append(name)
            problems.append(f"{name}{value} (from {self.origin(name)}): {message}")
        source = self.origin(names[0]) if names else "default"
        in_file = self.config_file is not None and source.startswith(f"{self.config_file} [")
        return InvalidSetting(
            f"Invalid setting {'; '.join(problems)}. {_fix_for(source)}",
            setting=names[0] if names else None,
            source=source,
            path=self.config_file if in_file else None,
        )


def _present(layer: _Layer, name: str) -> bool:
    value = layer.values.get(name)
    return value is True if name == "azure_ad" else value is not None


def _fix_for(source: str) -> str:
    if source.startswith("env "):
        return f"Fix or unset {source.removeprefix('env ')}."
    if source.startswith("--"):
        return f"Pass a valid {source}."
    if source.startswith("argument "):
        return f"Pass a valid {source.removeprefix('argument ')}= argument."
    if source == "default":
        return "Check the settings."
    return f"Fix it in {source.split(' [')[0]}."
