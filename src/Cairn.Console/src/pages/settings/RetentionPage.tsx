import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fieldErrors, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { ErrorNotice, Loading, formatNumber, formatTime } from "../../components/ui";

type View = Schemas["RetentionView"];
type Kind = Schemas["RetentionKindView"];
type NameRow = { name: string; days: string };
type Draft = Record<string, { days: string; names: NameRow[] }>;

const labels: Record<string, string> = {
  events: "Events",
  message_bodies: "Message bodies",
  messages: "Messages",
  mailbox: "Dev mailbox",
  audit: "Audit log",
};

const kept = (days: number | string | null | undefined) => (days === null || days === undefined || days === "" ? "kept" : `${days} days`);

function draftOf(view: View): Draft {
  return Object.fromEntries(view.kinds.map((kind) => [kind.kind, {
    days: kind.days === null || kind.days === undefined ? "" : String(kind.days),
    names: Object.entries(kind.daysByName ?? {}).map(([name, days]) => ({ name, days: days === null || days === undefined ? "" : String(days) })),
  }]));
}

function bodyOf(draft: Draft): Record<string, Schemas["RetentionRuleView"]> {
  const body: Record<string, Schemas["RetentionRuleView"]> = {};
  for (const [kind, rule] of Object.entries(draft)) {
    const names = rule.names.filter((row) => row.name.trim() !== "");
    if (rule.days.trim() === "" && names.length === 0) continue;
    const number = (text: string) => (text.trim() === "" ? null : Number(text));
    body[kind] = {
      days: number(rule.days),
      byName: names.length === 0 ? null : Object.fromEntries(names.map((row) => [row.name.trim(), number(row.days)])),
    };
  }
  return body;
}

/** Retention: how long each kind of data is kept, what the background pass deleted, and (admins) the policy's editor. */
export function RetentionPage() {
  const { can } = useAuth();
  const view = useQuery({ queryKey: ["retention"], queryFn: () => unwrap(api.GET("/api/retention")) });
  return (
    <>
      <h2>Retention</h2>
      <p className="muted small">
        How long Cairn keeps each kind of data. A kind with no days keeps everything (the default). A background pass
        deletes what is older in small batches, so ingestion never waits; segments and scores then count only what is kept.
      </p>
      {view.isPending && <Loading what="the retention policy" />}
      <ErrorNotice error={view.error} />
      {view.data && <Status view={view.data} />}
      {view.data && (can("admin") ? <Editor view={view.data} /> : (
        <div className="notice info"><strong>Only admins change the retention policy.</strong></div>
      ))}
    </>
  );
}

