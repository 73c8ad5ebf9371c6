import { ApolloLink } from '@apollo/client';
import { map } from 'rxjs';

/** The header the server reads and answers with (and `extensions.consistency.token`). */
export const CONSISTENCY_HEADER = 'x-consistency-token';

/**
 * Read-your-writes across the server's read replicas: the server answers a mutation (and a read
 * served by a replica) with a signed token of a database position; a request that sends it is
 * read where that position has been reached. This link keeps the highest token it has seen and
 * sends it with every operation, so a read after a write never shows what the write replaced,
 * and reads never go back in time. Tokens are compared by their position (the server signs them;
 * the client only reads the payload, never trusts it for anything but ordering).
 */
export class ConsistencyLink extends ApolloLink {
  private token: string | undefined;
  private position = -1n;

  constructor() {
    super((operation, forward) => {
      if (this.token) {
        operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
          headers: { ...headers, [CONSISTENCY_HEADER]: this.token },
        }));
      }
      return forward(operation).pipe(
        map((result) => {
          const fromExtensions = (
            result.extensions as { consistency?: { token?: unknown } } | undefined
          )?.consistency?.token;
          const response = (operation.getContext() as { response?: Response }).response;
          this.keep(fromExtensions ?? response?.headers.get(CONSISTENCY_HEADER));
          return result;
        }),
      );
    });
  }

  /** The token sent now (tests, or to carry it across page loads). */
  get current(): string | undefined {
    return this.token;
  }

  /** Keeps `token` if it vouches for a later position than the one kept (or for the same, later). */
  keep(token: unknown): void {
    if (typeof token !== 'string') return;
    const position = positionOf(token);
    if (position === null || position < this.position) return;
    this.position = position;
    this.token = token;
  }
}

/** The `lsn` claim of a compact JWS (`16/B374D848`) as a number; null when it is not one. */
function positionOf(token: string): bigint | null {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      lsn?: unknown;
    };
    const match =
      typeof payload.lsn === 'string' && /^([0-9A-F]+)\/([0-9A-F]+)$/i.exec(payload.lsn);
    return match ? (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`) : null;
  } catch {
    return null;
  }
}
