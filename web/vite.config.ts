// Dashboard build. Run from the repository root:
//   npx vite build --config web/vite.config.ts      → web/dist (served by the API at /)
//   npx vite --config web/vite.config.ts            → dev server, proxies the API to ATOM_API (default http://127.0.0.1:8080)
//   ATOM_MOCK=1 npx vite --config web/vite.config.ts → dev server over fake data (web/dev/mock-api.ts; keys "admin" / "tenant")
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type UserConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiPrefixes = ['/tenants', '/keys', '/ingest', '/reports', '/export', '/healthz', '/readyz', '/metrics', '/openapi.json'];

export default defineConfig(async ({ command }): Promise<UserConfig> => {
  const plugins: Plugin[] = [];
  const useMock = command === 'serve' && process.env.ATOM_MOCK === '1';
  if (useMock) {
    const { mockApi } = await import('./dev/mock-api.ts');
    plugins.push(mockApi());
  }
  const target = process.env.ATOM_API ?? 'http://127.0.0.1:8080';
  return {
    root,
    base: '/',
    publicDir: false,
    plugins,
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      assetsDir: 'assets',
      target: 'es2022',
      sourcemap: false,
      chunkSizeWarningLimit: 900,
    },
    server: useMock ? {} : { proxy: Object.fromEntries(apiPrefixes.map((p) => [p, { target, changeOrigin: false }])) },
  };
});
