import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { GatewayConfig } from '../../config';

declare module 'fastify' {
  interface FastifyInstance {
    /** The gateway's validated configuration (config.ts), as the service was started with it. */
    config: GatewayConfig;
  }
}

const registerConfig: FastifyPluginAsync<{ config: GatewayConfig }> = async (app, { config }) => {
  app.decorate('config', config);
};

/** The configuration every other plugin and route reads. */
export const configPlugin = fp(registerConfig, { name: 'gateway-config', fastify: '5.x' });
