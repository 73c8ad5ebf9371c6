/** Who is asking: resolved once per request from the bearer token; null for anonymous readers. */
export interface Viewer {
  /** The token's subject (`sub`). */
  id: string;
  /** The token's `name`, or its subject when it has none. */
  name: string;
  roles: readonly string[];
}

export const ADMIN_ROLE = 'admin';

export function isAdmin(viewer: Viewer | null): boolean {
  return viewer?.roles.includes(ADMIN_ROLE) ?? false;
}
