import { Suspense, lazy } from "react";
import { Route } from "react-router-dom";
import { Loading } from "../../components/ui";
import { JourneyList } from "./JourneyList";
import { simulationRoutes } from "./simulate";
import { resultsRoutes } from "./results";

// The canvas (React Flow, ELK, CodeMirror) loads when a journey is opened, not with the inventory.
const JourneyCanvas = lazy(() => import("./JourneyCanvas").then((module) => ({ default: module.JourneyCanvas })));
// The funnel (echarts) likewise, when it is opened.
const FunnelPage = lazy(() => import("./funnel/FunnelPage").then((module) => ({ default: module.FunnelPage })));

export const journeyRoutes = [
  <Route key="journeys" path="journeys" element={<JourneyList />} />,
  <Route key="journey" path="journeys/:id" element={<Suspense fallback={<Loading what="the canvas" />}><JourneyCanvas /></Suspense>} />,
  <Route key="journey-funnel" path="journeys/:id/funnel" element={<Suspense fallback={<Loading what="the funnel" />}><FunnelPage /></Suspense>} />,
  ...simulationRoutes,
  ...resultsRoutes,
];
