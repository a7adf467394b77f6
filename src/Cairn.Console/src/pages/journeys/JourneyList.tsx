import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { Badge, Empty, ErrorNotice, Loading, PageHeader, formatNumber, formatTime } from "../../components/ui";

/** The journey inventory. */
export function JourneyList() {
  const journeys = useQuery({ queryKey: ["journeys"], queryFn: () => unwrap(api.GET("/api/journeys")) });
  return (
    <>
      <PageHeader title="Journeys" subtitle="Every journey with its status, version and who is in it now." />
      {journeys.isPending && <Loading what="journeys" />}
      <ErrorNotice error={journeys.error} />
      {journeys.data && journeys.data.length === 0 && <Empty>No journeys yet.</Empty>}
      {journeys.data && journeys.data.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Journey</th>
              <th scope="col">Status</th>
              <th scope="col">Version</th>
              <th scope="col">Category</th>
              <th scope="col" className="number">Active</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {journeys.data.map((journey) => (
              <tr key={journey.id}>
                <td>
                  <Link to={`/journeys/${encodeURIComponent(journey.id)}`}>{journey.name ?? journey.id}</Link>
                </td>
                <td><Badge value={journey.status} /></td>
                <td>{journey.publishedVersion ?? "–"}</td>
                <td>{journey.category ?? "–"}</td>
                <td className="number">{formatNumber(journey.active)}</td>
                <td>{formatTime(journey.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
