import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { homeWithExchangePack, type ExchangeHome } from './exchange-home.ts';

// stackstorm-csv has no requirements.txt, yet parse.py and format.py import `six`: StackStorm
// gave them its own virtualenv's six. These runs prove Packrun's path supplies it.
let pack: ExchangeHome;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-exchange-csv-'));

beforeAll(async () => {
  pack = await homeWithExchangePack('csv');
}, 180_000);

// The example of the pack's README: a doubled quote inside quotes and a newline inside a field.
const readmeCsv = [
  'FirstName,LastName,Title,ReportsTo.Email,Birthdate,Description',
  'Tom,Jones,Senior Director,buyer@salesforcesample.com,1940-06-07Z,"Self-described as ""the top"" branding guru on the West Coast"',
  'Ian,Dury,Chief Imagineer,cto@salesforcesample.com,,"World-renowned expert in fuzzy logic design. ',
  'Influential in technology purchases."',
].join('\n');

describe('csv (StackStorm-Exchange/stackstorm-csv, unmodified)', () => {
  it('parse returns rows as lists, quotes and embedded newlines resolved as Python csv does', async () => {
    const outcome = await pack.run('csv.parse', { data: readmeCsv });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['exit_code']).toBe(0);
    expect(outcome.result['result']).toEqual([
      ['FirstName', 'LastName', 'Title', 'ReportsTo.Email', 'Birthdate', 'Description'],
      ['Tom', 'Jones', 'Senior Director', 'buyer@salesforcesample.com', '1940-06-07Z',
        'Self-described as "the top" branding guru on the West Coast'],
      ['Ian', 'Dury', 'Chief Imagineer', 'cto@salesforcesample.com', '',
        'World-renowned expert in fuzzy logic design. \nInfluential in technology purchases.'],
    ]);
  });

  it('parse takes the delimiter and quote character parameters', async () => {
    const outcome = await pack.run('csv.parse', { data: "a;'b;c'\n1;2", delimiter: ';', quote_char: "'" });
    expect(outcome.result['result']).toEqual([['a', 'b;c'], ['1', '2']]);
  });

  it('format writes a header and CRLF rows (csv.DictWriter), and parse reads them back', async () => {
    const rows = [
      { name: 'Tom', title: 'Senior Director', note: 'says "hi", often' },
      { name: 'Ian', title: 'Chief Imagineer', note: '' },
    ];
    const formatted = await pack.run('csv.format', { data: rows });
    expect(formatted.status).toBe('succeeded');
    expect(formatted.result['result']).toBe(
      'name,title,note\r\nTom,Senior Director,"says ""hi"", often"\r\nIan,Chief Imagineer,\r\n',
    );
    const parsed = await pack.run('csv.parse', { data: formatted.result['result'] });
    expect(parsed.result['result']).toEqual([
      ['name', 'title', 'note'],
      ['Tom', 'Senior Director', 'says "hi", often'],
      ['Ian', 'Chief Imagineer', ''],
    ]);
  });

  it('format of no rows fails with the pack\'s st2common InvalidActionParameterException', async () => {
    const outcome = await pack.run('csv.format', { data: [] });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['exit_code']).toBe(1);
    expect(String(outcome.result['error'])).toContain('data has no rows');
    expect(String(outcome.result['error'])).toContain('InvalidActionParameterException');
  });

  it('parse_file reads a file; a missing file fails with the pack\'s ValueError', async () => {
    const file = path.join(scratch, 'hosts.csv');
    writeFileSync(file, 'host,port\nweb1,80\ndb1,5432\n');
    const outcome = await pack.run('csv.parse_file', { file_path: file });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toEqual([['host', 'port'], ['web1', '80'], ['db1', '5432']]);

    const missing = await pack.run('csv.parse_file', { file_path: path.join(scratch, 'nope.csv') });
    expect(missing.status).toBe('failed');
    expect(String(missing.result['error'])).toContain('doesnt exist');
  });
});
