import type { Json } from '../driver.ts';

/**
 * Orquesta's inline parameters (`publish: a=1 b="x y" c=<% ctx().v %>` and
 * `action: core.echo message="hi"`): `name=value` pairs where a value is a bracketed list, a quoted
 * string, a number, true/false/null or an expression. Values that read as JSON become that JSON;
 * quoted text stays text.
 */
const valuePatterns = [
  String.raw`\[.*\]\s*`,
  String.raw`"[^"]*"\s*`,
  String.raw`'[^']*'\s*`,
  String.raw`-?\d*\.\d+`,
  String.raw`-?\d+`,
  '[Tt][Rr][Uu][Ee]',
  '[Ff][Aa][Ll][Ss][Ee]',
  'null',
  '<%.*?%>',
  '{{.*?}}',
];
const inlineParameter = new RegExp(String.raw`(\w+)=(${valuePatterns.join('|')})`, 'g');

export function parseInlineParameters(text: string): [string, Json][] {
  const parameters: [string, Json][] = [];
  for (const match of text.matchAll(inlineParameter)) {
    let value = match[2]!.trim();
    const quoted = /^"[^"]*"$|^'[^']*'$/.test(value) || /"[^"]*"|'[^']*'/.test(value);
    value = value.replace(/^"/, '').replace(/"$/, '').replace(/^'/, '').replace(/'$/, '');
    const jsonObject = value.startsWith('{') && value.endsWith('}');
    let parsed: Json = value;
    if (!(quoted && !jsonObject)) {
      const candidate = /^(true|false)$/i.test(value) ? value.toLowerCase() : value;
      try {
        parsed = JSON.parse(candidate) as Json;
      } catch {
        parsed = value;
      }
    }
    parameters.push([match[1]!, parsed]);
  }
  return parameters;
}
