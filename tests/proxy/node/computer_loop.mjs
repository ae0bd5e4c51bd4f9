// A computer-use loop written as a Node user would, with the official openai package.
// Usage: node computer_loop.mjs BASE_URL TASK SCREENSHOT.png   (OPENAI_API_KEY in the environment)
// Every action is "performed" on a fixed screenshot: the client, not a browser, is under test.
// Prints one JSON line: {"actions": N, "output_text": "..."}; an API error exits 1 with its body.
import { readFileSync } from "node:fs";
import OpenAI from "openai";

const [baseURL, task, screenshotPath] = process.argv.slice(2);
const client = new OpenAI({ baseURL, maxRetries: 0 });
const screenshot = "data:image/png;base64," + readFileSync(screenshotPath).toString("base64");

try {
  let response = await client.responses.create({
    model: "gpt-5.4",
    tools: [{ type: "computer" }],
    input: task,
  });
  let actions = 0;
  for (;;) {
    const calls = response.output.filter((item) => item.type === "computer_call");
    if (calls.length === 0) break;
    const outputs = calls.map((call) => {
      actions += (call.actions ?? [call.action]).length;
      return {
        type: "computer_call_output",
        call_id: call.call_id,
        acknowledged_safety_checks: call.pending_safety_checks ?? [],
        output: { type: "computer_screenshot", image_url: screenshot },
      };
    });
    response = await client.responses.create({
      model: "gpt-5.4",
      tools: [{ type: "computer" }],
      previous_response_id: response.id,
      input: outputs,
    });
  }
  console.log(JSON.stringify({ actions, output_text: response.output_text }));
} catch (error) {
  if (error instanceof OpenAI.APIError) {
    console.error(JSON.stringify({ status: error.status, error: error.error }));
    process.exit(1);
  }
  throw error;
}
