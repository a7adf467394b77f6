import type { ReactElement } from "react";

export const messageRoutes: ReactElement[] = [];
