/**
 * Who a request comes from, as the sidecar can tell without being the server's auth layer: the claims of a JWT
 * bearer token, verified against a JWKS when one is given, and what the upstream's 401/403 answers say. The sidecar
 * never refuses a request itself (the server behind it decides); it counts auth failures and names tenants.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AUTH_FAILURE_REASONS } from '../contract.js';
import type { AuthInfo } from '../types.js';

export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** Signature algorithms accepted with a JWKS: asymmetric only (a shared secret has no business in a sidecar). */
const ALGORITHMS: Record<string, { hash: string | null; ec?: true; pss?: true }> = {
  RS256: { hash: 'sha256' },
  RS384: { hash: 'sha384' },
  RS512: { hash: 'sha512' },
  PS256: { hash: 'sha256', pss: true },
  PS384: { hash: 'sha384', pss: true },
  PS512: { hash: 'sha512', pss: true },
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
  EdDSA: { hash: null },
};

/** How long keys fetched from a JWKS URL are used before they are fetched again. */
const JWKS_URL_TTL_MS = 5 * 60_000;
/** An unknown `kid` refetches the JWKS URL at most this often, so forged kids cannot make the sidecar hammer it. */
const JWKS_URL_MIN_REFETCH_MS = 30_000;

interface Jwk {
  kid?: string;
  kty?: string;
  [key: string]: unknown;
}

/** Public keys of a JWKS file or URL, by `kid`. */
export class Jwks {
  private keys = new Map<string | undefined, KeyObject>();
  private fetchedAt = -Infinity;
  private fetching: Promise<void> | undefined;

  private constructor(private readonly url: string | undefined) {}

  /** Keys from a file, read now: a missing or malformed file is an error at start, naming the file. */
  static fromFile(path: string): Jwks {
    const jwks = new Jwks(undefined);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the JWKS file ${path}: ${(error as Error).message}`, { cause: error });
    }
    jwks.load(text, path);
    return jwks;
  }

  /** Keys from a URL, fetched on first use and every few minutes. */
  static fromUrl(url: string): Jwks {
    return new Jwks(url);
  }

  private load(text: string, where: string): void {
    let document: { keys?: unknown };
    try {
      document = JSON.parse(text) as { keys?: unknown };
    } catch (error) {
      throw new Error(`the JWKS in ${where} is not JSON: ${(error as Error).message}`, { cause: error });
    }
    if (!Array.isArray(document.keys)) throw new Error(`the JWKS in ${where} has no "keys" array`);
    const keys = new Map<string | undefined, KeyObject>();
    for (const jwk of document.keys as Jwk[]) {
      try {
        // Only public parts: createPublicKey derives the public key even from a private JWK.
        keys.set(typeof jwk.kid === 'string' ? jwk.kid : undefined, createPublicKey({ key: jwk, format: 'jwk' }));
      } catch {
        // A key of a type Node cannot read is skipped; tokens signed with it fail verification.
      }
    }
    this.keys = keys;
  }

  async key(kid: string | undefined): Promise<KeyObject | undefined> {
    if (this.url !== undefined) {
      const age = performance.now() - this.fetchedAt;
      if (age > JWKS_URL_TTL_MS || (!this.keys.has(kid) && age > JWKS_URL_MIN_REFETCH_MS)) await this.refresh();
    }
    return this.keys.get(kid) ?? (kid === undefined && this.keys.size === 1 ? [...this.keys.values()][0] : undefined);
  }

  private refresh(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const response = await fetch(this.url!, { signal: AbortSignal.timeout(5000) });
        if (response.ok) this.load(await response.text(), this.url!);
      } catch {
        // The keys fetched before stay in use; tokens signed with a new key fail until the URL answers.
      } finally {
        this.fetchedAt = performance.now();
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }
}

/** What the sidecar makes of a request's credentials. */
export interface Identity {
  /** For the tenant resolver, as an auth middleware would set it (the token itself is never kept). */
  authInfo?: AuthInfo;
  /** Set when a JWKS was given and the token failed verification. */
  failure?: AuthFailureReason;
}

function base64UrlJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function authInfoOf(claims: Record<string, unknown>): AuthInfo {
  const clientId = claims['client_id'] ?? claims['azp'];
  const scope = claims['scope'];
  return {
    token: '',
    clientId: typeof clientId === 'string' ? clientId : '',
    scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
    ...(typeof claims['exp'] === 'number' && { expiresAt: claims['exp'] }),
    extra: claims,
  };
}

/**
 * The identity of a request from its `Authorization` header. Without a JWKS the claims of a JWT are read as the
 * gateway in front verified them; with one, only a token whose signature, `exp` and `nbf` check out names anyone.
 * A bearer token that is no JWT names no one and is no failure: the server may use opaque tokens.
 */
export async function identify(authorization: string | undefined, jwks: Jwks | undefined): Promise<Identity> {
  const match = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/i.exec(authorization ?? '');
  if (!match) return {};
  const [, headerPart, payloadPart, signaturePart] = match as unknown as [string, string, string, string];
  const header = base64UrlJson(headerPart);
  const claims = base64UrlJson(payloadPart);
  if (!header || !claims) return jwks ? { failure: 'invalid_token' } : {};
  if (!jwks) return { authInfo: authInfoOf(claims) };

  const algorithm = typeof header['alg'] === 'string' ? ALGORITHMS[header['alg']] : undefined;
  const key = algorithm && (await jwks.key(typeof header['kid'] === 'string' ? header['kid'] : undefined));
  if (!algorithm || !key) return { failure: 'invalid_token' };
  let valid: boolean;
  try {
    valid = verify(
      algorithm.hash,
      Buffer.from(`${headerPart}.${payloadPart}`),
      {
        key,
        ...(algorithm.ec && { dsaEncoding: 'ieee-p1363' as const }),
        ...(algorithm.pss && { padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: -1 /* digest length */ }),
      },
      Buffer.from(signaturePart, 'base64url'),
    );
  } catch {
    valid = false;
  }
  if (!valid) return { failure: 'invalid_token' };
  const now = Date.now() / 1000;
  if (typeof claims['exp'] === 'number' && claims['exp'] <= now) return { failure: 'expired_token' };
  if (typeof claims['nbf'] === 'number' && claims['nbf'] > now + 60) return { failure: 'invalid_token' };
  return { authInfo: authInfoOf(claims) };
}

/** The reason of an upstream's 401 or 403, from its `WWW-Authenticate` challenge (RFC 6750) where it says. */
export function upstreamAuthFailure(
  status: number,
  challenge: string | undefined,
  authorization: string | undefined,
): AuthFailureReason {
  const error = /error="?([a-z_]+)"?/i.exec(challenge ?? '')?.[1]?.toLowerCase();
  if (error === 'insufficient_scope') return 'insufficient_scope';
  if (status === 403) return 'forbidden';
  if (!authorization) return 'missing_token';
  if (error === 'invalid_token') return /expired/i.test(challenge ?? '') ? 'expired_token' : 'invalid_token';
  return 'invalid_token';
}