function Status({ view }: { view: View }) {
  return (
    <section aria-labelledby="retention-status">
      <h3 id="retention-status">Policy and last pass</h3>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="Retention by kind">
        <table className="table">
          <thead>
            <tr><th scope="col">Kind</th><th scope="col">Kept</th><th scope="col">Deleted last pass</th><th scope="col">Deleted in all</th><th scope="col">Last run</th></tr>
          </thead>
          <tbody>
            {view.kinds.map((kind: Kind) => (
              <tr key={kind.kind}>
                <td>
                  <strong>{labels[kind.kind] ?? kind.kind}</strong>
                  <div className="muted small">{kind.description}</div>
                  {Object.entries(kind.daysByName ?? {}).map(([name, days]) => (
                    <div key={name} className="small">{name}: {kept(days)}</div>
                  ))}
                </td>
                <td>{kept(kind.days)}</td>
                <td>{formatNumber(kind.lastDeleted)}{kind.interrupted && <span className="muted small"> (stopped; resumes)</span>}</td>
                <td>{formatNumber(kind.totalDeleted)}</td>
                <td>{kind.lastRunAt ? formatTime(kind.lastRunAt) : "never"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        {view.running ? "A pass is running. " : ""}
        {view.lastPassAt ? `Last pass ended ${formatTime(view.lastPassAt)}. ` : ""}
        {view.nextPassAt ? `Next pass ${formatTime(view.nextPassAt)}.` : ""}
      </p>
      {view.warnings.length > 0 && (
        <div className="notice warning" role="note" aria-label="Retention warnings">
          <strong>What this policy changes</strong>
          <ul>{view.warnings.map((warning) => <li key={warning}>{warning}</li>)}</ul>
        </div>
      )}
    </section>
  );
}

function Editor({ view }: { view: View }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(() => draftOf(view));
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(draftOf(view)), [view]);
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/retention", { body: bodyOf(draft) })),
    onMutate: () => setSaved(false),
    onSuccess: (answer) => { setSaved(true); queryClient.setQueryData(["retention"], answer); },
  });
  const run = useMutation({
    mutationFn: () => unwrap(api.POST("/api/retention/run")),
    onSuccess: (answer) => queryClient.setQueryData(["retention"], answer),
  });
  const errors = fieldErrors(save.error);
  const set = (kind: string, change: Partial<Draft[string]>) => setDraft((current) => ({ ...current, [kind]: { ...current[kind], ...change } }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <section className="panel" aria-labelledby="retention-edit">
      <h3 id="retention-edit">Change the policy</h3>
      <form onSubmit={submit} className="retention-form">
        {view.kinds.map((kind) => {
          const rule = draft[kind.kind] ?? { days: "", names: [] };
          const path = `$.${kind.kind}.days`;
          return (
            <fieldset key={kind.kind}>
              <legend>{labels[kind.kind] ?? kind.kind}</legend>
              <label>
                {labels[kind.kind] ?? kind.kind}: days kept (empty keeps everything)
                <input inputMode="numeric" value={rule.days} aria-invalid={errors[path] ? true : undefined} aria-describedby={errors[path] ? `${kind.kind}-days-error` : undefined}
                  onChange={(event) => set(kind.kind, { days: event.target.value })} />
              </label>
              {errors[path] && <p id={`${kind.kind}-days-error`} className="field-error">{errors[path][0]}</p>}
              {kind.byName && (
                <>
                  {rule.names.map((row, index) => {
                    const namePath = `$.${kind.kind}.byName.${row.name.trim()}`;
                    return (
                      <div className="row" key={index}>
                        <label>
                          Event name {index + 1}
                          <input value={row.name} onChange={(event) => set(kind.kind, { names: rule.names.map((other, i) => (i === index ? { ...other, name: event.target.value } : other)) })} />
                        </label>
                        <label>
                          Event name {index + 1}: days kept (empty keeps them)
                          <input inputMode="numeric" value={row.days} aria-invalid={errors[namePath] ? true : undefined}
                            onChange={(event) => set(kind.kind, { names: rule.names.map((other, i) => (i === index ? { ...other, days: event.target.value } : other)) })} />
                        </label>
                        <button type="button" onClick={() => set(kind.kind, { names: rule.names.filter((_, i) => i !== index) })}>Remove {row.name || `event name ${index + 1}`}</button>
                        {errors[namePath] && <p className="field-error">{errors[namePath][0]}</p>}
                      </div>
                    );
                  })}
                  <button type="button" onClick={() => set(kind.kind, { names: [...rule.names, { name: "", days: "" }] })}>Add an event name</button>
                </>
              )}
            </fieldset>
          );
        })}
        <div className="row">
          <button type="submit" className="primary" disabled={save.isPending}>{save.isPending ? "Saving…" : "Save retention policy"}</button>
          <button type="button" onClick={() => { setDraft(draftOf(view)); save.reset(); }}>Discard changes</button>
          <button type="button" disabled={run.isPending} onClick={() => run.mutate()}>{run.isPending ? "Running…" : "Run a pass now"}</button>
        </div>
        {saved && <p role="status">Saved. The next pass applies it.</p>}
        {run.isSuccess && <p role="status">Pass done.</p>}
        <ErrorNotice error={save.error} title="The policy was not saved" />
        <ErrorNotice error={run.error} title="The pass did not run" />
      </form>
    </section>
  );
}
