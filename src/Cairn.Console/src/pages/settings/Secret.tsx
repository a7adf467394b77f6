import { useState } from "react";

/** A secret shown once (a generated password or key): the value, a copy button, and the warning that it is not shown again. */
export function Secret({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      setCopied("no");
    }
  };
  return (
    <div className="notice success secret" role="status">
      <strong>{label}</strong>
      <div className="secret-value">
        <code aria-label={label}>{value}</code>
        <button type="button" onClick={() => void copy()}>Copy</button>
        <button type="button" className="link" onClick={onDone}>Done</button>
      </div>
      <p>It is shown only now and cannot be shown again: copy it and keep it somewhere safe.</p>
      {copied === "yes" && <p aria-live="polite">Copied to the clipboard.</p>}
      {copied === "no" && <p aria-live="polite">The browser did not allow copying; select the text and copy it yourself.</p>}
    </div>
  );
}

/** A button that asks before it acts: the first click shows the question with Yes and Cancel. */
export function Confirm({ label, question, yes, onConfirm, busy = false, disabled = false }: {
  label: string;
  question: string;
  yes: string;
  onConfirm: () => void;
  busy?: boolean;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return <button type="button" className="danger" disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button type="button" className="danger" disabled={busy} onClick={() => { onConfirm(); setAsking(false); }}>{yes}</button>
      <button type="button" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}
