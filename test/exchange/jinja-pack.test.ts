import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packCodeApiFixture, resultOf, type PackCodeApiFixture } from '../st2client/pack-code-api-fixture.ts';
import { repoRoot } from '../runner/fixtures.ts';

/**
 * Issue 15: StackStorm-Exchange/stackstorm-jinja, its code unmodified, inside a real `packrun up`
 * with every sandbox layer. Its render_file builds st2's Jinja environment
 * (st2common.util.jinja, Packrun's stand-in, with jinja2 from the st2 fallback libraries), finds
 * the template through st2common.content.utils.get_pack_base_path and, with include_execution,
 * fetches an execution through st2client with its job's token (the pack is in
 * PACKRUN_ACTION_API_PACKS).
 *
 * Its jobs see their own pack's folder and no other pack's, so the templates are where StackStorm
 * users kept theirs: in the jinja pack's folder (/opt/stackstorm/packs/jinja/templates/ there).
 * The test installs the vendored pack with a `templates/` folder added, as a user installs it
 * with their templates; not a line of the pack's own files changes.
 */
const templatesDir = path.join(import.meta.dirname, 'jinja-templates');
const reportPackDir = path.join(import.meta.dirname, 'packs', 'jinja_report');
let fixture: PackCodeApiFixture | undefined;
let skipReason: string | undefined;
let scratch = '';

beforeAll(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-jinja-pack-'));
  const jinjaWithTemplates = path.join(scratch, 'jinja');
  cpSync(path.join(repoRoot, 'test/fixtures/exchange/jinja'), jinjaWithTemplates, { recursive: true });
  cpSync(templatesDir, path.join(jinjaWithTemplates, 'templates'), { recursive: true });
  const made = await packCodeApiFixture({ warm: true, packs: [jinjaWithTemplates, reportPackDir], env: { PACKRUN_ACTION_API_PACKS: 'jinja' } });
  if ('skip' in made) skipReason = made.skip;
  else fixture = made.fixture;
}, 600_000);

afterAll(async () => {
  await fixture?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.runIf(process.getuid?.() === 0)('jinja.render_file (StackStorm-Exchange/stackstorm-jinja, unmodified)', () => {
  it("renders a template of the jinja pack's folder with st2's filters, undefined names empty, six in the context", async (context) => {
    if (skipReason) return context.skip(skipReason);
    const record = await fixture!.execute('jinja.render_file', {
      template_pack: 'jinja',
      template_path: 'templates/report.j2',
      context: { host: 'web-01.example.com', uptime: 93784, release: '1.4.2', tags: { env: 'prod', roles: ['web', 'cache'], owner: 'Zoë' } },
    });
    expect(resultOf<string>(record)).toBe(
      [
        'host: web-01',
        'uptime: 1d2h3m4s',
        'next: 1.5.0',
        'legacy: true',
        'env: prod',
        'owner: Zoë',
        'roles:',
        '- web',
        '- cache',
        '',
        'json: {"env": "prod","owner": "Zo\\u00eb","roles": ["web","cache"]}',
        'first role: web',
        'undefined: []',
        'six: True',
      ].join('\n'),
    );
  });

  it("include_execution puts the workflow's own execution, read through st2client with the job's token, in the context", async (context) => {
    if (skipReason) return context.skip(skipReason);
    const record = await fixture!.execute('jinja_report.report', { host: 'db-02' });
    expect(record.status, JSON.stringify(record.result)).toBe('succeeded');
    expect((record.result as { output: { text: string } }).output.text).toBe('jinja_report.report (running) for db-02, reported by the report workflow');
  });

  it('include_execution of an execution its job may not read finds none: the API answers 404 as for an id that does not exist, and st2client gives None', async (context) => {
    if (skipReason) return context.skip(skipReason);
    const other = await fixture!.execute('jinja_report.report', { host: 'someone-elses' });
    const record = await fixture!.execute('jinja.render_file', {
      template_pack: 'jinja',
      template_path: 'templates/execution.j2',
      include_execution: other.id,
      context: { reporter: 'x' },
    });
    expect(resultOf<string>(record)).toBe('no execution, reported by x');
  });

  it("a template in another pack's folder is not there for the jinja pack's job (the sandbox shows it no other pack)", async (context) => {
    if (skipReason) return context.skip(skipReason);
    const direct = await fixture!.execute('jinja.render_file', { template_pack: 'jinja_report', template_path: 'templates/private.j2', context: { secret: 'rendered' } });
    expect(direct.status).toBe('failed');
    expect(JSON.stringify(direct.result)).toMatch(/No such file or directory/);
    expect(JSON.stringify(direct.result)).not.toContain("jinja_report's own template");
    // The pack's own guard is a prefix test, and ".../jinja_report" begins with ".../jinja": it
    // lets this climb through (under StackStorm too), and the sandbox is what leaves nothing there.
    const climbing = await fixture!.execute('jinja.render_file', { template_pack: 'jinja', template_path: '../jinja_report/templates/private.j2', context: { secret: 'rendered' } });
    expect(climbing.status).toBe('failed');
    expect(JSON.stringify(climbing.result)).toMatch(/FileNotFoundError: .*No such file or directory/);
    expect(JSON.stringify(climbing.result)).not.toContain("jinja_report's own template");
    // Anything else outside the folder the guard refuses before the sandbox would.
    const outside = await fixture!.execute('jinja.render_file', { template_pack: 'jinja', template_path: '/etc/passwd' });
    expect(outside.status).toBe('failed');
    expect(JSON.stringify(outside.result)).toContain('Template_path points to a file outside pack directory.');
  });
});
