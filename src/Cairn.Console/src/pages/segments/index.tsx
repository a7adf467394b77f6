import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { SegmentEditor } from "./SegmentEditor";
import { SegmentList } from "./SegmentList";

export const segmentRoutes: ReactElement[] = [
  <Route key="segments" path="segments" element={<SegmentList />} />,
  <Route key="segments-new" path="segments/new" element={<SegmentEditor />} />,
  <Route key="segment" path="segments/:id" element={<SegmentEditor />} />,
];
