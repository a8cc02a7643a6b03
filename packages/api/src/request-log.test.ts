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
});
