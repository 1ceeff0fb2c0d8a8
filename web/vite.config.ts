// Two pages (speaker, listener) and a landing page; built into dist/ and served by `make dev`
// (packages/devstack/src/babelcast_devstack/web_apps.py), which also serves /config.json.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export default defineConfig({
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        index: resolve(root, "index.html"),
        speaker: resolve(root, "speaker/index.html"),
        listen: resolve(root, "listen/index.html"),
      },
    },
  },
});
