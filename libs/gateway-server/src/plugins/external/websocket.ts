import websocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Largest message a client may send (ws closes the socket with 1009 beyond it): the REST body
 * limit, since a lockstep acknowledgement carries its step's signals as POST /api/v1/signals/batch would.
 */
export const WS_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** @fastify/websocket, for the /ws route (routes/streams). */
const registerWebSockets: FastifyPluginAsync = async (app) => {
  await app.register(websocket, { options: { maxPayload: WS_MAX_PAYLOAD_BYTES } });
};

export const websocketPlugin = fp(registerWebSockets, { name: 'websockets', fastify: '5.x' });
