import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap, type Schemas } from "../api/client";
import { useAuth } from "../auth";
import { Badge, ErrorNotice, Loading, formatTime } from "./ui";
import "./MessageStory.css";

type Message = Schemas["OutboxMessage"];

/** The orchestrator's decision trail as stored on the message (JSON). */
interface DecisionTrail {
  decision: string;
  reason: string;
  until?: string | null;
  at?: string | null;
  checks?: { check: string; result: string; detail: string }[];
}

/** Parses the stored decision, or null when there is none or it is unreadable. */
export function parseDecision(json: string | null | undefined): DecisionTrail | null {
  if (!json) return null;
  try {
    const parsed = JSON.parse(json) as DecisionTrail;
    return typeof parsed.decision === "string" ? parsed : null;
  } catch {
    return null;
  }
}

/** The decision in one sentence: "Deferred to 7 Dec 2026, 09:00: cap one-a-day 1 of 1 used". */
export function decisionInWords(trail: DecisionTrail): string {
  switch (trail.decision) {
    case "defer":
      return `Deferred to ${formatTime(trail.until)}: ${trail.reason}`;
    case "suppress":
      return `Suppressed: ${trail.reason}`;
    case "expire":
      return `Expired: ${trail.reason}`;
    case "send":
      return `Cleared to send: ${trail.reason}`;
    default:
      return `${trail.decision}: ${trail.reason}`;
  }
}

const retryable = new Set(["failed", "dead_letter"]);
/** Statuses the dispatcher has yet to settle: the story refreshes itself while the message is in one. */
const pending = new Set(["queued", "sending"]);

/**
 * A message's story: its status and attempts, what the recipient did with it, the orchestrator's decision trail in
 * words, and the content (email HTML in a sandboxed frame that runs nothing and loads nothing of the console).
 */
export function MessageStory({ messageId, headingLevel = 2 }: { messageId: string; headingLevel?: 2 | 3 }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const message = useQuery({
    queryKey: ["message", messageId],
    queryFn: () => unwrap(api.GET("/api/messages/{id}", { params: { path: { id: messageId } } })),
    refetchInterval: (query) => (query.state.data && pending.has(query.state.data.status) ? 2000 : false),
  });
  const content = useQuery({
    queryKey: ["message", messageId, "content"],
    queryFn: () => unwrap(api.GET("/api/messages/{id}/content", { params: { path: { id: messageId } } })),
    enabled: message.isSuccess && message.data.template !== "" && !pending.has(message.data.status),
    retry: false,
  });
  const retry = useMutation({
    mutationFn: () => unwrap(api.POST("/api/messages/{id}/retry", { params: { path: { id: messageId } } })),
    onSuccess: (updated) => {
      queryClient.setQueryData(["message", messageId], updated);
      void queryClient.invalidateQueries({ queryKey: ["messages"] });
    },
  });
  const H = headingLevel === 2 ? "h2" : "h3";

  if (message.isPending) return <Loading what="the message" />;
  if (message.error) return <ErrorNotice error={message.error} />;
  const m: Message = message.data;
  const trail = parseDecision(m.decision);

  return (
    <article className="message-story" aria-label={`Message ${m.messageId}`}>
      <div className="story-head">
        <Badge value={m.status} />
        <span>{m.channel}</span>
        {m.template && <span>template <strong>{m.template}</strong>{m.templateVersion ? ` v${m.templateVersion}` : ""}</span>}
        {m.journeyId && (
          <span>
            journey <Link to={`/journeys/${encodeURIComponent(m.journeyId)}`}>{m.journeyId}</Link> v{m.version}, step <code>{m.stepId}</code>
          </span>
        )}
      </div>
      <dl className="facts">
        <dt>Message id</dt><dd className="mono">{m.messageId}</dd>
        <dt>Contact</dt><dd><Link to={`/contacts/${encodeURIComponent(String(m.contactId))}`} className="mono">{String(m.contactId)}</Link></dd>
        <dt>Recipient</dt><dd>{m.recipient ?? "–"}</dd>
        <dt>Category</dt><dd>{m.category}</dd>
        <dt>Decided</dt><dd>{formatTime(m.createdAt)}</dd>
        <dt>Sent</dt><dd>{formatTime(m.sentAt)}</dd>
        <dt>Delivered</dt><dd>{formatTime(m.deliveredAt)}</dd>
        <dt>Attempts</dt><dd>{m.attempts}</dd>
        <dt>Opens</dt><dd>{m.opens}{m.openedAt ? ` (first ${formatTime(m.openedAt)})` : ""}</dd>
        <dt>Clicks</dt><dd>{m.clicks}{m.clickedAt ? ` (first ${formatTime(m.clickedAt)})` : ""}</dd>
        {m.unsubscribedAt && <><dt>Unsubscribed</dt><dd>{formatTime(m.unsubscribedAt)}</dd></>}
        {m.complainedAt && <><dt>Complained</dt><dd>{formatTime(m.complainedAt)}</dd></>}
      </dl>
      {m.lastError && (
        <div className="notice error">
          <strong>Last error</strong>
          <p>{m.lastError}</p>
        </div>
      )}
      {retryable.has(m.status) && can("editor") && (
        <div className="row">
          <button type="button" className="primary" onClick={() => retry.mutate()} disabled={retry.isPending}>
            {retry.isPending ? "Retrying…" : "Retry this message"}
          </button>
        </div>
      )}
      <ErrorNotice error={retry.error} title="Retry refused" />
      {retry.isSuccess && <p className="notice success" role="status">Queued again with a fresh set of attempts.</p>}

      <H>Decision trail</H>
      {trail ? (
        <div className="decision">
          <p className="decision-words"><strong>{decisionInWords(trail)}</strong>{trail.at ? <span className="muted"> (decided {formatTime(trail.at)})</span> : null}</p>
          {trail.checks && trail.checks.length > 0 && (
            <ol className="checks">
              {trail.checks.map((check, index) => (
                <li key={index}>
                  <Badge value={check.result} /> <strong>{check.check}</strong>: {check.detail}
                </li>
              ))}
            </ol>
          )}
        </div>
      ) : (
        <p className="muted">
          {m.channel === "owner" || m.channel === "webhook"
            ? "Owner alerts and webhook calls do not pass the orchestrator."
            : "The orchestrator has not looked at this message yet (it is decided when it is due)."}
        </p>
      )}

      <H>Content</H>
      {m.template === "" && <p className="muted">This message has no template (an owner alert or a webhook call).</p>}
      {content.isPending && m.template !== "" && <Loading what="the content" />}
      <ErrorNotice error={content.error} title="The content cannot be shown" />
      {content.data && (
        <div className="content">
          <p className="muted small">
            {content.data.source === "mailbox"
              ? "The copy that was delivered (development mailbox)."
              : `Not kept: rendered now from template v${content.data.templateVersion ?? "?"} for this contact, so it may differ from what was sent.`}
          </p>
          {content.data.subject && <p><strong>Subject:</strong> {content.data.subject}</p>}
          {content.data.html ? (
            <iframe className="email-frame" title={`Email content of message ${m.messageId}`} sandbox="" srcDoc={content.data.html} />
          ) : (
            content.data.text && <pre className="text-part">{content.data.text}</pre>
          )}
        </div>
      )}
    </article>
  );
}
