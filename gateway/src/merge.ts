// Several planner fetches to one subgraph, issued together by one operation (the siblings of a
// Parallel node: @apollo/gateway sends one `_entities` request per entity path, where the Hive
// planners send one per subgraph), written as ONE GraphQL query and its answer split back.
// Fetch i's root fields get the alias `f<i>_<response key>`, its variables `v<i>_<name>` and its
// fragments `F<i>_<name>`: GraphQL names never start with a digit, so these are all distinct.
import { Kind, parse, print, visit, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/** How to build the merged request of a given list of fetch operations, and read its answer. */
export interface MergedPlan {
  query: string;
  operationName?: string;
  /** Per fetch: its variable names as sent (original → merged). */
  variables: Map<string, string>[];
  /** Merged root response key → [fetch index, original response key]. */
  fields: Map<string, [number, string]>;
  /** Per fetch: whether its only root field is `_entities` (non-null by the federation spec). */
  entitiesOnly: boolean[];
}

type GraphQLErrorJson = NonNullable<GatewayGraphQLResponse['errors']>[number];

/** The one query operation of a planner-generated document, or undefined when it is anything else. */
function soleQuery(doc: DocumentNode): OperationDefinitionNode | undefined {
  let op: OperationDefinitionNode | undefined;
  for (const def of doc.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) {
      if (op) return undefined;
      op = def;
    } else if (def.kind !== Kind.FRAGMENT_DEFINITION) return undefined;
  }
  if (!op || op.operation !== 'query' || op.directives?.length) return undefined;
  // Root selections must be plain fields (the planner's `_entities(...)` or root fields) so that
  // each lands under its own alias; conditional fragments at the root are sent unmerged.
  return op.selectionSet.selections.every((s) => s.kind === Kind.FIELD) ? op : undefined;
}

/** Fetch i's document with its variables, fragments and root fields renamed; undefined when it cannot be merged. */
function renamed(query: string, i: number, plan: MergedPlan) {
  const doc = parse(query, { noLocation: true });
  const op = soleQuery(doc);
  if (!op) return undefined;
  const vars = new Map<string, string>();
  for (const v of op.variableDefinitions ?? []) vars.set(v.variable.name.value, `v${i}_${v.variable.name.value}`);
  plan.variables.push(vars);
  const rootFields = new Set(op.selectionSet.selections);
  const roots = op.selectionSet.selections as readonly FieldNode[];
  plan.entitiesOnly.push(roots.length === 1 && roots[0].name.value === '_entities');
  const out = visit(doc, {
    Variable: (node) => ({ ...node, name: { ...node.name, value: vars.get(node.name.value) ?? node.name.value } }),
    FragmentSpread: (node) => ({ ...node, name: { ...node.name, value: `F${i}_${node.name.value}` } }),
    FragmentDefinition: (node) => ({ ...node, name: { ...node.name, value: `F${i}_${node.name.value}` } }),
    Field: {
      // Root fields are recognised on entry (the visitor rebuilds nodes on leave).
      enter(node) {
        if (!rootFields.has(node)) return undefined;
        const key = (node.alias ?? node.name).value;
        const alias = `f${i}_${key}`;
        plan.fields.set(alias, [i, key]);
        return { ...node, alias: { kind: Kind.NAME, value: alias } } as FieldNode;
      },
    },
  });
  return out;
}

/** The merged request for these fetch operations, or undefined when one of them is not a plain query. */
export function mergeOperations(queries: readonly string[], operationName?: string): MergedPlan | undefined {
  const plan: MergedPlan = { query: '', operationName, variables: [], fields: new Map(), entitiesOnly: [] };
  const ops: OperationDefinitionNode[] = [];
  const fragments: FragmentDefinitionNode[] = [];
  for (let i = 0; i < queries.length; i++) {
    let doc: DocumentNode | undefined;
    try {
      doc = renamed(queries[i], i, plan);
    } catch {
      return undefined;
    }
    if (!doc) return undefined;
    for (const def of doc.definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION) ops.push(def);
      else fragments.push(def as FragmentDefinitionNode);
    }
  }
  const merged: OperationDefinitionNode = {
    kind: Kind.OPERATION_DEFINITION,
    operation: ops[0].operation,
    name: operationName ? { kind: Kind.NAME, value: operationName } : undefined,
    variableDefinitions: ops.flatMap((op) => op.variableDefinitions ?? []),
    directives: [],
    selectionSet: { kind: Kind.SELECTION_SET, selections: ops.flatMap((op) => op.selectionSet.selections) },
  };
  plan.query = print({ kind: Kind.DOCUMENT, definitions: [merged, ...fragments] });
  return plan;
}

/** The variables of the merged request: each fetch's own, under their merged names. */
export function mergeVariables(plan: MergedPlan, variables: readonly (Record<string, unknown> | undefined)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  variables.forEach((vars, i) => {
    if (!vars) return;
    const names = plan.variables[i];
    for (const key of Object.keys(vars)) out[names.get(key) ?? `v${i}_${key}`] = vars[key];
  });
  return out;
}

/**
 * Each fetch's answer as if it had been sent alone: its root fields under their own keys, the
 * errors whose path starts at one of them (path restored), and errors without such a path (about
 * the request as a whole) given to every fetch, as each separate request would have received them.
 *
 * When the merged answer has no data object, a root field's error nulled all of it (or the
 * subgraph refused the request): `failed` then holds the fetches known to have failed alone — an
 * `_entities` fetch (its one root field is non-null) with an error at that field — each with the
 * answer it would have had (data null, its errors); every other fetch must be sent again.
 */
export function splitAnswer(
  plan: MergedPlan,
  count: number,
  answer: GatewayGraphQLResponse,
): { parts: GatewayGraphQLResponse[]; failed?: undefined } | { parts?: undefined; failed: Map<number, GatewayGraphQLResponse> } {
  const data = answer.data;
  const own: GraphQLErrorJson[][] = Array.from({ length: count }, () => []);
  let shared = false;
  const nulled = new Set<number>();
  for (const error of answer.errors ?? []) {
    const head = error.path?.[0];
    const target = typeof head === 'string' ? plan.fields.get(head) : undefined;
    if (!target) {
      shared = true;
      for (const list of own) list.push(error);
      continue;
    }
    own[target[0]].push({ ...error, path: [target[1], ...error.path!.slice(1)] } as GraphQLErrorJson);
    if (error.path!.length === 1) nulled.add(target[0]);
  }
  if (!data || typeof data !== 'object') {
    const failed = new Map<number, GatewayGraphQLResponse>();
    if (!shared) {
      for (const i of nulled) if (plan.entitiesOnly[i]) failed.set(i, { data: null, errors: own[i], extensions: answer.extensions });
    }
    return { failed };
  }
  const parts: GatewayGraphQLResponse[] = own.map((errors) => ({ data: {}, errors: errors.length ? errors : undefined, extensions: answer.extensions }));
  for (const key of Object.keys(data)) {
    const target = plan.fields.get(key);
    if (target) (parts[target[0]].data as Record<string, unknown>)[target[1]] = (data as Record<string, unknown>)[key];
  }
  return { parts };
}
