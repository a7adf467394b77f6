import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { api, unwrap } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, formatAgo, formatNumber, Loading, PageHeader } from "../../components/ui";
import "./segments.css";

/** Every live segment with its member count and the state of its backfill (refreshed while one runs). */
export function SegmentList() {
  const { can } = useAuth();
  const segments = useQuery({
    queryKey: ["segments"],
    queryFn: () => unwrap(api.GET("/api/segments")),
    refetchInterval: (query) => (query.state.data?.some((segment) => segment.backfill === "running") ? 2_000 : false),
  });
  return (
    <>
      <PageHeader
        title="Segments"
        subtitle="Contacts grouped by a live condition, kept up to date with every event."
        actions={can("editor") && <Link className="button primary" to="/segments/new">New segment</Link>}
      />
      <ErrorNotice error={segments.error} title="The segments could not be loaded" />
      {segments.isPending && <Loading what="segments" />}
      {segments.data && segments.data.length === 0 && <Empty>No segments yet.</Empty>}
      {segments.data && segments.data.length > 0 && (
        <div className="table-scroll">
          <table className="table segment-table">
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col" className="number">Members</th>
                <th scope="col">Backfill</th>
                <th scope="col">Version</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {segments.data.map((segment) => (
                <tr key={segment.id} data-segment={segment.id}>
                  <td>
                    <Link to={`/segments/${encodeURIComponent(segment.id)}`}>{segment.name ?? segment.id}</Link>
                    <div className="muted small"><code>{segment.id}</code>{segment.description ? ` · ${segment.description}` : ""}</div>
                  </td>
                  <td className="number" data-members>{formatNumber(segment.members)}</td>
                  <td>
                    {segment.backfill === "running" ? (
                      <span><Badge value="running" /> {formatNumber(segment.backfillProcessed)} contacts so far</span>
                    ) : (
                      <Badge value="done" />
                    )}
                  </td>
                  <td>{segment.version ?? "–"}</td>
                  <td>{formatAgo(segment.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
