import { PackrunError } from '../errors.ts';

/**
 * Bounds on JSON that arrives from outside: request bodies, webhook bodies, trigger payloads,
 * bus messages, control-channel frames, action results. Each is checked in one pass with an
 * explicit stack (never recursion), before the value is parsed or stored, so the cost of a
 * hostile input is linear in its size and a nesting of any depth cannot blow a stack here or
 * later (JSON.stringify, the store, templates recurse).
 */
export interface JsonLimits {
  /** Bytes of the JSON text. */
  maxBytes: number;
  /** Levels of objects and arrays, the outermost value being level 1. */
  maxDepth: number;
  /** Longest string, key or value, in bytes of UTF-8 (as written in the JSON text). */
  maxStringBytes: number;
  /** Most elements of one array, or members of one object. */
  maxItems: number;
}

export type JsonLimitKind = 'bytes' | 'depth' | 'string' | 'items';

/** Limits and how to name them when they are broken: what one kind of input is held to. */
export interface JsonBounds {
  limits: JsonLimits;
  subject: JsonSubject;
}

/** What is being checked, for the message and for the error's code: an input or a result. */
export interface JsonSubject {
  /** Named in the message: `the request body`, `the result of the action`... */
  what: string;
  /** INPUT_* codes for what callers send, RESULT_* for what actions return. */
  family: 'INPUT' | 'RESULT';
  /** The setting behind each limit, named in the message so an operator knows what to raise. */
  settings: Partial<Record<JsonLimitKind, string>>;
  /**
   * What wraps the value named (a frame around a result, an event around a payload): the limits
   * checked include it, the message names the value's own (withEnvelope).
   */
  envelope?: { levels: number; bytes: number };
}

const codeSuffix: Record<JsonLimitKind, string> = {
  bytes: 'TOO_LARGE',
  depth: 'TOO_DEEP',
  string: 'STRING_TOO_LONG',
  items: 'TOO_MANY_ITEMS',
};

/** A value over one of its JsonLimits. `httpStatus` is what the API answers with. */
export class JsonLimitError extends PackrunError {
  readonly limit: JsonLimitKind;
  readonly httpStatus: 400 | 413;

  constructor(subject: JsonSubject, limit: JsonLimitKind, checkedMax: number, found?: number) {
    const max = checkedMax - (limit === 'depth' ? (subject.envelope?.levels ?? 0) : limit === 'bytes' ? (subject.envelope?.bytes ?? 0) : 0);
    const setting = subject.settings[limit];
    const named = setting === undefined ? '' : ` (${setting})`;
    const message = {
      bytes: `${subject.what} is ${found === undefined ? 'over' : `${found} bytes, over`} the limit of ${max} bytes${named}`,
      depth: `${subject.what} is nested more than ${max} levels deep${named}`,
      string: `${subject.what} holds a string of more than ${max} bytes${named}`,
      items: `${subject.what} holds an array or object of more than ${max} items${named}`,
    }[limit];
    super(`${subject.family}_${codeSuffix[limit]}`, message, {
      hint: setting === undefined ? undefined : `send less, or have the operator raise ${setting}`,
      details: { limit, max, ...(found === undefined ? {} : { found }), ...(setting === undefined ? {} : { setting }) },
    });
    this.limit = limit;
    this.httpStatus = limit === 'depth' ? 400 : 413;
  }
}

const quote = 0x22;
const backslash = 0x5c;

/** What each byte is to the scan: most are nothing, and a table lookup is the cheapest test. */
const Byte = { Other: 0, Quote: 1, Open: 2, Close: 3, Comma: 4 } as const;
const byteKinds = new Uint8Array(256);
byteKinds[quote] = Byte.Quote;
byteKinds[0x5b] = Byte.Open;
byteKinds[0x7b] = Byte.Open;
byteKinds[0x5d] = Byte.Close;
byteKinds[0x7d] = Byte.Close;
byteKinds[0x2c] = Byte.Comma;

/**
 * Checks JSON text against `limits` without parsing it: depth by counting brackets outside
 * strings, string lengths by finding each closing quote (Buffer.indexOf, native), items by
 * counting commas per open container. It does not check that the text is JSON: the parse that
 * follows does, safely once these bounds hold.
 */
