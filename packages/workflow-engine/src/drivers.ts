import { PackrunError } from '@packrun/core';
import { actionChainDriver } from './action-chain/chain-driver.ts';
import type { WorkflowDriver } from './driver.ts';
import { orquestaDriver } from './orquesta/driver.ts';

/**
 * The drivers the engine has, by runner type. An action of a workflow runner without a driver
 * here is registered all the same, and running it fails with WORKFLOW_DRIVER_MISSING.
 */
const drivers: ReadonlyMap<string, WorkflowDriver> = new Map<string, WorkflowDriver>([
  [actionChainDriver.runnerType, actionChainDriver as WorkflowDriver],
  [orquestaDriver.runnerType, orquestaDriver as WorkflowDriver],
]);

export function findWorkflowDriver(runnerType: string): WorkflowDriver | undefined {
  return drivers.get(runnerType);
}

export function workflowDriver(runnerType: string, action: string): WorkflowDriver {
  const driver = drivers.get(runnerType);
  if (!driver) {
    throw new PackrunError('WORKFLOW_DRIVER_MISSING', `action ${action} is a ${runnerType} workflow, and this Packrun has no ${runnerType} driver yet`, {
      hint: 'docs/workflows.md says which workflow runners run; the action stays registered and runs once the driver is there',
      details: { action, runner: runnerType },
    });
  }
  return driver;
}
