import { useState } from 'preact/hooks';
import type { ParameterSpec } from '../api/types.ts';
import { fieldValue, initialText, kindOf, orderedParameters } from './parameter-values.ts';

/**
 * The run form of an action, generated from its parameter schema: strings as text fields (secrets
 * as password fields), enums as selects, numbers as number fields, booleans as checkboxes, arrays
 * and objects as JSON checked before anything is sent. Immutable parameters are shown, not sent.
 */
export function ParameterForm(props: {
  parameters: Record<string, ParameterSpec>;
  busy: boolean;
  onSubmit: (parameters: Record<string, unknown>) => void;
  /** The submit button's label, and while busy (Run, Starting…). */
  submitLabel?: [idle: string, busy: string];
  /** Send fields left at their defaults too (fieldValue's sendDefaults). */
  sendDefaults?: boolean;
}) {
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
      const { value, problem } = fieldValue(spec, raw, { sendDefaults: props.sendDefaults === true });
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
      {fields.length === 0 ? <p class="muted">No parameters.</p> : null}
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
        {props.busy ? (props.submitLabel?.[1] ?? 'Starting…') : (props.submitLabel?.[0] ?? 'Run')}
      </button>
    </form>
  );
}
