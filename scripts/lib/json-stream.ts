/**
 * `kubectl get --watch -o json` prints one pretty-printed JSON document per change, back to back, with no separator
 * a line reader could use. This splitter tracks brace depth outside strings and emits each complete document.
 */
export function createJsonStreamSplitter(onDocument: (document: unknown) => void): { write(chunk: string): void } {
  let buffer = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  let scanned = 0;

  return {
    write(chunk) {
      buffer += chunk;
      for (let i = scanned; i < buffer.length; i++) {
        const char = buffer[i];
        if (inString) {
          if (escaped) escaped = false;
          else if (char === '\\') escaped = true;
          else if (char === '"') inString = false;
          continue;
        }
        if (char === '"') inString = true;
        else if (char === '{') {
          if (depth === 0) start = i;
          depth++;
        } else if (char === '}') {
          depth--;
          if (depth === 0 && start !== -1) {
            onDocument(JSON.parse(buffer.slice(start, i + 1)));
            buffer = buffer.slice(i + 1);
            i = -1;
            start = -1;
          }
        }
      }
      scanned = buffer.length;
    },
  };
}
