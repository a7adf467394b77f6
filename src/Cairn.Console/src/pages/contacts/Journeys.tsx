import { Link } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { request } from "../../api/client";
import { Badge, ErrorNotice, Loading, formatTime } from "../../components/ui";
import type { ContactJourneys, Enrollment } from "./types";

/** The contact's enrollments, current and past, each drawn as the path of steps it took. */
export function Journeys({ contactId }: { contactId: string }) {
  const journeys = useQuery({
    queryKey: ["contact", contactId, "journeys"],
    queryFn: () => request<ContactJourneys>("GET", `/api/contacts/${encodeURIComponent(contactId)}/journeys?limit=20`),
  });
  return (
    <section className="panel" aria-labelledby="journeys">
      <h2 id="journeys">Journeys</h2>
      {journeys.isPending && <Loading what="journeys" />}
      <ErrorNotice error={journeys.error} />
      {journeys.data && journeys.data.active.length === 0 && journeys.data.ended.length === 0 && <p className="muted">Never entered a journey.</p>}
      {journeys.data?.active.map((enrollment) => <EnrollmentPath key={enrollment.id} enrollment={enrollment} />)}
      {journeys.data && journeys.data.ended.length > 0 && (
        <details className="history" open={journeys.data.active.length === 0}>
          <summary>Ended enrollments ({journeys.data.ended.length})</summary>
          {journeys.data.ended.map((enrollment) => <EnrollmentPath key={enrollment.id} enrollment={enrollment} />)}
        </details>
      )}
    </section>
  );
}

function EnrollmentPath({ enrollment }: { enrollment: Enrollment }) {
  const messageOf = new Map(enrollment.messages.map((m) => [m.step, m]));
  const ended = enrollment.endedAt !== null;
  return (
    <div className="enrollment">
      <p className="enrollment-head">
        <Link to={`/journeys/${encodeURIComponent(enrollment.journey)}`}><strong>{enrollment.journey}</strong></Link>{" "}
        <span className="muted small">v{enrollment.version}, entered {formatTime(enrollment.enteredAt)}</span>{" "}
        <Badge value={ended ? "ended" : "active"} />
        {enrollment.control && <> <Badge value="control group" /></>}
        {enrollment.arm && <span className="small"> arm {enrollment.arm}</span>}
        {enrollment.convertedAt && <> <Badge value="converted" /> <span className="small muted">{formatTime(enrollment.convertedAt)}</span></>}
      </p>
      <ol className="path" aria-label={`Path through ${enrollment.journey}`}>
        {enrollment.path.map((entry, index) => {
          const message = messageOf.get(entry.to);
          const current = !ended && index === enrollment.path.length - 1;
          return (
            <li key={index} className={current ? "current" : undefined}>
              <span className="step-name">{entry.to === "end" ? "end" : entry.to}</span>
              <span className="small muted">{formatTime(entry.at)} · {entry.exit}</span>
              <span className="small">{entry.reason}</span>
              {message && <span className="small">message: <Badge value={message.delivery.split(":")[0]} /></span>}
              {current && enrollment.wakeAt && <span className="small muted">waits until {formatTime(enrollment.wakeAt)}</span>}
            </li>
          );
        })}
      </ol>
      {ended && <p className="small muted">Ended {formatTime(enrollment.endedAt)}{enrollment.endReason ? `: ${enrollment.endReason}` : ""}</p>}
    </div>
  );
}
