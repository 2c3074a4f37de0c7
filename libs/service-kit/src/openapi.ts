import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { packageAsset } from '@tradeyard/runtime-util';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { declareRouteAuth } from './auth';

export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  /** Also serve Swagger UI over the same document at this prefix (e.g. '/docs'; its JSON at '/docs/json'). */
  docsPage?: string;
}

/** The zod schemas as JSON Schema, and a bearer requirement on every route whose config.auth names a role (and scope). */
const transform: SwaggerTransform = (input) => {
  const out = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const { auth, serviceScope } = input.route.config ?? {};
  if (auth === undefined || auth === 'public' || auth === 'endpoint') return out;
  const description = `requires role ${auth}${serviceScope ? `; a service credential needs scope ${serviceScope}` : ''}`;
  return { ...out, schema: { ...out.schema, security: [{ bearer: [] }], description } };
};

/** OpenAPI 3 generated from the routes' zod schemas, served at GET /openapi.json (and as Swagger UI when asked). */
const openApiPlugin: FastifyPluginAsync<OpenApiOptions> = async (app, options) => {
  await app.register(swagger, {
    openapi: {
      info: { title: options.title, version: options.version, ...(options.description ? { description: options.description } : {}) },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    transform,
  });
  app.get('/openapi.json', { schema: { hide: true }, config: { auth: 'public' } }, async () => app.swagger());
  if (options.docsPage) {
    // Swagger UI's static files (images carry them in `swagger-ui/`).
    const baseDir = packageAsset('swagger-ui', '@fastify/swagger-ui', 'static');
    const logo = { type: 'image/svg+xml', content: readFileSync(join(baseDir, 'logo.svg')) };
    declareRouteAuth(app, 'public', (scope) => void scope.register(swaggerUi, { routePrefix: options.docsPage, baseDir, logo }));
  }
};

export const openApi = fp(openApiPlugin, { name: 'tradeyard-openapi', fastify: '5.x' });
