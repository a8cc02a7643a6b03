import path from 'node:path';

/** Where the Node side of action execution lives: run as `node <actionWrapper>` (docs/node-actions.md). */
export const nodeRuntime = {
  actionWrapper: path.resolve(import.meta.dirname, '../../node/action-wrapper.mjs'),
} as const;
