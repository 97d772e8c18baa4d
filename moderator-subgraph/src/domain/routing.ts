import { badInput } from './errors';
import { validatePrefix } from './prefix';

/** One awarded route destination, as the switch needs it. */
export interface RoutingEntry {
  selectionId: string;
  buyerId: string;
  carrierId: string;
  /** Normalised E.164 prefix (digits only): the route segment's destination. */
  prefix: string;
  /** Inclusive. */
  intervalStart: Date;
  /** Exclusive. */
  intervalEnd: Date;
  ratePerUnit: string;
  currency: string;
  requestId: string;
}

export type RouteMissReason = 'NO_ROUTE_FOR_DESTINATION' | 'NO_ACTIVE_SELECTION_AT_TIME';
export type RouteHit = { readonly entry: RoutingEntry };
export type RouteMiss = { readonly entry: null; readonly reason: RouteMissReason };
export type RouteLookup = RouteHit | RouteMiss;

const NO_ROUTE: RouteMiss = Object.freeze({ entry: null, reason: 'NO_ROUTE_FOR_DESTINATION' });
const NO_ACTIVE: RouteMiss = Object.freeze({ entry: null, reason: 'NO_ACTIVE_SELECTION_AT_TIME' });

/** The public record plus where it sits in the trie. */
interface Stored {
  readonly key: string;
  readonly entry: RoutingEntry;
  readonly start: number;
  /** Prebuilt result, so that a lookup allocates nothing. */
  readonly hit: RouteHit;
  readonly node: number;
  readonly slot: number;
}

/**
 * Row layout of the trie: 10 child node ids (0 = none; node 0 is never used) and, in column 10, the
 * head of the node's entry list (0 = none). Flat Int32Array rows rather than node objects: measured
 * about 1.6x the lookups/s and a quarter of the heap at 100,000 prefixes, because a step down the
 * trie touches one 44-byte row instead of an object plus its children array.
 */
const W = 11;
const ENTRIES = 10;

/** Later-starting award first, then the smaller selectionId. */
function preferred(a: Stored, b: Stored): number {
  if (a.start !== b.start) return b.start - a.start;
  const x = a.entry.selectionId;
  const y = b.entry.selectionId;
  return x < y ? -1 : x > y ? 1 : 0;
}

