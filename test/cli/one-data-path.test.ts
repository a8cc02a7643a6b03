import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiAddressFile } from '@packrun/core';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { retryUntil } from '../helpers/retry-until.ts';
import { homeWithPacks, type PackrunHome } from '../runner/fixtures.ts';
import { apiAt, freePort, startPackrun, type PackrunProcess } from '../services/packrun-process.ts';

/**
 * `packrun run`, `key` and `execution` have one data path: the server of PACKRUN_HOME when it
 * runs (found from PACKRUN_HOME/run/api.json), else the store that server uses. Real processes:
 * `packrun up` in one, the CLI in others.
 */
let home: PackrunHome;
/** The CLI's environment: PACKRUN_HOME and nothing that names a server. */
let cli: Record<string, string>;
let up: PackrunProcess | undefined;

const packrun = (args: string[], env: Record<string, string> = cli) => runPackrunCli(args, env);

async function startUp(extra: Record<string, string>): Promise<PackrunProcess> {
  const server = startPackrun(['up'], { ...cli, ...extra });
  await server.waitForOutput(/packrun is up/);
  return server;
}

async function stopUp(): Promise<void> {
  if (!up) return;
  up.signal('SIGTERM');
  await up.exited;
  up = undefined;
}

beforeAll(async () => {
  // Big output goes to blobs beside the store from 1 KiB on, so reading it offline is tested.
  home = await homeWithPacks(['core'], { PACKRUN_RESULT_INLINE_BYTES: '1024' });
  cli = home.env;
});

afterEach(stopUp);

afterAll(async () => {
  await rm(home.home, { recursive: true, force: true });
});

