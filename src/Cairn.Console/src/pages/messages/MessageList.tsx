import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";

type Message = Schemas["OutboxMessage"];

export const statuses = ["queued", "sending", "sent", "delivered", "bounced", "failed", "suppressed", "undeliverable", "expired", "dead_letter"];
const channels = ["email", "sms", "push", "in_app", "webhook", "owner"];
const step = 100;
const maxLimit = 1000;
const retryable = new Set(["failed", "dead_letter"]);

/**
 * The outbox by status and channel (both filtered by the server, newest first, a page of 100 at a time up to 1,000),
 * narrowed further by journey, template and time among the messages loaded.
 */
export function MessageList() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "failed";
  const channel = params.get("channel") ?? "";
  const journey = params.get("journey") ?? "";
  const template = params.get("template") ?? "";
  const since = params.get("since") ?? "";
  const [limit, setLimit] = useState(step);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
    if (name === "status" || name === "channel") setLimit(step);
  };

  const messages = useQuery({
    queryKey: ["messages", status, channel, limit],
    queryFn: () => unwrap(api.GET("/api/messages", { params: { query: { status, channel: channel || undefined, limit } } })),
    placeholderData: (previous) => previous,
    refetchInterval: 5000,
  });
  const shown = (messages.data ?? []).filter(
    (m) =>
      (!journey || m.journeyId.toLowerCase().includes(journey.toLowerCase())) &&
      (!template || m.template.toLowerCase().includes(template.toLowerCase())) &&
      (!since || new Date(m.createdAt).getTime() >= new Date(since).getTime()),
  );
  const full = (messages.data?.length ?? 0) >= limit;

  return (
    <>
      <form className="panel filters" aria-label="Filter messages" onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <label>Status
            <select value={status} onChange={(e) => set("status", e.target.value)}>
              {statuses.map((s) => <option key={s} value={s}>{s.replace("_", " ")}</option>)}
            </select>
          </label>
          <label>Channel
            <select value={channel} onChange={(e) => set("channel", e.target.value)}>
              <option value="">all</option>
              {channels.map((c) => <option key={c}>{c}</option>)}
            </select>
          </label>
          <label>Journey<input type="search" value={journey} onChange={(e) => set("journey", e.target.value)} placeholder="cart-recovery" /></label>
          <label>Template<input type="search" value={template} onChange={(e) => set("template", e.target.value)} placeholder="welcome" /></label>
          <label>Since<input type="datetime-local" value={since} onChange={(e) => set("since", e.target.value)} /></label>
        </div>
        <p className="muted small">
          Status and channel are filtered by the server; journey, template and time narrow the {messages.data?.length ?? 0} newest loaded.
        </p>
      </form>
      {messages.isPending && <Loading what="messages" />}
      <ErrorNotice error={messages.error} />
      {messages.data && shown.length === 0 && <Empty>No {status.replace("_", " ")} messages{channel ? ` on ${channel}` : ""} match.</Empty>}
      {shown.length > 0 && <MessageTable messages={shown} />}
      {full && limit < maxLimit && (
        <button type="button" className="more" onClick={() => setLimit(Math.min(maxLimit, limit + step))} disabled={messages.isFetching}>
          {messages.isFetching ? "Loading…" : "Load more"}
        </button>
      )}
      {full && limit >= maxLimit && <p className="muted small">Showing the newest 1,000; narrow by status and channel to see others.</p>}
    </>
  );
}

function MessageTable({ messages }: { messages: Message[] }) {
  return (
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
