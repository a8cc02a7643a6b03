import type { FunctionDefinition } from './functions.ts';

/**
 * The functions an engine offers, in layers searched in order: the embedder's first, then yaql's
 * standard library. As in yaql, the first layer with an overload that fits the call wins, so an
 * embedder's function of the same name and form takes precedence over the library's.
 */
export class FunctionRegistry {
  private readonly layers: Map<string, FunctionDefinition[]>[];

  constructor(layerCount: number) {
    this.layers = Array.from({ length: layerCount }, () => new Map());
  }

  add(layer: number, definition: FunctionDefinition): void {
    const functions = this.layers[layer]!;
    const overloads = functions.get(definition.name) ?? [];
    overloads.push(definition);
    functions.set(definition.name, overloads);
  }

  /** Removes a layer's overloads of a name (an embedder replacing its function). */
  remove(layer: number, name: string): void {
    this.layers[layer]!.delete(name);
  }

  /** The overloads of `name` callable as a method (`x.name()`) or a function, layer by layer. */
  overloads(name: string, asMethod: boolean): FunctionDefinition[][] {
    const found: FunctionDefinition[][] = [];
    for (const layer of this.layers) {
      const candidates = (layer.get(name) ?? []).filter((definition) => (asMethod ? definition.form !== 'function' : definition.form !== 'method'));
      if (candidates.length > 0) found.push(candidates);
    }
    return found;
  }
}
