/** The gateway's required secrets as its specs configure it: each service's credential apart. */
export const secrets = {
  ADMIN_PASSWORD: 'admin-password-1',
  SCANNER_TOKEN: 'scanner-token-0123456789',
  MCP_TOOLS_TOKEN: 'mcp-tools-token-0123456789',
  TRADING_AGENT_TOKEN: 'trading-agent-token-0123456789',
  JWT_SECRET: 'jwt-secret-0123456789abcdef',
};
