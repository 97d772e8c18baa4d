import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EXPLORER_SCRIPT, EXPLORER_STYLE, explorerHtml } from './explorer-page';

/**
 * The gateway's own GraphQL query page, at GET /graphql for browsers (LANDING_PAGE): a query box,
 * variables, a token field and a Run button, in one page with nothing to fetch but the POST to
 * /graphql itself. It replaces Apollo's landing page, which loads its application from Apollo's CDN
 * (a blank page offline, and a third-party script in an operator's browser).
 */

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const PAGE = explorerHtml();
const HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'content-length': String(Buffer.byteLength(PAGE)),
  // Only this page's own script and style (by hash) run; it may talk to this origin only.
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(EXPLORER_SCRIPT)}`,
    `style-src ${sha256(EXPLORER_STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** A browser opening /graphql: a GET (or HEAD) asking for HTML that carries no operation. */
export function wantsExplorer(req: IncomingMessage, search: string): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const params = new URLSearchParams(search);
  if (params.has('query') || params.has('extensions')) return false;
  return /\btext\/html\b/i.test(req.headers.accept ?? '');
}

export function sendExplorer(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, HEADERS);
  res.end(req.method === 'HEAD' ? undefined : PAGE);
}
