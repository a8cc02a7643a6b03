import { useEffect, useState } from 'preact/hooks';
import { inquiryFields } from '../api/shapes.ts';
import type { Inquiry } from '../api/types.ts';
import { ErrorNote, Link, Loading } from '../components/common.tsx';
import { ParameterForm } from '../components/parameter-form.tsx';
import { navigate } from '../router.ts';
import { useSession } from '../session.ts';

const whoMay = (inquiry: Inquiry): string =>
  inquiry.users.length === 0 && inquiry.roles.length === 0 ? 'anyone who may operate' : [...inquiry.users.map((user) => `user ${user}`), ...inquiry.roles.map((role) => `role ${role}`)].join(', ');

/** The inquiries waiting for a response (core.ask executions, paused workflows), newest first. */
export function InquiriesView() {
  const { api } = useSession();
  const [items, setItems] = useState<Inquiry[]>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    api.listInquiries().then((found) => live && setItems(found), (caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api]);
  return (
    <main id="main">
      <h1>Inquiries</h1>
      <ErrorNote error={error} />
      {items === undefined && !error ? <Loading what="the inquiries" /> : null}
      {items?.length === 0 ? <p class="muted">No inquiry is waiting for a response.</p> : null}
      {items && items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Inquiry</th>
                <th scope="col">Asked by</th>
                <th scope="col">Who may respond</th>
                <th scope="col">Waits</th>
              </tr>
            </thead>
            <tbody>
              {items.map((inquiry) => (
                <tr key={inquiry.id} data-inquiry={inquiry.id}>
                  <td data-label="Inquiry">
                    <Link href={`/inquiries/${encodeURIComponent(inquiry.id)}`}>{inquiry.id}</Link>
                  </td>
                  <td data-label="Asked by">{inquiry.parent ? <Link href={`/executions/${encodeURIComponent(inquiry.parent)}`}>workflow {inquiry.parent}</Link> : <span class="muted">—</span>}</td>
                  <td data-label="Who may respond">{whoMay(inquiry)}</td>
                  <td data-label="Waits">{inquiry.ttl === 0 ? 'no limit' : `${inquiry.ttl} min`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
  const [inquiry, setInquiry] = useState<Inquiry>();
  const [error, setError] = useState<unknown>();
  const [respondError, setRespondError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    setInquiry(undefined);
    setError(undefined);
    api.getInquiry(id).then((found) => live && setInquiry(found), (caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [api, id]);

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
      <ErrorNote error={error} />
      {!inquiry && !error ? <Loading what="the inquiry" /> : null}
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
