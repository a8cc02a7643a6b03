import { bindArguments, pyJsonDumps, pyStr, type CallArguments, type CallContext, type FilterImpl } from '@packrun/jinja';
import yaml from 'js-yaml';
import semver from 'semver';
import { parseYaml } from '../pack/yaml-file.ts';
import { boundedRegex } from './bounded-regex.ts';
import { jsonpathQuery } from './jsonpath-query.ts';
import { pythonRegex, pythonReplacement } from './python-regex.ts';

/** What `use_none` turns None into so that it survives rendering to a string (StackStorm's NONE_MAGIC_VALUE). */
export const noneMagicValue = '%*****__%NONE%__*****%';

const text = (value: unknown, context: CallContext): string => pyStr(value, context.meter);

/** A filter whose arguments bind to the parameter names StackStorm's Python function has. */
function withParameters(name: string, parameters: readonly string[], body: (value: unknown, bound: Record<string, unknown>, context: CallContext) => unknown): FilterImpl {
  return (value: unknown, args: CallArguments, context: CallContext) => body(value, bindArguments(name, args, parameters), context);
}

function semverOf(value: unknown, context: CallContext): string {
  const version = text(value, context);
  if (semver.valid(version) === null) throw new Error(`"${version}" is not a valid semver version`);
  return version;
}

function versionMatch(value: unknown, pattern: unknown, context: CallContext): boolean {
  const spec = text(pattern, context).trim();
  const match = /^(>=|<=|==|!=|>|<)\s*(.+)$/.exec(spec);
  if (!match) throw new Error(`version_match needs a pattern such as ">=1.0.0", got "${spec}"`);
  const order = semver.compare(semverOf(value, context), semverOf(match[2], context));
  switch (match[1]) {
    case '>': return order > 0;
    case '<': return order < 0;
    case '>=': return order >= 0;
    case '<=': return order <= 0;
    case '==': return order === 0;
    default: return order !== 0;
  }
}

function humanTime(value: unknown, context: CallContext): string {
  if (typeof value !== 'number') throw new Error(`to_human_time_from_seconds needs a number, got ${text(value, context)}`);
  if (value === 0) return '0s';
  if (value < 1) return `${value}\u03bcs`;
  let rest = Math.round(value);
  const parts: number[] = [];
  for (const size of [365 * 86400, 86400, 3600, 60]) {
    parts.push(Math.floor(rest / size));
    rest %= size;
  }
  parts.push(rest);
  const first = parts.findIndex((part) => part !== 0);
  const units = ['y', 'd', 'h', 'm', 's'];
  return parts.slice(first).map((part, index) => `${part}${units[first + index]}`).join('');
}

