import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { ContactSearch } from "./ContactSearch";
import { ContactPage } from "./ContactPage";

export const contactRoutes: ReactElement[] = [
  <Route key="contacts" path="contacts" element={<ContactSearch />} />,
  <Route key="contact" path="contacts/:id" element={<ContactPage />} />,
];
