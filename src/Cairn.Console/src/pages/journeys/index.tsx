import { Route } from "react-router-dom";
import { JourneyList } from "./JourneyList";

export const journeyRoutes = [<Route key="journeys" path="journeys" element={<JourneyList />} />];
