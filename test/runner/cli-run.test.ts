import { beforeAll, describe, expect, it } from 'vitest';
import { runPackrunCli } from '../helpers/packrun-cli.ts';
import { homeWithPacks, type PackrunHome } from './fixtures.ts';

let home: PackrunHome;

beforeAll(async () => {
  // No server runs on this home: the CLI works on its store (a server elsewhere is never asked).
  home = await homeWithPacks(['core']);
});

/** Runs the real `packrun` bin with PACKRUN_HOME pointing at the test's home. */
const packrun = (args: string[]) => runPackrunCli(args, home.env);

describe('packrun run', () => {
  it('exits 0 and prints status and output when the action succeeds', async () => {
    const run = await packrun(['run', 'core.echo', 'message=hello from the cli']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/status: succeeded/);
    expect(run.stdout).toContain('hello from the cli');
  });

  it('exits 1 when the action fails, and --json prints one JSON document', async () => {
    const run = await packrun(['run', 'core.local', 'cmd=echo out; echo err >&2; exit 4', '--json']);
    expect(run.code).toBe(1);
    const document = JSON.parse(run.stdout) as { status: string; result: Record<string, unknown>; id: string };
    expect(document.status).toBe('failed');
    expect(document.result).toMatchObject({ return_code: 4, stdout: 'out', stderr: 'err', failed: true });
    expect(document.id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('takes --params-json and --timeout', async () => {
    const run = await packrun(['run', 'core.local', '--params-json', '{"cmd": "sleep 20"}', '--timeout', '1', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'timeout', stop_reason: 'timeout', action: { ref: expect.any(String) } });
  });

  it('refuses a parameter of the wrong type, naming it, with the user-error exit code', async () => {
    const run = await packrun(['run', 'core.local', 'cmd=true', 'timeout=soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/timeout/);
    expect(run.stdout).toBe('');
  });

  it('names an unknown action', async () => {
    const run = await packrun(['run', 'core.nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('ACTION_NOT_FOUND');
  });

  it('prints the command it would run without running it', async () => {
    const run = await packrun(['run', 'core.echo', 'message=hi there', '--print-command']);
    expect(run.code).toBe(0);
    const description = JSON.parse(run.stdout) as { argv: string[] };
    expect(description.argv.at(-1)).toBe('hi there');
    expect(description.argv.at(-2)).toMatch(/\/core\/actions\/echo\.sh$/);
  });
});

describe('packrun action', () => {
  it('lists actions and shows one with its parameters', async () => {
    const list = await packrun(['action', 'list', '--pack', 'core']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/core\.echo\s+local-shell-script/);
    expect(list.stdout).toMatch(/core\.local\s+local-shell-cmd/);
    const get = await packrun(['action', 'get', 'core.echo']);
    expect(get.code).toBe(0);
    expect(get.stdout).toMatch(/message\s+string\s+yes/);
  });
});
