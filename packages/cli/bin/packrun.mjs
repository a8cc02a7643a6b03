#!/usr/bin/env node
// Packrun runs from its TypeScript sources; tsx compiles them on the fly (see README, "Development").
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
