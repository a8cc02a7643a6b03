import { callArguments, type CallArguments } from './arguments.ts';
import type { Expression, FilterCall, KeywordArgument, Statement, Target } from './ast.ts';
import { dictMethods, listMethods, newDict, newList, type MethodContext } from './container-methods.ts';
import { defineKey, dictKey, isTemplateValue, lookup, lookupRefusal, ownValue, slice, stringCharacters } from './data-access.ts';
import { atOffset, TemplateError } from './errors.ts';
import { limitError, WorkMeter, type Limits } from './limits.ts';
import { binaryOperation, isTruthy, iterationItems, pyCompare, pyContains, pyEquals, unaryOperation } from './operators.ts';
import { pyStr } from './python-values.ts';
import type { Registry } from './registry.ts';
import { stringMethods } from './string-methods.ts';
import { aTypeName, type CallContext, isPlainObject, LoopState, StringWithAttributes, TemplateFunction, tuple, Undefined } from './template-values.ts';

/**
 * Walks a parsed template over a context, producing text (`run`) or one value (`evaluate`). There
 * is no code generation: each node is interpreted here, names resolve to scopes, the context's
 * own data and the registered globals, and every read of data goes through data-access.ts. All
 * work is charged to a WorkMeter; a render's evaluation depth and output length are bounded.
 *
 * Undefined values follow jinja2: with StrictUndefined (the default) printing, testing, iterating
 * or comparing one is an error naming the expression; with lenient Undefined it prints as '',
 * is false and iterates as empty. Reading an attribute of an undefined value, or computing with
 * one, fails in both modes.
 */

export interface RenderSettings {
  source: string;
  registry: Registry;
  limits: Readonly<Limits>;
  lenient: boolean;
  /** The meter to charge; a new one per render unless several renders share a budget. */
  meter: WorkMeter | undefined;
}

/** Strings longer than this charge one step per 256 characters each time an expression yields them. */
const longString = 1024;

class Scope {
  readonly variables = new Map<string, unknown>();
  constructor(readonly parent: Scope | undefined) {}
}

/** What filters, tests and functions of one render receive (a class: no closures made per render). */
class RenderCallContext implements CallContext {
  constructor(private readonly render: Render) {}

  get meter(): WorkMeter {
    return this.render.meter;
  }

  get lenient(): boolean {
    return this.render.lenient;
  }

  applyFilter(name: string, value: unknown, args: CallArguments): unknown {
    return this.render.applyNamedFilter(name, value, args);
  }

  applyTest(name: string, value: unknown, args: CallArguments): boolean {
    return this.render.applyNamedTest(name, value, args);
  }

  newDict(): Record<string, unknown> {
    return newDict(this.render.methods);
  }
}

/** Dicts and lists this render created (literals, `dict()`, `.copy()`), which their changing methods may change. */
class RenderMethodContext implements MethodContext {
  private ownedSet: WeakSet<object> | undefined;

  constructor(readonly meter: WorkMeter) {}

  get owned(): WeakSet<object> {
    this.ownedSet ??= new WeakSet<object>();
    return this.ownedSet;
  }
}

export class Render {
  private readonly source: string;
  private readonly registry: Registry;
  private readonly limits: Readonly<Limits>;
  readonly lenient: boolean;
  private readonly context: Record<string, unknown>;
  readonly meter: WorkMeter;
  readonly methods: MethodContext;
  private readonly callContext: CallContext;
  private scope = new Scope(undefined);
  private output = '';
  private depth = 0;

  constructor(settings: RenderSettings, context: Record<string, unknown>) {
    this.source = settings.source;
    this.registry = settings.registry;
    this.limits = settings.limits;
    this.lenient = settings.lenient;
    this.context = context;
    this.meter = settings.meter ?? new WorkMeter(settings.limits);
    this.methods = new RenderMethodContext(this.meter);
    this.callContext = new RenderCallContext(this);
  }

  /** Renders the statements to text. */
  run(statements: readonly Statement[]): string {
    this.execute(statements);
    return this.output;
  }

  /** The value of one expression; undefined (JavaScript) when it is undefined and that is allowed. */
  evaluate(expression: Expression, undefinedOffset?: number): unknown {
    const value = this.value(expression);
    if (value instanceof Undefined) {
      if (this.strict(value)) throw undefinedError(value, undefinedOffset);
      return undefined;
    }
    return exported(value, this.meter);
  }

  // -- statements --------------------------------------------------------------------------

