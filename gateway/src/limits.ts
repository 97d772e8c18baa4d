// The gateway's operation limits are the platform's, shared with every subgraph.
export {
  checkOperationLimits,
  DEFAULT_QUERY_LIMITS,
  FIELD_WEIGHTS,
  INTROSPECTION_WEIGHTS,
  measureOperation,
  oversizedList,
  type OperationLimits,
  type OperationMeasure,
} from '@exchange/platform';
