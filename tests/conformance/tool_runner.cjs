// The Anthropic TypeScript SDK's beta `toolRunner` with one tool against the proxy's
// /v1/messages. Prints one JSON line: the tool's calls, the final message or the error.
//
//   NODE_PATH=<npm prefix>/node_modules ANTI_API_BASE=http://127.0.0.1:PORT node tool_runner.cjs [--no-thread]
//
// `--no-thread` passes `thread: false` (the full history every turn); without it the runner
// uses message threads, its default since SDK 1.16.
'use strict';

const Anthropic = require('@anthropic-ai/sdk').default;
const { betaTool } = require('@anthropic-ai/sdk/helpers/beta/json-schema');

async function main() {
  const client = new Anthropic({
    baseURL: process.env.ANTI_API_BASE,
    apiKey: 'conformance',
    maxRetries: 0,
    timeout: 30000,
  });
  const calls = [];
  const weather = betaTool({
    name: 'get_weather',
    description: 'Get the current weather for a city',
    inputSchema: {
      type: 'object',
      properties: { location: { type: 'string', description: 'City name' } },
      required: ['location'],
    },
    run: async (input) => {
      calls.push(input);
      return `18 degrees and sunny in ${input.location}`;
    },
  });
  const params = {
    model: process.env.CONFORMANCE_MODEL || 'claude-sonnet-4-6',
    max_tokens: 512,
    tools: [weather],
    messages: [{ role: 'user', content: 'Use get_weather for Paris' }],
  };
  if (process.argv.includes('--no-thread')) params.thread = false;
  const messages = [];
  try {
    const runner = client.beta.messages.toolRunner(params);
    for await (const message of runner) messages.push(message);
    const final = await runner.done();
    console.log(JSON.stringify({ ok: true, calls, turns: messages.length, final }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, calls, turns: messages.length, status: e.status ?? null, error: String(e.message || e) }));
  }
}

main();