  private execute(statements: readonly Statement[]): void {
    this.enter();
    for (const statement of statements) {
      switch (statement.type) {
        case 'text':
          this.write(statement.text);
          break;
        case 'print': {
          const value = this.value(statement.value);
          if (value instanceof Undefined) {
            if (this.strict(value)) throw undefinedError(value, statement.start);
          } else {
            this.write(pyStr(value, this.meter));
          }
          break;
        }
        case 'if': {
          const branch = statement.branches.find((candidate) => this.truthy(this.value(candidate.test)));
          const body = branch ? branch.body : statement.otherwise;
          if (body) this.execute(body);
          break;
        }
        case 'for':
          this.executeFor(statement);
          break;
        case 'set':
          this.bind(this.scope, statement.target, this.value(statement.value));
          break;
        case 'set_block':
          this.scope.variables.set(statement.name, this.applyFilterCalls(statement.filters, this.capture(statement.body)));
          break;
        case 'filter_block':
          this.write(pyStr(this.applyFilterCalls(statement.filters, this.capture(statement.body)), this.meter));
          break;
        case 'with': {
          const values = statement.assignments.map(({ target, value }) => ({ target, value: this.value(value) }));
          const outer = this.scope;
          this.scope = new Scope(outer);
          for (const { target, value } of values) this.bind(this.scope, target, value);
          this.execute(statement.body);
          this.scope = outer;
          break;
        }
      }
    }
    this.depth -= 1;
  }

  private executeFor(statement: Extract<Statement, { type: 'for' }>): void {
    const iterable = this.value(statement.iterable);
    let items: unknown[];
    if (iterable instanceof Undefined) {
      if (this.strict(iterable)) throw undefinedError(iterable);
      items = [];
    } else {
      try {
        items = iterationItems(iterable, this.meter);
      } catch (error) {
        throw this.failure(error, statement.iterable);
      }
    }
    const outer = this.scope;
    if (statement.condition) {
      const condition = statement.condition;
      items = items.filter((item) => {
        this.meter.step();
        this.scope = new Scope(outer);
        this.bind(this.scope, statement.target, this.admitItem(item, statement.iterable));
        return this.truthy(this.value(condition));
      });
      this.scope = outer;
    }
    const loop = new LoopState(items);
    for (let index = 0; index < loop.length; index += 1) {
      this.meter.step();
      loop.index0 = index;
      this.scope = new Scope(outer);
      this.bind(this.scope, statement.target, this.admitItem(items[index], statement.iterable));
      this.scope.variables.set('loop', loop);
      this.execute(statement.body);
    }
    this.scope = outer;
    if (loop.length === 0 && statement.otherwise) this.execute(statement.otherwise);
  }

  private bind(scope: Scope, target: Target, value: unknown): void {
    if (!target.unpack) {
      scope.variables.set(target.names[0]!, value);
      return;
    }
    if (value instanceof Undefined) throw undefinedError(value);
    const items = typeof value === 'string' ? stringCharacters(value) : Array.isArray(value) ? value : undefined;
    if (items === undefined) throw new TemplateError('type', `cannot unpack ${aTypeName(value)} into ${target.names.join(', ')}`, { offset: target.start });
    if (items.length !== target.names.length) {
      throw new TemplateError('type', `cannot unpack ${items.length} values into ${target.names.length} names (${target.names.join(', ')})`, { offset: target.start });
    }
    target.names.forEach((name, index) => scope.variables.set(name, this.admitItem(items[index], undefined, target.start)));
  }

  /** Renders statements into a string instead of the output (block `set` and `filter`). */
  private capture(body: readonly Statement[]): string {
    const saved = this.output;
    this.output = '';
    this.execute(body);
    const captured = this.output;
    this.output = saved;
    return captured;
  }

  private write(text: string): void {
    this.output += text;
    if (this.output.length > this.limits.maxOutputLength) throw limitError('maxOutputLength', 'the rendered output', this.limits.maxOutputLength);
  }

  // -- expressions -------------------------------------------------------------------------

  /** An expression's value, with a StringWithAttributes read as its text. */
  private value(node: Expression): unknown {
    const raw = this.raw(node);
    return raw instanceof StringWithAttributes ? raw.text : raw;
  }

  /** An expression's value as found, which the object of a lookup needs. */
  private raw(node: Expression): unknown {
    this.enter();
    this.meter.step();
    let result: unknown;
    try {
      result = this.evaluateNode(node);
    } catch (error) {
      throw this.failure(error, node);
    }
    // Work on strings is proportional to their length: a long string costs steps each time it is
    // produced, so a loop over a filter of a megabyte payload runs out of steps, not of time.
    if (typeof result === 'string' && result.length > longString) this.meter.step(result.length >> 8);
    this.depth -= 1;
    return result;
  }

