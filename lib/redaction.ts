/**
 * Redaction of captured content. Credentials are always removed, whatever the capture settings: object keys that
 * name a secret lose their value, and strings shaped like a bearer token, a JWT or a well-known API key are masked.
 * The patterns are compiled once at load time.
 */

export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|.*token|.*secret|.*password|passwd|credentials?|private[-_]?key)$/i;

/**
 * Credential shapes masked wherever they appear in a value, matched case-insensitively. Shared with the collector's
 * redaction (lib/generate/collector.ts), so the library and the pipeline mask the same things: keep them RE2-compatible.
 */
export const SECRET_VALUE_PATTERNS: readonly string[] = [
  String.raw`\bBearer\s+[A-Za-z0-9._~+/-]+=*`, // HTTP bearer credentials
  String.raw`\bBasic\s+[A-Za-z0-9+/]{8,}=*`, // HTTP basic credentials
  String.raw`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`, // JWT
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`, // OpenAI / Anthropic style secret keys
  String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`, // GitHub tokens
  String.raw`\bAKIA[0-9A-Z]{16}\b`, // AWS access key ids
  String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`, // Slack tokens
  String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
  String.raw`\b(?:api[-_]?key|access[-_]?token|secret|password)=[^\s&"']+`, // key=value in URLs and strings
];

const SECRET_VALUE = new RegExp(SECRET_VALUE_PATTERNS.join('|'), 'gi');

/** Mask credential-shaped substrings of a string. */
export function redactString(value: string): string {
  return value.replace(SECRET_VALUE, REDACTED);
}

/** A deep copy of `value` with secret-named keys and credential-shaped strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 16) return REDACTED; // cyclic or absurdly deep input: record nothing rather than loop
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

/** Redacted JSON of captured content, cut to `maxLength` characters so one large result cannot flood a span. */
export function redactedJson(value: unknown, maxLength = 4096): string {
  const json = JSON.stringify(redact(value)) ?? 'null';
  return json.length > maxLength ? `${json.slice(0, maxLength)}…` : json;
}
