import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { resultText, type McpToolsClient } from './mcp-tools-client';

/** MCP tools as OpenAI function tools: same name, description and JSON Schema of the arguments. */
export const toFunctionTools = (tools: Tool[]): ChatCompletionTool[] =>
  tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description ?? tool.title ?? tool.name, parameters: tool.inputSchema as Record<string, unknown> },
  }));

export interface LlmDecision {
  /** Model calls made (each is one step). */
  steps: number;
  stoppedBy: 'model' | 'step_limit';
  final?: string;
  transcript: ChatCompletionMessageParam[];
  toolCalls: Array<{ name: string; arguments: unknown; result: CallToolResult }>;
}

export interface LlmDeciderOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  maxSteps: number;
}

/**
 * One decision by a chat-completions model that acts only through the MCP tools: each step asks
 * the model, runs the tool calls it requests through the MCP client, and feeds back their text
 * (errors included, so the model can correct itself), until it answers without tool calls or
 * the step limit is reached.
 */
export async function decideWithLlm(options: LlmDeciderOptions, tools: McpToolsClient, messages: ChatCompletionMessageParam[]): Promise<LlmDecision> {
  const openai = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 1, timeout: 60_000 });
  const functionTools = toFunctionTools(await tools.listTools());
  const transcript = [...messages];
  const toolCalls: LlmDecision['toolCalls'] = [];
  for (let step = 1; step <= options.maxSteps; step++) {
    const completion = await openai.chat.completions.create({ model: options.model, messages: transcript, tools: functionTools });
    const message = completion.choices[0]?.message;
    if (!message) throw new Error('the model answered without a message');
    transcript.push({ role: 'assistant', content: message.content, tool_calls: message.tool_calls });
    const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
    if (calls.length === 0) return { steps: step, stoppedBy: 'model', final: message.content ?? undefined, transcript, toolCalls };
    for (const call of calls) {
      let result: CallToolResult;
      let args: unknown = call.function.arguments;
      try {
        args = JSON.parse(call.function.arguments || '{}');
        result = await tools.callRaw(call.function.name, args as Record<string, unknown>);
      } catch (err) {
        result = { isError: true, content: [{ type: 'text', text: (err as Error).message }] };
      }
      toolCalls.push({ name: call.function.name, arguments: args, result });
      transcript.push({ role: 'tool', tool_call_id: call.id, content: `${result.isError ? 'ERROR: ' : ''}${resultText(result)}` });
    }
  }
  return { steps: options.maxSteps, stoppedBy: 'step_limit', transcript, toolCalls };
}
