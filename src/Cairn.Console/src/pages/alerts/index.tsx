import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { AlertList } from "./AlertList";

export const alertRoutes: ReactElement[] = [
  <Route key="alerts" path="alerts" element={<AlertList />} />,
  <Route key="alert" path="alerts/:id" element={<AlertList />} />,
];
