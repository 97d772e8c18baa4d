// The small part of a web framework the gateway needs, on node:http: JSON replies and a bounded
// request body. (Express's routing, body parsing and send were ~20 % of the fixed cost per request.)
import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message: string, code: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code, ...extra } }] });
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export class BodyTooLarge extends Error {}

/** The request body as text, refused beyond `limit` bytes (by its Content-Length before reading any). */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

/** `application/json` (with any parameters), as body parsers recognise it. */
export const isJson = (req: IncomingMessage) => /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');

export class BadJson extends Error {}

/** A JSON body as Express's parser took it: an object or array at the top, empty means `{}`. */
export function parseJsonBody(text: string): unknown {
  const first = /\S/.exec(text)?.[0];
  if (first === undefined) return {};
  if (first !== '{' && first !== '[') throw new BadJson(`Unexpected token '${first}', expected an object or an array`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BadJson((err as Error).message);
  }
}
