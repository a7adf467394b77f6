import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { ErrorNotice, Loading, formatNumber, formatTime } from "../../components/ui";

type View = Schemas["ClusterView"];

/** Servers: which server writes each partition of this database, and whether this one was fenced out by another. */
export function ServersPage() {
  const view = useQuery({ queryKey: ["cluster"], queryFn: () => unwrap(api.GET("/api/cluster")), refetchInterval: 10_000 });
  return (
    <>
      <h2>Servers</h2>
      <p className="muted small">
        Contacts are spread over partitions, and one server at a time writes each of them. A server that starts on the same
        database takes every partition over; the one that had them stops writing at its next commit (it is fenced) instead of
        writing the same contacts twice.
      </p>
      {view.isPending && <Loading what="the servers" />}
      <ErrorNotice error={view.error} title="The servers could not be read" />
      {view.data && <Servers view={view.data} />}
    </>
  );
}

function Servers({ view }: { view: View }) {
  return (
    <>
      {view.fenced ? (
        <div className="notice error" role="alert">
          <strong>This server was fenced out and accepts no events.</strong>
          <p>{view.fenced}</p>
          <p>Stop it, or restart it to take the partitions back.</p>
        </div>
      ) : (
        <p role="status">
          This server, <code>{view.node}</code> on {view.provider === "postgresql" ? "PostgreSQL" : "SQLite"}, is{" "}
          {view.ready ? "ready" : "not ready (starting or stopping)"}.
        </p>
      )}
      <section aria-labelledby="servers-owners">
        <h3 id="servers-owners">Servers writing this database</h3>
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Servers">
          <table className="table">
            <thead><tr><th scope="col">Server</th><th scope="col">Partitions</th></tr></thead>
            <tbody>
              {view.nodes.map((node) => (
                <tr key={node.node}>
                  <td><code>{node.node}</code>{node.this && <span className="muted small"> (this server)</span>}</td>
                  <td>{formatNumber(node.partitions)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="servers-partitions">
        <h3 id="servers-partitions">Who writes each partition</h3>
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Partitions">
          <table className="table">
            <thead>
              <tr><th scope="col">Partition</th><th scope="col">Owner</th><th scope="col">Queued here</th></tr>
            </thead>
            <tbody>
              {view.partitions.map((partition) => (
                <tr key={partition.partition}>
                  <td>{partition.partition}</td>
                  <td>
                    <code>{partition.owner}</code>
                    <div className="muted small">epoch {formatNumber(partition.epoch)}, taken {formatTime(partition.takenAt)}</div>
                  </td>
                  <td>{partition.queued === null || partition.queued === undefined ? "—" : formatNumber(partition.queued)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}
