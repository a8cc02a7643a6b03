import { coerceCliValue, PackrunError, type ActionMeta } from '@packrun/core';

/**
 * `key=value` words plus an optional `--params-json` object. Each value is coerced by its
 * parameter's declared type (`count=3` is a number, `tags=a,b` an array); the JSON object's values
 * are taken as they are and the words override them.
 */
export function parseCliParameters(action: ActionMeta, words: string[], json: string | undefined): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new PackrunError('CLI_PARAMETERS_INVALID', `--params-json is not valid JSON: ${(error as Error).message}`, {
        hint: `quote it for the shell: --params-json '{"name": "value"}'`,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PackrunError('CLI_PARAMETERS_INVALID', '--params-json must be a JSON object of parameter names to values');
    }
    Object.assign(parameters, parsed);
  }
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) {
      throw new PackrunError('CLI_PARAMETERS_INVALID', `"${word}" is not a parameter: write name=value`, {
        hint: `\`packrun action get ${action.ref}\` lists the parameters`,
        details: { argument: word },
      });
    }
    const name = word.slice(0, eq);
    parameters[name] = coerceCliValue(action.parameters[name], word.slice(eq + 1));
  }
  return parameters;
}
