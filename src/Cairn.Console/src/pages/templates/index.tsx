import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { TemplateEditor } from "./TemplateEditor";
import { TemplateList } from "./TemplateList";

export const templateRoutes: ReactElement[] = [
  <Route key="templates" path="templates" element={<TemplateList />} />,
  <Route key="templates-new" path="templates/new" element={<TemplateEditor />} />,
  <Route key="template" path="templates/:id" element={<TemplateEditor />} />,
];
