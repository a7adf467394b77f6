import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, request, unwrap, type Schemas } from "../../api/client";
import { ErrorNotice, Loading } from "../../components/ui";
import { describe, diffSteps, parse } from "./model";

type Summary = Schemas["JourneySummary"];
const FINISH = "";

/**
 * Publishing: the draft's steps against the live version's (added, removed, changed) and, for each removed step,
 * where its waiting contacts go (the step map of the publish), or that they finish on the old version.
 */
export function PublishDialog({ id, draft, dirty, summary, onSave, onClose, onPublished }: {
  id: string;
  draft: string;
  dirty: boolean;
  summary: Summary;
  onSave: () => Promise<unknown>;
  onClose: () => void;
  onPublished: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);
  const versions = useQuery({
    queryKey: ["journeys", id, "versions"],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}/versions", { params: { path: { id } } })),
  });
  const live = versions.data?.find((v) => v.version === summary.publishedVersion);
  const liveSteps = live ? parse(live.document).steps : [];
  const draftSteps = parse(draft).steps;
  const diff = diffSteps(liveSteps, draftSteps);
  const [stepMap, setStepMap] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ version: number; created: boolean } | null>(null);

  const publish = useMutation({
    mutationFn: async () => {
      if (dirty) await onSave();
      const map = Object.fromEntries(Object.entries(stepMap).filter(([, to]) => to !== FINISH));
      return request<{ version: number; created: boolean }>("POST", `/api/journeys/${encodeURIComponent(id)}/publish`, Object.keys(map).length > 0 ? { stepMap: map } : {});
    },
    onSuccess: (answer) => setResult(answer),
  });

  return (
    <dialog ref={dialog} className="publish-dialog" aria-labelledby="publish-title" onCancel={onClose}>
      <h2 id="publish-title">Publish {summary.name ?? id}</h2>
      {versions.isPending && <Loading what="the live version" />}
      <ErrorNotice error={versions.error} />
      {versions.data && (
        <>
          <p className="muted">
            {live ? `Changes against the live version v${live.version}` : "The first version: every step is new."}
            {dirty ? " The draft is saved first." : ""}
          </p>
          <div className="diff">
            <DiffList title="Added" tone="added" ids={diff.added} describeId={(stepId) => draftSteps.find((s) => s.id === stepId)} />
            <DiffList title="Removed" tone="removed" ids={diff.removed} describeId={(stepId) => liveSteps.find((s) => s.id === stepId)} />
            <DiffList title="Changed" tone="changed" ids={diff.changed} describeId={(stepId) => draftSteps.find((s) => s.id === stepId)} />
            {diff.added.length + diff.removed.length + diff.changed.length === 0 && <p>No step changed{live ? " (the journey's settings may have)" : ""}.</p>}
          </div>
          {live && diff.removed.length > 0 && (
            <fieldset className="step-map">
              <legend>Contacts waiting at removed steps</legend>
              <p className="muted small">Move them to a step of the new version, or let them finish on v{live.version}.</p>
              {diff.removed.map((from) => (
                <label key={from} className="field">
                  <span>From <code>{from}</code> to</span>
                  <select value={stepMap[from] ?? FINISH} onChange={(event) => setStepMap({ ...stepMap, [from]: event.target.value })}>
                    <option value={FINISH}>(finish on v{live.version})</option>
                    {draftSteps.map((s) => <option key={s.id} value={s.id}>{s.id}</option>)}
                  </select>
                </label>
              ))}
            </fieldset>
          )}
        </>
      )}
      <ErrorNotice error={publish.error} title="Could not publish" />
      {result && (
        <div className="notice success" role="status">
          {result.created ? `Published version v${result.version}.` : `Nothing changed: v${result.version} stays live.`}
        </div>
      )}
      <div className="dialog-actions">
        {result
          ? <button type="button" className="primary" onClick={onPublished}>Done</button>
          : (
            <>
              <button type="button" onClick={onClose}>Cancel</button>
              <button type="button" className="primary" disabled={publish.isPending || !versions.data} onClick={() => publish.mutate()}>
                {publish.isPending ? "Publishing…" : "Publish now"}
              </button>
            </>
          )}
      </div>
    </dialog>
  );
}

function DiffList({ title, tone, ids, describeId }: { title: string; tone: string; ids: string[]; describeId: (id: string) => ReturnType<typeof parse>["steps"][number] | undefined }) {
  if (ids.length === 0) return null;
  return (
    <section className={`diff-group diff-${tone}`}>
      <h3>{title} ({ids.length})</h3>
      <ul>
        {ids.map((stepId) => {
          const step = describeId(stepId);
          return <li key={stepId}><code>{stepId}</code> {step ? <span className="muted">{describe(step)}</span> : null}</li>;
        })}
      </ul>
    </section>
  );
}
