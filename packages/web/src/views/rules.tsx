import { useEffect, useState } from 'preact/hooks';
import { openStream } from '../api/stream.ts';
import type { Enforcement, Rule } from '../api/types.ts';
import { ErrorNote, Link, Loading, StatusBadge, Time } from '../components/common.tsx';
import { useSession } from '../session.ts';
import { RuleYamlForm } from '../components/rule-yaml-form.tsx';

/** The rules, each with its trigger and action, switched on and off in place (a role that may operate). */
export function RulesView() {
  const { api, mayOperate } = useSession();
  const [rules, setRules] = useState<Rule[]>();
  const [error, setError] = useState<unknown>();
  const [switchError, setSwitchError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    api.listRules().then((found) => live && setRules(found), (caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api]);

  async function toggle(rule: Rule): Promise<void> {
    setSwitchError(undefined);
    try {
      const changed = await api.setRuleEnabled(rule, !rule.enabled);
      setRules((current) => current?.map((item) => (item.ref === changed.ref ? changed : item)));
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
      <ErrorNote error={error} />
      {rules === undefined && !error ? <Loading what="the rules" /> : null}
      {rules?.length === 0 ? <p class="muted">No rules yet.</p> : null}
      {rules && rules.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Trigger</th>
                <th scope="col">Action</th>
                <th scope="col">Enabled</th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => (
                <tr key={rule.ref} data-rule={rule.ref}>
                  <th scope="row" data-label="Rule">
                    <Link href={`/rules/${encodeURIComponent(rule.ref)}`}>{rule.ref}</Link>
                  </th>
                  <td data-label="Trigger" class="mono">{rule.trigger.type ?? ''}</td>
                  <td data-label="Action" class="mono">{rule.action.ref ?? ''}</td>
                  <td data-label="Enabled">
                    {mayOperate ? (
                      <label class="switch">
                        <input type="checkbox" checked={rule.enabled} onChange={() => void toggle(rule)} aria-label={`${rule.ref} enabled`} /> {rule.enabled ? 'on' : 'off'}
                      </label>
                    ) : rule.enabled ? (
                      'on'
                    ) : (
                      'off'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
  const [rule, setRule] = useState<Rule>();
  const [enforcements, setEnforcements] = useState<Enforcement[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    setRule(undefined);
    setEnforcements(undefined);
    setError(undefined);
    const reload = (): void => {
      api.listEnforcements(refName).then((found) => live && setEnforcements(found), (caught: unknown) => live && setError(caught));
    };
    api.getRule(refName).then((found) => live && setRule(found), (caught: unknown) => live && setError(caught));
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
    return () => {
      live = false;
      stream.close();
    };
  }, [api, refName]);

  return (
    <main id="main">
      <h1>{refName}</h1>
      <ErrorNote error={error} />
      {!rule && !error ? <Loading what="the rule" /> : null}
      {rule ? (
        <>
          {rule.description ? <p>{rule.description}</p> : null}
          <p class="muted small">
            {rule.enabled ? 'Enabled' : 'Disabled'} · when <span class="mono">{rule.trigger.type}</span> fires, runs{' '}
            {rule.action.ref ? <Link href={`/actions/${encodeURIComponent(rule.action.ref)}`}>{rule.action.ref}</Link> : '?'}
          </p>
          {mayOperate ? (
            <p>
              <Link href={`/rules/${encodeURIComponent(refName)}/edit`}>Edit as YAML…</Link>
            </p>
          ) : null}
          <details>
            <summary>Definition</summary>
            <pre class="mono" data-testid="rule-json">
              {JSON.stringify({ trigger: rule.trigger, criteria: rule.criteria, action: rule.action }, null, 2)}
            </pre>
          </details>
        </>
      ) : null}
      <section>
        <h2>Enforcements</h2>
        {enforcements === undefined ? <Loading what="the enforcements" /> : null}
        {enforcements?.length === 0 ? <p class="muted">None yet: its trigger has not fired with its criteria matching.</p> : null}
        {enforcements && enforcements.length > 0 ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Enforced</th>
                  <th scope="col">Status</th>
                  <th scope="col">Execution</th>
                  <th scope="col">Trigger instance</th>
                </tr>
              </thead>
              <tbody>
                {enforcements.map((enforcement) => (
                  <tr key={enforcement.id} data-enforcement={enforcement.id}>
                    <td data-label="Enforced">
                      <Time value={enforcement.enforced_at} />
                    </td>
                    <td data-label="Status">
                      <StatusBadge status={enforcement.status} />
                      {enforcement.failure_reason ? <span class="small"> {enforcement.failure_reason}</span> : null}
                    </td>
                    <td data-label="Execution">
                      {enforcement.execution_id ? <Link href={`/executions/${encodeURIComponent(enforcement.execution_id)}`}>{enforcement.execution_id}</Link> : <span class="muted">—</span>}
                    </td>
                    <td data-label="Trigger instance" class="mono">{enforcement.trigger_instance_id}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <p>
        <Link href="/rules">All rules</Link>
      </p>
    </main>
  );
}
