import type { Argument, Expression } from './ast.ts';
import { bindArguments, type ArgumentSource } from './call-binding.ts';
import { iterate, lazy } from './collections.ts';
import { admit, plainObject } from './data-access.ts';
import { dictGet, makeDict } from './dicts.ts';
import { atOffset, YaqlError } from './errors.ts';
import type { FunctionDefinition, Parameter } from './functions.ts';
import { limitError, WorkMeter } from './limits.ts';
import { add, compare, contains, divide, modulo, multiply, negate, subtract } from './operators.ts';
import { pyEquals, pyRepr, truthy } from './python-values.ts';
import type { FunctionRegistry } from './registry.ts';
import { matchesPattern } from './regex-engine.ts';
import { Scope } from './scope.ts';
import { isDict, isIterable, LazyMappingRule, MappingRule, RegexValue, ScopeValue, aTypeName, typeName, type Lambda } from './values.ts';

/**
 * Walks a parsed expression over a scope of variables, producing a value. There is no code
 * generation: each node is interpreted here, every read of data goes through data-access.ts, and
 * functions are only those in the registry. All work is charged to a WorkMeter and the depth of
 * evaluation is bounded, so no expression can run away with the process.
 */

interface EvaluationSettings {
  registry: FunctionRegistry;
  meter: WorkMeter;
  maxNestingDepth: number;
}

export class Evaluation {
  private readonly registry: FunctionRegistry;
  readonly meter: WorkMeter;
  private readonly maxDepth: number;
  private depth = 0;

  constructor(settings: EvaluationSettings) {
    this.registry = settings.registry;
    this.meter = settings.meter;
    this.maxDepth = settings.maxNestingDepth;
  }

  evaluate(node: Expression, scope: Scope): unknown {
    this.depth += 1;
    if (this.depth > this.maxDepth) throw limitError('maxNestingDepth', 'the depth of this evaluation', this.maxDepth);
    this.meter.step();
    try {
      return this.evaluateNode(node, scope);
    } catch (error) {
      throw atOffset(error, node.start);
    } finally {
      this.depth -= 1;
    }
  }

  private evaluateNode(node: Expression, scope: Scope): unknown {
    switch (node.type) {
      case 'constant':
        return node.value;
      case 'keyword':
        return node.name;
      case 'variable':
        return admit(scope.get(node.name), `the variable $${node.name}`);
      case 'group':
        return this.evaluate(node.expression, scope);
      case 'call':
        return this.callFunction(node.name, undefined, node.args, scope);
      case 'member':
        return this.member(node, scope);
      case 'index':
        return this.index(node.object, node.args, scope);
      case 'list':
        return this.list(node.args, scope);
      case 'dict':
        return this.dict(node.args, scope);
      case 'unary': {
        const operand = this.evaluate(node.operand, scope);
        return node.operator === 'not' ? !truthy(operand) : negate(node.operator as '-' | '+', operand);
      }
      case 'binary':
        return this.binary(node.operator, node.left, node.right, scope);
    }
  }

  private binary(operator: string, leftNode: Expression, rightNode: Expression, scope: Scope): unknown {
    if (operator === 'and' || operator === 'or') {
      const left = this.evaluate(leftNode, scope);
      if (truthy(left) === (operator === 'or')) return left;
      return this.evaluate(rightNode, scope);
    }
    const left = this.evaluate(leftNode, scope);
    if (operator === '->') {
      if (!(left instanceof ScopeValue)) {
        throw new YaqlError('type', `the left side of "->" must be a context made by let(), with() or unpack(), not ${aTypeName(left)}`);
      }
      return this.evaluate(rightNode, left.scope);
    }
    const right = this.evaluate(rightNode, scope);
    const meter = this.meter;
    switch (operator) {
      case '+': return add(left, right, meter);
      case '-': return subtract(left, right, meter);
      case '*': return multiply(left, right, meter);
      case '/': return divide(left, right);
      case 'mod': return modulo(left, right);
      case '=': return pyEquals(left, right, meter);
      case '!=': return !pyEquals(left, right, meter);
      case '<': case '>': case '<=': case '>=': return compare(operator, left, right, meter);
      case 'in': return contains(left, right, meter);
      case '=~': return matchesOperator(operator, left, right, meter);
      case '!~': return !matchesOperator(operator, left, right, meter);
      default:
        throw new YaqlError('syntax', `unknown operator "${operator}"`);
    }
  }