export function checkJsonBytes(text: Buffer, limits: JsonLimits, subject: JsonSubject): void {
  if (text.length > limits.maxBytes) throw new JsonLimitError(subject, 'bytes', limits.maxBytes, text.length);
  // Commas seen in each open container; depth is bounded, so is this.
  const commas = new Float64Array(limits.maxDepth + 1);
  const length = text.length;
  let depth = 0;
  for (let index = 0; index < length; index += 1) {
    const kind = byteKinds[text[index]!];
    if (kind === Byte.Other) continue;
    if (kind === Byte.Quote) {
      const end = closingQuote(text, index + 1);
      if (end - index - 1 > limits.maxStringBytes) throw new JsonLimitError(subject, 'string', limits.maxStringBytes);
      index = end;
    } else if (kind === Byte.Open) {
      depth += 1;
      if (depth > limits.maxDepth) throw new JsonLimitError(subject, 'depth', limits.maxDepth);
      commas[depth] = 0;
    } else if (kind === Byte.Close) {
      if (depth > 0) depth -= 1;
    } else if (depth > 0) {
      // n commas separate n + 1 items.
      const count = commas[depth]! + 1;
      if (count + 1 > limits.maxItems) throw new JsonLimitError(subject, 'items', limits.maxItems);
      commas[depth] = count;
    }
  }
}

/** Index of the quote ending the string whose text starts at `from` (an unescaped one), or the end. */
function closingQuote(text: Buffer, from: number): number {
  let search = from;
  for (;;) {
    const found = text.indexOf(quote, search);
    if (found < 0) return text.length;
    let backslashes = 0;
    while (found - backslashes - 1 >= from && text[found - backslashes - 1] === backslash) backslashes += 1;
    if (backslashes % 2 === 0) return found;
    search = found + 1;
  }
}

/**
 * The same limits on a value already in hand (the in-process bus, a payload built in this
 * process), walked with an explicit stack. Its size is counted as checkJsonBytes would see it
 * written, close enough to bound it: strings and keys by their UTF-8 length, a few bytes for each
 * number and punctuation mark. A value that refers to itself stops at the depth limit.
 */
export function checkJsonValue(value: unknown, limits: JsonLimits, subject: JsonSubject): void {
  let bytes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  const countString = (text: string): void => {
    // A string of n UTF-16 units has between n and 3n UTF-8 bytes: measure only when it matters.
    const length = text.length * 3 <= limits.maxStringBytes ? text.length : Buffer.byteLength(text, 'utf8');
    if (length > limits.maxStringBytes) throw new JsonLimitError(subject, 'string', limits.maxStringBytes);
    bytes += length + 2;
  };
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    if (typeof current === 'string') countString(current);
    else if (current !== null && typeof current === 'object') {
      if (depth + 1 > limits.maxDepth) throw new JsonLimitError(subject, 'depth', limits.maxDepth);
      if (Array.isArray(current)) {
        if (current.length > limits.maxItems) throw new JsonLimitError(subject, 'items', limits.maxItems);
        bytes += 2 + current.length;
        for (const item of current) stack.push({ value: item, depth: depth + 1 });
      } else {
        const keys = Object.keys(current);
        if (keys.length > limits.maxItems) throw new JsonLimitError(subject, 'items', limits.maxItems);
        bytes += 2 + keys.length;
        for (const key of keys) {
          countString(key);
          stack.push({ value: (current as Record<string, unknown>)[key], depth: depth + 1 });
        }
      }
    } else {
      bytes += 8;
    }
    if (bytes > limits.maxBytes) throw new JsonLimitError(subject, 'bytes', limits.maxBytes);
  }
}

/** Parses JSON text once it is within `limits`; JSON_INVALID when it is not JSON. */
export function parseBoundedJson(text: Buffer, limits: JsonLimits, subject: JsonSubject): unknown {
  checkJsonBytes(text, limits, subject);
  try {
    return JSON.parse(text.toString('utf8'));
  } catch (error) {
    throw new PackrunError('JSON_INVALID', `${subject.what} is not valid JSON: ${(error as Error).message}`, { details: {} });
  }
}
