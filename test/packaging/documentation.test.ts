// The documentation holds together: every relative link of the README, the docs/ pages, the
// sample's README, CONTRIBUTING.md and CHANGELOG.md points to a file that exists, and every
// `#anchor` to a heading of its page; every docs/ page is reachable from the docs index; the
// README stays short enough to read (details belong in docs/).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { headingAnchors, headingSlug, isExternal, markdownLinks } from '../support/markdown-links';
import { findRepositoryRoot } from './packed-package';

const root = findRepositoryRoot();
/** The README's budget, in bytes. */
const README_MAX_BYTES = 12 * 1024;

/** The documents a reader of the repository or the package is sent through. */
function documents(base: string): string[] {
  const pages = readdirSync(join(base, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  return ['README.md', 'CONTRIBUTING.md', 'CHANGELOG.md', join('sample', 'README.md'), ...pages];
}

/** Every relative link of the documents under `base` that does not resolve, as `file:line → target (why)`. */
function brokenLinks(base: string, files: string[]): string[] {
  const anchorsOf = new Map<string, Set<string>>();
  const anchors = (file: string): Set<string> => {
    if (!anchorsOf.has(file)) anchorsOf.set(file, headingAnchors(readFileSync(file, 'utf8')));
    return anchorsOf.get(file)!;
  };
  const broken: string[] = [];
  for (const file of files) {
    const path = join(base, file);
    for (const link of markdownLinks(readFileSync(path, 'utf8'))) {
      if (isExternal(link.target)) continue;
      const [pathPart, anchor] = link.target.split('#', 2);
      const target = pathPart === '' ? path : resolve(dirname(path), decodeURIComponent(pathPart));
      const where = `${file}:${link.line} → ${link.target}`;
      if (relative(base, target).startsWith('..')) broken.push(`${where} (outside the repository)`);
      else if (!existsSync(target)) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined && statSync(target).isFile() && target.endsWith('.md') && !anchors(target).has(anchor)) {
        broken.push(`${where} (no heading with that anchor in ${relative(base, target)})`);
      }
    }
  }
  return broken;
}

describe('the documentation links', () => {
  test('every relative link points to a file that exists, and every anchor to a heading of it', () => {
    const files = documents(root);
    for (const file of files) assert.ok(existsSync(join(root, file)), `${file} is missing`);
    assert.deepEqual(brokenLinks(root, files), []);
  });

  test('every docs/ page is linked from the docs index', () => {
    const index = join(root, 'docs', 'README.md');
    const linked = new Set(
      markdownLinks(readFileSync(index, 'utf8'))
        .filter((link) => !isExternal(link.target))
        .map((link) => resolve(dirname(index), link.target.split('#')[0])),
    );
    const pages = documents(root).filter((file) => file.startsWith('docs') && file !== join('docs', 'README.md'));
    assert.ok(pages.length > 0, 'docs/ has pages');
    assert.deepEqual(
      pages.filter((page) => !linked.has(join(root, page))),
      [],
      'pages the index does not link to',
    );
  });
});

test('the README stays within 12 KB', () => {
  const bytes = statSync(join(root, 'README.md')).size;
  assert.ok(bytes <= README_MAX_BYTES, `README.md is ${bytes} bytes, more than ${README_MAX_BYTES}: move details to a docs/ page`);
});

describe('checking links', () => {
  test("anchors are GitHub's: lower case, punctuation and backticks left out, spaces as hyphens", () => {
    assert.equal(
      headingSlug('Protocol 2026-07-28: `subscriptions/listen` across instances'),
      'protocol-2026-07-28-subscriptionslisten-across-instances',
    );
    assert.equal(headingSlug('Several instances: Redis'), 'several-instances-redis');
    assert.deepEqual([...headingAnchors('# A\n## B\n```sh\n# not a heading\n```\n## B\n')], ['a', 'b', 'b-1']);
  });

  test('reports a missing file, a missing anchor and a link out of the repository, and ignores code and external links', () => {
    const base = mkdtempSync(join(tmpdir(), 'sse-doc-links-'));
    try {
      mkdirSync(join(base, 'docs'));
      writeFileSync(join(base, 'docs', 'page.md'), '# Page\n\n## Part one\n');
      writeFileSync(
        join(base, 'README.md'),
        [
          '# Title',
          '[ok](docs/page.md#part-one) [self](#title) [web](https://example.com/x.md) `[code](nowhere.md)`',
          '[gone](docs/missing.md)',
          '![image](docs/missing.png)',
          '[anchor](docs/page.md#part-two)',
          '[out](../elsewhere.md)',
          '```md',
          '[in a block](nowhere.md)',
          '```',
        ].join('\n'),
      );
      assert.deepEqual(brokenLinks(base, ['README.md', join('docs', 'page.md')]), [
        'README.md:3 → docs/missing.md (no such file)',
        'README.md:4 → docs/missing.png (no such file)',
        'README.md:5 → docs/page.md#part-two (no heading with that anchor in docs/page.md)',
        'README.md:6 → ../elsewhere.md (outside the repository)',
      ]);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