  /** `receiver.name` reads a key or maps over a collection; `receiver.f(...)` calls a method. */
  private member(node: Extract<Expression, { type: 'member' }>, scope: Scope): unknown {
    const receiver = this.evaluate(node.receiver, scope);
    if (node.nullSafe && receiver === null) return null;
    const member = node.member;
    try {
      if (member.type === 'call') return this.callFunction(member.name, { value: receiver }, member.args, scope);
      if (member.type === 'keyword') return this.attribute(receiver, member.name, member.start);
    } catch (error) {
      throw atOffset(error, member.start);
    }
    throw new YaqlError('type', `"${node.nullSafe ? '?.' : '.'}" must be followed by a name or a method call`, { offset: member.start });
  }

  /**
   * `x.name`: the key of a dict (an error when missing), or `.name` of each item of a collection,
   * lazily as yaql maps it; an item's error, met when the result is read, still points at `.name`.
   */
  private attribute(receiver: unknown, name: string, offset: number): unknown {
    if (isDict(receiver)) {
      const found = dictGet(receiver, name, this.meter);
      if (found === undefined) throw new YaqlError('lookup', `the dict has no key '${name}'`, { key: name, offset });
      return admit(found, `the value of key '${name}'`);
    }
    if (isIterable(receiver)) {
      const meter = this.meter;
      const read = (item: unknown): unknown => this.attribute(item, name, offset);
      return lazy(function* () {
        for (const item of iterate(receiver, meter)) yield read(item);
      });
    }
    throw new YaqlError('type', `${aTypeName(receiver)} has no attribute "${name}"`, { offset });
  }

  private index(objectNode: Expression, args: Argument[], scope: Scope): unknown {
    const object = this.evaluate(objectNode, scope);
    const keys = args.map((arg) => {
      if (arg.type === 'mapping' || arg.type === 'omitted') throw new YaqlError('type', 'an indexer takes values only');
      return this.evaluate(arg, scope);
    });
    if (isDict(object) && (keys.length === 1 || keys.length === 2)) {
      const found = dictGet(object, keys[0], this.meter);
      if (found !== undefined) return admit(found, 'the value of a key');
      if (keys.length === 2) return keys[1];
      throw new YaqlError('lookup', `the dict has no key ${pyRepr(keys[0], this.meter)}`, { key: keys[0] });
    }
    const [key] = keys;
    if (Array.isArray(object) && keys.length === 1 && (Number.isInteger(key) || typeof key === 'boolean')) {
      const position = Number(key);
      const resolved = position < 0 ? object.length + position : position;
      if (resolved < 0 || resolved >= object.length) throw new YaqlError('lookup', `the index ${position} is out of range for a list of ${object.length}`, { key: position });
      return admit(object[resolved], 'an item of a list');
    }
    throw new YaqlError('type', `${aTypeName(object)} cannot be indexed by ${keys.map((k) => typeName(k)).join(', ') || 'nothing'}`);
  }

  private list(args: Argument[], scope: Scope): unknown[] {
    this.meter.checkCollection(args.length);
    return args.map((arg) => {
      if (arg.type === 'mapping' || arg.type === 'omitted') throw new YaqlError('type', 'a list literal takes values only, not "=>" pairs or gaps', { offset: arg.start });
      return this.evaluate(arg, scope);
    });
  }

  private dict(args: Argument[], scope: Scope): unknown {
    this.meter.checkCollection(args.length);
    const entries = args.map((arg): [unknown, unknown] => {
      if (arg.type !== 'mapping') throw new YaqlError('type', 'a dict literal takes "key => value" pairs only', { offset: arg.start });
      return [this.evaluate(arg.key, scope), this.evaluate(arg.value, scope)];
    });
    return makeDict(entries, this.meter);
  }

