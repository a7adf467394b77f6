import type { ReactElement } from "react";
import { Route } from "react-router-dom";
import { MessagePage, OutboxPage, PerformancePage, SuppressionsPage } from "./MessagesPage";

export const messageRoutes: ReactElement[] = [
  <Route key="messages" path="messages" element={<OutboxPage />} />,
  <Route key="performance" path="messages/performance" element={<PerformancePage />} />,
  <Route key="suppressions" path="messages/suppressions" element={<SuppressionsPage />} />,
  <Route key="message" path="messages/:id" element={<MessagePage />} />,
];