  private evaluateNode(node: Expression): unknown {
    let result: unknown;
    switch (node.type) {
      case 'const':
        result = node.value;
        break;
      case 'name':
        result = this.resolveName(node);
        break;
      case 'getattr':
        result = this.readMember(node, node.object, node.name);
        break;
      case 'getitem':
        result = this.readMember(node, node.object, this.defined(this.value(node.key)));
        break;
      case 'slice': {
        const object = this.defined(this.raw(node.object));
        const [from, to, step] = [node.from, node.to, node.step].map((part) => (part === undefined ? undefined : this.defined(this.value(part))));
        result = slice(object, from, to, step, this.meter);
        break;
      }
      case 'call':
        result = this.call(node);
        break;
      case 'filter':
        result = this.admit(this.applyFilter(node.call, this.value(node.value)), node);
        break;
      case 'test': {
        const subject = this.value(node.value);
        const args = this.argumentsOf(node.args, node.keywords);
        const passed = node.test(subject, args, this.callContext);
        result = node.negated ? !passed : passed;
        break;
      }
      case 'not':
        result = !this.truthy(this.value(node.operand));
        break;
      case 'negative':
      case 'positive': {
        const operand = this.computable(this.value(node.operand));
        result = unaryOperation(node.type, operand);
        break;
      }
      case 'binary':
        result = this.binary(node);
        break;
      case 'and': {
        const left = this.value(node.left);
        result = this.truthy(left) ? this.value(node.right) : left;
        break;
      }
      case 'or': {
        const left = this.value(node.left);
        result = this.truthy(left) ? left : this.value(node.right);
        break;
      }
      case 'compare':
        result = this.compare(node);
        break;
      case 'condition':
        if (this.truthy(this.value(node.test))) result = this.raw(node.then);
        // Jinja makes an inline if without else a plain (lenient) Undefined even under StrictUndefined.
        else result = node.otherwise ? this.raw(node.otherwise) : new Undefined(this.text(node), node.start, true);
        break;
      case 'list':
      case 'tuple': {
        this.meter.checkCollection(node.items.length);
        const items = node.items.map((item) => this.element(this.value(item)));
        result = node.type === 'list' ? newList(items, this.methods) : tuple(items);
        break;
      }
      case 'dict': {
        this.meter.checkCollection(node.entries.length);
        const dict = newDict(this.methods);
        for (const entry of node.entries) {
          const key = dictKey(this.defined(this.value(entry.key)));
          defineKey(dict, key, this.element(this.value(entry.value)));
        }
        result = dict;
        break;
      }
    }
    return result;
  }

  private resolveName(node: Extract<Expression, { type: 'name' }>): unknown {
    for (let scope: Scope | undefined = this.scope; scope; scope = scope.parent) {
      if (scope.variables.has(node.name)) return scope.variables.get(node.name);
    }
    const found = ownValue(this.context, node.name);
    if (found !== undefined) return this.admit(found, node);
    const global = this.registry.globals.get(node.name);
    return global === undefined ? new Undefined(node.name, node.start) : global;
  }

  /** `object.name` and `object[key]`: data only (see data-access.ts). */
  private readMember(node: Expression, objectNode: Expression, key: unknown): unknown {
    const object = this.raw(objectNode);
    if (object instanceof Undefined) throw undefinedError(object);
    const found = lookup(object, key);
    if (found === undefined) {
      const refusal = lookupRefusal(object);
      if (refusal !== undefined) throw new TemplateError('unsafe', `"${this.text(node)}": ${refusal}`, { offset: node.start });
      return new Undefined(this.text(node), node.start);
    }
    return this.admit(found, node);
  }

  private call(node: Extract<Expression, { type: 'call' }>): unknown {
    const callee = node.callee;
    if (callee.type === 'getattr') {
      const receiver = this.raw(callee.object);
      if (receiver instanceof Undefined) throw undefinedError(receiver);
      const args = this.argumentsOf(node.args, node.keywords);
      return this.admit(this.callMethod(receiver, callee.name, args, callee), node);
    }
    const target = this.value(callee);
    if (target instanceof Undefined) throw undefinedError(target);
    if (!(target instanceof TemplateFunction)) throw new TemplateError('type', `"${this.text(callee)}" is ${aTypeName(target)}, which cannot be called`, { offset: node.start });
    const args = this.argumentsOf(node.args, node.keywords);
    return this.admit(target.call(args, this.callContext), node);
  }

