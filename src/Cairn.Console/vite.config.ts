import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// `npm run dev` serves the console with hot reload and sends API calls to a `cairn serve` on the default port.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2500, sourcemap: false },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:5080",
      "/openapi": "http://127.0.0.1:5080",
    },
  },
  test: { environment: "jsdom", include: ["src/**/*.test.{ts,tsx}"] },
});