describe('with no server running', () => {
  it('imports the datastore file of an earlier version once, with a report, and renames it', async () => {
    const old = new LocalFileKeyValues(home.paths);
    await old.set('greeting', 'from kv.json');
    await old.set('token', 's3cret', { encrypt: true });
    await old.set('mine', 'user key', { scope: 'user' });
    await old.set('stale', 'gone', { ttl: 3600 });
    // The stale key expired while the old version was not running.
    const file = path.join(home.home, 'kv.json');
    const keys = JSON.parse(await readFile(file, 'utf8')) as Record<string, { expiresAt?: string }>;
    keys['system:stale']!.expiresAt = new Date(Date.now() - 1000).toISOString();
    await writeFile(file, JSON.stringify(keys));

    const list = await packrun(['key', 'list']);
    expect(list.code).toBe(0);
    expect(list.stderr).toContain(`imported 3 datastore keys from ${file}`);
    expect(list.stderr).toContain('skipped 1 expired keys: stale');
    expect(list.stderr).toContain(`renamed to ${file}.imported`);
    expect(list.stdout).toMatch(/^greeting\s+from kv\.json$/m);
    expect(list.stdout).toMatch(/^token\s+\*{8}\s+secret$/m);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.imported`)).toBe(true);

    const secret = await packrun(['key', 'get', 'token', '--decrypt']);
    expect(secret.stdout).toBe('s3cret\n');
    expect((await packrun(['key', 'get', 'mine', '--scope', 'user'])).stdout).toBe('user key\n');
    // Once: the next command imports nothing.
    expect((await packrun(['key', 'list'])).stderr).toBe('');
  });

  it('keeps what run, key and execution do in the store the server uses, output blobs included, and says so with -v', async () => {
    const set = await packrun(['-v', 'key', 'set', 'offline', 'set while down']);
    expect(set.code).toBe(0);
    expect(set.stderr).toContain(`packrun: no server runs on ${home.home}: working on its store directly (the embedded store in ${home.home}/store)`);

    const run = await packrun(['run', 'core.local', 'cmd=seq 1 2000; echo done >&2', '--json', '--verbose']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('working on its store directly');
    const id = (JSON.parse(run.stdout) as { id: string }).id;

    const get = await packrun(['execution', 'get', id, '--json']);
    expect(get.code).toBe(0);
    const record = JSON.parse(get.stdout) as { status: string; result: { stdout: string; stderr: string }; output_size: { stdout: number }; result_size: number };
    expect(record.status).toBe('succeeded');
    // Larger than the record keeps: read back from the blobs.
    expect(record.result_size).toBeGreaterThan(1024);
    expect(record.result.stdout.split('\n')).toHaveLength(2000);
    expect(record.result.stderr).toBe('done');

    const tail = await packrun(['execution', 'tail', id]);
    expect(tail.code).toBe(0);
    expect(tail.stdout.endsWith('1999\n2000\n')).toBe(true);
    expect(tail.stderr).toBe(`done\n${id}: succeeded\n`);

    const list = await packrun(['execution', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { items: Array<{ id: string }> }).items.map((item) => item.id)).toContain(id);

    // An earlier version's CLI left a datastore file again: the server imports it when it opens the store.
    await rm(path.join(home.home, 'kv.json.imported'));
    await new LocalFileKeyValues(home.paths).set('left-by-old-cli', 'imported by the server');

    // `packrun up` with only PACKRUN_API_PORT set: the CLI, told nothing, finds it and sees the same data.
    const port = await freePort();
    up = await startUp({ PACKRUN_API_PORT: String(port) });
    expect(up.output()).toContain('packrun: datastore: imported 1 datastore keys');
    expect((await packrun(['key', 'get', 'left-by-old-cli'])).stdout).toBe('imported by the server\n');
    const recorded = JSON.parse(readFileSync(apiAddressFile(home.home), 'utf8')) as { url: string; pid: number };
    expect(recorded).toMatchObject({ url: `http://127.0.0.1:${port}`, pid: up.child.pid });

    const online = await packrun(['-v', 'key', 'get', 'offline']);
    expect(online.stdout).toBe('set while down\n');
    expect(online.stderr).toContain(`packrun: through the API at http://127.0.0.1:${port}, found from the server of PACKRUN_HOME (process ${up.child.pid}`);
    const api = await apiAt(recorded.url, home.home);
    const seen = await api.call<{ status: string; output_size: { stdout: number } }>('GET', `/api/v1/executions/${id}`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ status: 'succeeded', output_size: { stdout: record.output_size.stdout } });
    const output = await fetch(`${recorded.url}/api/v1/executions/${id}/output?output_type=stdout`, { headers: { 'x-api-key': api.key } });
    expect((await output.text()).split('\n')).toHaveLength(2000);

    // Done through the server now, seen offline after it stops: one store.
    const onServer = await packrun(['run', 'core.echo', 'message=on the server', '--json']);
    const serverId = (JSON.parse(onServer.stdout) as { id: string }).id;
    await stopUp();
    expect(existsSync(apiAddressFile(home.home))).toBe(false);
    const afterwards = await packrun(['-v', 'execution', 'get', serverId]);
    expect(afterwards.stdout).toContain('on the server');
    expect(afterwards.stderr).toContain('working on its store directly');
  });

  it('ignores an address file whose server is gone, and fails, never diverging, when a live one does not answer', async () => {
    const file = apiAddressFile(home.home);
    await mkdir(path.dirname(file), { recursive: true });
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    await writeFile(file, JSON.stringify({ url: deadUrl, pid: gone.pid, startTime: '1', host: 'vm', startedAt: new Date().toISOString() }));
    const stale = await packrun(['-v', 'key', 'get', 'offline']);
    expect(stale.code).toBe(0);
    expect(stale.stdout).toBe('set while down\n');
    expect(stale.stderr).toContain(`ignoring ${file}: the server that wrote it is gone (process ${gone.pid} is gone)`);

    // A live process (this test's) recorded as the server, answering nothing: the CLI says so and stops.
    const me = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const startTime = me.slice(me.lastIndexOf(')') + 2).split(' ')[19];
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    await writeFile(file, JSON.stringify({ url: deadUrl, pid: process.pid, startTime, bootId, host: 'vm', startedAt: new Date().toISOString() }));
    const unreachable = await packrun(['key', 'set', 'offline', 'changed behind its back']);
    // Not available now (docs/errors.md, exit statuses): 3, not a refusal.
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`error [API_UNREACHABLE]: the Packrun API at ${deadUrl} (the server of PACKRUN_HOME (process ${process.pid}`);
    await rm(file);
    expect((await packrun(['key', 'get', 'offline'])).stdout).toBe('set while down\n');
  });

  it('fails with a named reason when another process holds the store and no server answers; a second PACKRUN_API_URL is never guessed', async () => {
    // An offline run holds the store for as long as it runs.
    const holder = startPackrun(['run', 'core.local', 'cmd=sleep 20'], cli);
    await retryUntil(() => existsSync(path.join(home.paths.store, '.lock')), { what: 'the offline run taking the store lock' });
    const pastas = new Set<number>();
    const watch = setInterval(() => {
      for (const pid of descendants(holder.child.pid!)) if (command(pid) === 'pasta') pastas.add(pid);
    }, 100);
    const [blocked, server] = await Promise.all([
      packrun(['key', 'get', 'offline']),
      packrun(['up'], { ...cli, PACKRUN_API_PORT: String(await freePort()) }),
    ]);
    clearInterval(watch);
    // A server started meanwhile refuses too, naming the run, rather than reap an execution it cannot see.
    // Held by another process: not available now (docs/errors.md, exit statuses).
    expect(server.code).toBe(3);
    expect(server.stderr).toContain(`error [STORE_LOCKED]: the embedded store in ${home.paths.store} is in use by process ${holder.child.pid}`);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toContain('error [STORE_LOCKED]');
    expect(blocked.stderr).toContain(`in use by process ${holder.child.pid}`);
    expect(blocked.stderr).toContain(`no Packrun server answers for ${home.home}`);
    // The offline run makes no network namespaces ahead for jobs it will never run: at most its job's own.
    expect(pastas.size).toBeLessThanOrEqual(1);
    holder.signal('SIGTERM');
    await holder.exited;

    // A PACKRUN_API_URL named and not answering is an error, not a reason to work elsewhere.
    const named = await packrun(['key', 'get', 'offline'], { ...cli, PACKRUN_API_URL: `http://127.0.0.1:${await freePort()}` });
    expect(named.code).toBe(3);
    expect(named.stderr).toContain('API_UNREACHABLE');
    expect(named.stderr).toContain('unset PACKRUN_API_URL');
  });
});

describe('the separate services', () => {
  it('find no API when none runs on PACKRUN_HOME and PACKRUN_API_URL is not set, and say so', async () => {
    // The rules engine looks for the API before it connects to anything (these addresses answer nothing).
    const alone = { ...cli, PACKRUN_RABBITMQ_URL: 'amqp://rules:secret@127.0.0.1:1', PACKRUN_MONGODB_URL: 'mongodb://127.0.0.1:1/none', PACKRUN_API_KEY: 'some-key' };
    const run = await packrun(['rules-engine'], alone);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`error [SERVICE_NEEDS_API]: the rules engine found no API: none runs on ${home.home} and PACKRUN_API_URL is not set`);
  });
});

/** Every process below `root`, from /proc. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) for (const child of children.get(queue.shift()!) ?? []) found.push(child), queue.push(child);
  return found;
}

function command(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
