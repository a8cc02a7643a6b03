import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxDecorator, dataPaths, detectSandbox, type SpawnDecorator } from '@packrun/core';
import { retryUntil } from '../helpers/retry-until.ts';
import { repoRoot } from '../runner/fixtures.ts';
import { homeWithPackFolders, type ExchangeHome } from './exchange-home.ts';

/**
 * StackStorm-Exchange/stackstorm-syslog_client, unmodified, its write_syslog action run with
 * every sandbox layer against real syslog listeners on this host, over TCP and over UDP through
 * the ports the operator grants the pack (PACKRUN_SANDBOX_HOST_PORTS=syslog_client=<port>,
 * syslog_client=<port>/udp); a UDP port not granted reaches nothing of the host.
 */
let pack: ExchangeHome;
let decorator: SpawnDecorator | undefined;
let skipReason: string | undefined;
const tcpReceived: string[] = [];
const udpReceived: string[] = [];
const ungrantedReceived: string[] = [];
const tcp = net.createServer((socket) => socket.on('data', (chunk: Buffer) => tcpReceived.push(chunk.toString('utf8'))));
const udp = dgram.createSocket('udp4', (message) => udpReceived.push(message.toString('utf8')));
const ungranted = dgram.createSocket('udp4', (message) => ungrantedReceived.push(message.toString('utf8')));
let tcpPort = 0;
let udpPort = 0;
let ungrantedPort = 0;

function configure(protocol: 'TCP' | 'UDP', port: number): void {
  const configs = dataPaths(pack.home).configs;
  mkdirSync(configs, { recursive: true });
  writeFileSync(path.join(configs, 'syslog_client.yaml'), `server: 127.0.0.1\nport: ${port}\nprotocol: ${protocol}\n`);
}

beforeAll(async () => {
  tcpPort = await new Promise<number>((resolve) => tcp.listen(0, '127.0.0.1', () => resolve((tcp.address() as net.AddressInfo).port)));
  udpPort = await new Promise<number>((resolve) => udp.bind(0, '127.0.0.1', () => resolve(udp.address().port)));
  ungrantedPort = await new Promise<number>((resolve) => ungranted.bind(0, '127.0.0.1', () => resolve(ungranted.address().port)));
  pack = await homeWithPackFolders([path.join(repoRoot, 'test/fixtures/exchange/syslog_client')], { PACKRUN_SANDBOX_HOST_PORTS: `syslog_client=${tcpPort},syslog_client=${udpPort}/udp` });
  const host = await detectSandbox(pack.config);
  const inactive = host.layers.filter((layer) => !layer.active).map((layer) => `${layer.name}: ${layer.reason}`);
  if (inactive.length > 0) skipReason = `not every sandbox layer is active here (${inactive.join('; ')})`;
  else decorator = createSandboxDecorator({ host, config: pack.config });
}, 180_000);

afterAll(() => {
  tcp.close();
  udp.close();
  ungranted.close();
});

describe('syslog_client (StackStorm-Exchange/stackstorm-syslog_client, unmodified)', () => {
  it('write_syslog sends the message over TCP to the listener the operator lets the pack reach', async (context) => {
    if (skipReason) return context.skip(skipReason);
    configure('TCP', tcpPort);
    const outcome = await pack.run('syslog_client.write_syslog', { message: 'disk almost full', facility: 'daemon', priority: 'warning' }, decorator);
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await retryUntil(async () => tcpReceived.join('').includes('disk almost full'), { what: 'the syslog line over TCP' });
    // <30>: facility daemon (3) * 8 + 6. The pack discards what encodePriority returns, so the
    // priority is the log record's (info, 6), not the one asked, as under StackStorm. The pid is
    // the job's in its own pid namespace.
    expect(tcpReceived.join('')).toMatch(/^<30>write_syslog\[\d+\]: disk almost full\0$/);
  });

  it('write_syslog sends the message over UDP to the listener on the UDP port the operator grants the pack', async (context) => {
    if (skipReason) return context.skip(skipReason);
    configure('UDP', udpPort);
    const outcome = await pack.run('syslog_client.write_syslog', { message: 'over udp', facility: 'user', priority: 'info' }, decorator);
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await retryUntil(() => udpReceived.length > 0, { what: 'the syslog datagram over UDP' });
    // <14>: facility user (1) * 8 + info (6); one datagram, NUL-terminated as SysLogHandler sends it.
    expect(udpReceived).toEqual([expect.stringMatching(/^<14>write_syslog\[\d+\]: over udp\0$/)]);
  });

  it('write_syslog over UDP to a port not granted reaches nothing of the host', async (context) => {
    if (skipReason) return context.skip(skipReason);
    configure('UDP', ungrantedPort);
    const outcome = await pack.run('syslog_client.write_syslog', { message: 'not granted', facility: 'user', priority: 'info' }, decorator);
    // A datagram is sent whether or not anything can receive it: the action cannot tell.
    expect(outcome.status, JSON.stringify(outcome.result)).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ungrantedReceived).toEqual([]);
  });
});
