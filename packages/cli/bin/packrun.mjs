#!/usr/bin/env node
// The packrun command: the production bundle when it is current (scripts/build.mjs, run by
// scripts/setup.sh), else the TypeScript sources compiled on the fly by tsx (README, "Development").
import { currentBuild } from './current-build.mjs';

async function loadMain() {
  const build = currentBuild();
  if (build) return (await import(build)).main;
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/main.ts')).main;
}

process.exitCode = await (await loadMain())(process.argv);
