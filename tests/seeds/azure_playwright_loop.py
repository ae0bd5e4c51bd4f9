"""Seed 001's complete Azure OpenAI + Playwright script, run against the fake server.

Source: /work/shared/seeds/001_9e50b3a76bb87635.txt, the "Complete script" block
(``import os`` ... ``asyncio.run(main())``). Everything below is that script
verbatim (its formatting, sleeps, prints and bugs included) except the lines
marked ``# CHANGED:``, which are the only ones that must differ to run it
offline, headless, in a test:

1. This docstring, and the imports of the project's browser finder and fixture
   site (needed by 4 and 5).
2. ``token_provider``: a stub returning a fake token instead of
   ``get_bearer_token_provider(DefaultAzureCredential(), ...)``, which would
   need a real Entra ID sign-in. It is still passed as ``azure_ad_token_provider``,
   so the SDK still sends ``Authorization: Bearer <token>``. The
   ``azure.identity`` import stays as the seed wrote it (now unused).
3. ``BASE_URL``: read from ``$SEED_001_BASE_URL`` (the test points it at the fake
   server's ``server.urls.azure_v1_base_url``, ``http://127.0.0.1:<port>/openai/v1/``);
   the seed's placeholder is the fallback.
4. The browser: ``headless=True`` instead of ``False``, ``executable_path`` = the
   system Chromium (``cua_replay.browser.find_chromium``), and
   ``cua_replay.browser.LAUNCH_ARGS`` appended to the seed's own ``args``
   (no sandbox as root, no background networking).
5. The context is routed through ``FixtureSite`` (``SITE``), so the browser only
   sees the offline fixture site and every other request is aborted.
6. The start page: ``START_URL`` (``$SEED_001_START_URL``, default the
   ``injection`` scenario's ``https://shop.example/review.html``) instead of
   ``https://www.bing.com``, and the print that names it.

Unchanged on purpose: ``ITERATIONS = 5``, the ``input()`` prompts (the test
answers them by patching ``builtins.input``), the ``asyncio.sleep`` calls
(allow-listed in tests/test_no_sleeps.py), ``api_version="preview"``,
``input_image`` outputs, ``previous_response_id`` and ``current_url``.
"""

import os
import asyncio
import base64
from openai import AzureOpenAI
from azure.identity import DefaultAzureCredential, get_bearer_token_provider
from playwright.async_api import async_playwright, TimeoutError

# CHANGED: the project's Chromium finder and offline fixture site (changes 4 and 5).
from cua_replay.browser import LAUNCH_ARGS, find_chromium
from cua_replay.site import FixtureSite


# CHANGED: a stub instead of get_bearer_token_provider(DefaultAzureCredential(), ...),
# which needs a real Entra ID sign-in; still an azure_ad_token_provider, so the SDK
# sends "Authorization: Bearer <token>" as it would with the real one.
def token_provider():
    return "fake-entra-id-token"


# Configuration

# CHANGED: the endpoint comes from the environment (the fake server in the test).
BASE_URL = os.environ.get(
    "SEED_001_BASE_URL", "https://YOUR-RESOURCE-NAME.openai.azure.com/openai/v1/"
)
# CHANGED: the scenario's start page on the fixture site instead of https://www.bing.com.
START_URL = os.environ.get("SEED_001_START_URL", "https://shop.example/review.html")
# CHANGED: the offline fixture site that answers every request of the browser context.
SITE = FixtureSite()
MODEL = "computer-use-preview"
DISPLAY_WIDTH = 1024
DISPLAY_HEIGHT = 768
API_VERSION = "preview"
ITERATIONS = (
    5  # Max number of iterations before forcing the model to return control to the human supervisor
)

# Key mapping for special keys in Playwright
KEY_MAPPING = {
    "/": "Slash",
    "\\": "Backslash",
    "alt": "Alt",
    "arrowdown": "ArrowDown",
    "arrowleft": "ArrowLeft",
    "arrowright": "ArrowRight",
    "arrowup": "ArrowUp",
    "backspace": "Backspace",
    "ctrl": "Control",
    "delete": "Delete",
    "enter": "Enter",
    "esc": "Escape",
    "shift": "Shift",
    "space": " ",
    "tab": "Tab",
    "win": "Meta",
    "cmd": "Meta",
    "super": "Meta",
    "option": "Alt",
}


def validate_coordinates(x, y):
    """Ensure coordinates are within display bounds."""
    return max(0, min(x, DISPLAY_WIDTH)), max(0, min(y, DISPLAY_HEIGHT))


