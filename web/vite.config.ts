// The build writes into the Python package, where the API serves it from
// (src/cognitia/http/webui.py). The output is generated: never edit it by hand.
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [svelte()],
  build: {
    outDir: "../src/cognitia/webui",
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // `npm run dev` next to `./dev serve`: the API answers /api and /v1.
    proxy: { "/api": "http://localhost:8000", "/v1": "http://localhost:8000" },
  },
});
