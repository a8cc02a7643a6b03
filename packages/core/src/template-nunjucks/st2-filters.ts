import yaml from 'js-yaml';
import semver from 'semver';
import { parseYaml } from '../pack/yaml-file.ts';
import { pyJsonDumps, pyStr } from './python-values.ts';
import { pythonRegex, pythonReplacement } from './python-regex.ts';
import { jsonpathQuery } from './jsonpath-query.ts';

/** What `use_none` turns None into so that it survives rendering to a string (StackStorm's NONE_MAGIC_VALUE). */
export const noneMagicValue = '%*****__%NONE%__*****%';

type Filter = (value: unknown, ...args: unknown[]) => unknown;

/** Nunjucks passes `name=value` arguments as a trailing object marked `__keywords`. */
export function splitKeywords(args: unknown[]): { positional: unknown[]; keywords: Record<string, unknown> } {
  const last = args[args.length - 1];
  if (typeof last === 'object' && last !== null && (last as Record<string, unknown>)['__keywords'] === true) {
    const { __keywords: _marker, ...keywords } = last as Record<string, unknown>;
    return { positional: args.slice(0, -1), keywords };
  }
  return { positional: args, keywords: {} };
}

/** Positional-or-keyword arguments, as Python functions take them. */
function argsOf(args: unknown[], names: string[]): Record<string, unknown> {
  const { positional, keywords } = splitKeywords(args);
  const out: Record<string, unknown> = {};
  names.forEach((name, index) => {
    if (index < positional.length) out[name] = positional[index];
    else if (name in keywords) out[name] = keywords[name];
  });
  return out;
}

const text = (value: unknown): string => pyStr(value);

function semverOf(value: unknown): string {
  const version = text(value);
  if (semver.valid(version) === null) throw new Error(`"${version}" is not a valid semver version`);
  return version;
}

function versionMatch(value: unknown, pattern: unknown): boolean {
  const spec = text(pattern).trim();
  const match = /^(>=|<=|==|!=|>|<)\s*(.+)$/.exec(spec);
  if (!match) throw new Error(`version_match needs a pattern such as ">=1.0.0", got "${spec}"`);
  const order = semver.compare(semverOf(value), semverOf(match[2]));
  switch (match[1]) {
    case '>': return order > 0;
    case '<': return order < 0;
    case '>=': return order >= 0;
    case '<=': return order <= 0;
    case '==': return order === 0;
    default: return order !== 0;
  }
}

function humanTime(value: unknown): string {
  if (typeof value !== 'number') throw new Error(`to_human_time_from_seconds needs a number, got ${pyStr(value)}`);
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
function basename(value: unknown): string {
  const path = text(value);
  return path.slice(path.lastIndexOf('/') + 1);
}
function dirname(value: unknown): string {
  const path = text(value);
  const head = path.slice(0, path.lastIndexOf('/') + 1);
  return head && !/^\/+$/.test(head) ? head.replace(/\/+$/, '') : head;
}

function findAll(value: unknown, pattern: unknown, ignoreCase: boolean): unknown[] {
  const regex = pythonRegex(text(pattern), { ignoreCase, global: true });
  return [...text(value).matchAll(regex)].map((match) => {
    if (match.length === 1) return match[0];
    if (match.length === 2) return match[1] ?? '';
    return match.slice(1).map((group) => group ?? '');
  });
}

/** StackStorm's own filters (st2common/util/jinja.py get_filters), same names and arguments. */
export const st2Filters: Record<string, Filter> = {
  // Values come out of the datastore snapshot already decrypted when a template uses this filter.
  decrypt_kv: (value) => value,

  from_json_string: (value) => JSON.parse(text(value)),
  from_yaml_string: (value) => {
    const parsed = parseYaml(text(value), 'from_yaml_string');
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.value;
  },
  to_json_string: (value, ...args) => {
    const { indent, sort_keys: sortKeys, separators } = argsOf(args, ['indent', 'sort_keys', 'separators']);
    return pyJsonDumps(value, {
      indent: (indent as number | string | null | undefined) ?? null,
      sortKeys: sortKeys === true,
      separators: Array.isArray(separators) ? (separators as [string, string]) : [',', ': '],
    });
  },
  to_yaml_string: (value, ...args) => {
    const { indent } = argsOf(args, ['indent']);
    return yaml.dump(value, { indent: typeof indent === 'number' ? indent : 2, sortKeys: true, lineWidth: -1, noRefs: true });
  },
  jsonpath_query: jsonpathQuery,
  to_complex: (value) => pyJsonDumps(value),
  json_escape: (value) => pyJsonDumps(value).replace(/^"+|"+$/g, ''),

  regex_match: (value, ...args) => {
    const { pattern, ignorecase } = argsOf(args, ['pattern', 'ignorecase']);
    return pythonRegex(text(pattern), { ignoreCase: ignorecase === true, sticky: true }).test(text(value));
  },
  regex_search: (value, ...args) => {
    const { pattern, ignorecase } = argsOf(args, ['pattern', 'ignorecase']);
    return pythonRegex(text(pattern), { ignoreCase: ignorecase === true }).test(text(value));
  },
  regex_replace: (value, ...args) => {
    const { pattern, replacement, ignorecase } = argsOf(args, ['pattern', 'replacement', 'ignorecase']);
    const regex = pythonRegex(text(pattern), { ignoreCase: ignorecase === true, global: true });
    return text(value).replace(regex, pythonReplacement(text(replacement ?? '')));
  },
  regex_substring: (value, ...args) => {
    const { pattern, result_index: index, ignorecase } = argsOf(args, ['pattern', 'result_index', 'ignorecase']);
    const found = findAll(value, pattern, ignorecase === true);
    const position = typeof index === 'number' ? index : 0;
    const result = found[position < 0 ? found.length + position : position];
    if (result === undefined) throw new Error(`regex_substring: no match number ${position} for ${pyStr(pattern)}`);
    return result;
  },

  to_human_time_from_seconds: humanTime,

  version_compare: (value, pattern) => semver.compare(semverOf(value), semverOf(pattern)),
  version_more_than: (value, pattern) => semver.compare(semverOf(value), semverOf(pattern)) === 1,
  version_less_than: (value, pattern) => semver.compare(semverOf(value), semverOf(pattern)) === -1,
  version_equal: (value, pattern) => semver.compare(semverOf(value), semverOf(pattern)) === 0,
  version_match: versionMatch,
  version_bump_major: (value) => semver.inc(semverOf(value), 'major'),
  version_bump_minor: (value) => semver.inc(semverOf(value), 'minor'),
  version_bump_patch: (value) => semver.inc(semverOf(value), 'patch'),
  version_strip_patch: (value) => {
    const parsed = semver.parse(semverOf(value))!;
    return `${parsed.major}.${parsed.minor}`;
  },

  use_none: (value) => (value === null || value === undefined ? noneMagicValue : value),

  basename,
  dirname,
};
