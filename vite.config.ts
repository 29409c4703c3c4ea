import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

/** The dashboard (web/): built to dist/web, served by the API server at `/` (src/server/routes/dashboard.ts). */
export default defineConfig({
  root: 'web',
  base: '/',
  plugins: [preact()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Hashed names under assets/: served with a year's immutable caching.
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
});
