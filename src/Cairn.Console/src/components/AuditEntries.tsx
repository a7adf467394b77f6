import { Fragment, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../api/client";
import { ErrorNotice, Loading, formatTime } from "./ui";
import "./AuditEntries.css";

type Entry = Schemas["AuditEntryView"];

/** Who made a change, in words: the user's e-mail or the key's name, and the kind when it is a key or Cairn. */
export function actorOf(entry: Entry): string {
  const { kind, name } = entry.actor;
  if (kind === "user") return name ?? "a user";
  if (kind === "key") return `key “${name ?? entry.actor.id}”`;
  if (kind === "configured-key") return "the configured API key";
  if (kind === "anonymous") return "not signed in";
  return "Cairn";
}

/** Audit entries as a list for a narrow panel (a journey's side panel): when, who, what, newest first. */
export function AuditEntryList({ entries, details, label }: { entries: Entry[]; details: boolean; label: string }) {
  const [open, setOpen] = useState<Entry["id"] | null>(null);
  return (
    <ol className="audit-list" aria-label={label}>
      {entries.map((entry) => (
        <li key={entry.id}>
          <div><code className="action">{entry.action}</code> <span className="muted small">{formatTime(entry.at)}</span></div>
          <div className="small">by {actorOf(entry)}{entry.ipAddress && <span className="muted"> from {entry.ipAddress}</span>}</div>
          <div className="small">{entry.summary}</div>
          {details && entry.hasDocuments && (
            <button type="button" className="link small" aria-expanded={open === entry.id} onClick={() => setOpen(open === entry.id ? null : entry.id)}>
              {open === entry.id ? "Hide the change" : "Show the change"}
            </button>
          )}
          {open === entry.id && <AuditDetail id={entry.id} />}
        </li>
      ))}
    </ol>
  );
}

/** Audit entries as a table, newest first; with `details`, a row opens the entry's before/after diff (admins). */
export function AuditEntries({ entries, details, label }: { entries: Entry[]; details: boolean; label: string }) {
  const [open, setOpen] = useState<Entry["id"] | null>(null);
  return (
    <div className="table-scroll audit" tabIndex={0} role="region" aria-label={label}>
      <table className="table">
        <thead>
          <tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">Summary</th></tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <Fragment key={entry.id}>
              <tr className={open === entry.id ? "selected" : undefined}>
                <td className="nowrap">{formatTime(entry.at)}</td>
                <td>{actorOf(entry)}{entry.ipAddress && <div className="muted small">{entry.ipAddress}</div>}</td>
                <td><code className="action">{entry.action}</code></td>
                <td>{entry.target ? <>{entry.target.kind} <code>{entry.target.id ?? ""}</code></> : <span className="muted">–</span>}</td>
                <td>
                  {entry.summary}
                  {entry.redactedAt && <div className="muted small">personal data removed {formatTime(entry.redactedAt)}</div>}
                  {details && (
                    <div>
                      <button type="button" className="link" aria-expanded={open === entry.id} onClick={() => setOpen(open === entry.id ? null : entry.id)}>
                        {open === entry.id ? "Hide" : entry.hasDocuments ? "Show the change" : "Details"}
                      </button>
                    </div>
                  )}
                </td>
              </tr>
              {open === entry.id && (
                <tr className="audit-detail"><td colSpan={5}><AuditDetail id={entry.id} /></td></tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One entry's status and the line diff of its documents. */
function AuditDetail({ id }: { id: Entry["id"] }) {
  const detail = useQuery({
    queryKey: ["audit", id],
    queryFn: () => unwrap(api.GET("/api/audit/{id}", { params: { path: { id: String(id) } } })),
  });
  if (detail.isPending) return <Loading what="the change" />;
  if (detail.error) return <ErrorNotice error={detail.error} title="The entry could not be read" />;
  const { entry, diff } = detail.data;
  return (
    <div className="audit-change">
      <p className="muted small">Answered {entry.status}{entry.actor.id ? ` · ${entry.actor.kind} id ${entry.actor.id}` : ""}</p>
      {diff.length === 0
        ? <p className="muted small">No documents: this change is described by its summary.</p>
        : (
          <pre className="diff" aria-label="Before and after" tabIndex={0}>
            {diff.map((line, index) => (
              <span key={index} className={`diff-${line.kind}`}>{line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}{line.text}{"\n"}</span>
            ))}
          </pre>
        )}
    </div>
  );
}
