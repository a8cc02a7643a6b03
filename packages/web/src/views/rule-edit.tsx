import { ErrorNote, Link, LoadStatus } from '../components/common.tsx';
import { RuleYamlForm } from '../components/rule-yaml-form.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';
import { ruleAsYaml } from './rule-yaml.ts';

/**
 * A rule edited as the YAML of its file (`PUT /api/v1/rules/<ref>`, as `st2 rule update`): its
 * name and pack are its ref, so changing them is refused by the server (create a new rule instead).
 */
export function RuleEditView({ refName }: { refName: string }) {
  const { api, mayOperate } = useSession();
  const yaml = useApiLoad(async (client) => ruleAsYaml((await client.getRule(refName)).raw), [refName]);

  return (
    <main id="main">
      <h1>Edit {refName}</h1>
      {!mayOperate ? <p class="muted">Your role may look at rules but not change them.</p> : null}
      {mayOperate ? <LoadStatus load={yaml} what="the rule" /> : <ErrorNote error={yaml.error} />}
      {mayOperate && yaml.data !== undefined ? <RuleYamlForm key={refName} initial={yaml.data} label="Save" busyLabel="Saving…" save={(definition) => api.updateRule(refName, definition)} /> : null}
      <p>
        <Link href={`/rules/${encodeURIComponent(refName)}`}>Back to the rule</Link>
      </p>
    </main>
  );
}
