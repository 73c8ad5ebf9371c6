import { SignJWT } from 'jose';

export interface TokenClaims {
  sub: string;
  name?: string;
  roles?: string[];
  /** jose time span ("8h", "15m") or seconds since the epoch. */
  expiresIn?: string | number;
}

/** An HS256 token as the server accepts it: for `npm run token` and the tests. */
export function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const { sub, name, roles = [], expiresIn = '8h' } = claims;
  return new SignJWT({ ...(name ? { name } : {}), roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
