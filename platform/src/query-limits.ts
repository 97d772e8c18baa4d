import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * Bounds on one GraphQL operation, checked before anything is executed. The gateway and each
 * subgraph apply the same rules: a subgraph does not trust that only the gateway calls it.
 */
export interface OperationLimits {
  maxDepth: number;
  maxCost: number;
  /** A subgraph's cost limit for operator tokens (ADMIN, BILLING_AGENT, MODERATOR); others get maxCost. */
  operatorMaxCost?: number;
  /** Assumed size of a list without a size argument. */
  defaultListSize: number;
  /** Most items one list in the variables may hold (checked before the variables are coerced). */
  maxListItems?: number;
  /** Most lexical tokens the parser reads before it gives up (graphql-js `maxTokens`). */
  maxTokens?: number;
}

/**
 * Defaults. Depth 12 and cost 5,000 fit every operation of the portal, the partner feed and the
 * CDR import with room to spare; 10,000 parser tokens is ten times the largest operation they
 * send (about 900 tokens) and parses in a few milliseconds, while 200,000 aliases need 600,000.
 */
export const DEFAULT_QUERY_LIMITS: Required<OperationLimits> = {
  maxDepth: 12,
  maxCost: 5000,
  operatorMaxCost: 5000,
  defaultListSize: 10,
  maxListItems: 10_000,
  maxTokens: 10_000,
};

/**
 * Fields that cost far more than one object to answer, by `Type.field`: aggregations over a
 * party's whole period, bill runs, outbound fetches, batch writes. The weight replaces the
 * default 1 of the field itself (its selection set still counts on top).
 */
export const FIELD_WEIGHTS: Record<string, number> = {
  // Aggregates every billing record of a carrier's period (thousands of documents).
  'Query.settlementStatement': 250,
  'Query.routingTable': 50,
  'Query.routeCall': 5,
  'Mutation.generateBills': 1000,
  'Mutation.ingestUsage': 500,
  'Mutation.pollUsageFeed': 100,
  'Mutation.closeBidding': 50,
  'Mutation.recordSelection': 20,
  // Federation entry points: one subgraph call per representation batch.
  'Query._entities': 1,
};

/**
 * Introspection: `__schema` answers the whole schema (tens of kilobytes) whatever it selects,
 * so it is weighted as such and its selection is not walked; `__type` answers one type;
 * `__typename` is an ordinary field (1), so 200,000 aliases of it cost 200,000.
 */
export const INTROSPECTION_WEIGHTS: Record<string, number> = { __schema: 250, __type: 10, __typename: 1 };

/** The path of the first list in `value` longer than `max` items, and its length; null when none is. */
export function oversizedList(value: unknown, max: number, path = ''): { path: string; length: number } | null {
  if (Array.isArray(value)) {
    if (value.length > max) return { path, length: value.length };
    for (let i = 0; i < value.length; i++) {
      const inner = value[i];
      if (inner !== null && typeof inner === 'object') {
        const found = oversizedList(inner, max, `${path}[${i}]`);
        if (found) return found;
      }
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') {
        const found = oversizedList(v, max, path ? `${path}.${k}` : k);
        if (found) return found;
      }
    }
  }
  return null;
}

export interface OperationMeasure {
  depth: number;
  cost: number;
}

/**
 * Leaf (scalar or enum) fields of one list item that cost as much as one field (issue 21 item 5):
 * a row's scalars are read from the document the row already is, so a 1,000-row page of a type's
 * 15 to 30 scalar fields costs 1,000 × 2 or 3, not 1,000 × 30 (refused at 5,000 although the
 * schema allows 1,000 rows). Every object and list inside a row still costs 1 and its own
 * multiplier, and leaves outside lists (the root, single objects) still cost 1 each, so alias
 * floods stay as costly as before (3,000 aliases inside a 1,000-row page cost 300,000).
 */
export const LEAVES_PER_UNIT = 10;

/** Arguments that bound the size of a list a field returns. */
const SIZE_ARGUMENTS = ['first', 'last', 'limit', 'take', 'pageSize'];

function intValue(node: ValueNode, variables: Record<string, unknown>): number | undefined {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const v = variables[node.name.value];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }
  return undefined;
}

