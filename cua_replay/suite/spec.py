"""The suite file: many tasks, each with its own success check, as one validated YAML file.

A suite says *what* to try and *how to tell it worked*; ``cua-replay suite
run`` says with which models and how many times. Each task names its task
text, start page, optional instructions, limits and safety policy, tags, and a
:class:`SuccessCheck` on the final state: the scenario ``done`` block
(final-URL glob, text of selectors) generalised with a final-message regular
expression and the stop reason. For ``--fake`` runs a task names the fake
scenario(s) that play the model, per model if they differ, with weights when
a "model" should be flaky (:class:`FakeBranch`): the trial's scenario is then
drawn from a random generator seeded by suite seed, task, model and trial, so
the same suite gives the same verdicts on every machine.

Loaded with the scenario files' YAML loader (safe, no aliases); every error is
a :class:`~cua_replay.errors.ScenarioError` (a suite is a file of scenarios'
tasks; the CLI reports it as unusable input, exit 2) in one line naming the
file, the task and the field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ScenarioError
from ..safety import gate_from_spec
from ..server.scenario import Display, Done, Scenario, _load_yaml

__all__ = [
    "FakeBranch",
    "FakePlan",
    "SuccessCheck",
    "Suite",
    "SuiteTask",
    "load_suite",
]

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
"""Task ids, suite names and model names become folder names: no slashes, no dots first."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuccessCheck(_Model):
    """What the final state must show for a run to pass: every given part must hold."""

    url: str | None = None
    """Shell-style glob the final page URL matches (``https://shop.example/form.html``)."""
    text: dict[str, str] = Field(default_factory=dict)
    """CSS selector -> text the element contains at the end."""
    message: str | None = None
    """Regular expression searched for in the final assistant message."""
    completed: bool = True
    """The run must stop because the model finished (not at max steps, a denial, an error)."""

    @field_validator("message")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value

    @classmethod
    def from_done(cls, done: Done) -> SuccessCheck:
        """A scenario's ``done`` block as a success check."""
        return cls(url=done.url, text=dict(done.text))


class FakeBranch(_Model):
    """One way a fake "model" may go: a scenario, and how often it is picked."""

    scenario: str
    """A built-in scenario name, or a path (relative to the suite file)."""
    weight: float = Field(1.0, gt=0)


def _branches(value: Any) -> Any:
    """``demo`` is short for ``[{scenario: demo}]``, in a list as alone."""
    if isinstance(value, str):
        return [{"scenario": value}]
    if isinstance(value, list):
        return [{"scenario": item} if isinstance(item, str) else item for item in value]
    return value


class FakePlan(_Model):
    """The scenario(s) playing the model in ``--fake`` runs: by default, and per model."""

    default: tuple[FakeBranch, ...] = ()
    models: dict[str, tuple[FakeBranch, ...]] = Field(default_factory=dict)
    """Model name -> its branches, where that "model version" behaves otherwise."""

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if isinstance(data, str | list):
            data = {"default": data}
        if isinstance(data, dict):
            data = dict(data)
            if "default" in data:
                data["default"] = _branches(data["default"])
            if isinstance(data.get("models"), dict):
                data["models"] = {k: _branches(v) for k, v in data["models"].items()}
        return data

    def branches(self, model: str) -> tuple[FakeBranch, ...]:
        return self.models.get(model, self.default)


class SuiteTask(_Model):
    """One task of the suite and the check that tells whether a run of it passed."""

    id: str = Field(pattern=NAME_PATTERN)
    task: str = Field(min_length=1)
    start_url: str = Field(pattern=r"^(https?|file|about):")
    instructions: str | None = None
    success: SuccessCheck = SuccessCheck()
    max_steps: int | None = Field(None, ge=1)
    safety: str | None = None
    """``prompt``, ``deny`` or ``allow:CODE,...``; a suite runs unattended, so ``prompt``
    denies every check (no one is there to answer)."""
    tags: tuple[str, ...] = ()
    tool: Literal["computer_use_preview", "computer"] | None = None
    display: Display | None = None
    fake: FakePlan | None = None

    @field_validator("safety")
    @classmethod
    def _safety_spec(cls, value: str | None) -> str | None:
        if value is not None:
            gate_from_spec(value)
        return value

    @classmethod
    def from_scenario(cls, scenario: Scenario, *, safety: str | None = None) -> SuiteTask:
        """A scenario as a suite task: its task, page, tool, display and ``done`` check, and
        itself playing the model under ``--fake``."""
        return cls(
            id=scenario.name,
            task=scenario.task,
            start_url=scenario.start_url,
            tool=scenario.tool,
            display=scenario.display,
            success=SuccessCheck.from_done(scenario.done),
            safety=safety,
            fake=FakePlan(default=(FakeBranch(scenario=scenario.name),)),
        )


