/**
 * jest's transform: ts-jest, then the JavaScript builtins bound to module constants.
 *
 * jest runs every module of a test in a vm context, where each lookup of a global name (Math,
 * JSON, Date...) goes through Node's interceptors of the context's global object: about 50 times
 * slower than in a plain module (mulberry32 of src/core/prng.ts: 2.6 s for 10M numbers in a test
 * against 0.05 s outside one; the generator's 100,000 postings 5.1 s against 0.4 s). So each
 * transformed module gets `const { Math, ... } = globalThis;` on its first line: the same objects
 * (nothing in the suite replaces a builtin; jest's fake timers are not used), looked up once. A
 * module that declares one of these names itself keeps its own. Line numbers stay the same.
 */
import tsJest from 'ts-jest';

const { TsJestTransformer } = tsJest;

/** builtins used in loops (not timers, process or fetch: a test may want to see those replaced) */
const BUILTINS = [
  'Math',
  'JSON',
  'Date',
  'Number',
  'String',
  'Object',
  'Array',
  'Map',
  'Set',
  'Symbol',
  'BigInt',
  'Buffer',
  'Uint8Array',
  'RegExp',
  'Error',
  'Promise',
  'parseInt',
  'parseFloat',
  'isNaN',
  'isFinite',
];
const VERSION = 'builtins-1';

/** the names of BUILTINS that a module does not declare or import itself */
function bindable(source) {
  return BUILTINS.filter(
    (name) =>
      !new RegExp(`\\b(?:const|let|var|function|class)\\s+${name}\\b`).test(source) &&
      !new RegExp(`\\bimport\\s*(?:type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}`).test(source) &&
      !new RegExp(`\\bimport\\s+${name}\\b`).test(source),
  );
}

function bind(result, source) {
  const names = bindable(source);
  if (!names.length) return result;
  const prelude = `const { ${names.join(', ')} } = globalThis;`;
  return typeof result === 'string' ? prelude + result : { ...result, code: prelude + result.code };
}

class BuiltinsTransformer extends TsJestTransformer {
  process(source, file, options) {
    return bind(super.process(source, file, options), source);
  }
  async processAsync(source, file, options) {
    return bind(await super.processAsync(source, file, options), source);
  }
  getCacheKey(source, file, options) {
    return `${super.getCacheKey(source, file, options)}:${VERSION}`;
  }
  async getCacheKeyAsync(source, file, options) {
    return `${await super.getCacheKeyAsync(source, file, options)}:${VERSION}`;
  }
}

export default { createTransformer: (config) => new BuiltinsTransformer(config) };
