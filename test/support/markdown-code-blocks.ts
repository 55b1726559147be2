// Reads code out of a Markdown document (the README) so tests can compile and run it as written,
// and tells code from prose for tests that read the prose.

/** One fenced code block. */
export interface CodeBlock {
  /** The fence's info string (`ts`, `sh`, ...); `''` when it has none. */
  lang: string;
  /** The block's content, without the fences, ending with a newline. */
  code: string;
  /** 1-based line of the opening fence in the whole document. */
  line: number;
}

/** A `##`-level (or any level) section: from its heading to the next heading of the same or a higher level. */
export interface MarkdownSection {
  heading: string;
  /** The section's lines, heading included. */
  text: string;
  /** 1-based line of the heading in the whole document. */
  line: number;
  blocks: CodeBlock[];
}

const OPENING_FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/** Whether `line` closes a block opened with `fence` (the same character, at least as many). */
function closes(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.length >= fence.length && trimmed === fence[0].repeat(trimmed.length);
}

/**
 * The lines of `markdown`, each with whether it lies inside a fenced code block (fences
 * included), and the blocks; `firstLine` is the 1-based line `markdown` starts at.
 */
function scan(markdown: string, firstLine = 1): { lines: { text: string; fenced: boolean }[]; blocks: CodeBlock[] } {
  const lines = markdown.split('\n').map((text) => ({ text, fenced: false }));
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const fence = OPENING_FENCE.exec(lines[index].text);
    if (!fence) continue;
    let end = index + 1;
    while (end < lines.length && !closes(lines[end].text, fence[2])) end++;
    if (end >= lines.length) throw new Error(`Unclosed code fence at line ${firstLine + index}`);
    const body = lines.slice(index + 1, end).map((line) => line.text.slice(fence[1].length));
    blocks.push({ lang: fence[3].toLowerCase(), code: `${body.join('\n')}\n`, line: firstLine + index });
    for (let fenced = index; fenced <= end; fenced++) lines[fenced].fenced = true;
    index = end;
  }
  return { lines, blocks };
}

/** The lines of `markdown` outside fenced code blocks, each with its 1-based line number. */
export function proseLines(markdown: string): { text: string; line: number }[] {
  return scan(markdown).lines.flatMap((line, index) => (line.fenced ? [] : [{ text: line.text, line: index + 1 }]));
}

/** The fenced code blocks of `markdown`. */
export function codeBlocks(markdown: string, firstLine = 1): CodeBlock[] {
  return scan(markdown, firstLine).blocks;
}

/**
 * The section under the heading `heading` (e.g. `## Quick start`, matched exactly, outside code
 * blocks): up to the next heading of the same or a higher level. Throws when it is missing or
 * appears more than once.
 */
export function markdownSection(markdown: string, heading: string): MarkdownSection {
  const level = /^#+/.exec(heading)?.[0].length;
  if (!level) throw new Error(`Not a Markdown heading: ${heading}`);
  const { lines } = scan(markdown);
  const starts = lines.flatMap((line, index) => (!line.fenced && line.text.trim() === heading ? [index] : []));
  if (starts.length !== 1) throw new Error(`README.md has ${starts.length} "${heading}" headings; expected exactly one`);
  const start = starts[0];
  let end = start + 1;
  for (; end < lines.length; end++) {
    const next = /^(#+)\s/.exec(lines[end].text);
    if (!lines[end].fenced && next && next[1].length <= level) break;
  }
  const text = lines
    .slice(start, end)
    .map((line) => line.text)
    .join('\n');
  return { heading, text, line: start + 1, blocks: codeBlocks(text, start + 1) };
}

/** The file name a block names in a first-line comment (`// app.module.ts`), if it does. */
export function fileNameComment(block: CodeBlock): string | undefined {
  return /^\s*\/\/\s*([\w./-]+\.[cm]?[jt]sx?)\s*$/.exec(block.code.split('\n')[0])?.[1];
}

/** Whether the block is TypeScript (```ts or ```typescript). */
export function isTypeScript(block: CodeBlock): boolean {
  return block.lang === 'ts' || block.lang === 'typescript' || block.lang === 'tsx';
}

/**
 * The packages the section tells the reader to install: every `npm install`/`npm i` command, in
 * a code block or in inline code, options left out.
 */
export function installedPackages(section: MarkdownSection): string[] {
  const packages = new Set<string>();
  for (const match of section.text.matchAll(/\bnpm\s+(?:install|i|add)\s+([^`\n#;&|]+)/g)) {
    for (const word of match[1].trim().split(/\s+/)) if (word && !word.startsWith('-')) packages.add(word);
  }
  return [...packages];
}