class SuiteDefaults(_Model):
    """Values every task takes unless it sets its own."""

    max_steps: int = Field(20, ge=1)
    safety: str = "deny"
    instructions: str | None = None

    @field_validator("safety")
    @classmethod
    def _safety_spec(cls, value: str) -> str:
        gate_from_spec(value)
        return value


class Suite(_Model):
    """A named set of tasks; ``seed`` fixes which branch each fake trial takes."""

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    seed: int = 0
    defaults: SuiteDefaults = SuiteDefaults()
    tasks: tuple[SuiteTask, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> Suite:
        seen: set[str] = set()
        for task in self.tasks:
            if task.id in seen:
                raise ValueError(f"task id {task.id!r} appears twice; ids name folders")
            seen.add(task.id)
        return self

    def task(self, task_id: str) -> SuiteTask:
        for task in self.tasks:
            if task.id == task_id:
                return task
        known = ", ".join(t.id for t in self.tasks)
        raise ScenarioError(f"Suite {self.name!r} has no task {task_id!r}; its tasks: {known}.")

    def select(self, tags: tuple[str, ...] = ()) -> tuple[SuiteTask, ...]:
        """The tasks carrying any of ``tags`` (all tasks without tags)."""
        if not tags:
            return self.tasks
        return tuple(t for t in self.tasks if set(t.tags) & set(tags))


def load_suite(path: str | Path) -> Suite:
    """Load and validate a suite file; scenario paths become relative to the file."""
    source = Path(path)
    try:
        text = source.read_text("utf-8")
    except OSError as exc:
        raise ScenarioError(
            f"Cannot read suite file {str(source)!r} ({exc.strerror}); check the path."
        ) from None
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ScenarioError(f"Suite file {str(source)!r} is not valid YAML: {detail}") from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"Suite file {str(source)!r} must hold a mapping (name:, tasks:) at the top."
        )
    data.setdefault("name", source.stem)
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_one_line(source, data, exc)) from None
    return _resolve_paths(suite, source.parent)


def _one_line(source: Path, data: dict[str, Any], error: ValidationError) -> str:
    """``Suite file 'x.yaml': task 'demo', field success.message: not a regular expression``."""
    parts = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int):
            tasks = data.get("tasks")
            raw = tasks[loc[1]] if isinstance(tasks, list) and loc[1] < len(tasks) else None
            name = raw.get("id") if isinstance(raw, dict) else None
            where = f"task {name!r}, " if name else f"task #{loc[1] + 1}, "
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or "(the task itself)"
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}field {field}: {message}")
    return f"Suite file {str(source)!r} is invalid: {'; '.join(parts)}"


def _resolve_paths(suite: Suite, base: Path) -> Suite:
    """Scenario references that name files next to the suite become absolute paths."""

    def resolve(branch: FakeBranch) -> FakeBranch:
        candidate = base / branch.scenario
        if branch.scenario.endswith((".yaml", ".yml", ".json")) and candidate.exists():
            return branch.model_copy(update={"scenario": str(candidate.resolve())})
        return branch

    tasks = []
    for task in suite.tasks:
        if task.fake is not None:
            fake = FakePlan(
                default=tuple(resolve(b) for b in task.fake.default),
                models={m: tuple(resolve(b) for b in bs) for m, bs in task.fake.models.items()},
            )
            task = task.model_copy(update={"fake": fake})
        tasks.append(task)
    return suite.model_copy(update={"tasks": tuple(tasks)})
