import { Suspense, lazy } from "react";
import { Route } from "react-router-dom";
import { Loading } from "../../../components/ui";

// The results (echarts) load when opened, not with the inventory.
const JourneyResults = lazy(() => import("./JourneyResults").then((module) => ({ default: module.JourneyResults })));

export const resultsRoutes = [
  <Route key="journey-results" path="journeys/:id/results" element={<Suspense fallback={<Loading what="the results" />}><JourneyResults /></Suspense>} />,
];
