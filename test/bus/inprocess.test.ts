import { describe } from 'vitest';
import { createInProcessBus } from '@packrun/core';
import { busContract } from './bus-contract.ts';

describe('in-process bus contract', () => {
  busContract(async () => createInProcessBus());
});
