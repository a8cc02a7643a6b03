// What a pack's Node code (an action or a sensor) is given by its wrapper, shared by the action
// wrapper here and the sensor wrapper in packages/sensor-container/node: the import resolution
// that finds the pack's node_modules, and the StackStorm-style logger on stderr.
import path from 'node:path';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

const levels = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

/**
 * ES module imports ignore NODE_PATH; this makes bare imports fall back to the pack's
 * node_modules (the first NODE_PATH entry, which the runtime sets to it).
 */
export function resolveBareImportsFromNodePath() {
  const nodeModules = process.env.NODE_PATH?.split(path.delimiter).find(Boolean);
  if (!nodeModules) return;
  const parentURL = pathToFileURL(path.join(path.dirname(nodeModules), 'packrun-resolve-base.mjs')).href;
  const hooks = `
    let parentURL;
    export function initialize(data) { parentURL = data.parentURL; }
    export async function resolve(specifier, context, next) {
      try {
        return await next(specifier, context);
      } catch (error) {
        const bare = !/^(\\.|\\/|[a-z][a-z0-9+.-]*:)/i.test(specifier);
        if (!bare || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
        return next(specifier, { ...context, parentURL });
      }
    }`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { parentURL } });
}

export function createLogger(level, name) {
  const threshold = levels[level] ?? levels.info;
  const write = (label) => (...items) => {
    if (levels[label] < threshold) return;
    const text = items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(' ');
    process.stderr.write(`${new Date().toISOString()} ${label.toUpperCase()} ${name}: ${text}\n`);
  };
  return { debug: write('debug'), info: write('info'), warning: write('warning'), warn: write('warning'), error: write('error'), critical: write('critical') };
}