  /**
   * Calls `name` as yaql resolves it: the layers of the registry in order; in a layer, the first
   * overload whose parameters fit the arguments' number, keywords and types. Each argument is
   * evaluated once however many overloads are tried; lambda parameters get it unevaluated.
   */
  private callFunction(calledName: string, receiver: { value: unknown } | undefined, args: readonly Argument[], scope: Scope): unknown {
    const name = calledName.replace(/_+$/, '');
    const layers = this.registry.overloads(name, receiver !== undefined);
    if (layers.length === 0) {
      if (receiver === undefined) throw new YaqlError('name', `Unknown function "${name}"`);
      throw new YaqlError('name', `Unknown method "${name}" for receiver ${this.describe(receiver.value)}`);
    }
    const evaluated = new Map<number, unknown>();
    for (const layer of layers) {
      for (const definition of layer) {
        const binding = bindArguments(definition, receiver, args);
        if (binding === undefined) continue;
        const values: unknown[] = [];
        let fits = true;
        for (const { parameter, source } of binding.parameters) {
          const value = this.argumentValue(parameter, source, scope, evaluated);
          if (value === noFit || (source.kind !== 'default' && !parameter.type.accepts(value))) {
            fits = false;
            break;
          }
          values.push(value);
        }
        if (!fits) continue;
        const keywords = plainObject(binding.keywords.map(({ name: keyword, index, node }) => [keyword, this.cachedValue(index, node, scope, evaluated)]));
        return this.invoke(definition, values, keywords, scope);
      }
    }
    if (receiver === undefined) throw new YaqlError('type', `No function "${name}" matches supplied arguments`);
    throw new YaqlError('type', `No method "${name}" for receiver ${this.describe(receiver.value)} matches supplied arguments`);
  }

  /** The receiver as an error names it: its repr, cut short, or its type when even that is large. */
  private describe(value: unknown): string {
    try {
      const text = pyRepr(value, new WorkMeter({ ...this.meter.limits, maxSteps: 200, maxStringLength: 4096 }));
      return text.length > 60 ? `${text.slice(0, 57)}...` : text;
    } catch {
      return aTypeName(value);
    }
  }

  private argumentValue(parameter: Parameter, source: ArgumentSource, scope: Scope, evaluated: Map<number, unknown>): unknown {
    if (source.kind !== 'argument') return source.value;
    const node = source.node;
    if (parameter.type.lazy === 'rule') {
      if (node.type !== 'mapping') return noFit;
      return new LazyMappingRule(() => this.evaluate(node.key, scope), () => this.evaluate(node.value, scope));
    }
    if (node.type === 'mapping') {
      if (parameter.type.lazy === 'lambda') return noFit;
      const cached = evaluated.get(source.index);
      if (cached !== undefined) return cached;
      const rule = new MappingRule(this.evaluate(node.key, scope), this.evaluate(node.value, scope));
      evaluated.set(source.index, rule);
      return rule;
    }
    if (parameter.type.lazy === 'lambda') return this.lambda(node, scope);
    return this.cachedValue(source.index, node, scope, evaluated);
  }

  private cachedValue(index: number, node: Expression, scope: Scope, evaluated: Map<number, unknown>): unknown {
    if (evaluated.has(index)) return evaluated.get(index);
    const value = this.evaluate(node, scope);
    evaluated.set(index, value);
    return value;
  }

  /** An argument a function evaluates itself: `$1`, `$2`... (and `$`, the same as `$1`) are what it passes. */
  private lambda(node: Expression, scope: Scope): Lambda {
    return {
      call: (...args: unknown[]) => {
        const inner = new Scope(scope);
        args.forEach((value, index) => inner.set(String(index + 1), value));
        return this.evaluate(node, inner);
      },
      callInScope: (inner: Scope) => this.evaluate(node, inner),
    };
  }

  private invoke(definition: FunctionDefinition, args: unknown[], keywords: Record<string, unknown>, scope: Scope): unknown {
    return definition.call(args, { meter: this.meter, scope }, keywords);
  }
}

/** Marks an argument that cannot fill a parameter (a `=>` pair where a lambda is wanted). */
const noFit = Symbol('no fit');

function matchesOperator(operator: string, left: unknown, right: unknown, meter: WorkMeter): boolean {
  if (typeof left !== 'string' || (typeof right !== 'string' && !(right instanceof RegexValue))) {
    throw new YaqlError('type', `the operator "${operator}" does not apply to ${typeName(left)} and ${typeName(right)}`);
  }
  return matchesPattern(right, left, meter);
}
