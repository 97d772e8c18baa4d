// A TCP proxy between a service and the database that understands just enough of the MongoDB wire
// protocol to see which command each client message carries. Tests use it to fail the network at
// an exact point of a service's work: "forward this insert, then cut every connection" leaves the
// database with the write and the service without its answer, which is what a crash or a dropped
// connection does at the worst moment.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

const OP_MSG = 2013;

export interface WireCommand {
  /** First key of the command document, e.g. "insert", "find", "update". */
  command: string;
  /** Its value when it is a string (the collection for CRUD commands). */
  collection: string | null;
  /** The whole message (header included), for content checks such as `includes('CLOSE')`. */
  raw: Buffer;
}

/** The command of one OP_MSG message, or null for other opcodes (handshakes, compression). */
export function parseCommand(msg: Buffer): WireCommand | null {
  if (msg.length < 21 || msg.readInt32LE(12) !== OP_MSG) return null;
  let p = 20; // header (16) + flagBits (4)
  const end = msg.readUInt32LE(16) & 1 ? msg.length - 4 : msg.length; // checksumPresent
  while (p < end) {
    const kind = msg[p];
    if (kind === 0) {
      const doc = p + 1;
      const type = msg[doc + 4];
      if (type === 0) return null;
      const nameStart = doc + 5;
      const nameEnd = msg.indexOf(0, nameStart);
      const command = msg.toString('utf8', nameStart, nameEnd);
      let collection: string | null = null;
      if (type === 0x02) {
        const len = msg.readInt32LE(nameEnd + 1);
        collection = msg.toString('utf8', nameEnd + 5, nameEnd + 5 + len - 1);
      }
      return { command, collection, raw: msg };
    }
    // kind 1: a document sequence (int32 size includes itself), skip it
    p += 1 + msg.readInt32LE(p + 1);
  }
  return null;
}

export interface Trigger {
  match: (cmd: WireCommand) => boolean;
  /**
   * Runs once the database has answered the matching message. By then every connection is frozen
   * (nothing more reaches the database, the answer never reaches the service) and is cut right
   * after `then` returns. New connections are accepted again afterwards.
   */
  then: () => void;
  /** How many matches to let through before firing (0: the first match fires). */
  skip?: number;
  /**
   * 'after-reply' (default): the database receives and answers the message, the service never
   * learns. 'before': the message never reaches the database; every connection is cut at once.
   */
  when?: 'after-reply' | 'before';
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** The connection whose message fired a trigger: kept open until the database answers. */
  held?: () => void;
}

export class MongoProxy {
  private server?: net.Server;
  private readonly pairs = new Set<Pair>();
  private triggers: (Trigger & { seen: number })[] = [];
  /** Between a trigger's match and its firing: nothing is forwarded either way, no connection accepted. */
  private frozen = false;
  /** Commands seen, by "<command> <collection>" (for assertions that a step was reached). */
  readonly seen = new Map<string, number>();
  /** Triggers that fired. */
  fired = 0;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  static forUri(uri: string): MongoProxy {
    const u = new URL(uri);
    return new MongoProxy({ host: u.hostname, port: Number(u.port || 27017) });
  }

  /** The database URI rewritten to go through this proxy. */
  uri(original: string): string {
    const u = new URL(original);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  async start(port = 0): Promise<this> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Fires `trigger.then` once, at the (skip+1)-th client message matching `match`, after the database answered it. */
  arm(trigger: Trigger): void {
    this.triggers.push({ ...trigger, seen: 0 });
  }

  /** Destroys every open connection (both directions) at once. */
  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  get connections(): number {
    return this.pairs.size;
  }

  private fire(pair: Pair, t: Trigger) {
    this.frozen = true;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        this.fired++;
        t.then();
      } finally {
        this.cut();
        this.frozen = false;
      }
    };
    // The database's answer (or, bounded, its silence) ends the hold.
    const timer = setTimeout(finish, 5000);
    pair.held = finish;
  }

  private accept(client: net.Socket) {
    if (this.frozen) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    const pair: Pair = { client, upstream };
    this.pairs.add(pair);
    const close = () => {
      // A held connection stays open upstream until the database has answered.
      if (pair.held) {
        client.destroy();
        return;
      }
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    client.on('close', close);
    const closeUp = () => {
      const held = pair.held;
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
      held?.();
    };
    upstream.on('error', closeUp);
    upstream.on('close', closeUp);
    upstream.on('data', (d) => {
      if (pair.held) return pair.held();
      if (this.frozen || !this.pairs.has(pair)) return;
      client.write(d);
    });
    let pending = Buffer.alloc(0);
    client.on('data', (d) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4) {
        const len = pending.readInt32LE(0);
        if (pending.length < len) break;
        const msg = pending.subarray(0, len);
        pending = pending.subarray(len);
        if (this.frozen || !this.pairs.has(pair)) return;
        const cmd = parseCommand(msg);
        const t = cmd ? this.triggers.find((x) => x.match(cmd) && x.seen++ >= (x.skip ?? 0)) : undefined;
        if (t) this.triggers.splice(this.triggers.indexOf(t), 1);
        if (t?.when === 'before') {
          this.fired++;
          try {
            t.then();
          } finally {
            this.cut();
          }
          return;
        }
        upstream.write(msg);
        if (cmd) {
          const key = `${cmd.command} ${cmd.collection ?? ''}`;
          this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
        }
        if (t) {
          this.fire(pair, t);
          return;
        }
      }
    });
  }

  async stop(): Promise<void> {
    this.triggers = [];
    this.cut();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
  }
}
