import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFields, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('takes values from the given environment, not the process one', () => {
    const config = loadConfig({ PACKRUN_HOME: '/tmp/somewhere', PACKRUN_RUNNER_CONCURRENCY: '7' });
    expect(config.home).toBe('/tmp/somewhere');
    expect(config.runnerConcurrency).toBe(7);
    expect(config.rabbitmqUrl).toBeUndefined();
  });

  it('reads a secret from its _FILE variant', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'packrun-config-'));
    const file = path.join(dir, 'url');
    writeFileSync(file, 'amqp://guest:guest@127.0.0.1:5672\n');
    expect(loadConfig({ PACKRUN_RABBITMQ_URL_FILE: file }).rabbitmqUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
  });

  it('names the variable when a value is malformed', () => {
    expect(() => loadConfig({ PACKRUN_RUNNER_CONCURRENCY: 'many' })).toThrow(/PACKRUN_RUNNER_CONCURRENCY/);
    expect(() => loadConfig({ PACKRUN_ALLOW_NPM_SCRIPTS: 'maybe' })).toThrow(/PACKRUN_ALLOW_NPM_SCRIPTS/);
  });

  it("reads the operator's interpreters per pack and where to look for others, refusing malformed entries", () => {
    expect(loadConfig({}).packPython).toEqual({});
    expect(loadConfig({ PACKRUN_PACK_PYTHON: 'old_pack=/usr/bin/python3.9, fast=pypy3' }).packPython).toEqual({ old_pack: '/usr/bin/python3.9', fast: 'pypy3' });
    for (const bad of ['old_pack', 'old_pack=', '=python3', '../x=python3', 'My-Pack=python3']) {
      expect(() => loadConfig({ PACKRUN_PACK_PYTHON: bad }), bad).toThrow(/PACKRUN_PACK_PYTHON.*pack=interpreter/);
    }
    expect(loadConfig({}).pythonSearch).toBe('auto');
    expect(loadConfig({ PACKRUN_PYTHON_SEARCH: 'off' }).pythonSearch).toBe('off');
    expect(loadConfig({ PACKRUN_PYTHON_SEARCH: '/usr/bin/pypy3, /opt/pythons' }).pythonSearch).toEqual(['/usr/bin/pypy3', '/opt/pythons']);
    expect(() => loadConfig({ PACKRUN_PYTHON_SEARCH: 'pypy3' })).toThrow(/PACKRUN_PYTHON_SEARCH.*absolute/);
  });

  it('reads the host ports granted per pack, and refuses a malformed entry naming it', () => {
    expect(loadConfig({}).sandboxHostPorts).toEqual({});
    expect(loadConfig({ PACKRUN_SANDBOX_HOST_PORTS: 'mypack=5432, othpack=6379,mypack=6380 *=3141' }).sandboxHostPorts).toEqual({
      mypack: { tcp: [5432, 6380], udp: [] },
      othpack: { tcp: [6379], udp: [] },
      '*': { tcp: [3141], udp: [] },
    });
    for (const bad of ['mypack', 'mypack=', 'mypack=0', 'mypack=70000', '../x=5432', 'MyPack=5432', 'my-pack=5432', 'mypack=54a']) {
      expect(() => loadConfig({ PACKRUN_SANDBOX_HOST_PORTS: bad }), bad).toThrow(/PACKRUN_SANDBOX_HOST_PORTS.*pack=port/);
    }
  });

  it('reads a port marked /udp as UDP and /tcp or bare as TCP, the same number apart per protocol', () => {
    expect(loadConfig({ PACKRUN_SANDBOX_HOST_PORTS: 'syslog_client=514/udp,db=5432/tcp,db=5433,syslog_client=514,*=8125/udp,syslog_client=514/udp' }).sandboxHostPorts).toEqual({
      syslog_client: { tcp: [514], udp: [514] },
      db: { tcp: [5432, 5433], udp: [] },
      '*': { tcp: [], udp: [8125] },
    });
    for (const bad of ['syslog_client=514/UDP', 'syslog_client=514/sctp', 'syslog_client=514/', 'syslog_client=/udp', 'syslog_client=0/udp', 'syslog_client=65536/udp', 'syslog_client=514/udp/tcp', 'syslog_client=514:udp', 'syslog_client=udp/514']) {
      let thrown: unknown;
      try {
        loadConfig({ PACKRUN_SANDBOX_HOST_PORTS: `ok=1,${bad}` });
      } catch (error) {
        thrown = error;
      }
      expect(thrown, bad).toMatchObject({ code: 'CONFIG_INVALID', details: { variable: 'PACKRUN_SANDBOX_HOST_PORTS', entry: bad } });
      expect((thrown as Error).message, bad).toContain(`PACKRUN_SANDBOX_HOST_PORTS takes pack=port entries`);
      expect((thrown as Error).message, bad).toContain(`got "${bad}"`);
    }
  });

  it('reads retention settings: executions for ever and the others 30 days by default, off, fractions, and a bad value named', () => {
    expect(loadConfig({})).toMatchObject({ retentionExecutionsDays: undefined, retentionTriggerInstancesDays: 30, retentionEnforcementsDays: 30, retentionExecutionsCount: undefined });
    const set = loadConfig({ PACKRUN_RETENTION_EXECUTIONS_DAYS: '0.5', PACKRUN_RETENTION_TRIGGER_INSTANCES_DAYS: 'off', PACKRUN_RETENTION_ENFORCEMENTS_COUNT: '1000' });
    expect(set).toMatchObject({ retentionExecutionsDays: 0.5, retentionTriggerInstancesDays: undefined, retentionEnforcementsCount: 1000 });
    expect(() => loadConfig({ PACKRUN_RETENTION_EXECUTIONS_DAYS: '0' })).toThrow(/PACKRUN_RETENTION_EXECUTIONS_DAYS must be a positive number/);
    expect(() => loadConfig({ PACKRUN_RETENTION_EXECUTIONS_COUNT: '2.5' })).toThrow(/PACKRUN_RETENTION_EXECUTIONS_COUNT must be an integer/);
  });

  it('has every variable documented in docs/configuration.md', () => {
    const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
    const missing = configFields.filter((field) => !doc.includes(`\`${field.env}\``)).map((field) => field.env);
    expect(missing).toEqual([]);
  });
});
