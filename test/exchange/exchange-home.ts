import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dataPaths, loadConfig, type PackrunConfig, type SpawnDecorator } from '@packrun/core';
import { installPack } from '@packrun/pack-installer';
import { runAction } from '@packrun/action-runner';
import { LocalFileKeyValues } from '../helpers/file-key-values.ts';
import { realPython, repoRoot } from '../runner/fixtures.ts';

const exchangeFixtures = path.join(repoRoot, 'test/fixtures/exchange');

export interface ExchangeHome {
  home: string;
  config: PackrunConfig;
  run(ref: string, input: Record<string, unknown>, decorator?: SpawnDecorator): ReturnType<typeof runAction>;
}

/**
 * A fresh PACKRUN_HOME with one vendored Exchange pack installed exactly as `packrun pack install
 * <folder>` would: its requirements.txt goes into a real venv from PyPI.
 */
export function homeWithExchangePack(pack: string): Promise<ExchangeHome> {
  return homeWithPackFolders([path.join(exchangeFixtures, pack)]);
}

/** The same for any pack folders, installed together; `env` adds configuration variables. */
export async function homeWithPackFolders(packDirs: string[], env: Record<string, string> = {}): Promise<ExchangeHome> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'packrun-exchange-'));
  // Sandboxed job uids must be able to reach their pack and job folder through the data folder.
  chmodSync(home, 0o711);
  const config = loadConfig({ PACKRUN_HOME: home, PACKRUN_PYTHON: realPython(), PACKRUN_KILL_GRACE: '1', ...env });
  const paths = dataPaths(home);
  await installPack(packDirs, { config });
  const datastore = new LocalFileKeyValues(paths);
  return {
    home,
    config,
    run: (ref, input, decorator) => runAction({ paths, config, ref, input, datastore, ...(decorator ? { decorator } : {}) }),
  };
}
