import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The build lands in services/proxy/html, the folder nginx serves at `/` in `npm start` and in the
// proxy image. Hashed file names under /assets/ are cached for a year by nginx; index.html is not.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "../proxy/html",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
    rollupOptions: {
      output: {
        // The libraries change less often than the app: one long-cached chunk of their own.
        manualChunks: (id) => (id.includes("/node_modules/") ? "vendor" : undefined),
      },
    },
  },
});
