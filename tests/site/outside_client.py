"""A computer-use client we did not build in: the openai SDK, plain Playwright, nothing else.

It stands for an outside client (the sample apps, a .NET or TypeScript agent):
it imports neither ``cua_replay`` nor any of its routing, launches its own
Chromium with no request routing at all, opens the start URL it is given and
loops: send the screenshot, execute the returned actions, send the next
screenshot with ``current_url``, acknowledging any pending safety check, until
the model answers with a message. The tests run it as a separate process
against ``cua-replay serve --scenario NAME --site``, passing the base URL and
start URL that command prints.

Prints one JSON line: the final page URL, the text of each ``--check``
selector, the final message and the number of computer calls.

    python outside_client.py --base-url http://127.0.0.1:PORT/v1 \\
        --start-url http://shop.example.localhost:PORT2/form.html --task "..." \\
        --tool computer_use_preview --chromium /usr/bin/chromium --check '#result'
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from typing import Any

from openai import OpenAI
from playwright.sync_api import Error, Page, sync_playwright

KEYS = {"CTRL": "Control", "CMD": "Meta", "ALT": "Alt", "SHIFT": "Shift", "ENTER": "Enter"}
KEYS |= {"ESC": "Escape", "SPACE": " ", "TAB": "Tab", "BACKSPACE": "Backspace"}

# Counts the tabs a page opens (window.open, target=_blank), so the loop knows to wait
# for the new page: Playwright reports it a little after the click.
COUNT_OPENS = """
(() => {
  window.__opens = 0;
  const open = window.open;
  window.open = function (...args) { window.__opens++; return open.apply(this, args); };
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[target=_blank]");
    if (link) window.__opens++;
  }, true);
})();
"""
TWO_FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def key(name: str) -> str:
    return KEYS.get(name.upper(), name)


def execute(page: Page, action: dict[str, Any]) -> None:
    """One wire action, as the sample apps do it with Playwright's mouse and keyboard."""
    kind = action["type"]
    if kind == "click":
        button = action.get("button", "left")
        page.mouse.click(action["x"], action["y"], button=button)
    elif kind == "double_click":
        page.mouse.dblclick(action["x"], action["y"])
    elif kind == "move":
        page.mouse.move(action["x"], action["y"])
    elif kind == "type":
        page.keyboard.type(action["text"])
    elif kind == "keypress":
        page.keyboard.press("+".join(key(name) for name in action["keys"]))
    elif kind == "scroll":
        page.mouse.move(action["x"], action["y"])
        page.mouse.wheel(action.get("scroll_x", 0), action.get("scroll_y", 0))
    elif kind == "drag":
        first, *rest = action["path"]
        page.mouse.move(first["x"], first["y"])
        page.mouse.down()
        for point in rest:
            page.mouse.move(point["x"], point["y"])
        page.mouse.up()
    elif kind in ("screenshot", "wait"):
        pass
    else:
        raise SystemExit(f"outside client: unknown action {kind!r}")


class Loads:
    """Counts each page's navigations started and documents loaded, to wait for the rest.

    ``page.mouse.click`` does not wait for the navigation a click starts, so
    after an action the loop waits frame pairs until the page has had a ``load``
    for every navigation started (a click's navigation request is issued
    within the first pair).
    """

    def __init__(self) -> None:
        self.started: dict[Page, int] = {}
        self.loaded: dict[Page, int] = {}

    def watch(self, page: Page) -> None:
        self.started.setdefault(page, 0)
        self.loaded.setdefault(page, 0)
        page.on("load", lambda: self._count(self.loaded, page))
        page.on(
            "request",
            lambda request: (
                self._count(self.started, page)
                if request.is_navigation_request() and request.frame == page.main_frame
                else None
            ),
        )

    @staticmethod
    def _count(counts: dict[Page, int], page: Page) -> None:
        counts[page] = counts.get(page, 0) + 1

    def settle(self, page: Page) -> None:
        """Wait for the page to load and paint: waits on events, no fixed sleep."""
        for _ in range(200):  # frames, not seconds: a navigation that never loads ends here
            page.wait_for_load_state("load")
            try:
                page.evaluate(TWO_FRAMES)
            except Error as exc:  # the old document went away under the frame wait
                if "context was destroyed" not in str(exc):
                    raise
                continue
            if self.loaded[page] >= self.started[page]:
                return
        raise SystemExit(f"outside client: {page.url} kept navigating")


def opens(page: Page) -> int:
    """Tabs the page has opened; 0 for a page that is navigating away (a new document)."""
    try:
        return int(page.evaluate("window.__opens || 0"))
    except Error as exc:
        if "context was destroyed" not in str(exc):
            raise
        return 0


def screenshot(page: Page) -> str:
    return "data:image/png;base64," + base64.b64encode(page.screenshot()).decode()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--start-url", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--tool", choices=("computer", "computer_use_preview"), required=True)
    parser.add_argument("--model", default="computer-use-preview")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=768)
    parser.add_argument("--chromium", required=True, help="the Chromium executable")
    parser.add_argument("--check", action="append", default=[], help="a CSS selector to report")
    parser.add_argument("--max-calls", type=int, default=30)
    args = parser.parse_args(argv)

    client = OpenAI(base_url=args.base_url, api_key="sk-outside-client")
    if args.tool == "computer":
        tools: list[dict[str, Any]] = [{"type": "computer"}]
    else:
        tools = [
            {
                "type": "computer_use_preview",
                "display_width": args.width,
                "display_height": args.height,
                "environment": "browser",
            }
        ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": args.width, "height": args.height})
        context.add_init_script(COUNT_OPENS)
        new_pages: list[Page] = []
        loads = Loads()
        context.on("page", lambda new: (new_pages.append(new), loads.watch(new)))
        page = context.new_page()
        new_pages.clear()
        page.goto(args.start_url)
        loads.settle(page)
        response = client.responses.create(
            model=args.model,
            tools=tools,
            truncation="auto",
            input=[
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": args.task},
                        {"type": "input_image", "image_url": screenshot(page)},
                    ],
                }
            ],
        )
        calls = 0
        while True:
            call = next((item for item in response.output if item.type == "computer_call"), None)
            if call is None:
                break
            calls += 1
            if calls > args.max_calls:
                raise SystemExit(f"outside client: no final message after {args.max_calls} calls")
            batch = call.actions if call.actions else [call.action]
            for action in batch:
                opened = opens(page)
                execute(page, action.to_dict())
                if not page.is_closed() and opens(page) > opened and not new_pages:
                    context.wait_for_event("page")
                if new_pages:
                    page = new_pages.pop()
                    new_pages.clear()
                loads.settle(page)
            response = client.responses.create(
                model=args.model,
                tools=tools,
                truncation="auto",
                previous_response_id=response.id,
                input=[
                    {
                        "type": "computer_call_output",
                        "call_id": call.call_id,
                        "output": {"type": "computer_screenshot", "image_url": screenshot(page)},
                        "acknowledged_safety_checks": [
                            check.to_dict() for check in call.pending_safety_checks or []
                        ],
                        "current_url": page.url,
                    }
                ],
            )
        result = {
            "url": page.url,
            "texts": {selector: page.text_content(selector) for selector in args.check},
            "message": response.output_text,
            "calls": calls,
            "routed": "cua_replay" in sys.modules,
        }
        browser.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
