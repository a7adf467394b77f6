import { Link, Route, useParams } from "react-router-dom";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";
import { ErrorNotice, Loading, PageHeader } from "../../../components/ui";
import { SimulationPanel } from "./SimulationPanel";

/** A journey's simulation on its own page: the panel over the journey's current draft. */
function SimulationPage() {
  const { id = "" } = useParams();
  const journey = useQuery({
    queryKey: ["journey", id],
    queryFn: () => unwrap(api.GET("/api/journeys/{id}", { params: { path: { id } } })),
  });
  return (
    <>
      <PageHeader
        title={<>Simulate {journey.data?.name ?? id}</>}
        subtitle="A backtest of the current draft before publishing: what it would do with real events."
        actions={<Link className="button" to={`/journeys/${encodeURIComponent(id)}`}>Back to the journey</Link>}
      />
      {journey.isPending && <Loading what="the journey" />}
      <ErrorNotice error={journey.error} />
      {journey.data && <SimulationPanel journeyId={id} document={journey.data.document} />}
    </>
  );
}

export const simulationRoutes = [<Route key="simulate" path="journeys/:id/simulate" element={<SimulationPage />} />];
