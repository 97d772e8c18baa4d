import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Identity } from '@exchange/platform';
import { badInput, forbidden, hasControlCharacters, isPublicAddress, webhookUrlProblem } from '../../domain';
import type { WebhookDoc } from '../../store/models';
import type { Deps } from '../deps';

/** What a party sees when its webhook delivery failed, whatever the cause (no port or status probe). */
export const GENERIC_WEBHOOK_ERROR = 'webhook delivery failed';

/** Refused as a webhook target: a non-public address (after DNS resolution or at connect time). */
export class WebhookTargetRefused extends Error {
  override readonly name = 'WebhookTargetRefused';
}

/** Every address `host` resolves to (an IP literal resolves to itself). */
function resolveAll(host: string): Promise<LookupAddress[]> {
  if (isIP(host)) return Promise.resolve([{ address: host, family: isIP(host) }]);
  return new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));
}

/**
 * The DNS look-up the webhook connection uses: it refuses a host that resolves to a
 * non-public address at connect time, so a name that answered with a public address when it was
 * registered cannot be re-pointed at an internal one later (DNS rebinding).
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      const list = addresses as unknown as LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((a) => !isPublicAddress(a.address));
      if (bad || list.length === 0) return callback(new WebhookTargetRefused(`${hostname} resolves to a non-public address (${bad?.address ?? 'none'})`), '', 4);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

/** Refuses a webhook URL that points (now) at a non-public address, unless the operator allows private targets. */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean): Promise<void> {
  const problem = webhookUrlProblem(url, allowPrivate);
  if (problem) throw badInput('input.url', `input.url ${problem}`);
  if (allowPrivate) return;
  let addresses: LookupAddress[];
  try {
    addresses = await resolveAll(url.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    throw badInput('input.url', 'input.url: its host name does not resolve');
  }
  if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address))) {
    throw badInput('input.url', 'input.url must point at a public address (not loopback, private, link-local or unspecified)');
  }
}

/** registerBillingWebhook: a party registers (or replaces) its own webhook; BILLING_AGENT / ADMIN for any party. */
export async function registerWebhook(deps: Deps, who: Identity, input: { partyId?: unknown; url?: unknown; secret?: unknown }): Promise<WebhookDoc> {
  const self = (who.role === 'BUYER' || who.role === 'CARRIER') && who.sub === input.partyId;
  if (!self && who.role !== 'ADMIN' && who.role !== 'BILLING_AGENT') throw forbidden('a party registers its own webhook (or BILLING_AGENT / ADMIN for it)', 'input.partyId');
  if (typeof input.partyId !== 'string' || input.partyId === '') throw badInput('input.partyId', 'input.partyId is required');
  let url: URL;
  try {
    url = new URL(String(input.url));
  } catch {
    throw badInput('input.url', 'input.url must be an absolute http(s) URL');
  }
  if (typeof input.secret !== 'string' || input.secret.length < 16 || input.secret.length > 500) throw badInput('input.secret', 'input.secret must be 16 to 500 characters');
  if (hasControlCharacters(input.secret)) throw badInput('input.secret', 'input.secret must not contain control characters');
  await checkWebhookTarget(url, deps.config.WEBHOOK_ALLOW_PRIVATE_TARGETS);
  const doc: WebhookDoc = { _id: input.partyId, url: url.toString(), secret: input.secret, updatedAt: new Date() };
  await deps.models.Webhook.replaceOne({ _id: doc._id }, doc, { upsert: true }).exec();
  return doc;
}

/**
 * POSTs one webhook body: the target is checked again (IP literal now, resolved names at connect
 * time through guardedLookup), redirects are never followed (a 3xx is a failure), and the
 * answer is drained and dropped. Resolves with the HTTP status.
 */
export function postWebhook(target: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<number> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return reject(new WebhookTargetRefused('the registered URL is not valid'));
    }
    const problem = webhookUrlProblem(url, opts.allowPrivate);
    if (problem) return reject(new WebhookTargetRefused(`the registered URL ${problem}`));
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(opts.allowPrivate),
        timeout: opts.timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
