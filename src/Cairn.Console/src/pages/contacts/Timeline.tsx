import { useEffect, useRef, useState } from "react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { Badge, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { MessageStory } from "../../components/MessageStory";

type EventItem = Schemas["EventView"];
type Message = Schemas["OutboxMessage"];
type Entry = { kind: "event"; at: string; event: EventItem } | { kind: "message"; at: string; message: Message };

const pageSize = 25;
/** The contact's newest messages merged into the timeline (the first page of the messages route). */
const messageWindow = 200;

/** The contact's events and messages, newest first; scrolling to the end loads the next page of events. */
export function Timeline({ contactId }: { contactId: string }) {
  const events = useInfiniteQuery({
    queryKey: ["contact", contactId, "events"],
    queryFn: ({ pageParam }) =>
      unwrap(api.GET("/api/contacts/{id}/events", { params: { path: { id: contactId }, query: { cursor: pageParam ?? undefined, limit: pageSize } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const messages = useQuery({
    queryKey: ["contact", contactId, "messages"],
    queryFn: () => unwrap(api.GET("/api/messages", { params: { query: { contactId, limit: messageWindow } } })),
  });
  const [story, setStory] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = events;

  useEffect(() => {
    const target = sentinel.current;
    if (!target || !hasNextPage) return;
    const observer = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    }, { rootMargin: "200px" });
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  const loaded = events.data?.pages.flatMap((page) => page.items) ?? [];
  const oldest = loaded.length > 0 ? loaded[loaded.length - 1].timestamp : null;
  const entries: Entry[] = [
    ...loaded.map((event): Entry => ({ kind: "event", at: event.timestamp, event })),
    ...(messages.data?.items ?? [])
      .filter((message) => !hasNextPage || oldest === null || message.createdAt >= oldest)
      .map((message): Entry => ({ kind: "message", at: message.createdAt, message })),
  ].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

  return (
    <section className="panel" aria-labelledby="timeline">
      <h2 id="timeline">Timeline</h2>
      {events.isPending && <Loading what="the timeline" />}
      <ErrorNotice error={events.error} />
      <ErrorNotice error={messages.error} title="Messages could not be loaded" />
      {events.data && entries.length === 0 && <p className="muted">Nothing happened yet.</p>}
      <ol className="timeline" aria-label="Events and messages, newest first">
        {entries.map((entry) =>
          entry.kind === "event" ? (
            <li key={`e-${entry.event.messageId}`} className="timeline-event">
              <time dateTime={entry.at}>{formatTime(entry.at)}</time>
              <div>
                <strong>{entry.event.name || entry.event.type}</strong> <span className="muted small">{entry.event.type}</span>
                <EventDetails event={entry.event} />
              </div>
            </li>
          ) : (
            <li key={`m-${entry.message.messageId}`} className="timeline-message">
              <time dateTime={entry.at}>{formatTime(entry.at)}</time>
              <div>
                <span className="small muted">message</span> <strong>{entry.message.channel}</strong>{" "}
                {entry.message.template && <span>“{entry.message.subject ?? entry.message.template}”</span>}{" "}
                <Badge value={entry.message.status} />{" "}
                <button type="button" className="link" onClick={() => setStory(entry.message.messageId)}>
                  Open story<span className="visually-hidden"> of message {entry.message.messageId}</span>
                </button>
              </div>
            </li>
          ),
        )}
      </ol>
      <div ref={sentinel} aria-hidden="true" />
      {hasNextPage && (
        <button type="button" className="more" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
          {isFetchingNextPage ? "Loading older events…" : "Load older events"}
        </button>
      )}
      {events.data && !hasNextPage && loaded.length > 0 && <p className="muted small">The beginning of this contact's timeline.</p>}
      <StoryDialog messageId={story} onClose={() => setStory(null)} />
    </section>
  );
}

function EventDetails({ event }: { event: EventItem }) {
  const message = event.message as Record<string, unknown> | null;
  const properties = message && typeof message === "object" ? (message.properties ?? message.traits) : undefined;
  if (!properties || typeof properties !== "object" || Object.keys(properties).length === 0) return null;
  const summary = Object.entries(properties as Record<string, unknown>)
    .slice(0, 4)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" · ");
  return <div className="small event-props">{summary}</div>;
}

/** A message's story in a modal dialog (the browser keeps focus inside it; Escape closes it). */
function StoryDialog({ messageId, onClose }: { messageId: string | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (messageId && !element.open) element.showModal();
    if (!messageId && element.open) element.close();
  }, [messageId]);
  return (
    <dialog ref={dialog} className="story-dialog" aria-labelledby="story-title" onClose={onClose}>
      <div className="dialog-head">
        <h2 id="story-title">Message story</h2>
        <button type="button" onClick={onClose}>Close</button>
      </div>
      {messageId && <MessageStory messageId={messageId} headingLevel={3} />}
    </dialog>
  );
}
