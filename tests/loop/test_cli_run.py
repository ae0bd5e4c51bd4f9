"""``cua-replay run`` as a user types it: a fake model, a real browser, telling exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cua_replay.cli.main import app

runner = CliRunner()


def test_a_fake_scenario_runs_to_its_final_message() -> None:
    result = runner.invoke(app, ["run", "--fake", "form", "--safety", "deny"])
    assert result.exit_code == 0, result.output
    assert "type 'Grace Hopper'" in result.output
    assert "stopped: completed after 7 responses" in result.output
    assert "final message: The order is placed for Grace Hopper, gift wrapped." in result.output


def test_the_azure_flavour_runs_against_the_fake_too() -> None:
    result = runner.invoke(
        app, ["run", "--fake", "drag", "--provider", "azure", "--tool", "computer"]
    )
    assert result.exit_code == 0, result.output
    assert "drag (100, 160) -> (300, 180) -> (483, 203)" in result.output


def test_a_denied_safety_check_exits_1_with_its_reason() -> None:
    result = runner.invoke(app, ["run", "--fake", "injection", "--safety", "deny"])
    assert result.exit_code == 1
    assert "safety check malicious_instructions: denied by deny" in result.output
    assert "stopped: safety_denied after 2 responses" in result.output


def test_reaching_a_blocked_host_stops_the_run(tmp_path: Path) -> None:
    scenario = tmp_path / "news.yaml"
    scenario.write_text(
        "task: Read the news\n"
        "start_url: https://shop.example/\n"
        "turns:\n"
        "  - actions: [{type: click, button: left, x: 150, y: 358}]\n"
        "  - message: done\n"
    )
    result = runner.invoke(app, ["run", "--fake", str(scenario), "--block-domain", "news.example"])
    assert result.exit_code == 1
    assert "blocked_request url=https://news.example/" in result.output
    assert "stopped: blocked_domain after 1 responses" in result.output


def test_on_blocked_back_goes_back_and_carries_on(tmp_path: Path) -> None:
    scenario = tmp_path / "news.yaml"
    scenario.write_text(
        "task: Read the news\n"
        "start_url: https://shop.example/\n"
        "turns:\n"
        "  - actions: [{type: click, button: left, x: 150, y: 358}]\n"
        "  - message: The news site is off limits; I stayed on the shop.\n"
        "    expect: {current_url: 'https://shop.example/'}\n"
    )
    result = runner.invoke(
        app,
        ["run", "--fake", str(scenario), "--block-domain", "news.example", "--on-blocked", "back"],
    )
    assert result.exit_code == 0, result.output
    assert "blocked_request url=https://news.example/" in result.output
    assert "stopped: completed after 2 responses" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "MissingSetting: No task"),
        (["run", "Do it"], "MissingSetting: No start page: pass --start-url"),
        (["run", "--fake", "form", "--display", "wide"], "is not WIDTHxHEIGHT"),
        (["run", "--fake", "form", "--safety", "allow:"], "InvalidSafetyPolicy"),
        (["run", "--fake", "form", "--block-domain", "shop.example"], "outside the domain policy"),
        (["run", "Do it", "--start-url", "https://shop.example/"], "MissingSetting: No model"),
    ],
)
def test_bad_options_say_what_to_do(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
