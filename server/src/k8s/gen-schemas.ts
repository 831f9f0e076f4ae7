// Generates server/src/k8s/k8s-schemas.json: strict JSON Schemas for every Kubernetes kind
// (and the Gateway API kinds), derived OFFLINE from the type declarations that the npm
// packages `kubernetes-models` and `@kubernetes-models/gateway-api` generate from the
// Kubernetes OpenAPI document and the Gateway API CRDs. Strict = unknown fields are errors
// (as `kubectl apply --validate=strict`), required fields are required, enums are enums.
//
//   npx tsx server/src/k8s/gen-schemas.ts        (re-run when those packages are upgraded)
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

type Schema = Record<string, unknown>;

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const PACKAGES = ['kubernetes-models', '@kubernetes-models/gateway-api'];

function packageDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

/** `<pkg>/<group>/<version>/<Kind>.d.ts` (core: `<pkg>/v1/<Kind>.d.ts`). */
function modelFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('_') || name === 'node_modules') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) {
        if (depth < 2) walk(p, depth + 1);
      } else if (name.endsWith('.d.ts') && name !== 'index.d.ts' && depth >= 1) {
        out.push(p);
      }
    }
  };
  walk(root, 0);
  return out;
}

export function generate(): { roots: Record<string, string>; defs: Record<string, Schema>; source: string } {
  const files = PACKAGES.flatMap((p) => modelFiles(packageDir(p)));
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    skipLibCheck: true,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const defs: Record<string, Schema> = {};
  const roots: Record<string, string> = {};
  const names = new Map<ts.Type, string>();
  const root = join(here, '../../..');

  const defName = (type: ts.Type): string | undefined => {
    const sym = type.aliasSymbol ?? type.getSymbol();
    if (!sym || !(sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) return undefined;
    const decl = sym.declarations?.[0];
    if (!decl) return undefined;
    const file = relative(root, decl.getSourceFile().fileName).replace(/.*node_modules\//, '').replace(/\.d\.ts$/, '');
    return `${file}#${sym.getName()}`;
  };

  const convert = (type: ts.Type, seen: number): Schema => {
    if (seen > 60) return {};
    const flags = type.getFlags();
    if (flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
    if (type.isUnion()) {
      const parts = type.types.filter((t) => !(t.getFlags() & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
      if (parts.length === 1) return convert(parts[0]!, seen + 1);
      if (parts.every((t) => t.isStringLiteral())) return { type: 'string', enum: parts.map((t) => (t as ts.StringLiteralType).value) };
      if (parts.every((t) => t.getFlags() & ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
      if (parts.every((t) => t.isNumberLiteral())) return { type: 'number', enum: parts.map((t) => (t as ts.NumberLiteralType).value) };
      return { anyOf: parts.map((t) => convert(t, seen + 1)) };
    }
    if (type.isStringLiteral()) return { type: 'string', enum: [type.value] };
    if (type.isNumberLiteral()) return { type: 'number', enum: [type.value] };
    if (flags & ts.TypeFlags.String) return { type: 'string' };
    if (flags & ts.TypeFlags.Number) return { type: 'number' };
    if (flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: 'boolean' };
    if (flags & ts.TypeFlags.Null) return { type: 'null' };
    if (checker.isArrayType(type)) {
      const [item] = checker.getTypeArguments(type as ts.TypeReference);
      return { type: 'array', items: item ? convert(item, seen + 1) : {} };
    }
    if (flags & ts.TypeFlags.Object) {
      const name = defName(type);
      if (name) {
        if (!(name in defs)) {
          defs[name] = {};
          defs[name] = objectSchema(type, seen);
        }
        names.set(type, name);
        return { $ref: `#/defs/${encodeURIComponent(name)}` };
      }
      return objectSchema(type, seen);
    }
    return {};
  };

  const objectSchema = (type: ts.Type, seen: number): Schema => {
    const props = checker.getPropertiesOfType(type);
    const index = type.getStringIndexType();
    if (props.length === 0) {
      return { type: 'object', additionalProperties: index ? convert(index, seen + 1) : true };
    }
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const p of props) {
      const decl = p.valueDeclaration ?? p.declarations?.[0];
      if (!decl) continue;
      properties[p.getName()] = convert(checker.getTypeOfSymbolAtLocation(p, decl), seen + 1);
      if (!(p.flags & ts.SymbolFlags.Optional)) required.push(p.getName());
    }
    const out: Schema = { type: 'object', properties, additionalProperties: index ? convert(index, seen + 1) : false };
    if (required.length) out.required = required;
    return out;
  };

  for (const sf of program.getSourceFiles()) {
    if (!files.includes(sf.fileName)) continue;
    const moduleSym = checker.getSymbolAtLocation(sf);
    if (!moduleSym) continue;
    for (const exp of checker.getExportsOfModule(moduleSym)) {
      if (!(exp.flags & ts.SymbolFlags.Interface) || !exp.getName().startsWith('I')) continue;
      const type = checker.getDeclaredTypeOfSymbol(exp);
      const api = type.getProperty('apiVersion');
      const kind = type.getProperty('kind');
      if (!api || !kind || api.flags & ts.SymbolFlags.Optional) continue;
      const apiT = checker.getTypeOfSymbolAtLocation(api, api.valueDeclaration!);
      const kindT = checker.getTypeOfSymbolAtLocation(kind, kind.valueDeclaration!);
      if (!apiT.isStringLiteral() || !kindT.isStringLiteral()) continue;
      const ref = convert(type, 0);
      roots[`${apiT.value}/${kindT.value}`] = decodeURIComponent(String(ref.$ref).replace('#/defs/', ''));
    }
  }
  const versions = PACKAGES.map((p) => `${p}@${(require(`${p}/package.json`) as { version: string }).version}`).join(', ');
  return { roots, defs, source: `generated from ${versions}` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = generate();
  const file = join(here, 'k8s-schemas.json');
  writeFileSync(file, JSON.stringify(out));
  process.stdout.write(`${Object.keys(out.roots).length} kinds, ${Object.keys(out.defs).length} definitions → ${file}\n`);
}
