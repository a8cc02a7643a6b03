import { PackrunError, type LoadedPack } from '@packrun/core';

const moduleName = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * pack.yaml `preload_imports` (a Packrun extension): modules the pack's zygote imports once, so
 * forked executions find them loaded. Only dotted module names: the zygote imports them by name.
 */
export function preloadImportsOf(pack: LoadedPack): string[] {
  const value = pack.meta.raw['preload_imports'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string' && moduleName.test(item))) {
    throw new PackrunError('PACK_INVALID', `${pack.dir}/pack.yaml: preload_imports must be a list of Python module names`, {
      hint: 'e.g. preload_imports: [requests, yaml, jinja2]',
      details: { file: `${pack.dir}/pack.yaml`, field: 'preload_imports' },
    });
  }
  return value;
}
