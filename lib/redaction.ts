/**
 * Redaction of recorded content. Credentials are always removed, whatever the capture settings: object keys that
 * name a secret lose their value, and strings shaped like a credential are masked. The patterns are compiled once at
 * load time.
 *
 * The two lists below are the one source of truth for credentials: the generated collector config
 * (lib/generate/collector.ts) masks with the very same patterns, so the library and the pipeline mask the same things.
 * Keep them RE2-compatible (no lookaround, no backreferences): the collector is written in Go.
 */

export const REDACTED = '[REDACTED]';

/**
 * Object keys (and span/log attribute keys) whose value is a secret, matched case-insensitively against the whole key
 * (the last dotted segment in the collector). `max_tokens` or `tokenizer` are not secrets; `apiToken`, `secretKey`,
 * `aws_secret_access_key` and `private_key_pem` are.
 */
export const SECRET_KEY_PATTERN = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'auth',
  'pwd',
  'passwd',
  'credentials?',
  String.raw`[a-z0-9_-]*(token|secret|password|passphrase|api[-_]?key|access[-_]?key|secret[-_]?key|private[-_]?key|account[-_]?key)([-_]?(id|value|pem|b64|base64))?`,
].join('|');

/** Names of secrets inside text (`DB_PASSWORD=…`, `"apiKey": "…"`, `?token=…`). */
const SECRET_NAME = String.raw`[A-Za-z0-9_.-]*(?:token|secret|passw(?:or)?d|pwd|passphrase|api[-_]?key|access[-_]?key|private[-_]?key|account[-_]?key|credentials?)(?:[-_]?key)?`;

/**
 * Credential shapes masked wherever they appear in a value, matched case-insensitively. Each is one alternative of
 * one compiled expression here, and one `blocked_values` entry of the collector's redaction processor.
 */
export const SECRET_VALUE_PATTERNS: readonly string[] = [
  String.raw`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`, // PEM private keys
  String.raw`\bBearer\s+[A-Za-z0-9._~+/-]+=*`, // HTTP bearer credentials
  String.raw`\bBasic\s+[A-Za-z0-9+/]{8,}=*`, // HTTP basic credentials
  String.raw`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`, // JWT
  String.raw`\b[a-z][a-z0-9+.-]*://[^\s:/?#@]+:[^\s/?#@]+@`, // user:password@ in connection and http URLs
  String.raw`https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+`, // Slack webhook URLs
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`, // OpenAI / Anthropic style secret keys
  String.raw`\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}`, // Stripe secret and restricted keys
  String.raw`\bgh[pousr]_[A-Za-z0-9]{20,}`, // GitHub tokens
  String.raw`\bgithub_pat_[A-Za-z0-9_]{20,}`, // GitHub fine-grained tokens
  String.raw`\bglpat-[A-Za-z0-9_-]{20,}`, // GitLab personal access tokens
  String.raw`\bhf_[A-Za-z0-9]{30,}`, // Hugging Face tokens
  String.raw`\bnpm_[A-Za-z0-9]{36}\b`, // npm tokens
  String.raw`\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`, // SendGrid keys
  String.raw`\bAKIA[0-9A-Z]{16}\b`, // AWS access key ids
  String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`, // Slack tokens
  String.raw`\bAIza[0-9A-Za-z_-]{35}`, // Google API keys
  String.raw`\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=[^\s;&"']+`, // Azure connection strings, SAS
  String.raw`"${SECRET_NAME}"\s*:\s*"[^"]*"`, // "apiKey": "…" in JSON text
  String.raw`${SECRET_NAME}\s*[=:]\s*["']?[^\s&;,"']+`, // KEY=value lines, ?token=… query parameters, key: value
];

const SECRET_KEY = new RegExp(`^(?:${SECRET_KEY_PATTERN})$`, 'i');
const SECRET_VALUE = new RegExp(SECRET_VALUE_PATTERNS.join('|'), 'gi');

/** Mask credential-shaped substrings of a string. */
export function redactString(value: string): string {
  return value.replace(SECRET_VALUE, REDACTED);
}

/** Whether an object key names a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
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
