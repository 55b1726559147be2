// Reads the links and headings of a Markdown document, so a test can check that every relative
// link points to a file, and every `#anchor` to a heading, that exist.
import { proseLines } from './markdown-code-blocks';

/** One link of a document, `[text](target)` or `![alt](target)`. */
export interface MarkdownLink {
  target: string;
  /** 1-based line of the link in the document. */
  line: number;
}

/** `[text](target)` and `![alt](target "title")`; the target has no spaces (none of ours do). */
const INLINE_LINK = /!?\[[^\]]*\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const INLINE_CODE = /(`+)[^`]*?\1/g;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

/** The links of `markdown`, outside code blocks and inline code spans. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  return proseLines(markdown).flatMap(({ text, line }) =>
    [...text.replace(INLINE_CODE, '').matchAll(INLINE_LINK)].map((match) => ({ target: match[1], line })),
  );
}

/**
 * The anchor GitHub gives a heading: lower case, punctuation (inline code's backticks included)
 * left out, spaces turned into hyphens.
 */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of the headings of `markdown`: a repeated heading gets `-1`, `-2`, ... as on GitHub. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = HEADING.exec(text);
    if (!heading) continue;
    const slug = headingSlug(heading[2]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Whether a link leaves the repository (`https:`, `mailto:`, ...). */
export function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target);
}
