import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { compression, defineAlgorithm } from 'vite-plugin-compression2';

/** The dashboard (web/): built to dist/web, served by the API server at `/` (src/server/routes/dashboard.ts). */
export default defineConfig({
  root: 'web',
  base: '/',
  // .br and .gz beside each asset, served by @fastify/static's preCompressed to browsers that accept them.
  plugins: [preact(), compression({ algorithms: [defineAlgorithm('brotliCompress'), defineAlgorithm('gzip')] })],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // Hashed names under assets/: served with a year's immutable caching.
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
  },
});
