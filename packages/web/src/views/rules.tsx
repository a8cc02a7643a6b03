import { useEffect, useState } from 'preact/hooks';
import { openStream } from '../api/stream.ts';
import type { Enforcement, Rule } from '../api/types.ts';
import { ErrorNote, Link, LoadStatus, StatusBadge, Time } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { RuleYamlForm } from '../components/rule-yaml-form.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { useSession } from '../session.ts';

/** The rules, each with its trigger and action, switched on and off in place (a role that may operate). */
export function RulesView() {
  const { api, mayOperate } = useSession();
  const rules = useApiLoad((client) => client.listRules());
  const [switchError, setSwitchError] = useState<unknown>();

  async function toggle(rule: Rule): Promise<void> {
    setSwitchError(undefined);
    try {
      const changed = await api.setRuleEnabled(rule, !rule.enabled);
      rules.setData((current) => current?.map((item) => (item.ref === changed.ref ? changed : item)));
    } catch (caught) {
      setSwitchError(caught);
    }
  }

  return (
    <main id="main">
      <div class="title-row">
        <h1>Rules</h1>
        {mayOperate ? <Link href="/rules/new">Create a rule…</Link> : null}
      </div>
      <ErrorNote error={switchError} />
      <LoadStatus load={rules} what="the rules" />
      {rules.data ? (
        <ListTable<Rule>
          items={rules.data}
          empty="No rules yet."
          rowKey={(rule) => rule.ref}
          rowAttributes={(rule) => ({ 'data-rule': rule.ref })}
          columns={[
            { label: 'Rule', rowHeader: true, cell: (rule) => <Link href={`/rules/${encodeURIComponent(rule.ref)}`}>{rule.ref}</Link> },
            { label: 'Trigger', class: 'mono', cell: (rule) => rule.trigger.type ?? '' },
            { label: 'Action', class: 'mono', cell: (rule) => rule.action.ref ?? '' },
            {
              label: 'Enabled',
              cell: (rule) =>
                mayOperate ? (
                  <label class="switch">
                    <input type="checkbox" checked={rule.enabled} onChange={() => void toggle(rule)} aria-label={`${rule.ref} enabled`} /> {rule.enabled ? 'on' : 'off'}
                  </label>
                ) : rule.enabled ? (
                  'on'
                ) : (
                  'off'
                ),
            },
          ]}
        />
      ) : null}
    </main>
  );
}

const example = `name: on_my_webhook
pack: examples
description: Run a command when the webhook is called
enabled: true
trigger:
  type: core.st2.webhook
  parameters:
    url: my-hook
criteria: {}
action:
  ref: core.local
  parameters:
    cmd: echo "{{ trigger.body.message }}"
`;

/** A rule created from its YAML (components/rule-yaml-form.tsx). */
export function RuleCreateView() {
  const { api, mayOperate } = useSession();
  if (!mayOperate) {
    return (
      <main id="main">
        <h1>Create a rule</h1>
        <p class="muted">Your role may look at rules but not create them.</p>
      </main>
    );
  }
  return (
    <main id="main">
      <h1>Create a rule</h1>
      <RuleYamlForm initial={example} label="Create" busyLabel="Creating…" save={(definition) => api.createRule(definition)} />
    </main>
  );
}

/**
 * One rule: its definition and its enforcements (newest first), each with the execution it
 * started. Kept current by the event stream: an execution a rule started brings its enforcement in.
 */
export function RulePage({ refName }: { refName: string }) {
  const { api, mayOperate } = useSession();
  const rule = useApiLoad((client) => client.getRule(refName), [refName]);
  const enforcements = useApiLoad((client) => client.listEnforcements(refName), [refName]);
  const { reload } = enforcements;
  useEffect(() => {
    const stream = openStream(
      api,
      // The enforcement is stored once its execution is: read again as that execution changes too.
      '/api/v1/stream?events=st2.execution__create,st2.execution__update',
      (event) => {
        if (event.type === 'execution' && event.execution.rule?.ref === refName) reload();
      },
      // Whatever happened before the stream was live is read once it is.
      { onState: (state) => state === 'live' && reload() },
    );
    return () => stream.close();
  }, [api, refName]);

  return (
    <main id="main">
      <h1>{refName}</h1>
      <LoadStatus load={rule} what="the rule" />
      {rule.data ? <RuleSummary rule={rule.data} editable={mayOperate} /> : null}
      <section>
        <h2>Enforcements</h2>
        <LoadStatus load={enforcements} what="the enforcements" />
        {enforcements.data ? (
          <ListTable<Enforcement>
            items={enforcements.data}
            empty="None yet: its trigger has not fired with its criteria matching."
            rowKey={(enforcement) => enforcement.id}
            rowAttributes={(enforcement) => ({ 'data-enforcement': enforcement.id })}
            columns={[
              { label: 'Enforced', cell: (enforcement) => <Time value={enforcement.enforced_at} /> },
              {
                label: 'Status',
                cell: (enforcement) => (
                  <>
                    <StatusBadge status={enforcement.status} />
                    {enforcement.failure_reason ? <span class="small"> {enforcement.failure_reason}</span> : null}
                  </>
                ),
              },
              {
                label: 'Execution',
                cell: (enforcement) =>
                  enforcement.execution_id ? <Link href={`/executions/${encodeURIComponent(enforcement.execution_id)}`}>{enforcement.execution_id}</Link> : <span class="muted">—</span>,
              },
              { label: 'Trigger instance', class: 'mono', cell: (enforcement) => enforcement.trigger_instance_id },
            ]}
          />
        ) : null}
      </section>
      <p>
        <Link href="/rules">All rules</Link>
      </p>
    </main>
  );
}

/** `editable`: the role may change the rule, so the page links its edit view. */
function RuleSummary({ rule, editable }: { rule: Rule; editable: boolean }) {
  return (
    <>
      {rule.description ? <p>{rule.description}</p> : null}
      <p class="muted small">
        {rule.enabled ? 'Enabled' : 'Disabled'} · when <span class="mono">{rule.trigger.type}</span> fires, runs{' '}
        {rule.action.ref ? <Link href={`/actions/${encodeURIComponent(rule.action.ref)}`}>{rule.action.ref}</Link> : '?'}
      </p>
      {editable ? (
        <p>
          <Link href={`/rules/${encodeURIComponent(rule.ref)}/edit`}>Edit as YAML…</Link>
        </p>
      ) : null}
      <details>
        <summary>Definition</summary>
        <pre class="mono" data-testid="rule-json">
          {JSON.stringify({ trigger: rule.trigger, criteria: rule.criteria, action: rule.action }, null, 2)}
        </pre>
      </details>
    </>
  );
}
