/**
 * Tool arguments for load, generated from a tool's JSON Schema: an enum gives its values, a string gets a word from
 * a governance vocabulary, numbers stay within their bounds. Only required properties are filled, as a terse agent
 * would. Fixed arguments (`--args`) override all of it.
 */

/** Search terms of the reference server's domain; any server that takes free text gets them too. */
export const VOCABULARY = [
  'model risk',
  'bias',
  'human oversight',
  'retention',
  'incident',
  'vendor',
  'transparency',
  'training data',
  'eu ai act',
  'fairness',
  'audit',
  'governance',
  'validation',
  'privacy',
  'drift',
] as const;

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

const pick = <T>(values: readonly T[], random: () => number): T => values[Math.floor(random() * values.length)]!;

function value(schema: Schema, random: () => number, depth: number): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum && schema.enum.length > 0) return pick(schema.enum, random);
  const variant = schema.oneOf?.[0] ?? schema.anyOf?.[0];
  if (variant) return value(variant, random, depth);
  if (schema.default !== undefined) return schema.default;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com/';
      let text: string = pick(VOCABULARY, random);
      if (schema.maxLength !== undefined) text = text.slice(0, schema.maxLength);
      while (text.length < (schema.minLength ?? 0)) text += 'x';
      return text;
    }
    case 'integer':
    case 'number': {
      const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
      const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : low + 9);
      const n = low + random() * Math.max(0, high - low);
      return type === 'integer' ? Math.min(Math.floor(high), Math.max(Math.ceil(low), Math.round(n))) : n;
    }
    case 'boolean':
      return random() < 0.5;
    case 'array':
      return depth > 4 || !schema.items
        ? []
        : Array.from({ length: schema.minItems ?? 1 }, () => value(schema.items!, random, depth + 1));
    case 'object':
      return depth > 4 ? {} : objectValue(schema, random, depth + 1);
    default:
      return null;
  }
}

function objectValue(schema: Schema, random: () => number, depth: number): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const property = schema.properties?.[name];
    result[name] = property ? value(property, random, depth) : null;
  }
  return result;
}

/** Arguments for a tool whose input schema is `inputSchema` (an object schema, as `tools/list` gives it). */
export function argumentsFor(inputSchema: unknown, random: () => number): Record<string, unknown> {
  if (inputSchema === null || typeof inputSchema !== 'object') return {};
  return objectValue(inputSchema as Schema, random, 0);
}
