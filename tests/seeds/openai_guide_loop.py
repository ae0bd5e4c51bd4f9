"""Seed 003's loop (OpenAI computer-use guide, sync Playwright), run against the fake server.

Source: /work/shared/seeds/003_293ae80c996b7bd8.txt with its interleaved line
numbers stripped. Verbatim from the guide, in its order:

* "Repeat steps in a loop": ``import time``, ``import base64``,
  ``from openai import OpenAI``, ``client = OpenAI()`` and ``computer_use_loop``;
* "Execute the action" (Playwright): ``handle_model_action``;
* "Capture and send the updated screenshot" (Playwright): ``get_screenshot``;
* "Send a CUA request": the first ``client.responses.create(...)`` and
  ``print(response.output)``, inside ``main()``.

``client = OpenAI()`` is untouched: the SDK reads ``OPENAI_BASE_URL`` and
``OPENAI_API_KEY`` from the environment, which is how the guide's client is
configured, so the test sets them (to the fake server's
``server.urls.openai_base_url`` and a fake key) *before importing this module*.
The guide's ``time.sleep`` calls stay (allow-listed in tests/test_no_sleeps.py).

Changes, each marked ``# CHANGED:`` below:

1. This docstring and the imports the additions need.
2. The guide leaves "the initialization of the environment" to the reader
   (its prose: a browser at the display size the tool declares). ``main()`` does
   that: headless system Chromium (``cua_replay.browser.find_chromium``, with
   ``LAUNCH_ARGS``), a 1024x768 viewport to match the tool's
   ``display_width``/``display_height``, the fixture site routed in
   (``route_fixture_site``: a sync handler, since ``FixtureSite.install`` is
   for the async API), then ``page.goto(start_url)``, the guide's first request,
   and ``computer_use_loop(page, response)``.
3. The first request's user content is the scenario's task instead of the
   guide's "Check the latest OpenAI news on bing.com.".
4. ``main()`` takes an optional ``inspect(page)`` callback, called before the
   browser closes, so the test can read the page (the form's ``#result``).
"""

# CHANGED: imports for main() and the sync fixture-site route (changes 2 and 4).
from collections.abc import Callable
from typing import Any

from playwright.sync_api import BrowserContext, Page, Route, sync_playwright

from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.site import FixtureSite

import time
import base64
from openai import OpenAI

client = OpenAI()


def handle_model_action(page, action):
    """
    Given a computer action (e.g., click, double_click, scroll, etc.),
    execute the corresponding operation on the Playwright page.
    """
    action_type = action.type

    try:
        match action_type:
            case "click":
                x, y = action.x, action.y
                button = action.button
                print(f"Action: click at ({x}, {y}) with button '{button}'")
                # Not handling things like middle click, etc.
                if button != "left" and button != "right":
                    button = "left"
                page.mouse.click(x, y, button=button)

            case "scroll":
                x, y = action.x, action.y
                scroll_x, scroll_y = action.scroll_x, action.scroll_y
                print(
                    f"Action: scroll at ({x}, {y}) with offsets (scroll_x={scroll_x}, scroll_y={scroll_y})"
                )
                page.mouse.move(x, y)
                page.evaluate(f"window.scrollBy({scroll_x}, {scroll_y})")

            case "keypress":
                keys = action.keys
                for k in keys:
                    print(f"Action: keypress '{k}'")
                    # A simple mapping for common keys; expand as needed.
                    if k.lower() == "enter":
                        page.keyboard.press("Enter")
                    elif k.lower() == "space":
                        page.keyboard.press(" ")
                    else:
                        page.keyboard.press(k)

            case "type":
                text = action.text
                print(f"Action: type text: {text}")
                page.keyboard.type(text)

            case "wait":
                print(f"Action: wait")
                time.sleep(2)

            case "screenshot":
                # Nothing to do as screenshot is taken at each turn
                print(f"Action: screenshot")

            # Handle other actions here

            case _:
                print(f"Unrecognized action: {action}")

    except Exception as e:
        print(f"Error handling action {action}: {e}")


