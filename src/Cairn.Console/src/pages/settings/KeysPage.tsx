import { Fragment, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { Confirm, Secret } from "./Secret";

type Key = Schemas["ApiKeyView"];
const kinds: Record<string, string> = { write: "Write key (ingestion at /v1)", admin: "API key (the admin API at /api)" };

/** Write keys and API keys (admins only): list, create (shown once), revoke. */
export function KeysPage() {
  const { can } = useAuth();
  if (!can("admin")) {
    return (
      <div className="notice info">
        <strong>Only admins manage API and write keys.</strong>
        <p>Ask an admin for a write key to send events, or for an API key for a script.</p>
      </div>
    );
  }
  return <Keys />;
}

function Keys() {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ["keys"], queryFn: () => unwrap(api.GET("/api/keys")) });
  const [created, setCreated] = useState<Schemas["CreatedApiKeyView"] | null>(null);
  const [failed, setFailed] = useState<{ id: string; error: unknown } | null>(null);
  const revoke = useMutation({
    mutationFn: (key: Key) => unwrap(api.DELETE("/api/keys/{id}", { params: { path: { id: key.id } } })),
    onMutate: () => setFailed(null),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["keys"] }),
    onError: (error, key) => setFailed({ id: key.id, error }),
  });

  return (
    <>
      <NewKey onCreated={(key) => { setCreated(key); void queryClient.invalidateQueries({ queryKey: ["keys"] }); }} />
      {created && <Secret label={`${created.record.kind === "write" ? "Write key" : "API key"} “${created.record.name}”`} value={created.key} onDone={() => setCreated(null)} />}
      <h2>Keys</h2>
      <p className="muted small">
        A write key sends events (HTTP basic auth user at /v1, as Segment's libraries do); an API key calls the admin API
        (Authorization: Bearer) with an admin's rights. Only a prefix is kept for display.
      </p>
      {keys.isPending && <Loading what="keys" />}
      <ErrorNotice error={keys.error} />
      {keys.data && (
        <>
          {(keys.data.configuredWriteKey || keys.data.configuredApiKey) && (
            <div className="notice info">
              Also valid, set by configuration and not listed here:
              {keys.data.configuredWriteKey && <> a write key (<code>CAIRN_WRITE_KEY</code>)</>}
              {keys.data.configuredWriteKey && keys.data.configuredApiKey && " and"}
              {keys.data.configuredApiKey && <> an API key (<code>CAIRN_API_KEY</code>)</>}. Change them in the server's configuration.
            </div>
          )}
          {keys.data.keys.length === 0 ? <Empty>No stored keys.</Empty> : (
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Keys">
              <table className="table">
                <thead>
                  <tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Actions</th></tr>
                </thead>
                <tbody>
                  {keys.data.keys.map((key) => (
                    <Fragment key={key.id}>
                      <tr>
                        <td>{key.name ?? <span className="muted">unnamed</span>}</td>
                        <td>{key.kind}</td>
                        <td><code>{key.prefix}…</code></td>
                        <td>{formatTime(key.createdAt)}</td>
                        <td>
                          <Confirm label="Revoke" question={`Revoke “${key.name ?? key.prefix}”? It stops working at once.`} yes="Yes, revoke" busy={revoke.isPending} onConfirm={() => revoke.mutate(key)} />
                        </td>
                      </tr>
                      {failed?.id === key.id && (
                        <tr className="row-error"><td colSpan={5}><ErrorNotice error={failed.error} title="The key was not revoked" /></td></tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </>
  );
}

function NewKey({ onCreated }: { onCreated: (key: Schemas["CreatedApiKeyView"]) => void }) {
  const [name, setName] = useState("");
  const [kind, setKind] = useState("write");
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/keys", { body: { name, kind } })),
    onSuccess: (key) => { setName(""); onCreated(key); },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <section className="panel" aria-labelledby="new-key">
      <h2 id="new-key">Create a key</h2>
      <form className="row" onSubmit={submit}>
        <label>
          Name (what it is for)
          <input required maxLength={100} value={name} onChange={(event) => setName(event.target.value)} placeholder="web shop" />
        </label>
        <div className="field">
          <label htmlFor="new-key-kind">Kind</label>
          <select id="new-key-kind" value={kind} onChange={(event) => setKind(event.target.value)}>
            {Object.entries(kinds).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </div>
        <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? "Creating…" : "Create key"}</button>
      </form>
      <ErrorNotice error={create.error} title="The key was not created" />
    </section>
  );
}
