import { createHmac } from 'node:crypto';
import { jwtVerify } from 'jose';
import { formatLsn, parseLsn } from './lsn';

/** What a consistency token vouches for: the primary had written up to `lsn` (docs below). */
const AUDIENCE = 'catalog-graphql:consistency';

/**
 * Read-your-writes tokens (docs/operations.md#replicas-and-read-your-writes): a compact JWS
 * (HS256) over `{ lsn, aud, exp }`. Signed, so a client cannot forge a far-future position to
 * push every read to the primary; short-lived, so an old one costs nothing. Made synchronously
 * (one HMAC) because the response concerns are synchronous; checked with jose.
 */
export class ConsistencyTokens {
  private readonly key: Buffer;
  private readonly header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = Buffer.from(secret, 'utf8');
  }

  sign(lsn: bigint, now = Date.now()): string {
    const payload = base64url(
      JSON.stringify({
        lsn: formatLsn(lsn),
        aud: AUDIENCE,
        exp: Math.floor(now / 1000) + this.ttlSeconds,
      }),
    );
    const input = `${this.header}.${payload}`;
    return `${input}.${createHmac('sha256', this.key).update(input).digest('base64url')}`;
  }

  /** The position a token vouches for; null when it is missing, invalid, forged or expired. */
  async verify(token: string | string[] | undefined): Promise<bigint | null> {
    if (typeof token !== 'string' || token.length > 1024) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        audience: AUDIENCE,
        requiredClaims: ['exp'],
      });
      return parseLsn(payload.lsn);
    } catch {
      return null; // read as without one, never an error (the contract)
    }
  }
}

/**
 * The secret: CONSISTENCY_TOKEN_SECRET, else one derived from JWT_SECRET. Derived, not the same:
 * a consistency token must never pass as a bearer token (nor the reverse), and with a key of its
 * own it cannot, whatever claims either carries.
 */
export function consistencySecret(config: {
  CONSISTENCY_TOKEN_SECRET?: string | undefined;
  JWT_SECRET?: string | undefined;
}): string | undefined {
  if (config.CONSISTENCY_TOKEN_SECRET) return config.CONSISTENCY_TOKEN_SECRET;
  if (!config.JWT_SECRET) return undefined;
  return createHmac('sha256', config.JWT_SECRET).update(AUDIENCE).digest('base64url');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
