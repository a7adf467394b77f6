import { useEffect, useMemo, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams } from "react-router-dom";
import { api, ApiError, request, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { CodeEditor } from "../../components/CodeEditor";
import { DocumentEditorActions, DocumentEditorNotices } from "../../components/DocumentEditorBar";
import { ErrorNotice, Loading, PageHeader } from "../../components/ui";
import { ContactPicker, type PickedContact } from "./ContactPicker";
import { fieldsByChannel, newTemplateDocument, parseTemplate, templateChannels, withField } from "./templateDocument";
import { TemplatePreviewPane } from "./TemplatePreviewPane";
import "./templates.css";

type LineError = { line?: number; message: string };

/** The template editor: each Liquid field with highlighting, the whole document as YAML, a live preview and a test send. */
export function TemplateEditor() {
  const { id: routeId } = useParams();
  const isNew = routeId === undefined;
  const template = useQuery({
    queryKey: ["template", routeId],
    queryFn: () => unwrap(api.GET("/api/templates/{id}", { params: { path: { id: routeId! } } })),
    enabled: !isNew,
  });
  if (!isNew && template.isPending) return <Loading what="the template" />;
  if (!isNew && template.error) return <ErrorNotice error={template.error} title="The template could not be loaded" />;
  return <Editor key={routeId ?? "new"} stored={template.data} />;
}

function Editor({ stored }: { stored: Schemas["DocumentView"] | undefined }) {
  const { can, session } = useAuth();
  const readOnly = !can("editor");
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [text, setText] = useState(stored?.document ?? newTemplateDocument("email"));
  const [view, setView] = useState<"fields" | "yaml">("fields");
  const [contact, setContact] = useState<PickedContact | null>(null);
  const parsed = useMemo(() => parseTemplate(text), [text]);
  const id = typeof parsed.data?.id === "string" ? parsed.data.id : "";
  const channel = typeof parsed.data?.channel === "string" ? parsed.data.channel : "email";
  const fields = fieldsByChannel[channel] ?? [];
  const debounced = useDebounced(text, 400);

  const previewId = stored?.id ?? id;
  const preview = useQuery({
    queryKey: ["template-preview", previewId, debounced, contact?.id ?? null],
    queryFn: () => request<Schemas["TemplatePreview"]>("POST", `/api/templates/${encodeURIComponent(previewId)}/preview`, { document: debounced, ...(contact ? { contactId: contact.id } : {}) }),
    enabled: previewId !== "",
    placeholderData: (previous) => previous,
    staleTime: 30_000,
    retry: false,
  });

  const save = useMutation({
    mutationFn: () => request<Schemas["DocumentView"]>("PUT", `/api/templates/${encodeURIComponent(id)}`, text, "application/yaml"),
    onSuccess: (saved) => {
      queryClient.invalidateQueries({ queryKey: ["templates"] });
      queryClient.setQueryData(["template", saved.id], saved);
      if (!stored) navigate(`/templates/${encodeURIComponent(saved.id)}`, { replace: true });
    },
  });

  // Errors with a line: the save's (422) and the preview's (a render error, or the draft's own errors), by field.
  const previewError = preview.error instanceof ApiError && preview.error.status === 422 ? preview.error : null;
  const renderError: LineError | null = previewError && previewError.errors.length === 0
    ? { line: typeof previewError.problem.line === "number" ? previewError.problem.line : undefined, message: previewError.message }
    : null;
  const lineErrors: LineError[] = [
    ...(save.error instanceof ApiError && save.error.status === 422 ? save.error.errors : []),
    ...(previewError ? previewError.errors : []),
    ...(renderError ? [renderError] : []),
  ];
  const byField = new Map<string, string[]>();
  for (const error of lineErrors) {
    const field = [...parsed.lines].find(([, [from, to]]) => error.line !== undefined && error.line >= from && error.line <= to)?.[0] ?? "";
    byField.set(field, [...(byField.get(field) ?? []), error.line ? `Line ${error.line}: ${error.message}` : error.message]);
  }
  const dirty = text !== (stored?.document ?? "");

  return (
    <>
      <PageHeader
        title={typeof parsed.data?.name === "string" ? parsed.data.name : stored?.id ?? "New template"}
        subtitle={<><code>{previewId || "(no id)"}</code> · {channel}{stored?.publishedVersion ? ` · version ${stored.publishedVersion}` : ""}</>}
        actions={
          <DocumentEditorActions listPath="/templates" listLabel="All templates" readOnly={readOnly} save={save} canSave={!!id && (dirty || !stored)} />
        }
      />
      <DocumentEditorNotices what="template" readOnly={readOnly} save={save} dirty={dirty} saved="The template is live." />
      <div className="template-editor">
        <section className="panel" aria-labelledby="content-title">
          <h2 id="content-title">Content</h2>
          <div className="tabs" role="tablist" aria-label="Edit as">
            <button type="button" role="tab" aria-selected={view === "fields"} className={view === "fields" ? "active" : ""} onClick={() => setView("fields")}>Fields</button>
            <button type="button" role="tab" aria-selected={view === "yaml"} className={view === "yaml" ? "active" : ""} onClick={() => setView("yaml")}>YAML</button>
          </div>
          <FieldErrors errors={byField.get("")} />
          {parsed.error && <p className="notice error" role="alert">The YAML does not parse: {parsed.error}</p>}
          {view === "fields" && parsed.data && (
            <>
              <div className="template-meta">
                {!stored && !readOnly && (
                  <label>Id<input value={id} onChange={(e) => setText(withField(text, "id", e.target.value))} /></label>
                )}
                <label>Name<input value={String(parsed.data.name ?? "")} readOnly={readOnly} onChange={(e) => setText(withField(text, "name", e.target.value))} /></label>
                {!stored && !readOnly && (
                  <label>Channel
                    <select value={channel} onChange={(e) => setText(newTemplateDocument(e.target.value).replace("id: new-template", `id: ${id || "new-template"}`))}>
                      {templateChannels.map((c) => <option key={c} value={c}>{c}</option>)}
                    </select>
                  </label>
                )}
              </div>
              {fields.map((field) => {
                const errors = byField.get(field.key);
                return (
                  <div key={field.key} className={`template-field${errors ? " has-error" : ""}`} data-field={field.key}>
                    <label id={`field-${field.key}`}>{field.label}</label>
                    <CodeEditor
                      value={typeof parsed.data![field.key] === "string" ? (parsed.data![field.key] as string) : ""}
                      onChange={readOnly ? undefined : (value) => setText(withField(text, field.key, value))}
                      language="liquid"
                      label={field.label}
                      readOnly={readOnly}
                      minHeight={field.multiline ? "8rem" : "2rem"}
                    />
                    <FieldErrors errors={errors} />
                  </div>
                );
              })}
              {[...byField].filter(([key]) => key !== "" && !fields.some((field) => field.key === key)).map(([key, errors]) => (
                <FieldErrors key={key} errors={errors.map((message) => `${key}: ${message}`)} />
              ))}
            </>
          )}
          {view === "yaml" && (
            <CodeEditor value={text} onChange={readOnly ? undefined : setText} language="yaml" label="Template document (YAML)" readOnly={readOnly} minHeight="24rem" />
          )}
        </section>
        <section className="panel" aria-labelledby="preview-title">
          <h2 id="preview-title">Preview</h2>
          <ContactPicker value={contact} onChange={setContact} />
          {preview.error && !previewError && <ErrorNotice error={preview.error} title="The preview failed" />}
          {previewError && (
            <div className="notice error render-error" role="alert">
              <strong>{previewError.title}</strong>
              {renderError ? (
                <p>{renderError.line !== undefined && <span className="line">Line {renderError.line}: </span>}{renderError.message}</p>
              ) : (
                <ul>{previewError.errors.map((error, index) => <li key={index}>{error.line ? <span className="line">Line {error.line}: </span> : null}{error.message}</li>)}</ul>
              )}
            </div>
          )}
          {!preview.data && preview.isPending && previewId !== "" && <Loading what="the preview" />}
          {preview.data && !previewError && <TemplatePreviewPane preview={preview.data} />}
          {!readOnly && (channel === "email" || channel === "sms") && previewId !== "" && (
            <TestSend id={previewId} channel={channel} document={text} contactId={contact?.id ?? null} defaultTo={channel === "email" ? session?.email ?? "" : ""} />
          )}
        </section>
      </div>
    </>
  );
}

function TestSend({ id, channel, document, contactId, defaultTo }: { id: string; channel: string; document: string; contactId: string | null; defaultTo: string }) {
  const [to, setTo] = useState(defaultTo);
  const send = useMutation({
    mutationFn: () => request<Schemas["TestSendResult"]>("POST", `/api/templates/${encodeURIComponent(id)}/test-send`, { to, document, ...(contactId ? { contactId } : {}) }),
  });
  const result = send.data;
  return (
    <form className="test-send" onSubmit={(e) => { e.preventDefault(); send.mutate(); }}>
      <h3>Test send</h3>
      <div className="row">
        <label>
          {channel === "email" ? "Email address" : "Phone number (E.164)"}
          <input type={channel === "email" ? "email" : "tel"} value={to} required onChange={(e) => setTo(e.target.value)} placeholder={channel === "email" ? "you@example.com" : "+15550100200"} />
        </label>
        <button type="submit" disabled={send.isPending || to.trim() === ""}>{send.isPending ? "Sending…" : "Send test"}</button>
      </div>
      <p className="muted small">Sent through the real {channel} path, marked [Test], and never counted in any journey.</p>
      <ErrorNotice error={send.error} title="The test was not sent" />
      {result && (
        <p className={`notice ${result.status === "sent" || result.status === "delivered" ? "success" : "error"}`} role="status" data-test-send={result.status}>
          {result.status === "delivered" && (result.transport === "mailbox" || channel === "sms")
            ? <>Delivered to {result.to} in the development mailbox.</>
            : result.status === "sent" ? <>Sent to {result.to}.</> : <>Not sent to {result.to}: {result.status}{result.reason ? ` (${result.reason})` : ""}.</>}
        </p>
      )}
    </form>
  );
}

function FieldErrors({ errors }: { errors: string[] | undefined }) {
  if (!errors || errors.length === 0) return null;
  return (
    <div role="alert">
      <ul className="field-errors">
        {errors.map((message, index) => <li key={index}>{message}</li>)}
      </ul>
    </div>
  );
}

function useDebounced<T>(value: T, delay: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setCurrent(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return current;
}
