import { useState } from 'preact/hooks';
import { inquiryFields } from '../api/shapes.ts';
import type { Inquiry } from '../api/types.ts';
import { ErrorNote, Link, LoadStatus } from '../components/common.tsx';
import { ListTable } from '../components/list-table.tsx';
import { useApiLoad } from '../hooks/use-api-load.ts';
import { ParameterForm } from '../components/parameter-form.tsx';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';

const whoMay = (inquiry: Inquiry): string =>
  inquiry.users.length === 0 && inquiry.roles.length === 0 ? 'anyone who may operate' : [...inquiry.users.map((user) => `user ${user}`), ...inquiry.roles.map((role) => `role ${role}`)].join(', ');

/** The inquiries waiting for a response (core.ask executions, paused workflows), newest first. */
export function InquiriesView() {
  const inquiries = useApiLoad((api) => api.listInquiries());
  return (
    <main id="main">
      <h1>Inquiries</h1>
      <LoadStatus load={inquiries} what="the inquiries" />
      {inquiries.data ? (
        <ListTable<Inquiry>
          items={inquiries.data}
          empty="No inquiry is waiting for a response."
          rowKey={(inquiry) => inquiry.id}
          rowAttributes={(inquiry) => ({ 'data-inquiry': inquiry.id })}
          columns={[
            { label: 'Inquiry', cell: (inquiry) => <Link href={`/inquiries/${encodeURIComponent(inquiry.id)}`}>{inquiry.id}</Link> },
            {
              label: 'Asked by',
              cell: (inquiry) => (inquiry.parent ? <Link href={`/executions/${encodeURIComponent(inquiry.parent)}`}>workflow {inquiry.parent}</Link> : <span class="muted">—</span>),
            },
            { label: 'Who may respond', cell: whoMay },
            { label: 'Waits', cell: (inquiry) => (inquiry.ttl === 0 ? 'no limit' : `${inquiry.ttl} min`) },
          ]}
        />
      ) : null}
    </main>
  );
}

/**
 * One inquiry and its response form, generated from its schema by the run form's component. Every
 * field is sent, defaults included: the server checks the response against the schema as given.
 */
export function InquiryPage({ id }: { id: string }) {
  const { api, mayOperate } = useSession();
  const load = useApiLoad((client) => client.getInquiry(id), [id]);
  const inquiry = load.data;
  const [respondError, setRespondError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function respond(response: Record<string, unknown>): Promise<void> {
    setBusy(true);
    setRespondError(undefined);
    try {
      await api.respondToInquiry(id, response);
      // The inquiry is its execution: it now completes with the response in its result.
      navigate(`/executions/${encodeURIComponent(id)}`);
    } catch (caught) {
      setRespondError(caught);
      setBusy(false);
    }
  }

  return (
    <main id="main">
      <h1>Inquiry {id}</h1>
      <LoadStatus load={load} what="the inquiry" />
      {inquiry ? (
        <>
          <p class="muted small">
            {inquiry.parent ? (
              <>
                Asked by <Link href={`/executions/${encodeURIComponent(inquiry.parent)}`}>workflow {inquiry.parent}</Link> ·{' '}
              </>
            ) : null}
            may respond: {whoMay(inquiry)} · waits {inquiry.ttl === 0 ? 'without limit' : `${inquiry.ttl} min`} ·{' '}
            <Link href={`/executions/${encodeURIComponent(inquiry.id)}`}>its execution</Link>
          </p>
          {typeof inquiry.schema['description'] === 'string' ? <p>{inquiry.schema['description']}</p> : null}
          {mayOperate ? (
            <section>
              <h2>Respond</h2>
              <ParameterForm parameters={inquiryFields(inquiry)} busy={busy} submitLabel={['Respond', 'Responding…']} sendDefaults onSubmit={(values) => void respond(values)} />
              <ErrorNote error={respondError} />
            </section>
          ) : (
            <p class="muted">Your role may look at inquiries but not respond to them.</p>
          )}
        </>
      ) : null}
      <p>
        <Link href="/inquiries">All inquiries</Link>
      </p>
    </main>
  );
}
