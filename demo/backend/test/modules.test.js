import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Collection, moduleProblems, validateRecord } from '../lib/modules.js';

const products = {
  slug: 'products',
  route: 'products',
  fields: [
    { name: 'title', type: 'string', required: true, unique: true },
    { name: 'price', type: 'decimal', required: false, default: 0 },
    { name: 'kind', type: 'enum', options: ['a', 'b'] },
  ],
  samples: [{ title: 'Sample', price: 12.5, kind: 'a' }, { title: 'Changed', price: 1, kind: 'b' }],
};

test('validates records against the fields', () => {
  assert.deepEqual(validateRecord(products, { title: 'x', kind: 'b' }), { ok: true, record: { title: 'x', price: 0, kind: 'b' } });
  const bad = validateRecord(products, { price: 'free', kind: 'c', extra: 1 });
  assert.deepEqual(bad.errors.map((e) => e.field), ['title', 'price', 'kind', 'extra']);
});

test('seeds a collection with the samples and keeps unique fields unique', () => {
  const c = new Collection(products);
  assert.equal(c.rows.length, 2);
  assert.equal(c.uniqueProblem({ title: 'Sample' }), 'title');
});

test('a relation must point to a module of this application', () => {
  const orders = { slug: 'orders', route: 'orders', fields: [{ name: 'product', type: 'relation', relation: 'products' }] };
  assert.deepEqual(moduleProblems(orders, [orders, products]), []);
  assert.match(moduleProblems(orders, [orders])[0], /relation to 'products'/);
});
