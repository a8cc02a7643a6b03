import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes a pack folder for a test: relative path -> file content. Returns the folder. */
export async function writePackFolder(files: Record<string, string>, folderName = 'test_pack'): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'packrun-pack-'));
  const dir = path.join(root, folderName);
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
  await mkdir(dir, { recursive: true });
  return dir;
}

export const minimalPackYaml = 'name: test_pack\ndescription: a pack for tests\nversion: 0.1.0\nauthor: tester\n';