def get_screenshot(page):
    """
    Take a full-page screenshot using Playwright and return the image bytes.
    """
    return page.screenshot()


def computer_use_loop(instance, response):
    """
    Run the loop that executes computer actions until no 'computer_call' is found.
    """
    while True:
        computer_calls = [item for item in response.output if item.type == "computer_call"]
        if not computer_calls:
            print("No computer call found. Output from model:")
            for item in response.output:
                print(item)
            break  # Exit when no computer calls are issued.

        # We expect at most one computer call per response.
        computer_call = computer_calls[0]
        last_call_id = computer_call.call_id
        action = computer_call.action

        # Execute the action (function defined in step 3)
        handle_model_action(instance, action)
        time.sleep(1)  # Allow time for changes to take effect.

        # Take a screenshot after the action (function defined in step 4)
        screenshot_bytes = get_screenshot(instance)
        screenshot_base64 = base64.b64encode(screenshot_bytes).decode("utf-8")

        # Send the screenshot back as a computer_call_output
        response = client.responses.create(
            model="computer-use-preview",
            previous_response_id=response.id,
            tools=[
                {
                    "type": "computer_use_preview",
                    "display_width": 1024,
                    "display_height": 768,
                    "environment": "browser",
                }
            ],
            input=[
                {
                    "call_id": last_call_id,
                    "type": "computer_call_output",
                    "output": {
                        "type": "input_image",
                        "image_url": f"data:image/png;base64,{screenshot_base64}",
                    },
                }
            ],
            truncation="auto",
        )

    return response


# CHANGED: added. The sync counterpart of FixtureSite.install: serve the fixture pages,
# 404 for a missing one on a fixture host, abort requests to every other host.
def route_fixture_site(context: BrowserContext, site: FixtureSite | None = None) -> FixtureSite:
    site = site or FixtureSite()

    def handle(route: Route) -> None:
        url = route.request.url
        answer = site.answer(url)  # the page, or the 404 page; None off the fixture hosts
        if answer is None:
            site.blocked.append(url)
            route.abort("internetdisconnected")
            return
        headers = {"Content-Type": answer.content_type, **answer.headers}
        route.fulfill(status=answer.status, headers=headers, body=answer.body)

    context.route("**/*", handle)
    return site


# CHANGED: added. What the guide's prose asks for around its snippets: set up the
# environment, send the first request, run the loop.
def main(
    start_url: str,
    task: str,
    inspect: Callable[[Page], Any] | None = None,
) -> tuple[Any, Any, FixtureSite]:
    """Run the guide's loop from ``start_url``; return the last response, inspect(page), site."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            headless=True,
            executable_path=str(find_chromium().path),
            args=list(LAUNCH_ARGS),
        )
        try:
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            site = route_fixture_site(context)
            page = context.new_page()
            page.goto(start_url)

            # The guide's "Send a CUA request", verbatim but for the task.
            response = client.responses.create(
                model="computer-use-preview",
                tools=[
                    {
                        "type": "computer_use_preview",
                        "display_width": 1024,
                        "display_height": 768,
                        "environment": "browser",  # other possible values: "mac", "windows", "ubuntu"
                    }
                ],
                input=[
                    {
                        "role": "user",
                        # CHANGED: the scenario's task instead of the guide's example prompt.
                        "content": task,
                    }
                    # Optional: include a screenshot of the initial state of the environment
                    # {
                    #     type: "input_image",
                    #     image_url: f"data:image/png;base64,{screenshot_base64}"
                    # }
                ],
                reasoning={
                    "generate_summary": "concise",
                },
                truncation="auto",
            )

            print(response.output)

            response = computer_use_loop(page, response)
            inspected = inspect(page) if inspect is not None else None
        finally:
            browser.close()
    return response, inspected, site