async def handle_action(page, action):
    """Handle different action types from the model."""
    action_type = action.type

    if action_type == "drag":
        print("Drag action is not supported in this implementation. Skipping.")
        return

    elif action_type == "click":
        button = getattr(action, "button", "left")
        # Validate coordinates
        x, y = validate_coordinates(action.x, action.y)

        print(f"\tAction: click at ({x}, {y}) with button '{button}'")

        if button == "back":
            await page.go_back()
        elif button == "forward":
            await page.go_forward()
        elif button == "wheel":
            await page.mouse.wheel(x, y)
        else:
            button_type = {"left": "left", "right": "right", "middle": "middle"}.get(button, "left")
            await page.mouse.click(x, y, button=button_type)
            try:
                await page.wait_for_load_state("domcontentloaded", timeout=3000)
            except TimeoutError:
                pass

    elif action_type == "double_click":
        # Validate coordinates
        x, y = validate_coordinates(action.x, action.y)

        print(f"\tAction: double click at ({x}, {y})")
        await page.mouse.dblclick(x, y)

    elif action_type == "scroll":
        scroll_x = getattr(action, "scroll_x", 0)
        scroll_y = getattr(action, "scroll_y", 0)
        # Validate coordinates
        x, y = validate_coordinates(action.x, action.y)

        print(f"\tAction: scroll at ({x}, {y}) with offsets ({scroll_x}, {scroll_y})")
        await page.mouse.move(x, y)
        await page.evaluate(
            f"window.scrollBy({{left: {scroll_x}, top: {scroll_y}, behavior: 'smooth'}});"
        )

    elif action_type == "keypress":
        keys = getattr(action, "keys", [])
        print(f"\tAction: keypress {keys}")
        mapped_keys = [KEY_MAPPING.get(key.lower(), key) for key in keys]

        if len(mapped_keys) > 1:
            # For key combinations (like Ctrl+C)
            for key in mapped_keys:
                await page.keyboard.down(key)
            await asyncio.sleep(0.1)
            for key in reversed(mapped_keys):
                await page.keyboard.up(key)
        else:
            for key in mapped_keys:
                await page.keyboard.press(key)

    elif action_type == "type":
        text = getattr(action, "text", "")
        print(f"\tAction: type text: {text}")
        await page.keyboard.type(text, delay=20)

    elif action_type == "wait":
        ms = getattr(action, "ms", 1000)
        print(f"\tAction: wait {ms}ms")
        await asyncio.sleep(ms / 1000)

    elif action_type == "screenshot":
        print("\tAction: screenshot")

    else:
        print(f"\tUnrecognized action: {action_type}")


async def take_screenshot(page):
    """Take a screenshot and return base64 encoding with caching for failures."""
    global last_successful_screenshot

    try:
        screenshot_bytes = await page.screenshot(full_page=False)
        last_successful_screenshot = base64.b64encode(screenshot_bytes).decode("utf-8")
        return last_successful_screenshot
    except Exception as e:
        print(f"Screenshot failed: {e}")
        print(f"Using cached screenshot from previous successful capture")
        if last_successful_screenshot:
            return last_successful_screenshot


async def process_model_response(client, response, page, max_iterations=ITERATIONS):
    """Process the model's response and execute actions."""
    for iteration in range(max_iterations):
        if not hasattr(response, "output") or not response.output:
            print("No output from model.")
            break

        # Safely access response id
        response_id = getattr(response, "id", "unknown")
        print(f"\nIteration {iteration + 1} - Response ID: {response_id}\n")

        # Print text responses and reasoning
        for item in response.output:
            # Handle text output
            if hasattr(item, "type") and item.type == "text":
                print(f"\nModel message: {item.text}\n")

            # Handle reasoning output
            if hasattr(item, "type") and item.type == "reasoning":
                # Extract meaningful content from the reasoning
                meaningful_content = []

                if hasattr(item, "summary") and item.summary:
                    for summary in item.summary:
                        # Handle different potential formats of summary content
                        if isinstance(summary, str) and summary.strip():
                            meaningful_content.append(summary)
                        elif hasattr(summary, "text") and summary.text.strip():
                            meaningful_content.append(summary.text)

                # Only print reasoning section if there's actual content
                if meaningful_content:
                    print("=== Model Reasoning ===")
                    for idx, content in enumerate(meaningful_content, 1):
                        print(f"{content}")
                    print("=====================\n")

        # Extract computer calls
        computer_calls = [
            item
            for item in response.output
            if hasattr(item, "type") and item.type == "computer_call"
        ]

        if not computer_calls:
            print("No computer call found in response. Reverting control to human supervisor")
            break

        computer_call = computer_calls[0]
        if not hasattr(computer_call, "call_id") or not hasattr(computer_call, "action"):
            print("Computer call is missing required attributes.")
            break

        call_id = computer_call.call_id
        action = computer_call.action

        # Handle safety checks
        acknowledged_checks = []
        if hasattr(computer_call, "pending_safety_checks") and computer_call.pending_safety_checks:
            pending_checks = computer_call.pending_safety_checks
            print("\nSafety checks required:")
            for check in pending_checks:
                print(f"- {check.code}: {check.message}")

            if input("\nDo you want to proceed? (y/n): ").lower() != "y":
                print("Operation cancelled by user.")
                break

            acknowledged_checks = pending_checks

        # Execute the action
        try:
            await page.bring_to_front()
            await handle_action(page, action)

            # Check if a new page was created after the action
            if action.type in ["click"]:
                await asyncio.sleep(1.5)
                # Get all pages in the context
                all_pages = page.context.pages
                # If we have multiple pages, check if there's a newer one
                if len(all_pages) > 1:
                    newest_page = all_pages[-1]  # Last page is usually the newest
                    if newest_page != page and newest_page.url not in ["about:blank", ""]:
                        print(f"\tSwitching to new tab: {newest_page.url}")
                        page = newest_page  # Update our page reference
            elif action.type != "wait":
                await asyncio.sleep(0.5)

        except Exception as e:
            print(f"Error handling action {action.type}: {e}")
            import traceback

            traceback.print_exc()

        # Take a screenshot after the action
        screenshot_base64 = await take_screenshot(page)

        print("\tNew screenshot taken")

        # Prepare input for the next request
        input_content = [
            {
                "type": "computer_call_output",
                "call_id": call_id,
                "output": {
                    "type": "input_image",
                    "image_url": f"data:image/png;base64,{screenshot_base64}",
                },
            }
        ]

        # Add acknowledged safety checks if any
        if acknowledged_checks:
            acknowledged_checks_dicts = []
            for check in acknowledged_checks:
                acknowledged_checks_dicts.append(
                    {"id": check.id, "code": check.code, "message": check.message}
                )
            input_content[0]["acknowledged_safety_checks"] = acknowledged_checks_dicts

        # Add current URL for context
        try:
            current_url = page.url
            if current_url and current_url != "about:blank":
                input_content[0]["current_url"] = current_url
                print(f"\tCurrent URL: {current_url}")
        except Exception as e:
            print(f"Error getting URL: {e}")

        # Send the screenshot back for the next step
        try:
            response = client.responses.create(
                model=MODEL,
                previous_response_id=response_id,
                tools=[
                    {
                        "type": "computer_use_preview",
                        "display_width": DISPLAY_WIDTH,
                        "display_height": DISPLAY_HEIGHT,
                        "environment": "browser",
                    }
                ],
                input=input_content,
                truncation="auto",
            )

            print("\tModel processing screenshot")
        except Exception as e:
            print(f"Error in API call: {e}")
            import traceback

            traceback.print_exc()
            break

    if iteration >= max_iterations - 1:
        print("Reached maximum number of iterations. Stopping.")


