import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printableId } from '../../../lib/logging/printable-id';

describe('printableId', () => {
  it('quotes a plain id as it is', () => {
    assert.equal(printableId('news'), "'news'");
  });

  it('escapes line breaks, so an id cannot start a forged log line', () => {
    const printed = printableId('a\r\n[Nest] 1 - ERROR forged');
    assert.equal(printed, "'a\\r\\n[Nest] 1 - ERROR forged'");
    assert.doesNotMatch(printed, /[\r\n]/);
  });

  it('escapes ANSI escapes, other control characters, quotes and backslashes', () => {
    const printed = printableId('\u001b[31mred\u001b[0m \u0000 \u0085 \u2028 \' " \\');
    assert.equal(printed, "'\\u001b[31mred\\u001b[0m \\u0000 \\u0085 \\u2028 \\' \" \\\\'");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is that no control character is left
    assert.doesNotMatch(printed, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it('cuts long ids', () => {
    const printed = printableId('x'.repeat(10_000));
    assert.equal(printed, `'${'x'.repeat(64)}…'`);
  });
});
