// Access control of the local web server. A random token is printed once, in the URL the user
// opens; the first page load trades it for an HttpOnly, SameSite=Strict cookie and redirects to a
// clean URL (so the token leaves the address bar and the history). Every other request, the page's
// assets included, must carry the token as a cookie, an `Authorization: Bearer` header or an
// `X-Labelwise-Token` header. Comparison is constant-time over fixed-length digests, so neither
// the content nor the length of a wrong guess shows in the response time.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Header a script may use instead of the cookie. */
export const TOKEN_HEADER = "x-labelwise-token";

/** A fresh access token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Longest token accepted for comparison; anything longer is refused before hashing. */
const MAX_TOKEN_LENGTH = 512;

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Constant-time check of a presented token against the expected one. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (typeof given !== "string" || given.length === 0 || given.length > MAX_TOKEN_LENGTH) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * Cookie name of the server holding `token`. Browsers scope cookies by host, not by port, so two
 * servers on 127.0.0.1 need different names or they overwrite each other's token; a short digest
 * of the token tells them apart without revealing it.
 */
export function cookieName(token: string): string {
  return `labelwise_${digest(`cookie:${token}`).toString("hex").slice(0, 12)}`;
}

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const raw = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(raw);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Set-Cookie value carrying the token for the page (session cookie, script-inaccessible, same-site only). */
export function tokenCookie(token: string): string {
  return `${cookieName(token)}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The token a request presents (header first, then cookie), if any. */
export function presentedToken(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string" && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, "").trim();
  const h = headers[TOKEN_HEADER];
  if (typeof h === "string") return h;
  const cookie = headers.cookie;
  return readCookie(typeof cookie === "string" ? cookie : undefined, name);
}
