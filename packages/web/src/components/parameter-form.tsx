import { useState } from 'preact/hooks';
import type { ParameterSpec } from '../api/types.ts';

/** The type a field is edited as: st2's parameter types (JSON Schema draft 4's). */
type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'json';

function kindOf(spec: ParameterSpec): FieldKind {
  const type = Array.isArray(spec.type) ? spec.type.find((item) => item !== 'null') : spec.type;
  if (type === 'string' || type === 'integer' || type === 'number' || type === 'boolean' || type === 'array' || type === 'object') return type;
  return 'json';
}

/** Parameters in st2's order: by position, then the required ones, then by name. */
export function orderedParameters(parameters: Record<string, ParameterSpec>): Array<[string, ParameterSpec]> {
  return Object.entries(parameters).sort(([nameA, a], [nameB, b]) => {
    const positionA = a.position ?? Number.POSITIVE_INFINITY;
    const positionB = b.position ?? Number.POSITIVE_INFINITY;
    if (positionA !== positionB) return positionA - positionB;
    if (Boolean(a.required) !== Boolean(b.required)) return a.required ? -1 : 1;
    return nameA.localeCompare(nameB);
  });
}

/** A default as the text its field starts with. */
function initialText(spec: ParameterSpec): string {
  if (spec.default === undefined || spec.default === null) return '';
  const kind = kindOf(spec);
  if (kind === 'array' || kind === 'object' || kind === 'json') return JSON.stringify(spec.default, null, 2);
  return String(spec.default);
}

/**
 * A field's text as the value to send, or a message saying what is wrong with it. undefined:
 * nothing to send (left empty, or left at its default, which the server applies itself).
 */
export function fieldValue(spec: ParameterSpec, raw: string | boolean): { value?: unknown; problem?: string } {
  const kind = kindOf(spec);
  if (kind === 'boolean') {
    const checked = raw === true;
    return checked === (spec.default === true) ? {} : { value: checked };
  }
  const text = String(raw);
  if (text.trim() === '') return spec.required && spec.default === undefined ? { problem: 'is required' } : {};
  if (text === initialText(spec)) return {};
  if (kind === 'string') return { value: text };
  if (kind === 'integer' || kind === 'number') {
    const number = Number(text);
    if (!Number.isFinite(number)) return { problem: 'must be a number' };
    if (kind === 'integer' && !Number.isInteger(number)) return { problem: 'must be a whole number' };
    if (spec.minimum !== undefined && number < spec.minimum) return { problem: `must be at least ${spec.minimum}` };
    if (spec.maximum !== undefined && number > spec.maximum) return { problem: `must be at most ${spec.maximum}` };
    return { value: number };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { problem: `is not valid JSON (${(error as Error).message})` };
  }
  if (kind === 'array' && !Array.isArray(parsed)) return { problem: 'must be a JSON array, e.g. ["a", "b"]' };
  if (kind === 'object' && (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))) return { problem: 'must be a JSON object, e.g. {"key": "value"}' };
  return { value: parsed };
}

/**
 * The run form of an action, generated from its parameter schema: strings as text fields (secrets
 * as password fields), enums as selects, numbers as number fields, booleans as checkboxes, arrays
 * and objects as JSON checked before anything is sent. Immutable parameters are shown, not sent.
 */
export function ParameterForm(props: { parameters: Record<string, ParameterSpec>; busy: boolean; onSubmit: (parameters: Record<string, unknown>) => void }) {
  const [problems, setProblems] = useState<Record<string, string>>({});
  const fields = orderedParameters(props.parameters);

  function submit(event: Event): void {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const values: Record<string, unknown> = {};
    const found: Record<string, string> = {};
    for (const [name, spec] of fields) {
      if (spec.immutable) continue;
      const element = form.elements.namedItem(`param-${name}`) as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | null;
      if (!element) continue;
      const raw = element instanceof HTMLInputElement && element.type === 'checkbox' ? element.checked : element.value;
      const { value, problem } = fieldValue(spec, raw);
      if (problem) found[name] = `${name} ${problem}`;
      else if (value !== undefined) values[name] = value;
    }
    setProblems(found);
    const first = Object.keys(found)[0];
    if (first !== undefined) {
      (form.elements.namedItem(`param-${first}`) as HTMLElement | null)?.focus();
      return;
    }
    props.onSubmit(values);
  }

  return (
    <form class="run-form card" onSubmit={submit} noValidate>
      {fields.length === 0 ? <p class="muted">This action takes no parameters.</p> : null}
      {fields.map(([name, spec]) => {
        const id = `param-${name}`;
        const kind = kindOf(spec);
        const problem = problems[name];
        const describedBy = [spec.description ? `${id}-help` : '', problem ? `${id}-problem` : ''].filter(Boolean).join(' ') || undefined;
        const common = { id, name: id, 'aria-describedby': describedBy, 'aria-invalid': problem ? true : undefined, disabled: spec.immutable === true };
        let control;
        if (spec.enum && spec.enum.length > 0) {
          control = (
            <select {...common}>
              {spec.required && spec.default === undefined ? <option value="">choose…</option> : !spec.required ? <option value="">(default)</option> : null}
              {spec.enum.map((choice) => (
                <option value={String(choice)} selected={choice === spec.default}>
                  {String(choice)}
                </option>
              ))}
            </select>
          );
        } else if (kind === 'boolean') {
          control = <input type="checkbox" {...common} defaultChecked={spec.default === true} />;
        } else if (kind === 'array' || kind === 'object' || kind === 'json') {
          control = <textarea {...common} rows={3} spellcheck={false} class="mono" defaultValue={initialText(spec)} placeholder={kind === 'array' ? '["…"]' : kind === 'object' ? '{"…": "…"}' : 'JSON'} />;
        } else {
          const type = spec.secret ? 'password' : kind === 'integer' || kind === 'number' ? 'number' : 'text';
          control = <input type={type} {...common} defaultValue={initialText(spec)} autocomplete={spec.secret ? 'new-password' : 'off'} step={kind === 'number' ? 'any' : undefined} />;
        }
        return (
          <div class={`field field-${kind === 'boolean' ? 'check' : 'text'}`} key={name}>
            <label for={id}>
              {name}
              {spec.required ? <span class="required" title="required"> *</span> : null}
              <span class="muted small"> {Array.isArray(spec.type) ? spec.type.join(' | ') : (spec.type ?? 'any')}{spec.secret ? ', secret' : ''}{spec.immutable ? ', immutable' : ''}</span>
            </label>
            {control}
            {spec.description ? (
              <p id={`${id}-help`} class="muted small">
                {spec.description}
              </p>
            ) : null}
            {problem ? (
              <p id={`${id}-problem`} class="problem" role="alert">
                {problem}
              </p>
            ) : null}
          </div>
        );
      })}
      <button type="submit" class="primary" disabled={props.busy}>
        {props.busy ? 'Starting…' : 'Run'}
      </button>
    </form>
  );
}
