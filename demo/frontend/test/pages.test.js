import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, pageProblems, renderIndex, renderPage } from '../lib/pages.js';

const page = {
  slug: 'products',
  title: 'Products',
  name: 'Products',
  fields: [
    { name: 'title', label: 'Title', type: 'string', required: true },
    { name: 'kind', label: 'Kind', type: 'enum', options: ['a', '<b>'] },
  ],
  samples: [{ title: '<script>x</script>', kind: 'a' }],
};

test('renders a page with escaped values', () => {
  const html = renderPage(page);
  assert.match(html, /<h1 data-module="products">Products<\/h1>/);
  assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(html, /<option>&lt;b&gt;<\/option>/);
  assert.doesNotMatch(html, /<script>/);
});

test('lists pages and checks field types', () => {
  assert.match(renderIndex([page]), /href="modules\/products"/);
  assert.deepEqual(pageProblems(page), []);
  assert.match(pageProblems({ slug: 'x', fields: [{ name: 'f', type: 'json' }] })[0], /cannot render/);
  assert.equal(escapeHtml(`"'&`), '&quot;&#39;&amp;');
});
