import { realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../http-errors.ts';

/** Where scripts/setup.sh builds the web UI (packages/web/dist), beside this package. */
export const builtWebUiRoot = path.resolve(import.meta.dirname, '../../../web/dist');

/** Path prefixes that belong to the API (and st2's aliases of it): never the UI's, whatever is asked. */
const apiPrefixes = ['/api/', '/v1/', '/auth/', '/stream/'];
const apiPaths = new Set(['/api', '/v1', '/auth', '/stream']);

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page may run only the app's own scripts and styles from this origin and talk only to this
 * origin: an API response that smuggles markup in (an execution's stdout holding `<script>`) can
 * run nothing even if some view ever rendered it as HTML.
 */
export const webUiContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const commonHeaders = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The app's views (packages/web/src/routes.ts): a deep link to one of them is answered with the
 * app; any other path no route has stays the API's 404, so no spelling of an API path (`/%61pi/v1/keys`)
 * is ever answered with a page. Segments are plain characters only: no percent-encoding.
 */
const appRoute = /^\/(?:login|health|executions|actions|packs|rules|sensors|triggers|datastore|inquiries|api-keys)(?:\/[A-Za-z0-9._~:@-]+)*\/?$/;

export interface WebUi {
  /** Whether the built UI is there to serve (scripts/setup.sh builds it). */
  served(): boolean;
  /** Whether a GET/HEAD of this path is the UI's to look at (never one under the API's prefixes). */
  owns(request: FastifyRequest): boolean;
  /** Answers with a file, the app, or a refusal; false: nothing of the UI's, the API's 404 answers. */
  send(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

type Resolved = { kind: 'file'; file: string } | { kind: 'app' } | { kind: 'none' } | { kind: 'invalid'; reason: string };

/**
 * The built single-page app from `root`: its files as they are, index.html at / and at the app's
 * view paths (a deep link such as /executions/<id> is the app's route, not a file). Files under
 * /assets/ have content hashes in their names and are cached for a year; index.html is revalidated
 * every time. A path that decodes to a dot segment, a backslash or a NUL is refused (400) before
 * the file system is asked, and what is served must resolve (symbolic links followed) inside `root`.
 */
export function createWebUi(root: string): WebUi {
  let realRoot: string | undefined;
  const rootPath = (): string | undefined => {
    if (realRoot === undefined) {
      try {
        realRoot = realpathSync(root);
      } catch {
        return undefined;
      }
    }
    return realRoot;
  };

  async function resolve(rawPath: string): Promise<Resolved> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(rawPath);
    } catch {
      return { kind: 'invalid', reason: 'the path is not valid percent-encoding' };
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'invalid', reason: 'the path holds a NUL or a backslash' };
    const segments = decoded.split('/');
    if (segments.some((segment) => segment === '..' || segment === '.')) return { kind: 'invalid', reason: 'the path holds a dot segment' };
    if (rawPath === '/' || rawPath === '/index.html' || appRoute.test(rawPath)) return { kind: 'app' };
    const base = rootPath();
    // Only a file's exact path: no encoded, doubled or empty segments lead to one.
    if (base === undefined || decoded !== rawPath || segments.slice(1).some((segment) => segment === '')) return { kind: 'none' };
    const candidate = path.resolve(base, segments.slice(1).join('/'));
    if (!candidate.startsWith(base + path.sep)) return { kind: 'invalid', reason: 'the path leaves the web UI folder' };
    try {
      const real = await realpath(candidate);
      if (real.startsWith(base + path.sep) && (await stat(real)).isFile()) return { kind: 'file', file: real };
    } catch {
      // No such file: the API's 404.
    }
    return { kind: 'none' };
  }

  async function sendApp(reply: FastifyReply): Promise<void> {
    const base = rootPath();
    const html = base === undefined ? undefined : await readFile(path.join(base, 'index.html')).catch(() => undefined);
    if (html === undefined) {
      sendError(reply, 404, {
        code: 'WEB_UI_NOT_BUILT',
        message: 'the web UI is not built on this server',
        hint: 'run scripts/setup.sh (it builds packages/web into packages/web/dist), or use the API under /api/v1',
      });
      return;
    }
    await reply
      .headers({ ...commonHeaders, 'content-type': contentTypes['.html']!, 'cache-control': 'no-cache', 'content-security-policy': webUiContentSecurityPolicy, 'x-frame-options': 'DENY' })
      .send(html);
  }

  return {
    served: () => rootPath() !== undefined,
    owns(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const pathOnly = request.url.split('?')[0] ?? '/';
      return !apiPaths.has(pathOnly) && !apiPrefixes.some((prefix) => pathOnly.startsWith(prefix));
    },
    async send(request, reply) {
      const rawPath = request.url.split('?')[0] ?? '/';
      const resolved = await resolve(rawPath);
      if (resolved.kind === 'none') return false;
      if (resolved.kind === 'invalid') {
        sendError(reply, 400, { code: 'WEB_PATH_INVALID', message: `the path ${JSON.stringify(rawPath)} is refused: ${resolved.reason}` });
        return true;
      }
      if (resolved.kind === 'app') {
        await sendApp(reply);
        return true;
      }
      const extension = path.extname(resolved.file);
      const hashed = path.relative(rootPath()!, resolved.file).startsWith(`assets${path.sep}`);
      await reply
        .headers({
          ...commonHeaders,
          'content-type': contentTypes[extension] ?? 'application/octet-stream',
          'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
        })
        .send(await readFile(resolved.file));
      return true;
    },
  };
}
