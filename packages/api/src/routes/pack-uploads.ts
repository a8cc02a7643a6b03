import { Stream, type Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { receiveUpload } from '@packrun/pack-installer';
import { PackrunError, type PackrunConfig } from '@packrun/core';
import { errorSchema } from '../schemas.ts';

const archiveTypes = ['application/gzip', 'application/x-gzip', 'application/octet-stream'];

/**
 * POST /api/v1/packs/upload: a client whose files the server cannot see (the CLI against another
 * host) sends a pack folder as a .tar.gz body and gets back the source `upload:<id>`, which
 * POST /api/v1/packs/install then names like any other source. The body is streamed to disk
 * under a size cap and checked whole before it is kept (receiveUpload); nothing of it is
 * extracted until an install does, into staging, checked again.
 */
export function packUploadRoutes(app: FastifyInstance, deps: { config: PackrunConfig }): void {
  // In a scope of its own: the raw-stream parser applies to this route only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(archiveTypes, (_request, payload, done) => done(null, payload));
    scope.post('/api/v1/packs/upload', {
      config: { access: 'admin' },
      schema: {
        summary: 'Upload a pack folder or archive (.tar.gz body) for an install: answers the source `upload:<id>` to pass to POST /api/v1/packs/install',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 1024, description: 'how progress lines and errors name the upload (the folder as the user gave it)' } },
        },
        response: {
          201: {
            type: 'object',
            additionalProperties: false,
            properties: { source: { type: 'string' }, id: { type: 'string' }, name: { type: 'string' }, bytes: { type: 'integer' }, createdAt: { type: 'string' } },
            required: ['source', 'id', 'name', 'bytes'],
          },
          400: errorSchema,
          413: errorSchema,
        },
      },
    }, async (request, reply) => {
      const { name } = request.query as { name?: string };
      if (!(request.body instanceof Stream)) {
        throw new PackrunError('REQUEST_INVALID', `the body of an upload is a .tar.gz (content-type ${archiveTypes.join(' or ')})`, { details: { contentType: request.headers['content-type'] ?? null } });
      }
      let upload;
      try {
        upload = await receiveUpload({ home: deps.config.home, body: request.body as Readable, ...(name !== undefined && { name }), user: request.user ?? 'anonymous' });
      } catch (error) {
        // The rest of an oversized body is never read: the connection cannot serve another request.
        if (error instanceof PackrunError && error.code === 'PACK_UPLOAD_TOO_LARGE') void reply.header('connection', 'close');
        throw error;
      }
      return reply.status(201).send({ source: `upload:${upload.id}`, id: upload.id, name: upload.name, bytes: upload.bytes, createdAt: upload.createdAt });
    });
  });
}
