import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxDecorator, dataPaths, detectSandbox, loadConfig, readInstalledPack, type InstalledPack, type PackrunConfig, type SandboxHost, type SpawnDecorator } from '@packrun/core';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { installPack, type InstallProgressEvent } from '@packrun/pack-installer';
import { leftoverJobCgroups, testUidRange } from './sandbox-fixture.ts';

/**
 * uv, pip and npm run the pack's own code (setup.py, npm install scripts): builds go through the
 * sandbox decorator. Each probe records what it could do into its build folder, which becomes the
 * env, so the test reads the verdict from the installed env.
 */
const probeId = `probe${process.pid}`;

/** Where a build's hostile code tries to connect: the host's loopback and its other addresses. */
interface HostTargets {
  port: number;
  addresses: string[];
}

/** What a build's hostile code tries, as JavaScript (npm postinstall) and as Python (setup.py). */
function nodeProbe(home: string, runtimePid: number, host: HostTargets): string {
  return `
const fs = require('fs');
const net = require('net');
const tryConnect = (address) => new Promise((resolve) => {
  const socket = net.connect({ host: address, port: ${host.port}, timeout: 3000 });
  socket.on('data', () => { socket.destroy(); resolve('connected'); });
  socket.on('timeout', () => { socket.destroy(); resolve('ERR timeout'); });
  socket.on('error', (e) => resolve('ERR ' + e.code));
});
const tryRead = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return 'ERR ' + e.code; } };
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return 'ERR ' + e.code; } };
const r = {
  uid: process.getuid(),
  secret: tryRead(${JSON.stringify(`${home}/secrets/build-canary`)}),
  config: tryRead(${JSON.stringify(`${home}/configs/other.yaml`)}),
  runtimeEnviron: tryRead('/proc/${runtimePid}/environ'),
  env: JSON.stringify(process.env),
  writeHome: tryWrite(${JSON.stringify(`${home}/by-build`)}),
  writePacks: tryWrite(${JSON.stringify(`${home}/packs/by-build`)}),
  writeEnvs: tryWrite(${JSON.stringify(`${home}/envs/by-build`)}),
  writeTmp: tryWrite('/tmp/${probeId}'),
  writeCache: tryWrite(${JSON.stringify(`${home}/cache/packs/npmprobe/npm/${probeId}`)}),
};
Promise.all(${JSON.stringify(['127.0.0.1', ...host.addresses])}.map(tryConnect)).then((results) => {
  r.connectHost = results;
  fs.writeFileSync('probe.json', JSON.stringify(r));
});
`;
}

function pythonProbe(home: string, runtimePid: number, host: HostTargets): string {
  return `
import json, os, socket
from setuptools import setup

def try_connect(address):
    try:
        socket.create_connection((address, ${host.port}), 3).close()
        return 'connected'
    except OSError as e:
        return 'ERR %s' % e

def try_read(p):
    try:
        return open(p).read()
    except OSError as e:
        return 'ERR %s' % e.errno

def try_write(p):
    try:
        open(p, 'w').write('x')
        return 'written'
    except OSError as e:
        return 'ERR %s' % e.errno

r = {
    'uid': os.getuid(),
    'secret': try_read(${JSON.stringify(`${home}/secrets/build-canary`)}),
    'runtimeEnviron': try_read('/proc/${runtimePid}/environ'),
    'env': json.dumps(dict(os.environ)),
    'writeHome': try_write(${JSON.stringify(`${home}/by-setup-py`)}),
    'writePacks': try_write(${JSON.stringify(`${home}/packs/by-setup-py`)}),
    'writeTmp': try_write('/tmp/${probeId}-py'),
    'connectHost': [try_connect(address) for address in ${JSON.stringify(['127.0.0.1', ...host.addresses])}],
}
# uv's cache is writable by the build and outlives it: the verdict is left there.
open(os.path.join(os.environ['UV_CACHE_DIR'], '${probeId}.json'), 'w').write(json.dumps(r))
setup(name='buildprobe', version='0.1', py_modules=[])
`;
}

