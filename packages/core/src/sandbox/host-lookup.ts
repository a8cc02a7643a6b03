import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where the sandbox looks for the system tools it runs (never the runtime's PATH). */
export const searchPath = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findBinary(name: string): string | undefined {
  return searchPath.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
}

/** Names of the accounts in /etc/passwd whose uid lies in [first, first + count). */
export async function accountsInRange(first: number, count: number): Promise<string[]> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  return passwd
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length > 2 && Number(fields[2]) >= first && Number(fields[2]) < first + count)
    .map((fields) => fields[0] ?? '');
}
