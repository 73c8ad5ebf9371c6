import type { OperationConcern } from './pipeline';

/** Request (read-your-writes) and response (after a write, and a read's position) header. */
export const CONSISTENCY_HEADER = 'x-consistency-token';

/**
 * With replicas configured, every answer whose session has a position to vouch for (a
 * mutation's commit, a replica's replay) carries it as a signed token, in the
 * `x-consistency-token` header and `extensions.consistency.token`, on both front doors
 * (docs/operations.md#replicas-and-read-your-writes). Not in the pipeline without replicas.
 */
export const consistencyConcern: OperationConcern = {
  responding: (result, _cacheable, headers, context) => {
    const token = context.routing?.token();
    if (!token) return;
    headers.header(CONSISTENCY_HEADER, token);
    if (result) result.extensions = { ...result.extensions, consistency: { token } };
  },
};
