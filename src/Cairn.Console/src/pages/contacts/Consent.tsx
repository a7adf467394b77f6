import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { request } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, ErrorNotice, Loading, formatTime } from "../../components/ui";
import type { ConsentEntry, ConsentHistoryEntry } from "./types";

const channels = ["email", "sms", "push", "in_app", "whatsapp"];

/** Consent per channel and subscription group, its history with proof, and (editors) recording a new answer. */
export function Consent({ contactId }: { contactId: string }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const base = `/api/contacts/${encodeURIComponent(contactId)}/consent`;
  const current = useQuery({ queryKey: ["contact", contactId, "consent"], queryFn: () => request<ConsentEntry[]>("GET", base) });
  const history = useQuery({ queryKey: ["contact", contactId, "consent", "history"], queryFn: () => request<ConsentHistoryEntry[]>("GET", `${base}/history`) });
  const [form, setForm] = useState({ channel: "email", group: "", state: "opted_in", proof: "" });
  const record = useMutation({
    mutationFn: () =>
      request<ConsentEntry[]>("PUT", base, {
        channel: form.channel,
        group: form.group.trim() || undefined,
        state: form.state,
        source: "console",
        proof: form.proof.trim() || undefined,
      }),
    onSuccess: (updated) => {
      queryClient.setQueryData(["contact", contactId, "consent"], updated);
      void queryClient.invalidateQueries({ queryKey: ["contact", contactId, "consent", "history"] });
      void queryClient.invalidateQueries({ queryKey: ["contact", contactId, "events"] });
      setForm({ ...form, proof: "" });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    record.mutate();
  };

  return (
    <section className="panel" aria-labelledby="consent">
      <h2 id="consent">Consent</h2>
      {current.isPending && <Loading what="consent" />}
      <ErrorNotice error={current.error} />
      {current.data && current.data.length === 0 && <p className="muted">No consent recorded: the policy's defaults apply.</p>}
      {current.data && current.data.length > 0 && (
        <table className="table compact">
          <thead><tr><th scope="col">Channel</th><th scope="col">Group</th><th scope="col">State</th><th scope="col">Source and proof</th></tr></thead>
          <tbody>
            {current.data.map((entry) => (
              <tr key={entry.key}>
                <td>{entry.channel}</td>
                <td>{entry.group ?? "all"}</td>
                <td><Badge value={entry.state} /></td>
                <td className="small">{entry.source}, {formatTime(entry.at)}{entry.proof && <div className="muted">{entry.proof}</div>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can("editor") && (
        <form className="consent-form" onSubmit={submit} aria-label="Record consent">
          <div className="row">
            <label>Channel
              <select value={form.channel} onChange={(e) => setForm({ ...form, channel: e.target.value })}>
                {channels.map((channel) => <option key={channel}>{channel}</option>)}
              </select>
            </label>
            <label>Group (optional)<input value={form.group} onChange={(e) => setForm({ ...form, group: e.target.value })} placeholder="newsletter" /></label>
            <label>Answer
              <select value={form.state} onChange={(e) => setForm({ ...form, state: e.target.value })}>
                <option value="opted_in">opted in</option>
                <option value="opted_out">opted out</option>
              </select>
            </label>
          </div>
          <div className="row">
            <label className="grow">Proof<input value={form.proof} onChange={(e) => setForm({ ...form, proof: e.target.value })} placeholder="phone call of 7 Dec, ticket 4411" /></label>
            <button type="submit" disabled={record.isPending}>{record.isPending ? "Recording…" : "Record consent"}</button>
          </div>
        </form>
      )}
      <ErrorNotice error={record.error} title="Consent was not recorded" />
      <details className="history">
        <summary>History{history.data ? ` (${history.data.length})` : ""}</summary>
        {history.isPending && <Loading what="consent history" />}
        <ErrorNotice error={history.error} />
        {history.data && history.data.length === 0 && <p className="muted small">No answers on the timeline.</p>}
        <ol className="plain small">
          {history.data?.map((entry, index) => (
            <li key={index}>
              {formatTime(entry.at)}: <strong>{entry.answer.channel}{entry.answer.group ? `/${entry.answer.group}` : ""}</strong>{" "}
              <Badge value={entry.answer.state ?? null} /> via {entry.answer.source ?? "?"}
              {entry.answer.proof && <span className="muted">: {entry.answer.proof}</span>}
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}
