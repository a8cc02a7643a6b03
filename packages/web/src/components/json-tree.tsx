/**
 * A JSON value as a tree of disclosure widgets (keyboard operable <details>): every value is put
 * in the page as text, never as markup, whatever it holds.
 */
export function JsonTree({ value, label, depth = 0 }: { value: unknown; label?: string; depth?: number }) {
  const name = label === undefined ? null : <span class="json-key">{label}: </span>;
  if (Array.isArray(value) || (typeof value === 'object' && value !== null)) {
    const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
    const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    if (entries.length === 0) {
      return (
        <div class="json-leaf">
          {name}
          <span class="muted">{Array.isArray(value) ? '[]' : '{}'}</span>
        </div>
      );
    }
    return (
      <details class="json-node" open={depth < 2}>
        <summary>
          {name}
          <span class="muted">{summary}</span>
        </summary>
        <div class="json-children">
          {entries.map(([key, item]) => (
            <JsonTree key={key} label={key} value={item} depth={depth + 1} />
          ))}
        </div>
      </details>
    );
  }
  const kind = value === null ? 'null' : typeof value;
  return (
    <div class="json-leaf">
      {name}
      <span class={`json-${kind}`}>{typeof value === 'string' ? JSON.stringify(value) : String(value)}</span>
    </div>
  );
}
