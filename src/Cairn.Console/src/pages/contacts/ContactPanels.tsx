import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, ErrorNotice, Loading, formatNumber, formatTime } from "../../components/ui";
import type { SegmentMembership } from "./types";

type Contact = Schemas["ContactView"];

/** Every way the contact is known: user id, anonymous ids, email, phone, and when it was seen. */
export function Identities({ contact }: { contact: Contact }) {
  return (
    <section className="panel" aria-labelledby="identities">
      <h2 id="identities">Identities</h2>
      <dl className="facts">
        <dt>User id</dt><dd className="mono">{contact.userId ?? "–"}</dd>
        <dt>Anonymous ids</dt>
        <dd className="mono">{contact.anonymousIds.length === 0 ? "–" : contact.anonymousIds.join(", ")}</dd>
        <dt>Email</dt><dd>{contact.email ?? "–"}</dd>
        <dt>Phone</dt><dd>{contact.phone ?? "–"}</dd>
        <dt>Time zone</dt><dd>{contact.timeZone ?? "–"}</dd>
        <dt>First seen</dt><dd>{formatTime(contact.firstSeen)}</dd>
        <dt>Last seen</dt><dd>{formatTime(contact.lastSeen)}</dd>
        <dt>Events</dt><dd>{formatNumber(contact.eventCount)}</dd>
        <dt>Groups</dt>
        <dd>{contact.groups.length === 0 ? "–" : contact.groups.map((group) => <span key={group} className="tag">{group}</span>)}</dd>
      </dl>
    </section>
  );
}

/** The traits, editable by an editor (a value that reads as JSON is stored as such, anything else as text). */
export function Traits({ contact }: { contact: Contact }) {
  const { can } = useAuth();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const save = useMutation({
    mutationFn: (traits: Record<string, unknown>) =>
      unwrap(api.PATCH("/api/contacts/{id}/traits", { params: { path: { id: contact.id } }, body: traits as never })),
    onSuccess: (updated) => {
      queryClient.setQueryData(["contact", contact.id], updated);
      setName("");
      setValue("");
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown = value;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = value;
    }
    save.mutate({ [name.trim()]: parsed });
  };
  const entries = Object.entries(contact.traits);
  return (
    <section className="panel" aria-labelledby="traits">
      <h2 id="traits">Traits</h2>
      {entries.length === 0 ? (
        <p className="muted">No traits.</p>
      ) : (
        <table className="table compact">
          <thead><tr><th scope="col">Trait</th><th scope="col">Value</th>{can("editor") && <th scope="col"><span className="visually-hidden">Edit</span></th>}</tr></thead>
          <tbody>
            {entries.map(([key, traitValue]) => (
              <tr key={key}>
                <td className="mono">{key}</td>
                <td className="trait-value">{typeof traitValue === "string" ? traitValue : JSON.stringify(traitValue)}</td>
                {can("editor") && (
                  <td>
                    <button type="button" className="link" aria-label={`Edit ${key}`} onClick={() => { setName(key); setValue(typeof traitValue === "string" ? traitValue : JSON.stringify(traitValue)); }}>
                      Edit
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {can("editor") && (
        <form className="row trait-form" onSubmit={submit} aria-label="Set a trait">
          <label>Trait<input value={name} onChange={(e) => setName(e.target.value)} required /></label>
          <label className="grow">Value<input value={value} onChange={(e) => setValue(e.target.value)} placeholder='text, 42, true or JSON' /></label>
          <button type="submit" disabled={save.isPending || !name.trim()}>{save.isPending ? "Saving…" : "Set trait"}</button>
        </form>
      )}
      <ErrorNotice error={save.error} title="The trait was not saved" />
    </section>
  );
}

/** The segments the contact is in, with when and why it entered each. */
export function Segments({ contactId }: { contactId: string }) {
  const segments = useQuery({
    queryKey: ["contact", contactId, "segments"],
    queryFn: () => request<SegmentMembership[]>("GET", `/api/contacts/${encodeURIComponent(contactId)}/segments`),
  });
  return (
    <section className="panel" aria-labelledby="segments">
      <h2 id="segments">Segments</h2>
      {segments.isPending && <Loading what="segments" />}
      <ErrorNotice error={segments.error} />
      {segments.data && segments.data.length === 0 && <p className="muted">In no segment.</p>}
      {segments.data && segments.data.length > 0 && (
        <ul className="plain">
          {segments.data.map((s) => (
            <li key={s.segment}>
              <strong>{s.segment}</strong> <span className="muted small">since {formatTime(s.enteredAt)}</span>
              {s.reason && <div className="small">{s.reason}</div>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Every score with its stage and what explains it: fit rules that hold and behaviour with its decay. */
export function Scores({ contactId }: { contactId: string }) {
  const scores = useQuery({
    queryKey: ["contact", contactId, "scores"],
    queryFn: () => unwrap(api.GET("/api/contacts/{id}/scores", { params: { path: { id: contactId } } })),
  });
  return (
    <section className="panel" aria-labelledby="scores">
      <h2 id="scores">Scores and stage</h2>
      {scores.isPending && <Loading what="scores" />}
      <ErrorNotice error={scores.error} />
      {scores.data && scores.data.length === 0 && <p className="muted">No scoring model is live.</p>}
      {scores.data?.map((score) => (
        <div key={score.model} className="score">
          <p className="score-head">
            <strong>{score.name}</strong> <span className="score-value">{score.score}</span>
            {score.stage && <> stage <Badge value={score.stage} /></>}
          </p>
          <p className="muted small">fit {score.fit} + behaviour {score.behaviour}, scored {formatTime(score.scoredAt)}</p>
          {score.fitRules.length === 0 && score.contributions.length === 0 ? (
            <p className="small muted">No rule has scored this contact yet.</p>
          ) : (
            <ul className="plain small">
              {score.fitRules.map((rule) => <li key={`fit-${rule.rule}`}>Fit <strong>{rule.rule}</strong>: +{rule.points}</li>)}
              {score.contributions.map((c, index) => (
                <li key={`b-${index}`}>
                  <strong>{c.rule}</strong> ({c.event}{Number(c.count) > 1 ? ` ×${c.count}` : ""}, {formatTime(c.at)}): {c.points} then, {c.now} now
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </section>
  );
}
