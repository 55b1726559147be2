/** Longest part of an id shown in a log line or error message. */
const MAX_SHOWN_CHARACTERS = 64;

/**
 * An id as it may appear in a log line or an error message: in single quotes, with control
 * characters (CR, LF, ANSI escapes, ...), backslashes and quotes escaped, and cut after 64
 * characters. Ids come from clients (URL parameters, headers), so printing them verbatim would
 * let a client forge log lines.
 */
export function printableId(id: string): string {
  const shown = id.length > MAX_SHOWN_CHARACTERS ? `${id.slice(0, MAX_SHOWN_CHARACTERS)}…` : id;
  // JSON escapes backslashes and C0 controls; C1 controls, DEL and the Unicode line separators
  // are escaped on top, as some terminals and log viewers act on them.
  const escaped = JSON.stringify(shown)
    .slice(1, -1)
    .replace(/\\"/g, '"')
    .replace(/'/g, "\\'")
    .replace(/[\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${escaped}'`;
}