/**
 * Depth (root fields are 1) and cost of one operation: every field 1 (or its FIELD_WEIGHTS
 * weight), every alias counted, multiplied by the sizes of the lists that contain it;
 * introspection by INTROSPECTION_WEIGHTS (not counted in depth). Each fragment is measured once
 * per page-size context and memoised, so nested spreads (`fragment F0 { ...F1 ...F1 }` …) cost
 * linear time, not 2^n.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  defaultListSize: number,
): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, [number, number]>();
  // Leaves of one list item, counted per selection set walked (a fragment's leaves are counted with the fragment).
  const leafCost = (leaves: number, inList: boolean) => (inList ? Math.ceil(leaves / LEAVES_PER_UNIT) : leaves);

  const fieldOf = (parent: GraphQLCompositeType | undefined, name: string): GraphQLField<unknown, unknown> | undefined =>
    parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;

  const sizeArgument = (sel: FieldNode): number | undefined => {
    let size: number | undefined;
    for (const arg of sel.arguments ?? []) {
      if (!SIZE_ARGUMENTS.includes(arg.name.value)) continue;
      const n = intValue(arg.value, variables);
      if (n !== undefined) size = Math.max(0, n);
    }
    return size;
  };

  // Returns [depth, cost] of a selection set; `visiting` stops fragment cycles (validation rejects them anyway).
  // `pageSize`: the size argument of the enclosing non-list field (a connection such as
  // `bills(first: 100) { nodes { … } }`), which bounds the lists directly inside it.
  // `inList`: the set selects fields of a list item (directly or through single objects inside it).
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined, visiting: Set<string>, pageSize?: number, inList = false): [number, number] => {
    let depth = 0;
    let cost = 0;
    let leaves = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        if (name.startsWith('__')) {
          cost += INTROSPECTION_WEIGHTS[name] ?? 1;
          continue;
        }
        const field = fieldOf(parent, name);
        const isList = !!field && isListType(getNullableType(field.type));
        const size = sizeArgument(sel);
        const weighted = parent ? FIELD_WEIGHTS[`${parent.name}.${name}`] : undefined;
        if (!sel.selectionSet && !isList && weighted === undefined) {
          leaves++;
          depth = Math.max(depth, 1);
          continue;
        }
        let childDepth = 0;
        let childCost = 0;
        if (sel.selectionSet) {
          const named = field ? getNamedType(field.type) : undefined;
          [childDepth, childCost] = walk(sel.selectionSet, named && isCompositeType(named) ? named : undefined, visiting, isList ? undefined : size, isList || inList);
        }
        const multiplier = isList ? (size ?? pageSize ?? defaultListSize) : 1;
        const weight = (parent && FIELD_WEIGHTS[`${parent.name}.${name}`]) ?? 1;
        depth = Math.max(depth, 1 + childDepth);
        cost += weight + multiplier * childCost;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const typed = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        const [d, c] = walk(sel.selectionSet, typed && isCompositeType(typed) ? typed : parent, visiting, pageSize, inList);
        depth = Math.max(depth, d);
        cost += c;
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || visiting.has(name)) continue;
        const key = `${name}|${pageSize ?? ''}|${inList}`;
        let measured = memo.get(key);
        if (!measured) {
          const typed = schema.getType(frag.typeCondition.name.value);
          const next = new Set(visiting).add(name);
          measured = walk(frag.selectionSet, typed && isCompositeType(typed) ? typed : parent, next, pageSize, inList);
          memo.set(key, measured);
        }
        depth = Math.max(depth, measured[0]);
        cost += measured[1];
      }
    }
    return [depth, cost + leafCost(leaves, inList)];
  };

  const root = schema.getRootType(operation.operation) ?? undefined;
  const [depth, cost] = walk(operation.selectionSet, root, new Set());
  return { depth, cost };
}

/** The coded error for an operation beyond the limits, or null when it is within them. */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: OperationLimits,
): GraphQLError | null {
  // Coercing a huge list costs seconds of CPU on the event loop before anything could refuse
  // it (e.g. 100,000 usage records: ingestUsage takes at most 10,000).
  const big = limits.maxListItems ? oversizedList(variables, limits.maxListItems) : null;
  if (big) {
    return new GraphQLError(`Variable $${big.path} holds a list of ${big.length} items; at most ${limits.maxListItems} are accepted`, {
      extensions: { code: 'BAD_USER_INPUT', field: big.path, limit: limits.maxListItems, http: { status: 400 } },
    });
  }
  const { depth, cost } = measureOperation(schema, document, operation, variables, limits.defaultListSize);
  if (depth > limits.maxDepth) {
    return new GraphQLError(`Query is too deep: depth ${depth} exceeds the limit of ${limits.maxDepth}`, {
      extensions: { code: 'QUERY_TOO_DEEP', depth, limit: limits.maxDepth, http: { status: 400 } },
    });
  }
  if (cost > limits.maxCost) {
    return new GraphQLError(`Query is too complex: cost ${cost} exceeds the limit of ${limits.maxCost}`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', cost, limit: limits.maxCost, http: { status: 400 } },
    });
  }
  return null;
}
