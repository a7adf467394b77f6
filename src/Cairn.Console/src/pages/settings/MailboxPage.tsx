import { useState, type FormEvent } from "react";
import { useQuery } from "@tanstack/react-query";
import { api, request, unwrap, type Schemas } from "../../api/client";
import { Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { LoadMore, useCursorPages } from "../../components/CursorPages";

type Item = Schemas["MailboxItemView"];
/** Where each channel delivers (GET /api/settings/messaging; its secrets are not shown here). */
interface Messaging { email: string; sms: string; push: string; publicUrl: string | null }

const pageSize = 50;

/** The development mailbox: what Cairn "sent" while no provider is configured, newest first, and one message opened. */
export function MailboxPage() {
  const messaging = useQuery({ queryKey: ["settings", "messaging"], queryFn: () => request<Messaging>("GET", "/api/settings/messaging") });
  const [filter, setFilter] = useState({ to: "", channel: "" });
  const [draft, setDraft] = useState({ to: "", channel: "" });
  const [open, setOpen] = useState<Item | null>(null);
  const { query: mailbox, items: messages } = useCursorPages({
    queryKey: ["mailbox", filter],
    fetchPage: (cursor) => unwrap(api.GET("/api/dev/mailbox", { params: { query: { to: filter.to || undefined, channel: filter.channel || undefined, cursor, limit: pageSize } } })),
    itemsOf: (page) => page.messages,
    // New mail shows up on its own while the page is open (and only its first page is shown).
    refreshMs: 5000,
  });
  const search = (event: FormEvent) => {
    event.preventDefault();
    setOpen(null);
    setFilter({ to: draft.to.trim(), channel: draft.channel });
  };

  return (
    <>
      <Delivery messaging={messaging.data} error={messaging.error} />
      <form className="row filters" onSubmit={search} aria-label="Filter the mailbox">
        <label>Recipient<input type="search" value={draft.to} onChange={(event) => setDraft({ ...draft, to: event.target.value })} placeholder="sam@example.com" /></label>
        <label>
          Channel
          <select value={draft.channel} onChange={(event) => setDraft({ ...draft, channel: event.target.value })}>
            <option value="">all</option>
            <option value="email">email</option>
            <option value="sms">sms</option>
            <option value="push">push</option>
          </select>
        </label>
        <button type="submit">Show</button>
        <button type="button" onClick={() => void mailbox.refetch()} disabled={mailbox.isFetching}>{mailbox.isFetching ? "Refreshing…" : "Refresh"}</button>
      </form>
      {mailbox.isPending && <Loading what="the mailbox" />}
      <ErrorNotice error={mailbox.error} title="The mailbox could not be read" />
      {mailbox.data && messages.length === 0 && <Empty>No messages{filter.to || filter.channel ? " match" : " yet: when a journey sends while no provider is set, the message lands here"}.</Empty>}
      {messages.length > 0 && (
        <div className="mailbox">
          <div className="table-scroll" tabIndex={0} role="region" aria-label="Messages">
            <table className="table">
              <thead>
                <tr><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Channel</th><th scope="col">Time</th></tr>
              </thead>
              <tbody>
                {messages.map((message) => (
                  <tr key={message.messageId} className={open?.messageId === message.messageId ? "selected" : undefined}>
                    <td className="wrap">{message.to}</td>
                    <td>
                      <button type="button" className="link" aria-pressed={open?.messageId === message.messageId} onClick={() => setOpen(message)}>
                        {message.subject || (message.text ?? "").slice(0, 60) || "(no subject)"}
                      </button>
                    </td>
                    <td>{message.channel}</td>
                    <td>{formatTime(message.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore pages={mailbox} shown={messages.length} what="messages" />
        </div>
      )}
      {open && <Message message={open} onClose={() => setOpen(null)} />}
    </>
  );
}

function Delivery({ messaging, error }: { messaging: Messaging | undefined; error: unknown }) {
  if (error) return <ErrorNotice error={error} title="Where messages go could not be read" />;
  if (!messaging) return null;
  const smtp = messaging.email === "smtp";
  return (
    <div className={`notice ${smtp ? "info" : "success"}`}>
      <strong>{smtp ? "SMTP is configured: email goes out for real." : "No SMTP server is configured: email lands in this mailbox."}</strong>
      <p>
        SMS: {messaging.sms === "provider" ? "sent through the provider" : "kept in this mailbox"}. Push: {messaging.push === "provider" ? "sent through the provider" : "kept in this mailbox"}.
        {" "}Set <code>CAIRN_SMTP_HOST</code> (and the SMS and push settings) to deliver; see docs/configuration.md.
      </p>
    </div>
  );
}

function Message({ message, onClose }: { message: Item; onClose: () => void }) {
  const [view, setView] = useState<"html" | "text" | "raw">(message.html ? "html" : "text");
  const views = (["html", "text", "raw"] as const).filter((name) => (name === "html" ? message.html : name === "raw" ? message.raw : message.text) != null);
  return (
    <section className="panel message" aria-labelledby="message-subject">
      <div className="page-header">
        <div>
          <h2 id="message-subject">{message.subject || "(no subject)"}</h2>
          <p className="muted small">
            To {message.to}{message.from ? ` · from ${message.from}` : ""} · {message.channel} · {formatTime(message.createdAt)}
          </p>
        </div>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {views.length > 1 && (
        <div className="tabs" role="tablist" aria-label="Message part">
          {views.map((name) => (
            <button key={name} type="button" role="tab" aria-selected={view === name} onClick={() => setView(name)}>{name === "html" ? "HTML" : name === "text" ? "Text" : "Raw MIME"}</button>
          ))}
        </div>
      )}
      {view === "html" && message.html ? (
        <iframe title={`The message “${message.subject}”`} sandbox="" srcDoc={message.html} className="mail-frame" />
      ) : (
        <pre className="mail-text">{view === "raw" ? message.raw : message.text}</pre>
      )}
    </section>
  );
}
