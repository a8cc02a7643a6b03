import { describe, expect, it } from 'vitest';
import { urlForLog } from './request-log.ts';

describe('URLs in the log', () => {
  it('redacts the credential query parameters however their names are spelled, and nothing else', () => {
    expect(urlForLog('/api/v1/keys')).toBe('/api/v1/keys');
    expect(urlForLog('/api/v1/keys?x-auth-token=abc&scope=user')).toBe('/api/v1/keys?x-auth-token=[redacted]&scope=user');
    expect(urlForLog('/v1/x?st2-api-key=k1&st2-api-key=k2')).toBe('/v1/x?st2-api-key=[redacted]&st2-api-key=[redacted]');
    expect(urlForLog('/s?%78-auth-token=abc&X-Auth-Token=def&api_key=ghi&api%5Fkey=jkl')).toBe('/s?%78-auth-token=[redacted]&X-Auth-Token=[redacted]&api_key=[redacted]&api%5Fkey=[redacted]');
    expect(urlForLog('/s?x-auth-token')).toBe('/s?x-auth-token=[redacted]');
    expect(urlForLog('/s?bad=%E0%A4%A&x-auth-token=abc')).toBe('/s?bad=%E0%A4%A&x-auth-token=[redacted]');
  });

  it('redacts an API key given in the path of /apikeys/{id_or_key}, keeping key ids', () => {
    expect(urlForLog('/api/v1/apikeys/pk_secret')).toBe('/api/v1/apikeys/[redacted]');
    expect(urlForLog('/v1/APIKEYS/%70k_secret/x?st2-api-key=k')).toBe('/v1/APIKEYS/[redacted]/x?st2-api-key=[redacted]');
    expect(urlForLog('/api/v1/apikeys/65a1b2c3d4e5f60718293a4b')).toBe('/api/v1/apikeys/65a1b2c3d4e5f60718293a4b');
  });
});
