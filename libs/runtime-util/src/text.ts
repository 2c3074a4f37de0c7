// What every text a Tradeyard service takes must be (names, keys, queries, rule expressions):
// text PostgreSQL stores and every client can read back. One rule, checked by the services' request
// hook (service-kit) and by the gateway contract's text schemas.

// C0 controls except tab, line feed and carriage return (which text may hold), DEL and C1 controls.
// PostgreSQL refuses NUL in text, and none of these belong in a name, a key or a query.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
// A UTF-16 surrogate without its partner (JSON "\ud800" alone) is no character: PostgreSQL refuses it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const codePoint = (unit: string) => `U+${unit.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The rule `text` breaks, naming what it found, or undefined for valid text. */
export function brokenTextRule(text: string): string | undefined {
  const control = text.match(CONTROL);
  if (control) return `must not contain control characters (found ${codePoint(control[0])})`;
  const lone = text.match(LONE_SURROGATE);
  if (lone) return `must be valid text: no lone UTF-16 surrogate (found ${codePoint(lone[0])})`;
  return undefined;
}
