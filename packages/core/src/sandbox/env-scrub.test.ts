import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { runtimeSecrets, scrubEnvironment } from './env-scrub.ts';

describe('scrubEnvironment', () => {
  const config = loadConfig({ PACKRUN_API_KEY: 'k3y-value-123', PACKRUN_RABBITMQ_URL: 'amqp://u:p4ss@host:5672' });
  const secrets = runtimeSecrets(config);

  it('collects the secret config values, not the others', () => {
    expect(secrets.sort()).toEqual(['amqp://u:p4ss@host:5672', 'k3y-value-123']);
  });

  it('removes secret-looking names and any value carrying a runtime secret, keeps the job ids', () => {
    const { env, removed } = scrubEnvironment(
      {
        PATH: '/usr/bin',
        PACKRUN_PACK: 'p',
        PACKRUN_EXECUTION_ID: 'e',
        PACKRUN_HOME: '/data',
        GITHUB_TOKEN: 'x',
        DB_PASSWORD: 'y',
        AWS_SECRET_ACCESS_KEY: 'z',
        INNOCENT: 'prefix-k3y-value-123-suffix',
        BROKER: 'amqp://u:p4ss@host:5672',
        TOKENIZER_MODEL: 'fine',
      },
      secrets,
    );
    expect(env).toEqual({ PATH: '/usr/bin', PACKRUN_PACK: 'p', PACKRUN_EXECUTION_ID: 'e', TOKENIZER_MODEL: 'fine' });
    expect(removed.sort()).toEqual(['AWS_SECRET_ACCESS_KEY', 'BROKER', 'DB_PASSWORD', 'GITHUB_TOKEN', 'INNOCENT', 'PACKRUN_HOME']);
  });
});