  /** A Python method of a string, list or dict, or `loop.cycle()`; nothing else can be called on data. */
  private callMethod(receiver: unknown, name: string, args: CallArguments, callee: Expression): unknown {
    const text = typeof receiver === 'string' ? receiver : receiver instanceof StringWithAttributes ? receiver.text : undefined;
    if (text !== undefined) {
      const method = stringMethods.get(name);
      if (method) return method(text, args, this.meter);
    } else if (Array.isArray(receiver)) {
      const method = listMethods.get(name);
      if (method) return method(receiver, args, this.methods);
    } else if (isPlainObject(receiver)) {
      const method = dictMethods.get(name);
      if (method) return method(receiver, args, this.methods);
    } else if (receiver instanceof LoopState && name === 'cycle') {
      if (args.positional.length === 0) throw new TemplateError('type', 'loop.cycle needs at least one value');
      return args.positional[receiver.index0 % args.positional.length];
    }
    const refusal = lookupRefusal(receiver);
    if (refusal !== undefined) throw new TemplateError('unsafe', `"${this.text(callee)}": ${refusal}`);
    throw new TemplateError('type', `"${this.text(callee)}" is not a method a template can call on ${aTypeName(receiver)}`);
  }

  private argumentsOf(args: readonly Expression[], keywords: readonly KeywordArgument[]): CallArguments {
    const positional = args.map((arg) => this.argument(this.value(arg)));
    if (keywords.length === 0) return callArguments(positional);
    const named = Object.create(null) as Record<string, unknown>;
    for (const keyword of keywords) named[keyword.name] = this.argument(this.value(keyword.value));
    return callArguments(positional, named);
  }

  /** An undefined argument fails, or is '' when undefined values are allowed (as str(Undefined)). */
  private argument(value: unknown): unknown {
    if (!(value instanceof Undefined)) return value;
    if (this.strict(value)) throw undefinedError(value);
    return '';
  }

  private applyFilter(call: FilterCall, input: unknown): unknown {
    let value = input;
    if (value instanceof Undefined && !call.filter.acceptsUndefined) {
      if (this.strict(value)) {
        throw new TemplateError('undefined', `an undefined value was given to the filter "${call.name}": "${value.expression}" is undefined`, { offset: value.offset });
      }
      value = '';
    }
    const args = this.argumentsOf(call.args, call.keywords);
    try {
      return call.filter.call(value, args, this.callContext);
    } catch (error) {
      throw this.failure(error, undefined, `filter "${call.name}"`, call.start);
    }
  }

  private applyFilterCalls(calls: readonly FilterCall[], text: string): unknown {
    return calls.reduce<unknown>((value, call) => {
      const result = this.applyFilter(call, value);
      return result === undefined ? new Undefined(`${call.name}(...)`, call.start) : result;
    }, text);
  }

  applyNamedFilter(name: string, value: unknown, args: CallArguments): unknown {
    const filter = this.registry.filters.get(name);
    if (!filter) throw new TemplateError('type', `no filter named "${name}"`);
    return filter.call(value, args, this.callContext);
  }

  applyNamedTest(name: string, value: unknown, args: CallArguments): boolean {
    const test = this.registry.tests.get(name);
    if (!test) throw new TemplateError('type', `no test named "${name}"`);
    return test(value, args, this.callContext);
  }

  private binary(node: Extract<Expression, { type: 'binary' }>): unknown {
    let left = this.value(node.left);
    let right = this.value(node.right);
    if (node.operator === '~') {
      left = this.printable(left);
      right = this.printable(right);
    } else {
      left = this.computable(left);
      right = this.computable(right);
    }
    return binaryOperation(node.operator, left, right, this.meter);
  }

  private compare(node: Extract<Expression, { type: 'compare' }>): boolean {
    let left = this.value(node.first);
    for (const { operator, operand } of node.rest) {
      const right = this.value(operand);
      if (!this.compareOnce(operator, left, right)) return false;
      left = right;
    }
    return true;
  }

