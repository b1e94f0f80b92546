import { SaxesParser } from "saxes";

/**
 * Export-Clixml files, read as MS-PSRP 2.2.5 ("Serialization of objects") defines them: an `<Objs>`
 * root holding one element per pipeline object. Complex objects are `<Obj>` with their type names
 * (`<TN>`, or `<TNRef>` to a list given earlier in the same file), `<ToString>`, adapted properties
 * (`<Props>`), extended members (`<MS>`) and, for collections, `<LST>`/`<IE>`/`<STK>`/`<QUE>` or a
 * `<DCT>` of `<En>` key/value pairs. `<Ref RefId>` repeats an object serialized earlier in the same
 * file. Enums are `<Obj>` whose type names include System.Enum: their `<ToString>` is the name and
 * their one primitive child the number. Strings escape characters XML cannot hold as `_xHHHH_`.
 *
 * The output is the same plain shape ConvertTo-Json gives (objects, arrays, strings, numbers,
 * booleans, null; byte arrays as Buffers), so the one Exchange normalizer reads both. Anything the
 * specification does not define, or that this reader does not take (SecureString, PSObject
 * references to objects still being read), is a problem naming the record and property; nothing is
 * dropped.
 */

export interface CliXmlProblem {
  /** Where in the file: `[1].SenderIPAddresses[0]`, or "" for the whole file. */
  readonly path: string;
  readonly message: string;
}

export interface CliXmlResult {
  /** The pipeline objects, converted. */
  readonly records: unknown[];
  /** Each record's type names (TN), `Deserialized.` prefix removed, most derived first. */
  readonly typeNames: (readonly string[])[];
  readonly problems: CliXmlProblem[];
}

interface Element {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: Element[];
  text: string;
  readonly line: number;
}

const PSRP_NAMESPACE = "http://schemas.microsoft.com/powershell/2004/04";
const STRINGS = new Set(["S", "URI", "XD", "SBK", "Version", "G", "TS"]);
const INTEGERS = new Set(["I16", "I32", "I64", "U16", "U32", "U64", "By", "SB"]);
const FLOATS = new Set(["Sg", "Db", "D"]);
const COLLECTIONS = new Set(["LST", "IE", "STK", "QUE"]);

/** True when the text looks like what Export-Clixml writes (after decoding). */
export function looksLikeCliXml(text: string): boolean {
  const head = text
    .replace(/^\uFEFF/, "")
    .trimStart()
    .slice(0, 512);
  return /^(<\?xml[^>]*\?>\s*)?<Objs[\s>]/.test(head);
}

