import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { acceptPythonBooleans } from './query-booleans.ts';

async function app() {
  const server = Fastify({ ajv: { customOptions: { coerceTypes: 'array' } } });
  acceptPythonBooleans(server);
  server.get('/keys', { schema: { querystring: { type: 'object', properties: { decrypt: { type: 'boolean' }, name: { type: 'string' } }, additionalProperties: false } } }, async (request) => request.query);
  return server;
}

describe("st2client's Python booleans in query strings", () => {
  it('takes True and False in any case for a boolean parameter', async () => {
    const server = await app();
    expect((await server.inject('/keys?decrypt=False')).json()).toEqual({ decrypt: false });
    expect((await server.inject('/keys?decrypt=True')).json()).toEqual({ decrypt: true });
    expect((await server.inject('/keys?decrypt=TRUE')).json()).toEqual({ decrypt: true });
  });

  it('leaves string parameters alone and still refuses other words', async () => {
    const server = await app();
    expect((await server.inject('/keys?name=False')).json()).toEqual({ name: 'False' });
    expect((await server.inject('/keys?decrypt=maybe')).statusCode).toBe(400);
  });
});