describe('env builds in the sandbox', () => {
  let root: string;
  let home: string;
  let config: PackrunConfig;
  let host: SandboxHost;
  let decorator: SpawnDecorator;
  let canary: string;
  let envCanary: string;
  let skip: string | undefined;
  let hostListener: net.Server;
  let hostTargets: HostTargets;
  const output: string[] = [];
  const onProgress = (event: InstallProgressEvent) => output.push(event.message);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'packrun-build-'));
    home = path.join(root, 'home');
    await mkdir(home, { mode: 0o711 });
    await chmod(root, 0o711);
    canary = `canary${Math.random().toString(36).slice(2, 12)}`;
    envCanary = `envcanary${Math.random().toString(36).slice(2, 12)}`;
    // Secrets in the runtime's environment: one found by its name, one only an allow-list keeps out.
    process.env['PACKRUN_BUILD_TEST_SECRET'] = canary;
    process.env['INNOCENT_LOOKING_SETTING'] = envCanary;
    const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: python, PACKRUN_API_KEY: canary, PACKRUN_ALLOW_NPM_SCRIPTS: 'true', PACKRUN_ALLOW_UNSAFE_REQUIREMENTS: 'true', ...testUidRange() });
    for (const dir of ['secrets', 'configs']) await mkdir(path.join(home, dir), { mode: 0o700 });
    await writeFile(path.join(home, 'secrets', 'build-canary'), canary, { mode: 0o600 });
    await writeFile(path.join(home, 'configs', 'other.yaml'), `token: ${canary}\n`, { mode: 0o600 });
    // A service of the host's, on every address: a build reaches the package index, never this.
    hostListener = net.createServer((socket) => socket.end('host\n'));
    await new Promise<void>((resolve) => hostListener.listen(0, '0.0.0.0', resolve));
    const addresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((entry) => entry !== undefined && entry.family === 'IPv4' && !entry.internal)
      .map((entry) => entry!.address);
    hostTargets = { port: (hostListener.address() as net.AddressInfo).port, addresses };
    host = await detectSandbox(config);
    decorator = createSandboxDecorator({ host, config });
    if (!host.uidRange) skip = 'the user layer is inactive here (runtime not root?): builds cannot run as the build uid';
    else if (!host.bwrap) skip = 'bubblewrap is inactive here: the build would see the real data folder';
    if (skip) console.warn(`skipping env build sandbox tests: ${skip}`);
  });
  afterAll(async () => {
    hostListener?.close();
    delete process.env['PACKRUN_BUILD_TEST_SECRET'];
    delete process.env['INNOCENT_LOOKING_SETTING'];
    await rm(`/tmp/${probeId}`, { force: true });
    await rm(root, { recursive: true, force: true });
  });

  function assertContained(probe: Record<string, unknown>): void {
    expect(probe['uid']).toBe(config.sandboxBuildUid);
    expect(probe['secret']).toMatch(/^ERR /);
    expect(String(probe['runtimeEnviron'])).toMatch(/^ERR /);
    expect(probe['writeHome']).toMatch(/^ERR /);
    expect(probe['writePacks']).toMatch(/^ERR /);
    // The network layer: the build reaches the package index (its install succeeded) and nothing
    // of the host, neither its loopback nor its other addresses.
    if (host.network) {
      const connects = probe['connectHost'] as string[];
      expect(connects).toHaveLength(1 + hostTargets.addresses.length);
      for (const result of connects) expect(result).toMatch(/^ERR /);
    }
    const all = JSON.stringify(probe);
    expect(all).not.toContain(canary);
    expect(all).not.toContain(envCanary);
    expect(all).not.toContain('PACKRUN_HOME');
  }

  it('runs an npm install script as the build uid, without the data folder, secrets or the runtime environment', async (context) => {
    if (skip) return context.skip(skip);
    const pack = path.join(root, 'npmprobe');
    await mkdir(path.join(pack, 'actions'), { recursive: true });
    await writeFile(path.join(pack, 'pack.yaml'), 'ref: npmprobe\nname: npmprobe\ndescription: probes the build sandbox\nversion: 1.0.0\nauthor: tests\n');
    await writeFile(path.join(pack, 'actions', 'hello.yaml'), 'name: hello\nrunner_type: node-script\nentry_point: hello.mjs\n');
    await writeFile(path.join(pack, 'actions', 'hello.mjs'), 'export default async function run() { return { ok: true }; }\n');
    const code = Buffer.from(nodeProbe(home, process.pid, hostTargets)).toString('base64');
    await writeFile(
      path.join(pack, 'package.json'),
      JSON.stringify({ name: 'npmprobe', version: '1.0.0', scripts: { postinstall: `node -e "eval(Buffer.from('${code}','base64').toString())"` } }),
    );
    const { installed } = await installPack(pack, { config, decorator, onProgress });
    const env = (installed[0] as InstalledPack).env.path as string;
    const probe = JSON.parse(await readFile(path.join(env, 'probe.json'), 'utf8')) as Record<string, unknown>;
    assertContained(probe);
    expect(probe['config']).toMatch(/^ERR /);
    expect(probe['writeEnvs']).toMatch(/^ERR /);
    // Its own cache is writable; /tmp is private to the build.
    expect(probe['writeCache']).toBe('written');
    expect(probe['writeTmp']).toBe('written');
    expect(existsSync(`/tmp/${probeId}`)).toBe(false);
    expect(existsSync(path.join(home, 'by-build'))).toBe(false);
    // The finished env is root's again, readable by the job uids, writable by no build.
    const info = await stat(path.join(env, 'probe.json'));
    expect(info.uid).toBe(0);
    expect(info.mode & 0o777).toBe(0o644);
    expect(output.join('\n')).not.toContain(canary);
    expect(leftoverJobCgroups(host)).toEqual([]);
  });

  it('runs a setup.py from the requirements as the build uid, contained, and the env still works for actions', async (context) => {
    if (skip) return context.skip(skip);
    const pack = path.join(root, 'pyprobe');
    const sdist = path.join(root, 'sdist', 'buildprobe-0.1');
    await mkdir(sdist, { recursive: true });
    await writeFile(path.join(sdist, 'setup.py'), pythonProbe(home, process.pid, hostTargets));
    await writeFile(path.join(sdist, 'PKG-INFO'), 'Metadata-Version: 1.0\nName: buildprobe\nVersion: 0.1\n');
    await mkdir(path.join(pack, 'actions'), { recursive: true });
    execFileSync('tar', ['czf', path.join(pack, 'buildprobe-0.1.tar.gz'), '-C', path.dirname(sdist), 'buildprobe-0.1']);
    await writeFile(path.join(pack, 'pack.yaml'), 'ref: pyprobe\nname: pyprobe\ndescription: probes the build sandbox\nversion: 1.0.0\nauthor: tests\n');
    await writeFile(path.join(pack, 'requirements.txt'), 'six==1.16.0\n./buildprobe-0.1.tar.gz\n');
    await writeFile(path.join(pack, 'actions', 'six_version.yaml'), 'name: six_version\nrunner_type: python-script\nentry_point: six_version.py\n');
    await writeFile(
      path.join(pack, 'actions', 'six_version.py'),
      'import six\nfrom st2common.runners.base_action import Action\n\nclass SixVersion(Action):\n    def run(self):\n        return six.__version__\n',
    );
    await installPack(pack, { config, decorator, onProgress });
    assertContained(JSON.parse(await readFile(path.join(home, 'cache', 'packs', 'pyprobe', 'uv', `${probeId}.json`), 'utf8')) as Record<string, unknown>);
    expect(existsSync(path.join(home, 'by-setup-py'))).toBe(false);
    expect(existsSync(path.join(home, 'packs', 'by-setup-py'))).toBe(false);
    expect(existsSync(`/tmp/${probeId}-py`)).toBe(false);
    const outcome = await runAction({ paths: dataPaths(home), config, ref: 'pyprobe.six_version', input: {}, datastore: new LocalFileKeyValues(dataPaths(home)), decorator });
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result as { result: unknown }).result).toBe('1.16.0');
    const installed = (await readInstalledPack(dataPaths(home), 'pyprobe')).env.path as string;
    expect((await stat(path.join(installed, 'bin', 'python'))).isFile()).toBe(true);
    expect((await stat(path.join(installed, 'lib'))).uid).toBe(0);
  });

  /** A pack whose action reports whether the `six` it imports carries `marker` (a poisoned copy). */
  async function sixPack(ref: string, requirements: string): Promise<string> {
    const pack = path.join(root, ref);
    await mkdir(path.join(pack, 'actions'), { recursive: true });
    await writeFile(path.join(pack, 'pack.yaml'), `ref: ${ref}\nname: ${ref}\ndescription: cache poisoning\nversion: 1.0.0\nauthor: tests\n`);
    await writeFile(path.join(pack, 'requirements.txt'), requirements);
    await writeFile(path.join(pack, 'actions', 'six_marker.yaml'), 'name: six_marker\nrunner_type: python-script\nentry_point: six_marker.py\n');
    await writeFile(
      path.join(pack, 'actions', 'six_marker.py'),
      'import six\nfrom st2common.runners.base_action import Action\n\nclass SixMarker(Action):\n    def run(self):\n        return getattr(six, "POISONED_BY", None)\n',
    );
    return pack;
  }

  it('29: a build writing into the download cache is never seen by a later build of another pack', async (context) => {
    if (skip) return context.skip(skip);
    // The victim's dependency lands in the cache first, as on any host where packs share one.
    await installPack(await sixPack('cachefill', 'six==1.16.0\n'), { config, decorator, onProgress });
    // A hostile sdist's setup.py rewrites every six.py it can reach in the cache it was given.
    const sdist = path.join(root, 'sdist', 'poisoner-0.1');
    await mkdir(sdist, { recursive: true });
    await writeFile(
      path.join(sdist, 'setup.py'),
      [
        'import os',
        'from setuptools import setup',
        'for base in {os.environ.get("UV_CACHE_DIR", ""), os.path.dirname(os.environ.get("UV_CACHE_DIR", ""))} - {""}:',
        '    for folder, _, files in os.walk(base):',
        '        if "six.py" in files:',
        '            try:',
        '                open(os.path.join(folder, "six.py"), "a").write("\\nPOISONED_BY = \'poisoner\'\\n")',
        '            except OSError:',
        '                pass',
        'setup(name="poisoner", version="0.1", py_modules=[])',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(sdist, 'PKG-INFO'), 'Metadata-Version: 1.0\nName: poisoner\nVersion: 0.1\n');
    const hostile = path.join(root, 'poisoner');
    await mkdir(path.join(hostile, 'actions'), { recursive: true });
    execFileSync('tar', ['czf', path.join(hostile, 'poisoner-0.1.tar.gz'), '-C', path.dirname(sdist), 'poisoner-0.1']);
    await writeFile(path.join(hostile, 'pack.yaml'), 'ref: poisoner\nname: poisoner\ndescription: poisons caches\nversion: 1.0.0\nauthor: tests\n');
    await writeFile(path.join(hostile, 'requirements.txt'), './poisoner-0.1.tar.gz\n');
    await installPack(hostile, { config, decorator, onProgress });
    // A later build of another pack asking for the same package gets the real one.
    await installPack(await sixPack('cachevictim', 'six==1.16.0\n'), { config, decorator, onProgress });
    const outcome = await runAction({ paths: dataPaths(home), config, ref: 'cachevictim.six_marker', input: {}, datastore: new LocalFileKeyValues(dataPaths(home)), decorator });
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result as { result: unknown }).result).toBeNull();
  });

  function processesMarked(marker: string): number[] {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker);
        } catch {
          return false;
        }
      })
      .map(Number);
  }

  async function npmPack(name: string, postinstall: string): Promise<string> {
    const pack = path.join(root, name);
    await mkdir(path.join(pack, 'actions'), { recursive: true });
    await writeFile(path.join(pack, 'pack.yaml'), `ref: ${name}\nname: ${name}\ndescription: build limits\nversion: 1.0.0\nauthor: tests\n`);
    await writeFile(path.join(pack, 'actions', 'hello.yaml'), 'name: hello\nrunner_type: node-script\nentry_point: hello.mjs\n');
    await writeFile(path.join(pack, 'actions', 'hello.mjs'), 'export default async function run() { return 1; }\n');
    await writeFile(path.join(pack, 'package.json'), JSON.stringify({ name, version: '1.0.0', scripts: { postinstall } }));
    return pack;
  }

  it('kills what a build left running, and stops a build past its timeout', async (context) => {
    if (skip) return context.skip(skip);
    const marker = `daemon-${probeId}`;
    const daemon = `node -e "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { detached: true, stdio: 'ignore' }).unref()"`;
    await installPack(await npmPack('leftover', daemon), { config, decorator, onProgress });
    expect(processesMarked(marker)).toEqual([]);

    const started = Date.now();
    const slow = installPack(await npmPack('slowbuild', `node -e "setInterval(() => {}, 1000)" ${marker}-slow`), { config: { ...config, sandboxBuildTimeoutSeconds: 2 }, decorator, onProgress });
    await expect(slow).rejects.toMatchObject({ code: 'PACK_ENV_BUILD_FAILED', message: expect.stringContaining('timed out after 2 s') });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(processesMarked(`${marker}-slow`)).toEqual([]);
    expect(existsSync(path.join(home, 'packs', 'slowbuild'))).toBe(false);
    expect(leftoverJobCgroups(host)).toEqual([]);
  });

  it('builds with venv + pip in the sandbox too', async (context) => {
    if (skip) return context.skip(skip);
    const pack = path.join(root, 'pipbuilt');
    await mkdir(path.join(pack, 'actions'), { recursive: true });
    await writeFile(path.join(pack, 'pack.yaml'), 'ref: pipbuilt\nname: pipbuilt\ndescription: built with pip\nversion: 1.0.0\nauthor: tests\n');
    await writeFile(path.join(pack, 'requirements.txt'), 'six==1.15.0\n');
    await writeFile(path.join(pack, 'actions', 'six_version.yaml'), 'name: six_version\nrunner_type: python-script\nentry_point: six_version.py\n');
    await writeFile(
      path.join(pack, 'actions', 'six_version.py'),
      'import six\nfrom st2common.runners.base_action import Action\n\nclass SixVersion(Action):\n    def run(self):\n        return six.__version__\n',
    );
    await installPack(pack, { config: { ...config, uv: 'off' }, decorator, onProgress });
    const outcome = await runAction({ paths: dataPaths(home), config, ref: 'pipbuilt.six_version', input: {}, datastore: new LocalFileKeyValues(dataPaths(home)), decorator });
    expect(outcome.status).toBe('succeeded');
    expect((outcome.result as { result: unknown }).result).toBe('1.15.0');
    expect((await stat(path.join(home, 'cache', 'packs', 'pipbuilt', 'pip'))).uid).toBe(config.sandboxBuildUid);
  });
});
