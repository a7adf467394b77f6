import type { ReactElement } from "react";

export const handOffRoutes: ReactElement[] = [];
