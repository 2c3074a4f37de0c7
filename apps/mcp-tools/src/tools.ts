import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

export interface ToolContext {
  gatewayUrl: string;
}

/** Builds the MCP server with every Tradeyard tool registered. */
export function createMcpServer(context: ToolContext): McpServer {
  const server = new McpServer({ name: 'tradeyard-mcp-tools', version: '0.1.0' });

  server.registerTool(
    'get_price',
    {
      title: 'Get price',
      description:
        'Latest price of a symbol on the platform feed (the bundled S&P 500 replay uses symbol SPX). Returns the price and the date of the bar it comes from.',
      inputSchema: { symbol: z.string().min(1).max(20).describe('Ticker symbol, e.g. SPX') },
      outputSchema: { symbol: z.string(), price: z.number(), date: z.string() },
    },
    async ({ symbol }) => {
      const res = await fetch(`${context.gatewayUrl}/api/v1/quotes/${encodeURIComponent(symbol.toUpperCase())}`);
      const body = (await res.json().catch(() => ({}))) as { message?: string; symbol: string; price: number; date: string };
      if (!res.ok) {
        return { isError: true, content: [{ type: 'text', text: `get_price failed: ${body.message ?? `gateway answered ${res.status}`}` }] };
      }
      const quote = { symbol: body.symbol, price: body.price, date: body.date };
      return { content: [{ type: 'text', text: JSON.stringify(quote) }], structuredContent: quote };
    },
  );
  return server;
}
