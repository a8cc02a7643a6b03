import { useState } from 'preact/hooks';
import { ApiError } from '../api/client.ts';
import type { Rule } from '../api/types.ts';
import { navigate } from '../router.ts';
import { parseRuleYaml, RuleYamlError } from '../views/rule-yaml.ts';

interface Problem {
  message: string;
  where?: string;
  code?: string;
  hint?: string;
}

/** Why a rule was not saved, as the form shows it under the text: the parser's line, or the server's field. */
function problemOf(caught: unknown): Problem {
  if (caught instanceof RuleYamlError) return { message: caught.message, ...(caught.line === undefined ? {} : { where: `line ${caught.line}` }) };
  if (caught instanceof ApiError) {
    const field = caught.details?.['field'] ?? caught.details?.['parameter'];
    return { message: caught.message, code: caught.code, ...(caught.hint ? { hint: caught.hint } : {}), ...(typeof field === 'string' ? { where: field } : {}) };
  }
  return { message: caught instanceof Error ? caught.message : String(caught) };
}

/**
 * A rule as YAML (a rule file's content, with its pack), for creating and for editing one. The
 * YAML is parsed in the browser (data only: no tags that make objects); `save` sends it, and the
 * server's refusal is shown under the text, naming the field or line. Saved, the rule's page opens.
 */
export function RuleYamlForm(props: { initial: string; label: string; busyLabel: string; save: (definition: Record<string, unknown>) => Promise<Rule> }) {
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const source = String(new FormData(event.currentTarget as HTMLFormElement).get('yaml') ?? '');
    setBusy(true);
    setProblem(undefined);
    try {
      const rule = await props.save(await parseRuleYaml(source));
      navigate(`/rules/${encodeURIComponent(rule.ref)}`);
    } catch (caught) {
      setProblem(problemOf(caught));
      (document.getElementById('rule-yaml') as HTMLTextAreaElement | null)?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={(event) => void submit(event)} noValidate>
      <div class="field field-text">
        <label for="rule-yaml">The rule, as YAML</label>
        <textarea
          id="rule-yaml"
          name="yaml"
          class="mono"
          rows={18}
          spellcheck={false}
          defaultValue={props.initial}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'rule-yaml-problem' : undefined}
        />
        {problem ? (
          <div id="rule-yaml-problem" class="problem" role="alert">
            <strong>{problem.where ? `${problem.where}: ` : ''}{problem.message}</strong>
            {problem.hint ? <p>{problem.hint}</p> : null}
            {problem.code ? <p class="muted small">{problem.code}</p> : null}
          </div>
        ) : null}
      </div>
      <button type="submit" class="primary" disabled={busy}>
        {busy ? props.busyLabel : props.label}
      </button>
    </form>
  );
}
