import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { LoadMore, useCursorPages } from "../../components/CursorPages";

type Message = Schemas["OutboxMessage"];

export const statuses = ["queued", "sending", "sent", "delivered", "bounced", "failed", "suppressed", "undeliverable", "expired", "dead_letter"];
const channels = ["email", "sms", "push", "in_app", "webhook", "owner"];
const pageSize = 50;
const retryable = new Set(["failed", "dead_letter"]);
/** The filters, as named in the page's query string (a filtered view is a link) and sent to the server. */
const textFilters = ["journey", "template", "contact", "from", "to"] as const;
type TextFilter = (typeof textFilters)[number];

/** A `datetime-local` value (the browser's time zone) as an ISO time for the server; undefined when empty or unreadable. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const time = new Date(local);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/**
 * The outbox, newest first, filtered on the server by status, channel, journey, template, contact and time (the
 * filters live in the query string), read a page at a time.
 */
export function MessageList() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const channel = params.get("channel") ?? "";
  const applied = Object.fromEntries(textFilters.map((name) => [name, params.get(name) ?? ""])) as Record<TextFilter, string>;
  const [draft, setDraft] = useState(applied);
  const update = (values: Partial<Record<"status" | "channel" | TextFilter, string>>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(values)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next, { replace: true });
  };
  const apply = (event: FormEvent) => {
    event.preventDefault();
    update(Object.fromEntries(textFilters.map((name) => [name, draft[name].trim()])));
  };
  const clear = () => {
    setDraft(Object.fromEntries(textFilters.map((name) => [name, ""])) as Record<TextFilter, string>);
    setParams(new URLSearchParams(), { replace: true });
  };

  const query = {
    status: status || undefined,
    channel: channel || undefined,
    journeyId: applied.journey || undefined,
    templateId: applied.template || undefined,
    contactId: applied.contact || undefined,
    from: isoOf(applied.from),
    to: isoOf(applied.to),
  };
  const { query: pages, items } = useCursorPages({
    queryKey: ["messages", query],
    fetchPage: (cursor) => unwrap(api.GET("/api/messages", { params: { query: { ...query, cursor, limit: pageSize } } })),
    itemsOf: (page) => page.items,
    refreshMs: 5000,
  });
  const journeys = useQuery({ queryKey: ["journeys"], queryFn: () => unwrap(api.GET("/api/journeys")) });
  const templates = useQuery({ queryKey: ["templates"], queryFn: () => unwrap(api.GET("/api/templates")) });
  const filtered = status || channel || textFilters.some((name) => applied[name]);

  return (
    <>
      <form className="panel filters" aria-label="Filter messages" onSubmit={apply}>
        <div className="row">
          <label>Status
            <select value={status} onChange={(e) => update({ status: e.target.value })}>
              <option value="">all</option>
              {statuses.map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
            </select>
          </label>
          <label>Channel
            <select value={channel} onChange={(e) => update({ channel: e.target.value })}>
              <option value="">all</option>
              {channels.map((c) => <option key={c}>{c}</option>)}
            </select>
          </label>
          <label>Journey
            <input type="search" list="message-journeys" value={draft.journey} onChange={(e) => setDraft({ ...draft, journey: e.target.value })} placeholder="cart-recovery" />
          </label>
          <label>Template
            <input type="search" list="message-templates" value={draft.template} onChange={(e) => setDraft({ ...draft, template: e.target.value })} placeholder="welcome" />
          </label>
          <label>Contact id
            <input type="search" value={draft.contact} onChange={(e) => setDraft({ ...draft, contact: e.target.value })} className="mono" />
          </label>
          <label>From<input type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} /></label>
          <label>To<input type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} /></label>
        </div>
        <datalist id="message-journeys">{(journeys.data ?? []).map((j) => <option key={j.id} value={j.id} />)}</datalist>
        <datalist id="message-templates">{(templates.data ?? []).map((t) => <option key={t.id} value={t.id} />)}</datalist>
        <div className="row">
          <button type="submit" className="primary">Apply filters</button>
          {filtered && <button type="button" onClick={clear}>Clear filters</button>}
          <span className="muted small">Journey, template and contact match ids exactly; the time range is in your time zone, from inclusive, to exclusive.</span>
        </div>
      </form>
      {pages.isPending && <Loading what="messages" />}
      <ErrorNotice error={pages.error} title="The messages could not be listed" />
      {pages.data && items.length === 0 && <Empty>{filtered ? "No message matches these filters." : "No messages yet: journeys put what they decide to send here."}</Empty>}
      {items.length > 0 && <MessageTable messages={items} />}
      {items.length > 0 && <LoadMore pages={pages} shown={items.length} what="messages" />}
    </>
  );
}

function MessageTable({ messages }: { messages: Message[] }) {
  return (
    <div className="table-scroll" tabIndex={0} role="region" aria-label="Messages, newest first">
      <table className="table messages-table">
        <thead>
          <tr>
            <th scope="col">Decided</th>
            <th scope="col">Status</th>
            <th scope="col">Channel</th>
            <th scope="col">Template</th>
            <th scope="col">Journey</th>
            <th scope="col">Contact</th>
            <th scope="col" className="number">Attempts</th>
            <th scope="col">Last error</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {messages.map((m) => (
            <tr key={m.messageId}>
              <td><Link to={`/messages/${encodeURIComponent(m.messageId)}`}>{formatTime(m.createdAt)}</Link></td>
              <td><Badge value={m.status} /></td>
              <td>{m.channel}</td>
              <td>{m.template || "–"}</td>
              <td>{m.journeyId} <span className="muted small">/ {m.stepId}</span></td>
              <td><Link to={`/contacts/${encodeURIComponent(String(m.contactId))}`} className="mono small">{String(m.contactId).slice(0, 10)}…</Link></td>
              <td className="number">{m.attempts}</td>
              <td className="error-cell small">{m.lastError ?? "–"}</td>
              <td>{retryable.has(m.status) && <RetryButton message={m} />}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RetryButton({ message }: { message: Message }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const retry = useMutation({
    mutationFn: () => unwrap(api.POST("/api/messages/{id}/retry", { params: { path: { id: message.messageId } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["messages"] }),
  });
  if (!can("editor")) return null;
  return (
    <>
      <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending || retry.isSuccess} aria-label={`Retry message ${message.messageId}`}>
        {retry.isSuccess ? "Queued" : retry.isPending ? "Retrying…" : "Retry"}
      </button>
      <ErrorNotice error={retry.error} title="Retry refused" />
    </>
  );
}
