import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { PackrunError, type PackrunConfig } from '@packrun/core';
import type { RunnerInput } from '../runner.ts';
import type { SshCredentials } from './remote-shell-spec.ts';
import type { SshLogin } from './ssh-session.ts';

function keyPathRefused(input: RunnerInput): PackrunError {
  // The path is the value of a secret parameter: it is not repeated here.
  return new PackrunError('SSH_KEY_PATH_REFUSED', `action ${input.action.ref}: parameter "private_key" names a key file the operator has not allowed, or none`, {
    hint: 'give the key material itself, or ask the operator to list the key file (or its folder) in PACKRUN_SSH_KEY_PATHS',
    details: { action: input.action.ref, parameter: 'private_key' },
  });
}

/** Whether `file` (resolved) is the operator's key file or inside a path the operator listed. */
async function keyPathAllowed(file: string, config: PackrunConfig): Promise<boolean> {
  const granted = [...(config.sshKeyFile ? [config.sshKeyFile] : []), ...config.sshKeyPaths];
  for (const entry of granted) {
    const real = await realpath(entry).catch(() => undefined);
    if (real === undefined) continue;
    if (file === real || file.startsWith(`${real}${path.sep}`)) return true;
  }
  return false;
}

/**
 * The login for every host of one execution. A key file named by `private_key` is read only when
 * the operator allowed it: the runtime reads files as itself, and a caller must not be able to
 * log in with whatever key happens to lie on the runtime's host (root's own, another service's).
 */
export async function sshLogin(input: RunnerInput, username: string, credentials: SshCredentials): Promise<SshLogin> {
  if (credentials.kind === 'password') return { username, password: credentials.password };
  const passphrase = credentials.passphrase === undefined ? {} : { passphrase: credentials.passphrase };
  if (credentials.kind === 'key-material') return { username, privateKey: credentials.key, ...passphrase };
  if (credentials.origin === 'private_key') {
    const real = path.isAbsolute(credentials.path) ? await realpath(credentials.path).catch(() => undefined) : undefined;
    if (real === undefined || !(await keyPathAllowed(real, input.config))) throw keyPathRefused(input);
    return { username, privateKey: await readFile(real), ...passphrase };
  }
  try {
    return { username, privateKey: await readFile(credentials.path), ...passphrase };
  } catch (cause) {
    throw new PackrunError('CONFIG_INVALID', `PACKRUN_SSH_KEY_FILE names ${credentials.path}, which cannot be read: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, {
      details: { variable: 'PACKRUN_SSH_KEY_FILE' },
      cause,
    });
  }
}
