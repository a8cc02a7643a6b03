import { PackrunError } from '@packrun/core';
import type { RenderTemplate } from './criteria.ts';

/**
 * Renders a rule's action parameters over `trigger`, `st2kv`, `config_context` and
 * `action_context`. Strings are templates at any depth of objects and lists; a lone `{{ expr }}`
 * keeps its value's type. A rendered string is then cast to the action parameter's declared type
 * where it reads as one ("5" for an integer, "true" for a boolean, JSON for an object or array),
 * as StackStorm casts rendered parameters. Values without templates pass through untouched.
 */
export interface ParameterTypes {
  [name: string]: { type?: unknown } | undefined;
}

export function renderActionParameters(
  rule: string,
  parameters: Record<string, unknown>,
  context: Record<string, unknown>,
  render: RenderTemplate,
  types: ParameterTypes = {},
): Record<string, unknown> {
  const rendered: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parameters)) {
    let result: unknown;
    try {
      result = renderDeep(value, context, render);
    } catch (error) {
      throw new PackrunError('RULE_PARAMETER_RENDER_FAILED', `rule ${rule}: action.parameters.${name} cannot be rendered: ${(error as Error).message}`, {
        details: { rule, parameter: name },
      });
    }
    rendered[name] = result !== value && typeof result === 'string' ? castString(result, types[name]?.type) : result;
  }
  return rendered;
}

function renderDeep(value: unknown, context: Record<string, unknown>, render: RenderTemplate): unknown {
  if (typeof value === 'string') return value.includes('{{') || value.includes('{%') ? render(value, context) : value;
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, context, render));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderDeep(item, context, render)]));
  }
  return value;
}

function castString(text: string, type: unknown): unknown {
  const trimmed = text.trim();
  switch (type) {
    case 'integer':
      return /^[-+]?\d+$/.test(trimmed) ? Number(trimmed) : text;
    case 'number':
      return trimmed !== '' && Number.isFinite(Number(trimmed)) ? Number(trimmed) : text;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(trimmed)) return true;
      if (/^(false|0|no|off)$/i.test(trimmed)) return false;
      return text;
    case 'object':
    case 'array':
      try {
        const parsed: unknown = JSON.parse(trimmed);
        const ok = type === 'array' ? Array.isArray(parsed) : typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
        return ok ? parsed : text;
      } catch {
        return text;
      }
    default:
      return text;
  }
}
