import { describe, expect, it } from 'vitest';
import { canonicalApiUrl } from './path-aliases.ts';

describe('the paths st2 clients derive', () => {
  it('maps each st2 URL form onto the one route table, keeping the query', () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/actions/core.local', '/api/v1/actions/core.local'],
      ['/v1/actions/core.local', '/api/v1/actions/core.local'],
      ['/api/actions/core.local?pack=core', '/api/v1/actions/core.local?pack=core'],
      ['/v1/executions?include_attributes=id', '/api/v1/executions?include_attributes=id'],
      ['/auth/tokens', '/auth/v1/tokens'],
      ['/auth/v1/tokens', '/auth/v1/tokens'],
      ['/auth/tokens/validate', '/auth/v1/tokens/validate'],
      ['/v1/stream', '/api/v1/stream'],
      ['/stream/v1/stream?events=x', '/api/v1/stream?events=x'],
      ['/stream/stream', '/api/v1/stream'],
    ];
    for (const [asked, served] of cases) expect(canonicalApiUrl(asked), asked).toBe(served);
  });

  it('rewrites only the exact bytes of a prefix, once, and never decodes', () => {
    const cases: Array<[string, string]> = [
      // Other spellings of a prefix stay as they are: they match no route.
      ['/%761/keys', '/%761/keys'],
      ['/V1/keys', '/V1/keys'],
      ['//v1/keys', '//v1/keys'],
      ['/%61pi/v1/keys', '/%61pi/v1/keys'],
      ['/stream/v1/stream/', '/stream/v1/stream/'],
      ['/stream/v1/executions/1/output', '/stream/v1/executions/1/output'],
      // An alias inside an alias is not followed: one pass, one prefix.
      ['/v1/v1/keys', '/api/v1/v1/keys'],
      ['/api/v1', '/api/v1'],
      ['/api/%76%31/keys', '/api/v1/%76%31/keys'],
      ['/v1/../auth/v1/tokens', '/api/v1/../auth/v1/tokens'],
      ['/auth/v1', '/auth/v1'],
      ['/', '/'],
      ['/v1', '/v1'],
    ];
    for (const [asked, served] of cases) expect(canonicalApiUrl(asked), asked).toBe(served);
  });
});
