import { Fragment, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Empty, ErrorNotice, Loading, formatTime } from "../../components/ui";
import { Confirm, Secret } from "./Secret";

type Key = Schemas["ApiKeyView"];
const scopes: Record<string, string> = {
  ingest: "ingest — sends events to /v1 (a write key)",
  read: "read — reads /api, changes nothing (a viewer)",
  write: "write — also changes journeys, templates, contacts (an editor)",
  admin: "admin — everything, keys and users too (an admin)",
};

/** Scoped keys (admins only): list with scope and last use, create (shown once), revoke. */
export function KeysPage() {
  const { can } = useAuth();
  if (!can("admin")) {
    return (
      <div className="notice info">
        <strong>Only admins manage keys.</strong>
        <p>Ask an admin for an ingest key (a write key) to send events, or for a read or write key for a script.</p>
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
      {created && <Secret label={`${created.record.scope === "ingest" ? "Write key" : "API key"} “${created.record.name}”`} value={created.key} onDone={() => setCreated(null)} />}
      <h2>Keys</h2>
      <p className="muted small">
        An ingest key (a write key) sends events: the HTTP basic auth user at /v1, as Segment's libraries do, and nothing
        else. A read, write or admin key calls the API (Authorization: Bearer) with a viewer's, an editor's or an admin's
        rights. Only a hash and a prefix are kept; the last use is updated about once a minute.
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
              {keys.data.configuredApiKey && <> an admin key (<code>CAIRN_API_KEY</code>)</>}. Change them in the server's configuration.
            </div>
          )}
          <p className="small">
            Ingestion limit per ingest key without a rate of its own:{" "}
            {keys.data.ingestRatePerSecond ? <strong>{keys.data.ingestRatePerSecond} requests/s (burst {keys.data.ingestBurst})</strong> : <strong>unlimited</strong>}
            {" "}(<code>CAIRN_INGEST_RATE</code>, <code>CAIRN_INGEST_BURST</code>).
          </p>
          {keys.data.keys.length === 0 ? <Empty>No stored keys.</Empty> : (
            <div className="table-scroll" tabIndex={0} role="region" aria-label="Keys">
              <table className="table">
                <thead>
                  <tr><th scope="col">Name</th><th scope="col">Scope</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Rate limit</th><th scope="col">Status</th></tr>
                </thead>
                <tbody>
                  {[...keys.data.keys].sort((a, b) => Number(a.revokedAt != null) - Number(b.revokedAt != null)).map((key) => (
                    <Fragment key={key.id}>
                      <tr className={key.revokedAt ? "muted" : undefined}>
                        <td>{key.name ?? <span className="muted">unnamed</span>}</td>
                        <td><span className="badge">{key.scope}</span></td>
                        <td><code>{key.prefix}…</code></td>
                        <td>{formatTime(key.createdAt)}</td>
                        <td>{key.lastUsedAt ? formatTime(key.lastUsedAt) : <span className="muted">never</span>}</td>
                        <td>{key.scope !== "ingest" ? <span className="muted">—</span> : key.ratePerSecond ? `${key.ratePerSecond}/s, burst ${key.burst}` : <span className="muted">default</span>}</td>
                        <td>
                          {key.revokedAt
                            ? <>Revoked {formatTime(key.revokedAt)}</>
                            : <Confirm label="Revoke" question={`Revoke “${key.name ?? key.prefix}”? It stops working at once.`} yes="Yes, revoke" busy={revoke.isPending} onConfirm={() => revoke.mutate(key)} />}
                        </td>
                      </tr>
                      {failed?.id === key.id && (
                        <tr className="row-error"><td colSpan={7}><ErrorNotice error={failed.error} title="The key was not revoked" /></td></tr>
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
  const [scope, setScope] = useState("ingest");
  const [rate, setRate] = useState("");
  const [burst, setBurst] = useState("");
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/keys", {
      body: {
        name,
        scope,
        ratePerSecond: scope === "ingest" && rate ? Number(rate) : null,
        burst: scope === "ingest" && rate && burst ? Number(burst) : null,
      },
    })),
    onSuccess: (key) => { setName(""); setRate(""); setBurst(""); onCreated(key); },
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
          <label htmlFor="new-key-scope">Scope</label>
          <select id="new-key-scope" value={scope} onChange={(event) => setScope(event.target.value)}>
            {Object.entries(scopes).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </div>
        {scope === "ingest" && (
          <>
            <label>
              Requests per second (optional)
              <input type="number" min={1} max={1000000} inputMode="numeric" value={rate} onChange={(event) => setRate(event.target.value)} placeholder="default" />
            </label>
            <label>
              Burst (optional)
              <input type="number" min={1} max={1000000} inputMode="numeric" value={burst} disabled={!rate} onChange={(event) => setBurst(event.target.value)} placeholder="the rate" />
            </label>
          </>
        )}
        <button type="submit" className="primary" disabled={create.isPending}>{create.isPending ? "Creating…" : "Create key"}</button>
      </form>
      <ErrorNotice error={create.error} title="The key was not created" />
    </section>
  );
}
