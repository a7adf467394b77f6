import { useState, type FormEvent } from "react";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { Empty, ErrorNotice, Loading } from "../../components/ui";
import { LoadMore, useCursorPages } from "../../components/CursorPages";
import { AuditEntries } from "../../components/AuditEntries";

const pageSize = 50;
const blank = { actor: "", action: "", targetKind: "", targetId: "", from: "", to: "" };

/** The audit log (admins): every change a user or key made, filtered, a page at a time, each with its diff. */
export function AuditPage() {
  const { can } = useAuth();
  if (!can("admin")) {
    return (
      <div className="notice info">
        <strong>Only admins read the audit log.</strong>
        <p>A journey's own history is on its page, under History.</p>
      </div>
    );
  }
  return <AuditLog />;
}

function AuditLog() {
  const [filter, setFilter] = useState(blank);
  const [draft, setDraft] = useState(blank);
  const { query: log, items: entries } = useCursorPages({
    queryKey: ["audit", filter],
    fetchPage: (cursor) => unwrap(api.GET("/api/audit", {
      params: {
        query: {
          actor: filter.actor || undefined, action: filter.action || undefined, targetKind: filter.targetKind || undefined, targetId: filter.targetId || undefined,
          from: filter.from ? new Date(filter.from).toISOString() : undefined, to: filter.to ? new Date(filter.to).toISOString() : undefined, cursor, limit: pageSize,
        },
      },
    })),
    itemsOf: (page) => page.entries,
  });
  const search = (event: FormEvent) => {
    event.preventDefault();
    setFilter({ ...draft, actor: draft.actor.trim(), action: draft.action.trim(), targetKind: draft.targetKind.trim(), targetId: draft.targetId.trim() });
  };
  const field = (name: keyof typeof blank) => ({ value: draft[name], onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }) });
  const filtered = Object.values(filter).some((value) => value !== "");

  return (
    <>
      <h2>Audit log</h2>
      <p className="muted small">
        Every change a user or key made, newest first: who, when, from which address, what, and the document before and
        after. Entries cannot be edited or deleted; the retention policy removes old ones, and an erasure removes a
        person's data from the entries about them.
      </p>
      <form className="row filters" onSubmit={search} aria-label="Filter the audit log">
        <label>Who<input type="search" {...field("actor")} placeholder="e-mail or key name" /></label>
        <label>Action<input type="search" {...field("action")} placeholder="journey.*" /></label>
        <label>Target kind<input type="search" {...field("targetKind")} placeholder="journey" /></label>
        <label>Target id<input type="search" {...field("targetId")} placeholder="welcome" /></label>
        <label>From<input type="datetime-local" {...field("from")} /></label>
        <label>To<input type="datetime-local" {...field("to")} /></label>
        <button type="submit">Show</button>
        {filtered && <button type="button" onClick={() => { setDraft(blank); setFilter(blank); }}>Clear</button>}
      </form>
      {log.isPending && <Loading what="the audit log" />}
      <ErrorNotice error={log.error} title="The audit log could not be read" />
      {log.data && entries.length === 0 && <Empty>{filtered ? "No change matches." : "No changes recorded yet."}</Empty>}
      {entries.length > 0 && <AuditEntries entries={entries} details label="Audit entries" />}
      <LoadMore pages={log} shown={entries.length} what="entries" />
    </>
  );
}
