import { isClientError } from './format-error';
import type { OperationConcern } from './pipeline';

/**
 * Logs every error a client will only see masked (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE),
 * with the request id, so "it failed" in a support ticket leads to the cause in the logs.
 */
export const errorLogging: OperationConcern = {
  failed(errors, operationName, context) {
    for (const error of errors) {
      if (isClientError(error)) continue;
      context.log.error(
        { err: error.originalError ?? error, path: error.path, operationName },
        'GraphQL operation failed',
      );
    }
  },
};
