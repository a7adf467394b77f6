import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { lazyPage } from "../../components/lazyPage";

// The charts library loads with these pages only.
const AttributionPage = lazyPage(() => import("./AttributionPage"), "AttributionPage", "the attribution report");
const ControlGroupPage = lazyPage(() => import("./ControlGroupPage"), "ControlGroupPage", "the control-group report");

export const attributionRoutes: ReactElement[] = [
  <Route key="reports-attribution" path="reports/attribution" element={<AttributionPage />} />,
  <Route key="reports-control-group" path="reports/control-group" element={<ControlGroupPage />} />,
];
