import { describe, expect, it } from 'vitest';
import { isSecretKey, redact, redactString, REDACTED } from '../lib/index.js';
import { HARMLESS_KEYS, HARMLESS_TEXTS, SECRET_KEYS, SECRET_SHAPES } from './fixtures/secrets.js';

describe('redaction', () => {
  it.each(SECRET_SHAPES.map((s) => [s.shape, s] as const))('masks a %s inside text', (_, { text, secret }) => {
    const out = redactString(text);
    expect(out).not.toContain(secret);
    expect(out).toContain(REDACTED);
  });

  it('masks the values of secret-named keys at any depth, and keeps ordinary keys and text', () => {
    for (const key of SECRET_KEYS) expect(isSecretKey(key), key).toBe(true);
    for (const key of HARMLESS_KEYS) expect(isSecretKey(key), key).toBe(false);
    for (const text of HARMLESS_TEXTS) expect(redactString(text)).toBe(text);
    const out = redact({
      query: 'risk policy',
      headers: { Authorization: 'opaque', accept: 'json' },
      nested: [Object.fromEntries(SECRET_KEYS.map((key) => [key, 'plain-value']))],
      limits: { max_tokens: 256 },
    }) as Record<string, unknown>;
    expect(out['query']).toBe('risk policy');
    expect(out['headers']).toEqual({ Authorization: REDACTED, accept: 'json' });
    expect(out['nested']).toEqual([Object.fromEntries(SECRET_KEYS.map((key) => [key, REDACTED]))]);
    expect(out['limits']).toEqual({ max_tokens: 256 });
  });

  it('masks every shape of the corpus at once, in one string, and inside JSON text of a result', () => {
    const all = SECRET_SHAPES.map((s) => s.text).join(' | ');
    const json = JSON.stringify(redact({ content: [{ type: 'text', text: all }] }));
    for (const { secret } of SECRET_SHAPES) expect(json).not.toContain(secret);
  });
});
