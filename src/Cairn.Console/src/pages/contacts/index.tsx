import type { ReactElement } from "react";

export const contactRoutes: ReactElement[] = [];
