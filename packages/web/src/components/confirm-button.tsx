import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * A destructive action asked twice: the first press turns the button into its confirmation (a
 * second button, focused, and a way back). No window.confirm: a page's own controls stay keyboard
 * reachable and testable.
 */
export function ConfirmButton(props: { label: string; confirmLabel: string; name: string; disabled?: boolean; onConfirm: () => void }) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={props.disabled} onClick={() => setAsking(true)} aria-label={`${props.label} ${props.name}`}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="danger"
        ref={confirm}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
        aria-label={`${props.confirmLabel} ${props.name}`}
      >
        {props.confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}
