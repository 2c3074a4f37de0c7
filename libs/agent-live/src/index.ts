export * from './agent';
export * from './config';
export * from './llm';
export * from './mcp-tools-client';
export * from './routes';
export * from './run-log';
