import type { ReactElement } from "react";

export const templateRoutes: ReactElement[] = [];
