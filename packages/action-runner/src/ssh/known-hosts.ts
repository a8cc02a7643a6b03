import { createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ServerHostKeyAlgorithm } from 'ssh2';

/** One known_hosts line: `[@marker] patterns keytype base64key [comment]`. */
interface KnownHostLine {
  marker?: string;
  patterns: string;
  keyType: string;
  key: string;
}

type HostKeyVerdict = { accepted: true; recorded?: boolean } | { accepted: false; reason: string };

/** How OpenSSH names a host in known_hosts: the name alone on port 22, `[name]:port` otherwise. */
function knownHostsName(hostname: string, port: number): string {
  return port === 22 ? hostname : `[${hostname}]:${port}`;
}

function parseLines(text: string): KnownHostLine[] {
  const lines: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift()!.slice(1) : undefined;
    const [patterns, keyType, key] = fields;
    if (patterns === undefined || keyType === undefined || key === undefined) continue;
    lines.push({ ...(marker === undefined ? {} : { marker }), patterns, keyType, key });
  }
  return lines;
}

function wildcardMatch(pattern: string, name: string): boolean {
  const expression = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${expression}$`, 'i').test(name);
}

/** `|1|salt|hash`: HMAC-SHA1 of the name keyed by the salt (HashKnownHosts). */
function hashedMatch(pattern: string, name: string): boolean {
  const [, kind, salt, hash] = pattern.split('|');
  if (kind !== '1' || salt === undefined || hash === undefined) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** OpenSSH's match_hostname: any pattern matches and no negated one does. */
function patternsMatch(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const bare = negated ? pattern.slice(1) : pattern;
    if (!wildcardMatch(bare, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

async function linesFor(file: string, name: string): Promise<KnownHostLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return parseLines(text).filter((line) => patternsMatch(line.patterns, name));
}

/** The key type written at the start of an SSH public key blob. */
function keyTypeOf(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** The host key algorithms the SSH client has, per key type of a known_hosts line: an RSA key signs with SHA-2 too. */
const algorithmsOfType: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * The host key algorithms to offer for a host that known_hosts already names, so the server
 * presents a key of a type on file (OpenSSH orders them the same way); undefined when none is
 * (or only types the client lacks, whose keys then cannot match).
 */
export async function knownHostKeyAlgorithms(file: string, hostname: string, port: number): Promise<ServerHostKeyAlgorithm[] | undefined> {
  const types = (await linesFor(file, knownHostsName(hostname, port))).filter((line) => line.marker === undefined).map((line) => line.keyType);
  const algorithms = [...new Set(types.flatMap((type) => algorithmsOfType[type] ?? []))];
  return algorithms.length === 0 ? undefined : algorithms;
}

/**
 * Checks the key a server presented against known_hosts. `strict`: it must be on file; `accept-new`:
 * a host with no line at all is recorded on first contact; any host with lines must present one of
 * their keys, and a revoked key is always refused.
 */
export async function verifyHostKey(options: {
  file: string;
  mode: 'strict' | 'accept-new';
  hostname: string;
  port: number;
  key: Buffer;
}): Promise<HostKeyVerdict> {
  const name = knownHostsName(options.hostname, options.port);
  const lines = await linesFor(options.file, name);
  const presented = options.key.toString('base64');
  const type = keyTypeOf(options.key);
  if (lines.some((line) => line.marker === 'revoked' && line.key === presented)) {
    return { accepted: false, reason: `the ${type} host key of ${name} is marked @revoked in ${options.file}` };
  }
  const keys = lines.filter((line) => line.marker === undefined);
  if (keys.some((line) => line.key === presented)) return { accepted: true };
  if (keys.length > 0) {
    return {
      accepted: false,
      reason: `the ${type} host key of ${name} does not match the key on file in ${options.file}: the server was replaced or someone is in the path`,
    };
  }
  if (options.mode === 'strict') {
    return { accepted: false, reason: `${name} has no host key in ${options.file} (PACKRUN_SSH_HOST_KEY_CHECKING=strict)` };
  }
  await mkdir(path.dirname(options.file), { recursive: true, mode: 0o700 });
  await appendFile(options.file, `${name} ${type} ${presented}\n`, { mode: 0o600 });
  return { accepted: true, recorded: true };
}
