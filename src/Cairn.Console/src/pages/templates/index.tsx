import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { lazyPage } from "../../components/lazyPage";

const TemplateList = lazyPage(() => import("./TemplateList"), "TemplateList", "the templates");
const TemplateEditor = lazyPage(() => import("./TemplateEditor"), "TemplateEditor", "the template editor");

export const templateRoutes: ReactElement[] = [
  <Route key="templates" path="templates" element={<TemplateList />} />,
  <Route key="templates-new" path="templates/new" element={<TemplateEditor />} />,
  <Route key="template" path="templates/:id" element={<TemplateEditor />} />,
];
