import { Suspense, lazy } from "react";
import { Route } from "react-router-dom";
import { Loading } from "../../components/ui";
import { JourneyList } from "./JourneyList";
import { simulationRoutes } from "./simulate";
import { resultsRoutes } from "./results";

// The canvas (React Flow, ELK, CodeMirror) loads when a journey is opened, not with the inventory.
const JourneyCanvas = lazy(() => import("./JourneyCanvas").then((module) => ({ default: module.JourneyCanvas })));

export const journeyRoutes = [
  <Route key="journeys" path="journeys" element={<JourneyList />} />,
  <Route key="journey" path="journeys/:id" element={<Suspense fallback={<Loading what="the canvas" />}><JourneyCanvas /></Suspense>} />,
  ...simulationRoutes,
  ...resultsRoutes,
];
