import type { ReactElement } from "react";

export const segmentRoutes: ReactElement[] = [];
