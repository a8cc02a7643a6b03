import AjvModule, { type ValidateFunction, type ErrorObject } from 'ajv-draft-04';

// The package is CommonJS: under nodenext its default import is the module, whose `default` is the class.
const Ajv = AjvModule.default;

/**
 * One draft-04 validator for parameters, config and payload schemas. Not strict: pack schemas carry
 * keywords of their own (e.g. `secret`, `position` in config schemas) that must not fail a pack.
 */
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

const cache = new WeakMap<object, ValidateFunction>();

/** Compiles (once per schema object) or throws the schema's own error message. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let validate = cache.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

/** Human-readable, one line per problem, paths like `/items/0`. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  if (!errors || errors.length === 0) return 'does not match its schema';
  return errors
    .map((error) => {
      const where = error.instancePath ? `${error.instancePath} ` : '';
      if (error.keyword === 'enum') return `${where}must be one of ${JSON.stringify(error.params['allowedValues'])}`;
      return `${where}${error.message ?? 'is invalid'}`;
    })
    .join('; ');
}