async def main():
    # Initialize OpenAI client
    client = AzureOpenAI(
        base_url=BASE_URL, azure_ad_token_provider=token_provider, api_version=API_VERSION
    )

    # Initialize Playwright
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            # CHANGED: headless, the system Chromium, and the project's launch flags added.
            headless=True,
            executable_path=str(find_chromium().path),
            args=[
                f"--window-size={DISPLAY_WIDTH},{DISPLAY_HEIGHT}",
                "--disable-extensions",
                *LAUNCH_ARGS,
            ],
        )

        context = await browser.new_context(
            viewport={"width": DISPLAY_WIDTH, "height": DISPLAY_HEIGHT}, accept_downloads=True
        )
        # CHANGED: serve the fixture site; requests to any other host are aborted.
        await SITE.install(context)

        page = await context.new_page()

        # Navigate to starting page
        # CHANGED: START_URL (the scenario's start page) instead of https://www.bing.com.
        await page.goto(START_URL, wait_until="domcontentloaded")
        print(f"Browser initialized to {START_URL}")

        # Main interaction loop
        try:
            while True:
                print("\n" + "=" * 50)
                user_input = input("Enter a task to perform (or 'exit' to quit): ")

                if user_input.lower() in ("exit", "quit"):
                    break

                if not user_input.strip():
                    continue

                # Take initial screenshot
                screenshot_base64 = await take_screenshot(page)
                print("\nTake initial screenshot")

                # Initial request to the model
                response = client.responses.create(
                    model=MODEL,
                    tools=[
                        {
                            "type": "computer_use_preview",
                            "display_width": DISPLAY_WIDTH,
                            "display_height": DISPLAY_HEIGHT,
                            "environment": "browser",
                        }
                    ],
                    instructions="You are an AI agent with the ability to control a browser. You can control the keyboard and mouse. You take a screenshot after each action to check if your action was successful. Once you have completed the requested task you should stop running and pass back control to your human supervisor.",
                    input=[
                        {
                            "role": "user",
                            "content": [
                                {"type": "input_text", "text": user_input},
                                {
                                    "type": "input_image",
                                    "image_url": f"data:image/png;base64,{screenshot_base64}",
                                },
                            ],
                        }
                    ],
                    reasoning={"generate_summary": "concise"},
                    truncation="auto",
                )
                print("\nSending model initial screenshot and instructions")

                # Process model actions
                await process_model_response(client, response, page)

        except Exception as e:
            print(f"An error occurred: {e}")
            import traceback

            traceback.print_exc()

        finally:
            # Close browser
            await context.close()
            await browser.close()
            print("Browser closed.")


if __name__ == "__main__":
    asyncio.run(main())
