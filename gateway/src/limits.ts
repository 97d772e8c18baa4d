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

export interface OperationLimits {
  maxDepth: number;
  maxCost: number;
  /** Assumed size of a list without a size argument. */
  defaultListSize: number;
  /** Most items one list in the variables may hold (checked before the variables are coerced). */
  maxListItems?: number;
}

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
 * Depth (root fields are 1) and cost (every field 1, multiplied by the sizes of the lists that
 * contain it) of one operation. Introspection fields (`__schema`, `__type`, `__typename`) are
 * free: introspection has its own switch.
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
  const walk = (set: SelectionSetNode, parent: GraphQLCompositeType | undefined, visiting: Set<string>, pageSize?: number): [number, number] => {
    let depth = 0;
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        const field = fieldOf(parent, sel.name.value);
        const isList = !!field && isListType(getNullableType(field.type));
        const size = sizeArgument(sel);
        let childDepth = 0;
        let childCost = 0;
        if (sel.selectionSet) {
          const named = field ? getNamedType(field.type) : undefined;
          [childDepth, childCost] = walk(sel.selectionSet, named && isCompositeType(named) ? named : undefined, visiting, isList ? undefined : size);
        }
        const multiplier = isList ? (size ?? pageSize ?? defaultListSize) : 1;
        depth = Math.max(depth, 1 + childDepth);
        cost += 1 + multiplier * childCost;
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const typed = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        const [d, c] = walk(sel.selectionSet, typed && isCompositeType(typed) ? typed : parent, visiting, pageSize);
        depth = Math.max(depth, d);
        cost += c;
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || visiting.has(name)) continue;
        const typed = schema.getType(frag.typeCondition.name.value);
        const next = new Set(visiting).add(name);
        const [d, c] = walk(frag.selectionSet, typed && isCompositeType(typed) ? typed : parent, next, pageSize);
        depth = Math.max(depth, d);
        cost += c;
      }
    }
    return [depth, cost];
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
  // Coercing a huge list costs seconds of CPU on this gateway's event loop before any subgraph
  // could refuse it (e.g. 100,000 usage records: ingestUsage takes at most 10,000).
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
