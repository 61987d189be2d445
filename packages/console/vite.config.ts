import { defineConfig } from 'vite'

// The console is served by the gateway at /console; every asset gets a content hash in its name,
// so the gateway can cache them for a year. The SDK is bundled from its TypeScript source.
export default defineConfig({
  base: '/console/',
  resolve: { conditions: ['source'] },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    assetsInlineLimit: 0,
  },
})
