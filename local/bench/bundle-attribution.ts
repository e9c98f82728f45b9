// Which package each byte of the minified bundle came from, read off the source map wrangler
// writes beside it: the bytes each package adds to the upload, and those bytes gzipped on their
// own (an estimate of its share of the gzip size: gzip is not additive, but minified output is
// what is uploaded, where the package's source files would count comments and types).

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((char, value) => [char, value]));

/** The numbers of one mapping segment (base64 VLQ, as the source map format writes them). */
function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a source map digit: ${char}`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

/** Where each mapped stretch of the generated code starts (in order, as maps list them), and its source (-1: none). */
function mappedStarts(code: string, mappings: string): { offset: number; source: number }[] {
  const starts: { offset: number; source: number }[] = [];
  let lineOffset = 0;
  let source = 0;
  const codeLines = code.split("\n");
  mappings.split(";").forEach((line, index) => {
    let column = 0;
    for (const segment of line.split(",")) {
      if (!segment) continue;
      const [columnDelta = 0, sourceDelta] = decodeSegment(segment);
      column += columnDelta;
      // Segments of one field map nothing (esbuild's glue); the others move the source index.
      if (sourceDelta !== undefined) source += sourceDelta;
      starts.push({ offset: lineOffset + column, source: sourceDelta === undefined ? -1 : source });
    }
    lineOffset += (codeLines[index]?.length ?? 0) + 1;
  });
  return starts;
}

/**
 * The generated code of each group (`groupOf` names one for a source path), as the stretches the
 * map assigns to its sources, joined. Unmapped stretches go to "(unmapped)".
 */
export function codeBySource(
  code: string,
  map: { sources: string[]; mappings: string },
  groupOf: (source: string) => string,
): Map<string, string> {
  const parts = new Map<string, string[]>();
  const starts = mappedStarts(code, map.mappings);
  if ((starts[0]?.offset ?? code.length) > 0) starts.unshift({ offset: 0, source: -1 });
  starts.forEach(({ offset, source }, i) => {
    const end = starts[i + 1]?.offset ?? code.length;
    const path = map.sources[source];
    const group = source < 0 || path === undefined ? "(unmapped)" : groupOf(path);
    const list = parts.get(group) ?? [];
    list.push(code.slice(offset, end));
    parts.set(group, list);
  });
  return new Map([...parts].map(([group, list]) => [group, list.join("")]));
}
