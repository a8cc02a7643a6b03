import { PackrunError, parseCliParameters, type ActionMeta } from '@packrun/core';

/**
 * `name=value` words plus an optional `--params-json` object. Words are coerced by their
 * parameter's declared type (`count=3` is a number, `tags=a,b` an array) and override the JSON
 * object, whose values are taken as they are.
 */
export function runParameters(action: ActionMeta, words: string[], json: string | undefined): Record<string, unknown> {
  let fromJson: Record<string, unknown> = {};
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
    fromJson = parsed as Record<string, unknown>;
  }
  return { ...fromJson, ...parseCliParameters(action, words) };
}
