import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, Link, Loading } from '../components/common.tsx';
import { RuleYamlForm } from '../components/rule-yaml-form.tsx';
import { useSession } from '../session.ts';
import { ruleAsYaml } from './rule-yaml.ts';

/**
 * A rule edited as the YAML of its file (`PUT /api/v1/rules/<ref>`, as `st2 rule update`): its
 * name and pack are its ref, so changing them is refused by the server (create a new rule instead).
 */
export function RuleEditView({ refName }: { refName: string }) {
  const { api, mayOperate } = useSession();
  const [yaml, setYaml] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    setYaml(undefined);
    setError(undefined);
    api
      .getRule(refName)
      .then((rule) => ruleAsYaml(rule.raw))
      .then((text) => live && setYaml(text), (caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api, refName]);

  return (
    <main id="main">
      <h1>Edit {refName}</h1>
      {!mayOperate ? <p class="muted">Your role may look at rules but not change them.</p> : null}
      <ErrorNote error={error} />
      {mayOperate && yaml === undefined && !error ? <Loading what="the rule" /> : null}
      {mayOperate && yaml !== undefined ? <RuleYamlForm key={refName} initial={yaml} label="Save" busyLabel="Saving…" save={(definition) => api.updateRule(refName, definition)} /> : null}
      <p>
        <Link href={`/rules/${encodeURIComponent(refName)}`}>Back to the rule</Link>
      </p>
    </main>
  );
}