/** `_x000D__x000A_` -> CR LF, as PSRP encodes characters that XML cannot carry. */
function decodeEscapes(text: string): string {
  return text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

class LimitExceeded extends Error {}

/**
 * Builds the element tree without recursion, so nesting is bounded by `maxDepth`, not by the stack.
 * Each child of the root is handed to `onRecord` as soon as it closes and then dropped, so a file of
 * 100,000 objects never holds more than one object's elements at a time.
 */
function parseTree(text: string, maxDepth: number, onRecord: (element: Element) => void): Element {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Element[] = [];
  let root: Element | undefined;
  parser.on("opentag", (tag) => {
    if (stack.length >= maxDepth) {
      throw new LimitExceeded(
        `nests elements deeper than ${maxDepth} levels (line ${parser.line}); Export-Clixml writes at most a few dozen`,
      );
    }
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(tag.attributes)) attributes[key] = String(value);
    const element: Element = { name: tag.name, attributes, children: [], text: "", line: parser.line };
    const parent = stack.at(-1);
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on("text", (chunk) => {
    const current = stack.at(-1);
    if (current) current.text += chunk;
  });
  parser.on("cdata", (chunk) => {
    const current = stack.at(-1);
    if (current) current.text += chunk;
  });
  parser.on("closetag", () => {
    const closed = stack.pop();
    if (closed && stack.length === 1 && root?.name === "Objs") {
      root.children.pop();
      onRecord(closed);
    }
  });
  parser.write(text).close();
  if (!root) throw new Error("holds no XML element");
  return root;
}

/** Reads an Export-Clixml text. Never throws: a file that is not well-formed is one problem. */
export function parseCliXml(text: string, options: { readonly maxDepth: number }): CliXmlResult {
  const problems: CliXmlProblem[] = [];
  const reader = new Reader(problems);
  const records: unknown[] = [];
  const typeNames: (readonly string[])[] = [];
  const onRecord = (element: Element) => {
    const at = `[${records.length}]`;
    records.push(reader.value(element, at));
    typeNames.push(element.name === "Obj" ? reader.typesOf(element, at) : []);
  };
  let root: Element;
  try {
    root = parseTree(text.replace(/^\uFEFF/, ""), options.maxDepth, onRecord);
  } catch (error) {
    const message = (error as Error).message.replace(/^undefined:/, "line ");
    return {
      records: [],
      typeNames: [],
      problems: [
        error instanceof LimitExceeded
          ? { path: "", message: error.message }
          : { path: "", message: `is not well-formed XML (${message}). Export it again with Export-Clixml.` },
      ],
    };
  }
  if (root.name !== "Objs") {
    return {
      records: [],
      typeNames: [],
      problems: [{ path: "", message: `has root element <${root.name}>, not <Objs> (not an Export-Clixml file)` }],
    };
  }
  if (root.attributes.xmlns !== undefined && root.attributes.xmlns !== PSRP_NAMESPACE) {
    const message = `has namespace "${root.attributes.xmlns}", not ${PSRP_NAMESPACE} (not an Export-Clixml file)`;
    return { records: [], typeNames: [], problems: [{ path: "", message }] };
  }
  return { records, typeNames, problems };
}

/** One file's conversion: RefId tables are per file (MS-PSRP 2.2.5.2.2, 2.2.5.2.3). */
class Reader {
  private readonly types = new Map<string, readonly string[]>();
  private readonly objects = new Map<string, unknown>();
  private readonly open = new Set<string>();
  private readonly typed = new WeakMap<Element, readonly string[]>();

  constructor(private readonly problems: CliXmlProblem[]) {}

  private problem(path: string, element: Element, message: string): undefined {
    this.problems.push({ path, message: `${message} (line ${element.line})` });
    return undefined;
  }

  typesOf(element: Element, path: string): readonly string[] {
    const known = this.typed.get(element);
    if (known) return known;
    const names = this.resolveTypes(element, path);
    this.typed.set(element, names);
    return names;
  }

  private resolveTypes(element: Element, path: string): readonly string[] {
    const tn = element.children.find((c) => c.name === "TN");
    if (tn) {
      const names = tn.children.filter((c) => c.name === "T").map((t) => decodeEscapes(t.text).replace(/^Deserialized\./, ""));
      if (tn.attributes.RefId !== undefined) this.types.set(tn.attributes.RefId, names);
      return names;
    }
    const ref = element.children.find((c) => c.name === "TNRef");
    if (ref) {
      const names = this.types.get(ref.attributes.RefId ?? "");
      if (names === undefined) {
        this.problem(path, ref, `<TNRef RefId="${ref.attributes.RefId ?? ""}"> names no type list given earlier in the file`);
        return [];
      }
      return names;
    }
    return [];
  }

  value(element: Element, path: string): unknown {
    const name = element.name;
    const text = element.text;
    if (STRINGS.has(name)) return decodeEscapes(text);
    if (name === "C") {
      if (!/^\d+$/.test(text.trim())) return this.problem(path, element, `<C> "${text}" is not a character code`);
      return String.fromCharCode(Number(text.trim()));
    }
    if (name === "B") {
      const t = text.trim().toLowerCase();
      if (t === "true" || t === "false") return t === "true";
      return this.problem(path, element, `<B> "${text}" is not true or false`);
    }
    if (INTEGERS.has(name)) {
      if (!/^-?\d+$/.test(text.trim())) return this.problem(path, element, `<${name}> "${text}" is not an integer`);
      const n = Number(text.trim());
      return Number.isSafeInteger(n) ? n : text.trim();
    }
    if (FLOATS.has(name)) {
      const n = Number(text.trim());
      if (text.trim() === "" || Number.isNaN(n)) return this.problem(path, element, `<${name}> "${text}" is not a number`);
      return n;
    }
    if (name === "DT") return text.trim();
    if (name === "BA") {
      const compact = text.replace(/\s+/g, "");
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0)
        return this.problem(path, element, "<BA> is not base64 (a byte array)");
      return Buffer.from(compact, "base64");
    }
    if (name === "Nil") return null;
    if (name === "Ref") {
      const id = element.attributes.RefId ?? "";
      if (this.open.has(id)) return this.problem(path, element, `<Ref RefId="${id}"> points at the object that contains it`);
      if (!this.objects.has(id)) return this.problem(path, element, `<Ref RefId="${id}"> names no object given earlier in the file`);
      return this.objects.get(id);
    }
    if (name === "Obj") return this.object(element, path);
    if (name === "SS") return this.problem(path, element, "is a SecureString (<SS>), which is not read");
    return this.problem(path, element, `<${name}> is not an MS-PSRP 2.2.5 value element`);
  }

  private members(container: Element, path: string, into: Record<string, unknown>): void {
    container.children.forEach((child, i) => {
      const key = child.attributes.N;
      if (key === undefined) {
        this.problem(`${path}.${container.name}[${i}]`, child, `<${child.name}> in <${container.name}> has no N (property name)`);
        return;
      }
      const property = decodeEscapes(key);
      into[property] = this.value(child, path === "" ? property : `${path}.${property}`);
    });
  }

  private object(element: Element, path: string): unknown {
    const id = element.attributes.RefId;
    if (id !== undefined) this.open.add(id);
    const types = this.typesOf(element, path);
    const text = element.children.find((c) => c.name === "ToString");
    let result: unknown;
    const collection = element.children.find((c) => COLLECTIONS.has(c.name));
    const dictionary = element.children.find((c) => c.name === "DCT");
    const props = element.children.find((c) => c.name === "Props");
    const ms = element.children.find((c) => c.name === "MS");
    const known = new Set(["TN", "TNRef", "ToString", "Props", "MS", "DCT", ...COLLECTIONS]);
    const primitive = element.children.find((c) => !known.has(c.name));
    if (collection) {
      result = collection.children.map((item, i) => this.value(item, `${path}[${i}]`));
    } else if (dictionary) {
      const entries: Record<string, unknown> = {};
      dictionary.children.forEach((entry, i) => {
        const key = entry.children.find((c) => c.attributes.N === "Key");
        const value = entry.children.find((c) => c.attributes.N === "Value");
        if (entry.name !== "En" || key === undefined || value === undefined) {
          this.problem(`${path}[${i}]`, entry, "<DCT> entry is not an <En> with Key and Value");
          return;
        }
        const k = this.value(key, `${path}[${i}].Key`);
        entries[String(k)] = this.value(value, `${path}.${String(k)}`);
      });
      result = entries;
    } else if (types.includes("System.Enum")) {
      // An enum: the name is what Exchange's cmdlets accept and show; the number is its value.
      const value = primitive ? this.value(primitive, path) : undefined;
      const name = text ? decodeEscapes(text.text) : undefined;
      if (name === undefined && value === undefined) result = this.problem(path, element, "is an enum with neither a name nor a value");
      else result = name !== undefined && name !== "" ? name : value;
    } else if (primitive) {
      // A primitive carrying extended members (<Obj><S>..</S><MS>..</MS></Obj>): the value counts.
      result = this.value(primitive, path);
    } else if (props || ms) {
      const record: Record<string, unknown> = {};
      if (ms) this.members(ms, path, record);
      if (props) this.members(props, path, record);
      result = record;
    } else if (text) {
      // Serialized beyond the -Depth limit: only the string form is left.
      result = decodeEscapes(text.text);
    } else {
      result = {};
    }
    if (id !== undefined) {
      this.open.delete(id);
      this.objects.set(id, result);
    }
    return result;
  }
}
