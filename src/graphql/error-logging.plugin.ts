import type { ApolloServerPlugin } from '@apollo/server';
import type { Context } from './context';
import { isClientError } from './format-error';

/**
 * Logs every error a client will only see masked (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE),
 * with the request id, so "it failed" in a support ticket leads to the cause in the logs.
 */
export const errorLoggingPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ contextValue, errors, operationName }) {
        for (const error of errors) {
          if (isClientError(error)) continue;
          contextValue.log.error(
            { err: error.originalError ?? error, path: error.path, operationName },
            'GraphQL operation failed',
          );
        }
      },
    };
  },
};
