import websocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { WS_MAX_PAYLOAD_BYTES } from '../../ws';

/** @fastify/websocket, for the /ws route: a client's message is bounded by WS_MAX_PAYLOAD_BYTES (else closed with 1009). */
const registerWebSockets: FastifyPluginAsync = async (app) => {
  await app.register(websocket, { options: { maxPayload: WS_MAX_PAYLOAD_BYTES } });
};

export const websocketPlugin = fp(registerWebSockets, { name: 'websockets', fastify: '5.x' });
