import { Route } from "react-router-dom";
import { JourneyList } from "./JourneyList";
import { JourneyCanvas } from "./JourneyCanvas";

export const journeyRoutes = [
  <Route key="journeys" path="journeys" element={<JourneyList />} />,
  <Route key="journey" path="journeys/:id" element={<JourneyCanvas />} />,
];
