// Builds the learner UI into web/dist, which the platform server serves as static files.
// `NETDOJO_API` (dev only) points the dev server's /api proxy at a running `netdojo serve`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.NETDOJO_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': { target: api, ws: true } },
  },
});
