import { Link, useParams, useSearchParams } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { LoadMore, useCursorPages } from "../../components/CursorPages";
import { Badge, Empty, ErrorNotice, Loading, PageHeader, formatAgo, formatTime } from "../../components/ui";
import "./alerts.css";

type Incident = Schemas["AlertView"];

/** What each detector watches, in words. */
const detectors: Record<string, string> = {
  journey_entries: "Journey entries",
  journey_sends: "Journey sends",
  trigger_drought: "Trigger drought",
  bounce_rate: "Bounce rate",
  complaint_rate: "Complaint rate",
  unsubscribe_rate: "Unsubscribe rate",
  render_errors: "Render errors",
  outbox_backlog: "Outbox backlog",
  timer_lag: "Timer lag",
};

/** The anomaly alerts: open and recent incidents, newest first, and the selected one's timeline. */
export function AlertList() {
  const { id } = useParams();
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const { query, items } = useCursorPages({
    queryKey: ["alerts", status],
    fetchPage: (cursor) => unwrap(api.GET("/api/alerts", { params: { query: { status: status || undefined, limit: 50, cursor } } })),
    itemsOf: (page) => page.incidents,
    refreshMs: 30_000,
  });
  const open = query.data?.pages[0]?.open;
  const { can } = useAuth();

  return (
    <>
      <PageHeader title="Alerts" subtitle="Anomalies the watcher noticed: drops and spikes in journeys, silent triggers, deliverability, render errors, a backed-up outbox, late timers."
        actions={can("admin") && <Link className="button" to="/settings/alerts">Alert settings</Link>} />
      <form className="panel filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <label>Status
            <select value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {}, { replace: true })}>
              <option value="">all</option>
              <option value="open">open</option>
              <option value="resolved">resolved</option>
            </select>
          </label>
        </div>
      </form>
      {query.isPending && <Loading what="alerts" />}
      <ErrorNotice error={query.error} />
      {id && <AlertDetail id={id} />}
      {query.data && (
        <>
          <h2>{open === undefined ? "Incidents" : `Incidents (${open} open)`}</h2>
          {items.length === 0 ? <Empty>No incidents: nothing out of the ordinary.</Empty> : <AlertTable items={items} />}
          <LoadMore pages={query} shown={items.length} what="incidents" />
        </>
      )}
    </>
  );
}

function AlertTable({ items }: { items: Incident[] }) {
  return (
    <table className="table alerts-table">
      <thead>
        <tr>
          <th scope="col">Opened</th>
          <th scope="col">Status</th>
          <th scope="col">Detector</th>
          <th scope="col">What happened</th>
        </tr>
      </thead>
      <tbody>
        {items.map((incident) => (
          <tr key={incident.id}>
            <td title={formatTime(incident.openedAt)}>{formatAgo(incident.openedAt)}</td>
            <td>
              <Badge value={incident.status} />
              {incident.acknowledgedAt && <> <Badge value="acknowledged" /></>}
            </td>
            <td>{detectors[incident.detector] ?? incident.detector} · {incident.subject}</td>
            <td className="summary"><Link to={`/alerts/${incident.id}`}>{incident.summary}</Link></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AlertDetail({ id }: { id: string }) {
  const { session } = useAuth();
  const queryClient = useQueryClient();
  const detail = useQuery({
    queryKey: ["alert", id],
    queryFn: () => unwrap(api.GET("/api/alerts/{id}", { params: { path: { id } } })),
  });
  const acknowledge = useMutation({
    mutationFn: () => unwrap(api.POST("/api/alerts/{id}/acknowledge", { params: { path: { id } } })),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ["alert", id] });
      void queryClient.invalidateQueries({ queryKey: ["alerts"] });
    },
  });
  if (detail.isPending) return <Loading what="the incident" />;
  if (detail.error) return <ErrorNotice error={detail.error} />;
  const { incident, timeline, deliveries } = detail.data;
  const canAcknowledge = session?.role !== "viewer" && !incident.acknowledgedAt && incident.status === "open";
  return (
    <section className="panel alert-detail" aria-label="Incident">
      <h2>{detectors[incident.detector] ?? incident.detector} · {incident.subject} <Badge value={incident.status} /></h2>
      <p>{incident.summary}</p>
      {canAcknowledge && (
        <button type="button" onClick={() => acknowledge.mutate()} disabled={acknowledge.isPending}>Acknowledge</button>
      )}
      <ErrorNotice error={acknowledge.error} />
      <h3>Timeline</h3>
      <ol className="alert-timeline">
        {timeline.map((entry, index) => (
          <li key={index}>
            <time dateTime={entry.at}>{formatTime(entry.at)}</time>
            <strong>{entry.kind}</strong> — {entry.summary}
          </li>
        ))}
      </ol>
      {deliveries.length > 0 && (
        <>
          <h3>Deliveries</h3>
          <ul>
            {deliveries.map((delivery) => (
              <li key={delivery.id}>
                {delivery.kind} to {delivery.destination}: {delivery.status}
                {delivery.lastError ? ` (${delivery.lastError})` : ""}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The bell of the navigation: how many incidents are open, refreshed every half minute. */
export function AlertBell() {
  const count = useQuery({
    queryKey: ["alerts", "open-count"],
    queryFn: () => unwrap(api.GET("/api/alerts", { params: { query: { status: "open", limit: 1 } } })),
    refetchInterval: 30_000,
  });
  const open = Number(count.data?.open ?? 0);
  return (
    <span className="bell">
      <svg aria-hidden="true" width="14" height="14" viewBox="0 0 24 24" fill="currentColor">
        <path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
      </svg>
      Alerts
      {open > 0 && <span className="count" aria-label={`${open} open`}>{open}</span>}
    </span>
  );
}
