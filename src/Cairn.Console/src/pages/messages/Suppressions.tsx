import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { LoadMore, useCursorPages } from "../../components/CursorPages";

type Suppression = Schemas["SuppressionView"];

type Kind = "all" | "bounce" | "complaint" | "other";

/** What put an address on the list, from the reason the delivery feedback recorded. */
function kindOf(reason: string | null): Exclude<Kind, "all"> {
  const text = (reason ?? "").toLowerCase();
  if (text.startsWith("complaint")) return "complaint";
  if (text.includes("bounce")) return "bounce";
  return "other";
}

/** The suppression list (addresses masked by the server), bounces and complaints, and adding or removing an address. */
export function Suppressions() {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>("all");
  const { query: list, items: loaded } = useCursorPages({
    queryKey: ["suppressions"],
    fetchPage: (cursor) => unwrap(api.GET("/api/suppressions", { params: { query: { cursor, limit: 100 } } })),
    itemsOf: (page) => page.items,
  });
  const [add, setAdd] = useState({ address: "", reason: "" });
  const [remove, setRemove] = useState("");
  const added = useMutation({
    mutationFn: () => request<unknown>("POST", "/api/suppressions", { address: add.address.trim(), reason: add.reason.trim() || undefined }),
    onSuccess: () => {
      setAdd({ address: "", reason: "" });
      void queryClient.invalidateQueries({ queryKey: ["suppressions"] });
    },
  });
  const removed = useMutation({
    mutationFn: () => request<unknown>("DELETE", `/api/suppressions?address=${encodeURIComponent(remove.trim())}&channel=${remove.trim().startsWith("+") ? "sms" : "email"}`),
    onSuccess: () => {
      setRemove("");
      void queryClient.invalidateQueries({ queryKey: ["suppressions"] });
    },
  });
  const submitAdd = (event: FormEvent) => { event.preventDefault(); added.mutate(); };
  const submitRemove = (event: FormEvent) => { event.preventDefault(); removed.mutate(); };

  const entries: Suppression[] = loaded.filter((entry) => kind === "all" || kindOf(entry.reason) === kind);
  const counts = loaded.reduce((acc, entry) => ({ ...acc, [kindOf(entry.reason)]: (acc[kindOf(entry.reason)] ?? 0) + 1 }), {} as Record<string, number>);
  return (
    <>
      <p className="muted">
        Addresses that hard-bounced, complained or soft-bounced too often get no more messages. The list keeps a keyed
        hash and a masked hint only, never the address itself. Bounced messages: <Link to="/messages?status=bounced">the outbox, status bounced</Link>.
      </p>
      <div className="row kind-filter" role="group" aria-label="Show">
        {(["all", "bounce", "complaint", "other"] as Kind[]).map((k) => (
          <button key={k} type="button" aria-pressed={kind === k} className={kind === k ? "primary" : undefined} onClick={() => setKind(k)}>
            {k === "all" ? "All" : k === "bounce" ? `Bounces (${counts.bounce ?? 0})` : k === "complaint" ? `Complaints (${counts.complaint ?? 0})` : `Other (${counts.other ?? 0})`}
          </button>
        ))}
      </div>
      {list.hasNextPage && <p className="muted small">The kinds and their counts are of the {loaded.length.toLocaleString()} newest addresses loaded; load more to see older ones.</p>}
      {list.isPending && <Loading what="the suppression list" />}
      <ErrorNotice error={list.error} />
      {list.data && entries.length === 0 && <Empty>No suppressed address{kind === "all" ? "" : ` of this kind`}.</Empty>}
      {entries.length > 0 && (
        <table className="table suppressions-table">
          <thead><tr><th scope="col">Address</th><th scope="col">Kind</th><th scope="col">Reason</th><th scope="col">Source</th><th scope="col">Since</th></tr></thead>
          <tbody>
            {entries.map((entry, index) => (
              <tr key={`${entry.address}-${index}`}>
                <td className="mono">{entry.address}</td>
                <td><Badge value={kindOf(entry.reason) === "bounce" ? "bounced" : kindOf(entry.reason) === "complaint" ? "complained" : "suppressed"} /></td>
                <td>{entry.reason ?? "–"}</td>
                <td>{entry.source ?? "–"}</td>
                <td>{formatTime(entry.suppressedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {loaded.length > 0 && <LoadMore pages={list} shown={loaded.length} what="addresses" />}
      {can("editor") && (
        <div className="grid-2 suppression-forms">
          <form className="panel form" onSubmit={submitAdd} aria-labelledby="suppress-title">
            <h2 id="suppress-title">Suppress an address</h2>
            <label>Email address<input type="email" required value={add.address} onChange={(e) => setAdd({ ...add, address: e.target.value })} autoComplete="off" /></label>
            <label>Reason<input value={add.reason} onChange={(e) => setAdd({ ...add, reason: e.target.value })} placeholder="asked by phone not to be emailed" /></label>
            <div><button type="submit" className="primary" disabled={added.isPending}>Suppress</button></div>
            <ErrorNotice error={added.error} title="Not suppressed" />
            {added.isSuccess && <p className="notice success" role="status">Suppressed.</p>}
          </form>
          <form className="panel form" onSubmit={submitRemove} aria-labelledby="unsuppress-title">
            <h2 id="unsuppress-title">Remove an address</h2>
            <p className="muted small">The list shows masked hints only: type the full address (or +phone number) to take it off.</p>
            <label>Address or phone<input required value={remove} onChange={(e) => setRemove(e.target.value)} autoComplete="off" /></label>
            <div><button type="submit" className="danger" disabled={removed.isPending}>Remove from the list</button></div>
            <ErrorNotice error={removed.error} title="Not removed" />
            {removed.isSuccess && <p className="notice success" role="status">Removed: messages to it go out again.</p>}
          </form>
        </div>
      )}
    </>
  );
}
