import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { lazyPage } from "../../components/lazyPage";
import { SegmentList } from "./SegmentList";

const SegmentEditor = lazyPage(() => import("./SegmentEditor"), "SegmentEditor", "the segment builder");

export const segmentRoutes: ReactElement[] = [
  <Route key="segments" path="segments" element={<SegmentList />} />,
  <Route key="segments-new" path="segments/new" element={<SegmentEditor />} />,
  <Route key="segment" path="segments/:id" element={<SegmentEditor />} />,
];
