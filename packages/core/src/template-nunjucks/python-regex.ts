/**
 * Python `re` patterns and replacement strings in JavaScript. Packs write their regular expressions
 * for Python; the common differences are translated: named groups `(?P<n>...)`, back-references
 * `(?P=n)`, anchors `\A` and `\Z`, leading inline flags `(?i)`, and `\1` / `\g<n>` in replacements.
 */
export function pythonRegex(pattern: string, options: { ignoreCase?: boolean; global?: boolean; sticky?: boolean } = {}): RegExp {
  let source = pattern;
  const flags = new Set<string>(['u']);
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    for (const flag of inline[1]!) if (flag === 'i' || flag === 'm' || flag === 's') flags.add(flag);
    source = source.slice(inline[0].length);
  }
  source = source
    .replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])\\A/g, '$1^')
    .replace(/(^|[^\\])\\Z/g, '$1$$');
  if (options.ignoreCase) flags.add('i');
  if (options.global) flags.add('g');
  if (options.sticky) flags.add('y');
  try {
    return new RegExp(source, [...flags].join(''));
  } catch {
    // Some Python patterns are not valid under the `u` flag's stricter escapes; try without it.
    flags.delete('u');
    return new RegExp(source, [...flags].join(''));
  }
}

/** Python's `re.sub` replacement syntax (`\1`, `\g<1>`, `\g<name>`, `\n`) as a JavaScript replacer. */
export function pythonReplacement(replacement: string): (match: string, ...rest: unknown[]) => string {
  return (match: string, ...rest: unknown[]) => {
    const last = rest[rest.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
    const groups = rest.filter((_, index) => index < rest.length - (typeof last === 'object' && last !== null ? 3 : 2)) as (string | undefined)[];
    return replacement.replace(/\\(?:g<([^>]+)>|(\d{1,2})|([ntr\\]))/g, (_all, gname: string | undefined, digits: string | undefined, escape: string | undefined) => {
      if (escape !== undefined) return escape === 'n' ? '\n' : escape === 't' ? '\t' : escape === 'r' ? '\r' : '\\';
      const ref = gname ?? digits ?? '0';
      if (/^\d+$/.test(ref)) {
        const index = Number(ref);
        return index === 0 ? match : (groups[index - 1] ?? '');
      }
      return named[ref] ?? '';
    });
  };
}
