/**
 * Counting merge operands: a MergeOperator wrapped so each successful call adds its operand count to a counter
 * (`slatedb.merge_operator_operands{path}`). Shared by the writer's read and flush paths and the compactor.
 *
 * Invariants: the wrapped operator's result and throws are the operator's own; only successful calls count.
 * Concurrency: pure wrapper.
 */

import type { MergeOperator } from '../lsm/merge-operator.js';
import type { Counter } from '../util/metrics.js';

/** `op`, counting the operands of each successful call into `counter`. */
export function countMergeOperands(op: MergeOperator, counter: Counter): MergeOperator {
  return (key, existing, operands) => {
    const r = op(key, existing, operands);
    counter.increment(operands.length);
    return r;
  };
}
