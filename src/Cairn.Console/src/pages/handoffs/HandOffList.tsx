import { Link, useSearchParams } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { LoadMore, useCursorPages } from "../../components/CursorPages";
import { Badge, Empty, ErrorNotice, Loading, PageHeader, formatAgo, formatNumber, formatTime } from "../../components/ui";
import "./handoffs.css";

type HandOff = Schemas["HandOffView"];

/** Hand-offs read per page of the list (the summary covers the whole period whatever the page). */
const pageSize = 50;

/** A duration in words: "42 s", "17 min", "3.5 h", "2.1 d". */
export function formatDuration(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return "–";
  const seconds = Number(value);
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** Sales hand-offs: per owner how many are open, acknowledged and breached, the median time to acknowledge, and the list. */
export function HandOffList() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const owner = params.get("owner") ?? "";
  const days = params.get("days") ?? "30";
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const { query: report, items } = useCursorPages({
    queryKey: ["handoffs", status, owner, days],
    fetchPage: (cursor) =>
      unwrap(
        api.GET("/api/handoffs", {
          params: { query: { status: status || undefined, owner: owner || undefined, days: Number(days), limit: pageSize, cursor } },
        }),
      ),
    itemsOf: (page) => page.items,
    // Refreshed while only the first page is shown; later pages stay as they were read.
    refreshMs: 30_000,
  });
  const summary = report.data?.pages[0]?.summary;

  return (
    <>
      <PageHeader title="Sales hand-offs" subtitle="Leads handed to sales: who has them, whether they were acknowledged in time." />
      <form className="panel filters" aria-label="Filter hand-offs" onSubmit={(e) => e.preventDefault()}>
        <div className="row">
          <label>Status
            <select value={status} onChange={(e) => set("status", e.target.value)}>
              <option value="">all</option>
              <option value="open">open</option>
              <option value="acknowledged">acknowledged</option>
              <option value="breached">breached</option>
              <option value="escalated">escalated</option>
            </select>
          </label>
          <label>Owner<input type="search" value={owner} onChange={(e) => set("owner", e.target.value)} placeholder="owner id" /></label>
          <label>Period
            <select value={days} onChange={(e) => set("days", e.target.value)}>
              <option value="7">last 7 days</option>
              <option value="30">last 30 days</option>
              <option value="90">last 90 days</option>
            </select>
          </label>
        </div>
      </form>
      {report.isPending && <Loading what="hand-offs" />}
      <ErrorNotice error={report.error} />
      {summary && (
        <>
          <div className="cards" aria-label="Summary">
            <div className="card"><div className="value">{formatNumber(summary.total)}</div><div className="label">hand-offs</div></div>
            <div className="card"><div className="value">{formatNumber(summary.open)}</div><div className="label">open</div></div>
            <div className="card"><div className="value">{formatNumber(summary.acknowledged)}</div><div className="label">acknowledged</div></div>
            <div className="card"><div className="value">{formatNumber(summary.breached)}</div><div className="label">SLA breached</div></div>
            <div className="card"><div className="value">{formatDuration(summary.timeToAcknowledge.medianSeconds)}</div><div className="label">median time to acknowledge</div></div>
          </div>
          <h2>Per owner</h2>
          {summary.byOwner.length === 0 ? (
            <Empty>No hand-offs in this period.</Empty>
          ) : (
            <table className="table owners-table">
              <thead>
                <tr>
                  <th scope="col">Owner</th>
                  <th scope="col" className="number">Total</th>
                  <th scope="col" className="number">Open</th>
                  <th scope="col" className="number">Acknowledged</th>
                  <th scope="col" className="number">Breached</th>
                  <th scope="col" className="number">Median to acknowledge</th>
                  <th scope="col" className="number">90th percentile</th>
                </tr>
              </thead>
              <tbody>
                {summary.byOwner.map((row) => (
                  <tr key={row.owner}>
                    <td><button type="button" className="link" onClick={() => set("owner", row.owner === "(unrouted)" ? "" : row.owner)}>{row.owner}</button></td>
                    <td className="number">{formatNumber(row.total)}</td>
                    <td className="number">{formatNumber(Number(row.total) - Number(row.timeToAcknowledge.acknowledged))}</td>
                    <td className="number">{formatNumber(row.timeToAcknowledge.acknowledged)}</td>
                    <td className="number">{formatNumber(row.breached)}</td>
                    <td className="number">{formatDuration(row.timeToAcknowledge.medianSeconds)}</td>
                    <td className="number">{formatDuration(row.timeToAcknowledge.p90Seconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
      {report.data && (
        <>
          <h2>Hand-offs</h2>
          {items.length === 0 ? <Empty>No hand-off matches.</Empty> : <HandOffTable items={items} />}
          <LoadMore pages={report} shown={items.length} what="hand-offs" />
        </>
      )}
    </>
  );
}

function HandOffTable({ items }: { items: HandOff[] }) {
  return (
    <table className="table handoffs-table">
      <thead>
        <tr>
          <th scope="col">Handed off</th>
          <th scope="col">Contact</th>
          <th scope="col">Owner</th>
          <th scope="col">Journey</th>
          <th scope="col">Due</th>
          <th scope="col">Status</th>
          <th scope="col">Acknowledged</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.id}>
            <td>{formatTime(item.createdAt)}<div className="muted small">{formatAgo(item.createdAt)}</div></td>
            <td><Link to={`/contacts/${encodeURIComponent(item.contactId)}`} className="mono small">{item.contactId}</Link></td>
            <td>{item.owner ?? <span className="muted">unrouted</span>}<div className="muted small">{item.team}, {item.routedBy}</div></td>
            <td>{item.journey}</td>
            <td>{formatTime(item.dueAt)}</td>
            <td>
              <Badge value={item.status} /> {item.breached && <Badge value="breached" />}
              {item.escalatedAt && <div className="small muted">escalated to {item.escalatedTo ?? "?"}</div>}
            </td>
            <td>
              {item.acknowledgedAt ? (
                <span className="small">{formatDuration(item.secondsToAcknowledge)} after, by {item.acknowledgedBy ?? "?"}</span>
              ) : (
                <AckButton handOff={item} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AckButton({ handOff }: { handOff: HandOff }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const ack = useMutation({
    mutationFn: () => unwrap(api.POST("/api/handoffs/{id}/ack", { params: { path: { id: handOff.id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ["handoffs"] }),
  });
  if (!can("editor")) return <span className="muted small">not yet</span>;
  return (
    <>
      <button type="button" onClick={() => ack.mutate()} disabled={ack.isPending} aria-label={`Acknowledge hand-off ${handOff.id}`}>
        {ack.isPending ? "Acknowledging…" : "Acknowledge"}
      </button>
      <ErrorNotice error={ack.error} title="Not acknowledged" />
    </>
  );
}
