import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { HandOffList } from "./HandOffList";

export const handOffRoutes: ReactElement[] = [<Route key="handoffs" path="handoffs" element={<HandOffList />} />];
