import { defineConfig } from 'vite';

// The console is served by `citygrid serve` from web/dist: hashed asset names get a year of
// caching (src/http/static_files.cc), index.html is revalidated on every load.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks: { echarts: ['echarts'], leaflet: ['leaflet', 'leaflet.markercluster'] },
      },
    },
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
