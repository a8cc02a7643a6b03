import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { homeWithExchangePack, type ExchangeHome } from './exchange-home.ts';

// stackstorm-xml pins xmltodict in requirements.txt: the install builds a real venv from PyPI.
let pack: ExchangeHome;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'packrun-exchange-xml-'));

beforeAll(async () => {
  pack = await homeWithExchangePack('xml');
}, 300_000);

const document = '<?xml version="1.0"?><inventory region="eu"><host name="web1"><port>80</port><port>443</port></host><host name="db1"><port>5432</port><note/></host></inventory>';

// xmltodict's mapping: attributes as "@name", repeated elements as lists, text-only elements as
// strings, empty elements as None; parse returns it as the action result unchanged.
const expected = {
  inventory: {
    '@region': 'eu',
    host: [
      { '@name': 'web1', port: ['80', '443'] },
      { '@name': 'db1', port: '5432', note: null },
    ],
  },
};

describe('xml (StackStorm-Exchange/stackstorm-xml, unmodified)', () => {
  it('parse turns an XML string into xmltodict\'s dict', async () => {
    const outcome = await pack.run('xml.parse', { data: document });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toEqual(expected);
  });

  it('parse_file reads the same document from a file', async () => {
    const file = path.join(scratch, 'inventory.xml');
    writeFileSync(file, document);
    const outcome = await pack.run('xml.parse_file', { file_path: file });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.result['result']).toEqual(expected);
  });

  it('malformed XML fails with the expat error and its position', async () => {
    const outcome = await pack.run('xml.parse', { data: '<a><b></a>' });
    expect(outcome.status).toBe('failed');
    expect(outcome.result['result']).toBeNull();
    expect(String(outcome.result['error'])).toMatch(/mismatched tag: line 1, column 8/);
  });
});