  private compareOnce(operator: string, left: unknown, right: unknown): boolean {
    const leftUndefined = left instanceof Undefined;
    const rightUndefined = right instanceof Undefined;
    if (leftUndefined || rightUndefined) {
      const undefinedValue = (leftUndefined ? left : right) as Undefined;
      if (this.strict(undefinedValue) || !['==', '!=', 'in', 'not in'].includes(operator)) throw undefinedError(undefinedValue);
      if (operator === '==') return leftUndefined && rightUndefined;
      if (operator === '!=') return !(leftUndefined && rightUndefined);
      return operator === 'not in';
    }
    switch (operator) {
      case '==': return pyEquals(left, right, this.meter);
      case '!=': return !pyEquals(left, right, this.meter);
      case 'in': return pyContains(right, left, this.meter);
      case 'not in': return !pyContains(right, left, this.meter);
      default: {
        const order = pyCompare(left, right, operator, this.meter);
        return operator === '<' ? order < 0 : operator === '<=' ? order <= 0 : operator === '>' ? order > 0 : order >= 0;
      }
    }
  }

  // -- values ------------------------------------------------------------------------------

  /** Python's truthiness, failing on an undefined value unless that is allowed. */
  private truthy(value: unknown): boolean {
    if (value instanceof Undefined) {
      if (this.strict(value)) throw undefinedError(value);
      return false;
    }
    return isTruthy(value);
  }

  /** A value that must be defined (an index, a key, a slice bound, an unpacked sequence). */
  private defined(value: unknown): unknown {
    if (value instanceof Undefined) throw undefinedError(value);
    return value;
  }

  /** A value for arithmetic: undefined fails in both modes, as jinja2.Undefined does. */
  private computable(value: unknown): unknown {
    if (value instanceof Undefined) throw undefinedError(value);
    return value;
  }

  /** A value for `~`: undefined is '' when allowed. */
  private printable(value: unknown): unknown {
    if (!(value instanceof Undefined)) return value;
    if (this.strict(value)) throw undefinedError(value);
    return '';
  }

  /** An item of a list or dict literal: undefined fails, or becomes None when allowed. */
  private element(value: unknown): unknown {
    if (!(value instanceof Undefined)) return value;
    if (this.strict(value)) throw undefinedError(value);
    return null;
  }

  /** Whether using this undefined value is an error: StrictUndefined, unless the value is always lenient. */
  private strict(value: Undefined): boolean {
    return !this.lenient && !value.lenient;
  }

  /** Checks a value read from data or returned by a call: data and engine values pass, nothing else. */
  private admit(value: unknown, node: Expression): unknown {
    if (value === undefined) return new Undefined(this.text(node), node.start);
    if (isTemplateValue(value)) return value;
    throw new TemplateError('unsafe', `"${this.text(node)}" is ${typeof value === 'function' ? 'a function' : 'not plain data'}, which templates cannot use: template data is JSON-like`, {
      offset: node.start,
    });
  }

  private admitItem(item: unknown, iterable: Expression | undefined, offset = iterable?.start ?? 0): unknown {
    if (item === undefined) return null;
    if (isTemplateValue(item)) return item;
    throw new TemplateError('unsafe', `an item of "${iterable ? this.text(iterable) : 'the sequence'}" is not plain data, which templates cannot use`, { offset });
  }

  /** The source text of an expression, for messages. */
  private text(node: Expression): string {
    return this.source.slice(node.start, node.end).trim();
  }

  /**
   * A failure inside the evaluation of `node` as a TemplateError with a position: the innermost
   * node's, or the filter's. Any other error came from a filter, test or function (a JSON parse
   * error, a bad version); its message is kept, naming the callee where known.
   */
  private failure(error: unknown, node: Expression | undefined, callee?: string, offset = node?.start ?? 0): TemplateError {
    if (error instanceof TemplateError) return atOffset(error, offset) as TemplateError;
    const message = error instanceof Error ? error.message : String(error);
    const name = callee ?? (node?.type === 'test' ? `test "${node.name}"` : node?.type === 'call' ? `"${this.text(node.callee)}"` : undefined);
    return new TemplateError('call', name === undefined ? message : `${name}: ${message}`, { offset, cause: error });
  }

  private enter(): void {
    this.depth += 1;
    if (this.depth > this.limits.maxNestingDepth) throw limitError('maxNestingDepth', 'the nesting of the evaluation', this.limits.maxNestingDepth);
  }
}

function undefinedError(value: Undefined, offset?: number): TemplateError {
  return new TemplateError('undefined', `"${value.expression}" is undefined`, { offset: offset ?? value.offset });
}

/** What an evaluated value becomes for the embedder: engine values become data or text. */
function exported(value: unknown, meter: WorkMeter): unknown {
  if (value instanceof TemplateFunction || value instanceof LoopState) return pyStr(value, meter);
  return value;
}
