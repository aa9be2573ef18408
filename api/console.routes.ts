/**
 * The ops and support web console: static files from `console/` (HTML, CSS and plain ES modules,
 * no build step), served without an API key like /docs. The page itself holds no secret: it asks
 * for an API key and calls this same API with it, so every rule, role and refusal is the API's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../infra/paths';
import { notFound } from './errors';
import type { RouteRegistry } from './routes';

export const consoleDir = path.join(projectRoot, 'console');

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

// Scripts and styles come from this origin only; the page talks to this API only.
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const consoleAssetParamsSchema = z.strictObject({
  asset: z.string().regex(/^[a-z0-9][a-z0-9-]*\.(?:js|css|svg)$/, 'must be a file name such as app.js or style.css'),
});

/** The console's files, read once: name → bytes. */
function loadAssets(dir: string): Map<string, Buffer> {
  const assets = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir)) {
    if (MEDIA_TYPES[path.extname(name)]) assets.set(name, fs.readFileSync(path.join(dir, name)));
  }
  return assets;
}

export function registerConsoleRoutes(routes: RouteRegistry, dir = consoleDir): void {
  const assets = loadAssets(dir);
  const page = assets.get('index.html');
  if (!page) throw new Error(`the console has no index.html in ${dir}`);
  const send = (res: import('express').Response, name: string, bytes: Buffer) => {
    res
      .set('Content-Type', MEDIA_TYPES[path.extname(name)])
      .set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .set('X-Content-Type-Options', 'nosniff')
      .set('Referrer-Policy', 'no-referrer')
      // Served from memory; a deploy changes them, so the browser revalidates.
      .set('Cache-Control', 'no-cache')
      .send(bytes);
  };

  routes.add({
    method: 'get', path: '/console', tag: 'console', summary: 'Open the ops and support web console', roles: 'public',
    description: 'A web page for ops and support: it asks for an API key, keeps it for the browser tab only, and calls this API with it.',
    responses: { 200: { description: 'the console page', contentType: 'text/html' } },
  }, async (_req, res) => {
    send(res, 'index.html', page);
  });

  routes.add({
    method: 'get', path: '/console/:asset', tag: 'console', summary: "Load one of the console's scripts or style sheets", roles: 'public',
    params: consoleAssetParamsSchema,
    responses: { 200: { description: 'the file: a JavaScript module (text/javascript), a style sheet (text/css) or an image', contentType: 'text/javascript' } },
    errors: { 404: 'not_found: the console has no such file' },
  }, async (_req, res, { params: { asset } }) => {
    const bytes = assets.get(asset);
    if (!bytes) throw notFound(`the console has no file ${asset}`);
    send(res, asset, bytes);
  });
}
