import { useEffect, useMemo, useState } from "react";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "react-router-dom";
import { parseDocument } from "yaml";
import { api, ApiError, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { CodeEditor } from "../../components/CodeEditor";
import { DocumentEditorActions, DocumentEditorNotices } from "../../components/DocumentEditorBar";
import { Badge, Empty, ErrorNotice, formatNumber, formatTime, Loading, PageHeader } from "../../components/ui";
import { ConditionBuilder, type ErrorsByPath } from "../../components/conditions/ConditionBuilder";
import { nameFromId, newSegmentDocument, parseSegment, withCondition, type Condition } from "./conditions";
import "./segments.css";

interface SegmentPreview {
  count: number;
  exact: boolean;
  margin: number | null;
  evaluated: number;
  population: number;
  sample: { id: string; userId: string | null; email: string | null }[];
  evaluatedAt: string;
}

/** The segment builder: the condition tree as a form and as YAML, both ways in sync, a live preview, and the members. */
export function SegmentEditor() {
  const { id: routeId } = useParams();
  const isNew = routeId === undefined;
  const segment = useQuery({
    queryKey: ["segment", routeId],
    queryFn: () => unwrap(api.GET("/api/segments/{id}", { params: { path: { id: routeId! } } })),
    enabled: !isNew,
    // Followed while its backfill runs, so the count and the members fill in.
    refetchInterval: (query) => (query.state.data?.backfill === "running" ? 2_000 : false),
  });
  if (!isNew && segment.isPending) return <Loading what="the segment" />;
  if (!isNew && segment.error) return <ErrorNotice error={segment.error} title="The segment could not be loaded" />;
  return <Editor key={routeId ?? "new"} segment={segment.data} />;
}

function Editor({ segment }: { segment: Schemas["SegmentView"] | undefined }) {
  const { can } = useAuth();
  const readOnly = !can("editor");
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [text, setText] = useState(segment?.document ?? newSegmentDocument(""));
  const parsed = useMemo(() => parseSegment(text), [text]);
  const id = typeof parsed.data?.id === "string" ? parsed.data.id : "";
  const debounced = useDebounced(text, 400);
  const segments = useQuery({ queryKey: ["segments"], queryFn: () => unwrap(api.GET("/api/segments")) });

  const previewable = useMemo(() => parseSegment(debounced), [debounced]);
  const preview = useQuery({
    queryKey: ["segment-preview", debounced],
    queryFn: ({ signal }) => previewSegment(debounced, signal),
    enabled: previewable.error === null && previewable.condition !== null,
    placeholderData: (previous) => previous,
    staleTime: 30_000,
  });

  const save = useMutation({
    mutationFn: () => request<Schemas["SegmentView"]>("PUT", `/api/segments/${encodeURIComponent(id)}`, text, "application/yaml"),
    onSuccess: (saved) => {
      queryClient.invalidateQueries({ queryKey: ["segments"] });
      queryClient.setQueryData(["segment", saved.id], saved);
      if (!segment) navigate(`/segments/${encodeURIComponent(saved.id)}`, { replace: true });
    },
  });

  // Validation errors (422) placed at the condition whose lines contain theirs; the rest above the builder.
  const errors = save.error instanceof ApiError && save.error.status === 422 ? save.error.errors : [];
  const { byPath, unplaced } = useMemo(() => placeErrors(errors, parsed.lines), [errors, parsed.lines]);
  const dirty = text !== (segment?.document ?? "");

  // The name follows the id while it is still the one derived from it, so a new segment is never saved as "New segment".
  const setId = (next: string) => {
    const document = parseDocument(text);
    if (document.get("name") === nameFromId(id)) document.set("name", nameFromId(next));
    document.set("id", next);
    setText(document.toString({ lineWidth: 0 }));
  };

  return (
    <>
      <PageHeader
        title={segment ? (segment.name ?? segment.id) : "New segment"}
        subtitle={
          segment ? (
            <>
              <code>{segment.id}</code> · {formatNumber(segment.members)} members · backfill <Badge value={segment.backfill} />
              {segment.version ? ` · version ${segment.version}` : ""}
            </>
          ) : (
            "Build the condition; the preview counts the contacts it holds for as you edit."
          )
        }
        actions={
          <DocumentEditorActions listPath="/segments" listLabel="All segments" readOnly={readOnly} save={save} canSave={!!id && (dirty || !segment)} />
        }
      />
      <DocumentEditorNotices what="segment" readOnly={readOnly} save={save} dirty={dirty} saved="The segment is live and backfilling." />
      {unplaced.length > 0 && (
        <div className="notice error" role="alert">
          <strong>The segment was not saved</strong>
          <ul>
            {unplaced.map((error, index) => (
              <li key={index}>{error.line ? `Line ${error.line}: ` : ""}{error.message}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="segment-editor">
        <section className="panel segment-builder" aria-labelledby="builder-title">
          <h2 id="builder-title">Condition</h2>
          {!segment && !readOnly && (
            <div className="segment-id">
              <label htmlFor="segment-id">Id</label>
              <input id="segment-id" value={id} placeholder="high-value-active" pattern="[a-z0-9][a-z0-9_-]*" onChange={(e) => setId(e.target.value)} />
            </div>
          )}
          {parsed.error && <p className="notice error" role="alert">The YAML does not parse: {parsed.error}</p>}
          {!parsed.error && parsed.condition === null && <p className="muted">A static list: no condition; its members are added by upload or through the API.</p>}
          {!parsed.error && parsed.condition !== null && (
            <ConditionBuilder
              condition={parsed.condition}
              onChange={(next: Condition) => setText(withCondition(text, next))}
              readOnly={readOnly}
              errors={byPath}
              segments={(segments.data ?? []).map((s) => s.id).filter((other) => other !== id)}
            />
          )}
          <PreviewPanel preview={preview.data} error={preview.error} fetching={preview.isFetching} enabled={previewable.condition !== null} />
        </section>
        <section className="panel segment-yaml" aria-labelledby="yaml-title">
          <h2 id="yaml-title">YAML</h2>
          <CodeEditor value={text} onChange={readOnly ? undefined : setText} language="yaml" label="Segment document (YAML)" readOnly={readOnly} minHeight="20rem" />
        </section>
      </div>
      {segment && <Members id={segment.id} count={Number(segment.members)} />}
    </>
  );
}

function PreviewPanel({ preview, error, fetching, enabled }: { preview: SegmentPreview | undefined; error: unknown; fetching: boolean; enabled: boolean }) {
  if (!enabled) return null;
  return (
    <div className="segment-preview" aria-live="polite" aria-busy={fetching}>
      <h3>Preview</h3>
      {error ? <ErrorNotice error={error} title="The preview failed" /> : null}
      {!preview && !error && <Loading what="the preview" />}
      {preview && !error && (
        <>
          <p className="preview-count">
            <strong data-preview-count>{preview.exact ? formatNumber(preview.count) : `≈ ${formatNumber(preview.count)}`}</strong>{" "}
            {preview.count === 1 ? "contact" : "contacts"}
            {preview.exact ? " (exact)" : ` (estimated ± ${formatNumber(Math.round(preview.margin ?? 0))} from ${formatNumber(preview.evaluated)} of ${formatNumber(preview.population)})`}
            {fetching && <span className="muted small"> · updating…</span>}
          </p>
          {preview.sample.length > 0 && (
            <ul className="preview-sample">
              {preview.sample.slice(0, 10).map((contact) => (
                <li key={contact.id}>
                  <Link to={`/contacts/${contact.id}`}>{contact.email ?? contact.userId ?? contact.id}</Link>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

function Members({ id, count }: { id: string; count: number }) {
  const members = useInfiniteQuery({
    queryKey: ["segment-members", id, count],
    queryFn: ({ pageParam }) => unwrap(api.GET("/api/segments/{id}/members", { params: { path: { id }, query: { cursor: pageParam ?? undefined, limit: 50 } } })),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const items = members.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="panel segment-members" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <ErrorNotice error={members.error} title="The members could not be loaded" />
      {members.isPending && <Loading what="members" />}
      {members.data && items.length === 0 && <Empty>No members yet (a new segment fills as its backfill runs).</Empty>}
      {items.length > 0 && (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Entered</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {items.map((member) => (
                <tr key={member.contactId}>
                  <td><Link to={`/contacts/${member.contactId}`}><code>{member.contactId}</code></Link></td>
                  <td>{formatTime(member.enteredAt)}</td>
                  <td>{member.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {members.hasNextPage && (
        <button type="button" onClick={() => members.fetchNextPage()} disabled={members.isFetchingNextPage}>
          {members.isFetchingNextPage ? "Loading…" : "Load more"}
        </button>
      )}
    </section>
  );
}

async function previewSegment(text: string, signal: AbortSignal): Promise<SegmentPreview> {
  if (signal.aborted) throw new DOMException("aborted", "AbortError");
  return request<SegmentPreview>("POST", "/api/segments/preview", text, "application/yaml");
}

/** Each error at the innermost condition whose lines contain its line; those with no such condition apart. */
function placeErrors(errors: { line?: number; message: string }[], lines: Map<string, [number, number]>) {
  const byPath: ErrorsByPath = new Map();
  const unplaced: { line?: number; message: string }[] = [];
  for (const error of errors) {
    let best: string | null = null;
    let span = Infinity;
    for (const [path, [from, to]] of lines) {
      if (error.line !== undefined && error.line >= from && error.line <= to && to - from <= span) {
        best = path;
        span = to - from;
      }
    }
    if (best === null) unplaced.push(error);
    else byPath.set(best, [...(byPath.get(best) ?? []), error.line ? `Line ${error.line}: ${error.message}` : error.message]);
  }
  return { byPath, unplaced };
}

function useDebounced<T>(value: T, delay: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return current;
}
