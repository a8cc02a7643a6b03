import type { FastifyInstance } from 'fastify';

/** `GET /api/v1/version`: which Packrun answers (the web UI's health view shows it). */
export function versionRoute(app: FastifyInstance, deps: { version: string | undefined }): void {
  app.get('/api/v1/version', {
    config: { access: 'read' },
    schema: {
      summary: 'The version of the Packrun serving this API, as `packrun --version` prints it',
      response: { 200: { type: 'object', properties: { version: { type: 'string' } }, required: ['version'] } },
    },
  }, async () => ({ version: deps.version ?? 'unknown' }));
}
