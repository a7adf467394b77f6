import type { ReactElement } from "react";

export const settingsRoutes: ReactElement[] = [];
