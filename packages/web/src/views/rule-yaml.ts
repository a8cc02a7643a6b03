/** A rule's YAML that does not parse, or is not a mapping: where, when the parser says. */
export class RuleYamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'RuleYamlError';
  }
}

/**
 * A rule file's YAML as the JSON the API takes. js-yaml is loaded only when a rule is created (it
 * is not part of the first page load), with its core schema: data only, no tags that build
 * objects or run anything.
 */
export async function parseRuleYaml(source: string): Promise<Record<string, unknown>> {
  const { load, CORE_SCHEMA, YAMLException } = await import('js-yaml');
  let parsed: unknown;
  try {
    parsed = load(source, { schema: CORE_SCHEMA });
  } catch (error) {
    if (error instanceof YAMLException) throw new RuleYamlError(`the YAML does not parse: ${error.reason}`, error.mark ? error.mark.line + 1 : undefined);
    throw error;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RuleYamlError('a rule is a YAML mapping (name, pack, trigger, criteria, action)');
  return parsed as Record<string, unknown>;
}

/** The fields of a rule file, in a rule file's order: what the API's rule has beyond them (id, uid, ref, type...) is the server's. */
const ruleFileFields = ['name', 'pack', 'description', 'enabled', 'tags', 'trigger', 'criteria', 'action'] as const;

/** A rule as the YAML of its file, to edit: js-yaml's dump, loaded as parseRuleYaml loads it. */
export async function ruleAsYaml(raw: Record<string, unknown>): Promise<string> {
  const { dump } = await import('js-yaml');
  const file: Record<string, unknown> = {};
  for (const field of ruleFileFields) if (raw[field] !== undefined && !(Array.isArray(raw[field]) && raw[field].length === 0)) file[field] = raw[field];
  // The API's trigger also names the trigger it made for these parameters (`ref`): the server's, not the file's.
  const trigger = raw['trigger'];
  if (typeof trigger === 'object' && trigger !== null && !Array.isArray(trigger)) {
    const { type, parameters } = trigger as Record<string, unknown>;
    file['trigger'] = { type, ...(parameters === undefined ? {} : { parameters }) };
  }
  return dump(file, { noRefs: true, lineWidth: -1 });
}