/** Python's posixpath.basename / dirname: `/a/b/` has basename `` and dirname `/a/b`. */
function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
function dirname(path: string): string {
  const head = path.slice(0, path.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

function findAll(subject: string, pattern: string, ignoreCase: boolean, context: CallContext): unknown[] {
  const regex = pythonRegex(pattern, { ignoreCase, global: true });
  const matches = boundedRegex(() => [...subject.matchAll(regex)], pattern, context.meter);
  context.meter.step(matches.length);
  return matches.map((match) => {
    if (match.length === 1) return match[0];
    if (match.length === 2) return match[1] ?? '';
    return match.slice(1).map((group) => group ?? '');
  });
}

/** StackStorm's own filters (st2common/util/jinja.py get_filters), same names and arguments. */
export const st2Filters: Record<string, FilterImpl> = {
  // Values come out of the datastore snapshot already decrypted when a template uses this filter.
  decrypt_kv: (value) => value,

  from_json_string: (value, _args, context) => JSON.parse(text(value, context)) as unknown,
  from_yaml_string: (value, _args, context) => {
    const parsed = parseYaml(text(value, context), 'from_yaml_string');
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.value;
  },
  to_json_string: withParameters('to_json_string', ['indent', 'sort_keys', 'separators'], (value, bound, context) =>
    pyJsonDumps(
      value,
      {
        indent: (bound['indent'] as number | string | null | undefined) ?? null,
        sortKeys: bound['sort_keys'] === true,
        separators: Array.isArray(bound['separators']) ? (bound['separators'] as [string, string]) : [',', ': '],
      },
      context.meter,
    ),
  ),
  to_yaml_string: withParameters('to_yaml_string', ['indent'], (value, bound, context) => {
    // js-yaml walks the value unmetered: measure it first, so a value with many shared parts
    // (`[a] * 1000` nested) fails on the render's limits instead of running away.
    pyJsonDumps(value, {}, context.meter);
    return yaml.dump(value, { indent: typeof bound['indent'] === 'number' ? bound['indent'] : 2, sortKeys: true, lineWidth: -1, noRefs: true });
  }),
  jsonpath_query: withParameters('jsonpath_query', ['query'], (value, bound, context) => jsonpathQuery(value, text(bound['query'], context), context.meter)),
  to_complex: (value, _args, context) => pyJsonDumps(value, {}, context.meter),
  json_escape: (value, _args, context) => pyJsonDumps(value, {}, context.meter).replace(/^"+|"+$/g, ''),

  regex_match: withParameters('regex_match', ['pattern', 'ignorecase'], (value, bound, context) => {
    const pattern = text(bound['pattern'], context);
    const regex = pythonRegex(pattern, { ignoreCase: bound['ignorecase'] === true, sticky: true });
    const subject = text(value, context);
    return boundedRegex(() => regex.test(subject), pattern, context.meter);
  }),
  regex_search: withParameters('regex_search', ['pattern', 'ignorecase'], (value, bound, context) => {
    const pattern = text(bound['pattern'], context);
    const regex = pythonRegex(pattern, { ignoreCase: bound['ignorecase'] === true });
    const subject = text(value, context);
    return boundedRegex(() => regex.test(subject), pattern, context.meter);
  }),
  regex_replace: withParameters('regex_replace', ['pattern', 'replacement', 'ignorecase'], (value, bound, context) => {
    const pattern = text(bound['pattern'], context);
    const regex = pythonRegex(pattern, { ignoreCase: bound['ignorecase'] === true, global: true });
    const replacer = pythonReplacement(text(bound['replacement'] ?? '', context));
    const subject = text(value, context);
    let added = 0;
    return boundedRegex(
      () =>
        subject.replace(regex, (...groups: unknown[]) => {
          const replaced = replacer(...(groups as [string, ...unknown[]]));
          added += replaced.length;
          context.meter.checkString(subject.length + added);
          return replaced;
        }),
      pattern,
      context.meter,
    );
  }),
  regex_substring: withParameters('regex_substring', ['pattern', 'result_index', 'ignorecase'], (value, bound, context) => {
    const pattern = text(bound['pattern'], context);
    const found = findAll(text(value, context), pattern, bound['ignorecase'] === true, context);
    const position = typeof bound['result_index'] === 'number' ? bound['result_index'] : 0;
    const result = found[position < 0 ? found.length + position : position];
    if (result === undefined) throw new Error(`regex_substring: no match number ${position} for ${JSON.stringify(pattern)}`);
    return result;
  }),

  to_human_time_from_seconds: (value, _args, context) => humanTime(value, context),

  version_compare: withParameters('version_compare', ['pattern'], (value, bound, context) => semver.compare(semverOf(value, context), semverOf(bound['pattern'], context))),
  version_more_than: withParameters('version_more_than', ['pattern'], (value, bound, context) => semver.compare(semverOf(value, context), semverOf(bound['pattern'], context)) === 1),
  version_less_than: withParameters('version_less_than', ['pattern'], (value, bound, context) => semver.compare(semverOf(value, context), semverOf(bound['pattern'], context)) === -1),
  version_equal: withParameters('version_equal', ['pattern'], (value, bound, context) => semver.compare(semverOf(value, context), semverOf(bound['pattern'], context)) === 0),
  version_match: withParameters('version_match', ['pattern'], (value, bound, context) => versionMatch(value, bound['pattern'], context)),
  version_bump_major: (value, _args, context) => semver.inc(semverOf(value, context), 'major'),
  version_bump_minor: (value, _args, context) => semver.inc(semverOf(value, context), 'minor'),
  version_bump_patch: (value, _args, context) => semver.inc(semverOf(value, context), 'patch'),
  version_strip_patch: (value, _args, context) => {
    const parsed = semver.parse(semverOf(value, context))!;
    return `${parsed.major}.${parsed.minor}`;
  },

  use_none: (value) => (value === null || value === undefined ? noneMagicValue : value),

  basename: (value, _args, context) => basename(text(value, context)),
  dirname: (value, _args, context) => dirname(text(value, context)),
};
