import { compileSchema, maskedValue, underWatchdog, type ActionOutcome, type ActionRecord } from '@packrun/core';

/**
 * StackStorm 3.5+'s output_schema (st2common/util/output_schema.py): a succeeded execution whose
 * output breaks its action's `output_schema` ends `failed` with the error naming where; and output
 * fields the schema marks `secret: true` are masked (`********`) in what is stored and shown.
 *
 * Only runners with an output key have output to check, as in st2's runner.yaml files: the value
 * under `result` for python-script (and Packrun's node-script), `body` for http-request. The shell
 * runners have none. A schema without a top-level `type` is st2's legacy form (properties at the
 * top): it is not enforced, but its secret fields are still masked, as st2 does.
 */
const outputKeys: Readonly<Record<string, string>> = { 'python-script': 'result', 'node-script': 'result', 'http-request': 'body' };

/** How long one patternProperties pattern may take on one output key when masking. */
const patternTimeoutMs = 100;

/** How long validating one output may take. */
const validationTimeoutMs = 1000;

/** st2's message beside the validation error. */
const validationMessage = 'Error validating output. See error output for more details.';

export function applyOutputSchema(action: Pick<ActionRecord, 'ref' | 'runnerType' | 'outputSchema'> | undefined, outcome: ActionOutcome): ActionOutcome {
  const key = action ? outputKeys[action.runnerType] : undefined;
  const declared = action?.outputSchema;
  if (!action || key === undefined || !isObject(declared) || !(key in outcome.result)) return outcome;
  const enforced = typeof declared['type'] === 'string' || Array.isArray(declared['type']);
  const schema = enforced ? declared : { type: 'object', properties: declared, additionalProperties: true };
  if (enforced && outcome.status === 'succeeded') {
    const error = validationError(schema, outcome.result[key], key);
    if (error !== undefined) {
      const { stdout, stderr, exit_code: exitCode } = outcome.result;
      return {
        ...outcome,
        status: 'failed',
        result: { error: `${action.ref}: output does not match its output_schema: ${error}`, message: validationMessage, ...(stdout === undefined ? {} : { stdout }), ...(stderr === undefined ? {} : { stderr }), ...(exitCode === undefined ? {} : { exit_code: exitCode }) },
      };
    }
  }
  return { ...outcome, result: { ...outcome.result, [key]: masked(schema, outcome.result[key]) } };
}

/** The first validation error as `<key>.<path> <message> (schema path #/...)`, or undefined when the output is valid. */
function validationError(schema: Record<string, unknown>, value: unknown, key: string): string | undefined {
  let validate;
  try {
    validate = compileSchema(schema);
  } catch (error) {
    // st2 ignores an output_schema it cannot use; say so in the failure instead of passing silently.
    return `the schema itself is invalid (${(error as Error).message})`;
  }
  // A `pattern` or `patternProperties` of the schema (pack metadata) runs on the output (untrusted):
  // under the watchdog, so a pattern that backtracks fails this execution instead of holding the API.
  const checked = underWatchdog(() => validate(value), validationTimeoutMs);
  if ('timedOut' in checked) return `validating took longer than ${validationTimeoutMs} ms (a pattern in the schema backtracks on this output)`;
  if (checked.value) return undefined;
  const first = validate.errors?.[0];
  if (!first) return 'invalid';
  const where = first.instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = [key, ...where].join('.');
  return `${path} ${first.message ?? 'is invalid'} (schema path ${first.schemaPath})`;
}

/** st2's _get_masked_value: the parts a schema marks secret become `********`; the rest is copied as it is. */
function masked(spec: unknown, value: unknown): unknown {
  if (!isObject(spec)) return value;
  if (spec['secret'] === true) return maskedValue;
  if (spec['type'] === 'object' && isObject(value)) {
    const out: Record<string, unknown> = { ...value };
    const properties = isObject(spec['properties']) ? spec['properties'] : {};
    const unhandled = new Set(Object.keys(out).filter((name) => !(name in properties)));
    for (const [name, propertySpec] of Object.entries(properties)) if (name in out) out[name] = masked(propertySpec, out[name]);
    if (isObject(spec['patternProperties'])) {
      for (const [pattern, patternSpec] of Object.entries(spec['patternProperties'])) {
        let regex: RegExp;
        try {
          regex = new RegExp(pattern, 'u');
        } catch {
          continue;
        }
        for (const name of [...unhandled]) {
          // The pattern is pack metadata and the name comes from the output: matched under the
          // watchdog, and a match that runs too long masks the field rather than risk showing it.
          const match = underWatchdog(() => regex.test(name), patternTimeoutMs);
          if ('value' in match && !match.value) continue;
          out[name] = 'value' in match ? masked(patternSpec, out[name]) : maskedValue;
          unhandled.delete(name);
        }
      }
    }
    if (isObject(spec['additionalProperties'])) for (const name of unhandled) out[name] = masked(spec['additionalProperties'], out[name]);
    return out;
  }
  if (spec['type'] === 'array' && Array.isArray(value)) {
    const items = spec['items'];
    if (Array.isArray(items)) {
      return value.map((item, index) => (index < items.length ? masked(items[index], item) : isObject(spec['additionalItems']) ? masked(spec['additionalItems'], item) : item));
    }
    return value.map((item) => masked(items, item));
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
