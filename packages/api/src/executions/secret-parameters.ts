import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PackrunError } from '@packrun/core';

const version = 'pk1:';

export interface SecretParameterSealer {
  seal(values: Record<string, unknown>, executionId: string): string;
  open(sealed: string, executionId: string): Record<string, unknown>;
}

/**
 * Secret parameter values at rest on the execution record: AES-256-GCM under the datastore key
 * (loaded on first use, so a deployment without secrets never creates one). The execution id is
 * bound in as associated data, so a sealed blob copied onto another execution does not open.
 */
export function createSecretSealer(loadKey: () => Buffer): SecretParameterSealer {
  let key: Buffer | undefined;
  const cryptoKey = (): Buffer => (key ??= loadKey());
  return {
    seal(values, executionId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', cryptoKey(), iv);
      cipher.setAAD(Buffer.from(executionId, 'utf8'));
      const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
      return version + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed, executionId) {
      try {
        if (!sealed.startsWith(version)) throw new Error('unknown format');
        const raw = Buffer.from(sealed.slice(version.length), 'base64');
        const decipher = createDecipheriv('aes-256-gcm', cryptoKey(), raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        decipher.setAAD(Buffer.from(executionId, 'utf8'));
        const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
        return JSON.parse(text) as Record<string, unknown>;
      } catch (cause) {
        throw new PackrunError('EXECUTION_SECRETS_UNREADABLE', `the secret parameters of execution "${executionId}" cannot be decrypted`, {
          hint: 'the datastore key (PACKRUN_DATASTORE_KEY or PACKRUN_HOME/secrets/datastore.key) changed since it was created; run it again',
          details: { execution: executionId },
          cause,
          userError: false,
        });
      }
    },
  };
}