function grownInt32(a: Int32Array, size: number): Int32Array {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

function grownFloat64(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

/**
 * Longest-prefix routing per buyer, as in OpenSIPS drouting / Kamailio lcr: the most specific awarded
 * prefix wins; when it has no selection live at the call's time, shorter prefixes are tried. If two
 * selections of one buyer overlap on the same prefix, the later-starting award wins (then the smaller
 * selectionId, so the choice is deterministic).
 */
export class RoutingIndex {
  // Trie (all buyers share the arrays; each buyer has its own root).
  private rows: Int32Array = new Int32Array(W * 1024);
  private parent: Int32Array = new Int32Array(1024);
  private nodeCap = 1024;
  private nodeCount = 1;
  private readonly freeNodes: number[] = [];
  private readonly roots = new Map<string, number>();

  // Entry slots: a singly linked list per node, preferred entry first.
  private slotStart: Float64Array = new Float64Array(1024);
  private slotEnd: Float64Array = new Float64Array(1024);
  private slotNext: Int32Array = new Int32Array(1024);
  private slotCap = 1024;
  private slotCount = 1;
  private readonly freeSlots: number[] = [];
  private readonly slotStored: (Stored | null)[] = [null];

  private readonly byKey = new Map<string, Stored>();
  private readonly bySelection = new Map<string, Stored[]>();

  get size(): number {
    return this.byKey.size;
  }

  /** Inserts or replaces the entry identified by (selectionId, prefix). */
  upsert(input: RoutingEntry): void {
    const prefix = validatePrefix('entry.prefix', input.prefix);
    const start = input.intervalStart.getTime();
    const end = input.intervalEnd.getTime();
    if (Number.isNaN(start)) throw badInput('entry.intervalStart', 'entry.intervalStart is not a valid date');
    if (Number.isNaN(end) || end <= start) throw badInput('entry.intervalEnd', 'entry.intervalEnd must be after entry.intervalStart');
    if (!input.buyerId) throw badInput('entry.buyerId', 'entry.buyerId is required');
    if (!input.selectionId) throw badInput('entry.selectionId', 'entry.selectionId is required');

    const key = `${input.selectionId}\u0000${prefix}`;
    const old = this.byKey.get(key);
    if (old) this.detach(old);

    let root = this.roots.get(input.buyerId);
    if (root === undefined) {
      root = this.allocNode(0);
      this.roots.set(input.buyerId, root);
    }
    let node: number = root;
    for (let i = 0; i < prefix.length; i++) {
      const cell: number = node * W + (prefix.charCodeAt(i) - 48);
      let next: number = this.rows[cell];
      if (next === 0) {
        next = this.allocNode(node);
        this.rows[cell] = next; // allocNode may have replaced this.rows; index it afresh
      }
      node = next;
    }

    // Copied and frozen so a caller mutating its object cannot corrupt the index.
    const entry: RoutingEntry = Object.freeze({
      ...input,
      prefix,
      intervalStart: new Date(start),
      intervalEnd: new Date(end),
    });
    const slot = this.allocSlot(start, end);
    const stored: Stored = { key, entry, start, hit: Object.freeze({ entry }), node, slot };
    this.slotStored[slot] = stored;
    this.linkSlot(node, stored);

    this.byKey.set(key, stored);
    const same = this.bySelection.get(input.selectionId);
    if (same) same.push(stored);
    else this.bySelection.set(input.selectionId, [stored]);
  }

  /** Removes every entry of the selection; returns how many were removed. */
  remove(selectionId: string): number {
    const same = this.bySelection.get(selectionId);
    if (!same) return 0;
    const n = same.length;
    for (const s of [...same]) this.detach(s);
    return n;
  }

  /** Entries of one selection, in prefix order. */
  entriesOf(selectionId: string): RoutingEntry[] {
    const same = this.bySelection.get(selectionId);
    if (!same) return [];
    return same.map((s) => s.entry).sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  }

  /**
   * Hot path: one Map lookup, then one row read per digit; no allocation. A destination with anything
   * but digits (after an optional leading '+') has no route.
   */
  lookup(buyerId: string, destination: string, at: Date): RouteLookup {
    return this.lookupAt(buyerId, destination, at.getTime());
  }

  /** `lookup` at an instant in epoch milliseconds (the route server's hot path: no Date per call). */
  lookupAt(buyerId: string, destination: string, t: number): RouteLookup {
    const root = this.roots.get(buyerId);
    if (root === undefined) return NO_ROUTE;
    const rows = this.rows;
    const starts = this.slotStart;
    const ends = this.slotEnd;
    const nexts = this.slotNext;
    const n = destination.length;
    let i = n > 0 && destination.charCodeAt(0) === 43 ? 1 : 0;
    if (i === n) return NO_ROUTE;
    let node = root;
    let best = 0;
    let matched = false;
    for (; i < n; i++) {
      const d = destination.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NO_ROUTE;
      const next = rows[node * W + d];
      if (next === 0) break;
      node = next;
      let s = rows[node * W + ENTRIES];
      if (s !== 0) {
        matched = true;
        for (; s !== 0; s = nexts[s]) {
          if (starts[s] <= t && t < ends[s]) {
            best = s;
            break;
          }
        }
      }
    }
    // The walk may stop early; the rest must still be digits for the number to be routable.
    for (; i < n; i++) {
      const d = destination.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NO_ROUTE;
    }
    if (best !== 0) return (this.slotStored[best] as Stored).hit;
    return matched ? NO_ACTIVE : NO_ROUTE;
  }

  /**
   * The buyer's routing table at `at`: every live entry, in prefix order. Where two live entries share a
   * prefix, the first listed is the one lookup uses.
   */
  table(buyerId: string, at: Date): RoutingEntry[] {
    const root = this.roots.get(buyerId);
    const out: RoutingEntry[] = [];
    if (root === undefined) return out;
    const t = at.getTime();
    // Pre-order walk over digits 0-9 yields prefixes in lexicographic order ("44" < "440" < "441").
    const stack: number[] = [root];
    while (stack.length > 0) {
      const node = stack.pop() as number;
      for (let s = this.rows[node * W + ENTRIES]; s !== 0; s = this.slotNext[s]) {
        if (this.slotStart[s] <= t && t < this.slotEnd[s]) out.push((this.slotStored[s] as Stored).entry);
      }
      for (let d = 9; d >= 0; d--) {
        const c = this.rows[node * W + d];
        if (c !== 0) stack.push(c);
      }
    }
    return out;
  }

  private allocNode(parent: number): number {
    let id = this.freeNodes.pop();
    if (id === undefined) {
      if (this.nodeCount === this.nodeCap) {
        this.nodeCap *= 2;
        this.rows = grownInt32(this.rows, this.nodeCap * W);
        this.parent = grownInt32(this.parent, this.nodeCap);
      }
      id = this.nodeCount++;
    }
    this.parent[id] = parent;
    return id;
  }

  private allocSlot(start: number, end: number): number {
    let id = this.freeSlots.pop();
    if (id === undefined) {
      if (this.slotCount === this.slotCap) {
        this.slotCap *= 2;
        this.slotStart = grownFloat64(this.slotStart, this.slotCap);
        this.slotEnd = grownFloat64(this.slotEnd, this.slotCap);
        this.slotNext = grownInt32(this.slotNext, this.slotCap);
      }
      id = this.slotCount++;
      this.slotStored.push(null);
    }
    this.slotStart[id] = start;
    this.slotEnd[id] = end;
    this.slotNext[id] = 0;
    return id;
  }

  /** Keeps each node's list in preference order so lookup can stop at the first live entry. */
  private linkSlot(node: number, s: Stored): void {
    const head = node * W + ENTRIES;
    let prev = 0;
    let cur = this.rows[head];
    while (cur !== 0 && preferred(this.slotStored[cur] as Stored, s) < 0) {
      prev = cur;
      cur = this.slotNext[cur];
    }
    this.slotNext[s.slot] = cur;
    if (prev === 0) this.rows[head] = s.slot;
    else this.slotNext[prev] = s.slot;
  }

  private detach(s: Stored): void {
    this.byKey.delete(s.key);
    const same = this.bySelection.get(s.entry.selectionId);
    if (same) {
      const i = same.indexOf(s);
      if (i >= 0) same.splice(i, 1);
      if (same.length === 0) this.bySelection.delete(s.entry.selectionId);
    }

    const head = s.node * W + ENTRIES;
    let prev = 0;
    let cur = this.rows[head];
    while (cur !== 0 && cur !== s.slot) {
      prev = cur;
      cur = this.slotNext[cur];
    }
    if (cur !== 0) {
      if (prev === 0) this.rows[head] = this.slotNext[cur];
      else this.slotNext[prev] = this.slotNext[cur];
    }
    this.slotStored[s.slot] = null;
    this.slotNext[s.slot] = 0;
    this.freeSlots.push(s.slot);

    // Prune empty branches so churn does not grow the trie without bound.
    let node = s.node;
    while (this.isEmpty(node)) {
      const parent = this.parent[node];
      this.parent[node] = 0;
      this.freeNodes.push(node);
      if (parent === 0) {
        this.roots.delete(s.entry.buyerId);
        break;
      }
      const base = parent * W;
      for (let d = 0; d < 10; d++) {
        if (this.rows[base + d] === node) {
          this.rows[base + d] = 0;
          break;
        }
      }
      node = parent;
    }
  }

  private isEmpty(node: number): boolean {
    const base = node * W;
    for (let c = 0; c < W; c++) if (this.rows[base + c] !== 0) return false;
    return true;
  }
}
