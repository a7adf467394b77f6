import { Link } from "react-router-dom";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../api/client";
import { useAuth } from "../../auth";
import { Badge, Empty, ErrorNotice, Loading, PageHeader, formatNumber, formatAgo } from "../../components/ui";
import "./journeys.css";

type Summary = Schemas["JourneySummary"];
type Activity = Schemas["JourneyActivityView"];
type Action = "pause" | "resume" | "archive";

/** The journey inventory: status, version, priority, owner, who is in each journey now and its last 7 and 30 days. */
export function JourneyList() {
  const { can } = useAuth();
  const client = useQueryClient();
  const journeys = useQuery({ queryKey: ["journeys"], queryFn: () => unwrap(api.GET("/api/journeys")) });
  const activity = useQuery({ queryKey: ["journeys", "activity"], queryFn: () => unwrap(api.GET("/api/journeys/activity")), refetchInterval: 30_000 });
  const change = useMutation({
    mutationFn: ({ id, action }: { id: string; action: Action }) =>
      unwrap(api.POST(`/api/journeys/{id}/${action}`, { params: { path: { id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ["journeys"] }),
  });
  const byId = new Map<string, Activity>((activity.data ?? []).map((row) => [row.id, row]));
  const editor = can("editor");

  return (
    <>
      <PageHeader title="Journeys" subtitle="Every journey with its status, version, who is in it now and how it did over the last 7 and 30 days." />
      {journeys.isPending && <Loading what="journeys" />}
      <ErrorNotice error={journeys.error} />
      <ErrorNotice error={activity.error} title="Could not count recent activity" />
      <ErrorNotice error={change.error} title="Could not change the journey's status" />
      {journeys.data && journeys.data.length === 0 && <Empty>No journeys yet. Apply a journey document with <code>cairn apply</code> or the API.</Empty>}
      {journeys.data && journeys.data.length > 0 && (
        <div className="table-scroll">
          <table className="table journey-inventory">
            <thead>
              <tr>
                <th scope="col">Journey</th>
                <th scope="col">Status</th>
                <th scope="col">Category</th>
                <th scope="col">Owner</th>
                <th scope="col" className="number">In it now</th>
                <th scope="col" className="number">Entries 7d / 30d</th>
                <th scope="col" className="number">Conversions 7d / 30d</th>
                <th scope="col" className="number">Errors</th>
                {editor && <th scope="col"><span className="journey-sr">Actions</span></th>}
              </tr>
            </thead>
            <tbody>
              {journeys.data.map((journey) => (
                <JourneyRow
                  key={journey.id}
                  journey={journey}
                  activity={byId.get(journey.id)}
                  editor={editor}
                  busy={change.isPending && change.variables?.id === journey.id}
                  onAction={(action) => change.mutate({ id: journey.id, action })}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function JourneyRow({ journey, activity, editor, busy, onAction }: {
  journey: Summary;
  activity: Activity | undefined;
  editor: boolean;
  busy: boolean;
  onAction: (action: Action) => void;
}) {
  const name = journey.name ?? journey.id;
  const errors = Number(activity?.errors ?? 0);
  const reviews = Number(activity?.reviews30d ?? 0);
  return (
    <tr>
      <td>
        <Link to={`/journeys/${encodeURIComponent(journey.id)}`} className="journey-name">{name}</Link>
        <div className="muted small trigger-line" title={journey.trigger ?? undefined}>
          {journey.trigger ?? "no trigger"}{journey.hasUnpublishedChanges && journey.publishedVersion ? " · unpublished changes" : ""} · updated {formatAgo(journey.updatedAt)}
        </div>
      </td>
      <td>
        <Badge value={journey.status} />
        <div className="muted small">{journey.publishedVersion ? `version ${journey.publishedVersion}` : "never published"}</div>
      </td>
      <td>
        {journey.category ?? "–"}
        <div className="muted small">priority {journey.priority ?? "–"}</div>
      </td>
      <td className="owner" title={journey.owner ?? undefined}>{journey.owner ?? "–"}</td>
      <td className="number">{formatNumber(journey.active)}</td>
      <td className="number" data-entries>{formatNumber(activity?.entries7d ?? 0)} / {formatNumber(activity?.entries30d ?? 0)}</td>
      <td className="number">{formatNumber(activity?.conversions7d ?? 0)} / {formatNumber(activity?.conversions30d ?? 0)}</td>
      <td className="number">
        <span className={errors > 0 ? "count-bad" : undefined}>{formatNumber(errors)}</span>
        {reviews > 0 && <div className="muted small">{formatNumber(reviews)} for review (30d)</div>}
      </td>
      {editor && (
        <td className="journey-actions">
          {journey.status === "published" && (
            <button type="button" disabled={busy} onClick={() => onAction("pause")} aria-label={`Pause ${name}`}>Pause</button>
          )}
          {journey.status === "paused" && (
            <button type="button" disabled={busy} onClick={() => onAction("resume")} aria-label={`Resume ${name}`}>Resume</button>
          )}
          {journey.status !== "archived" && (
            <button
              type="button"
              className="link"
              disabled={busy}
              onClick={() => { if (window.confirm(`Archive ${name}? No one new will enter it.`)) onAction("archive"); }}
              aria-label={`Archive ${name}`}
            >
              Archive
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
