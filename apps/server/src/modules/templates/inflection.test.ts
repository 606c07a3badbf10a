import { describe, expect, it } from 'vitest';
import { camelCase, kebabCase, pascalCase, plural, singular, snakeCase, titleCase, words } from './inflection.ts';

describe('case helpers', () => {
  it.each([
    ['order-items', 'orderItems', 'OrderItems', 'order-items', 'order_items', 'Order Items'],
    ['unit_price', 'unitPrice', 'UnitPrice', 'unit-price', 'unit_price', 'Unit Price'],
    ['HTTPServer log', 'httpServerLog', 'HttpServerLog', 'http-server-log', 'http_server_log', 'Http Server Log'],
    ['customerId', 'customerId', 'CustomerId', 'customer-id', 'customer_id', 'Customer Id'],
    ['address2', 'address2', 'Address2', 'address2', 'address2', 'Address2'],
  ])('%s', (input, camel, pascal, kebab, snake, title) => {
    expect([camelCase(input), pascalCase(input), kebabCase(input), snakeCase(input), titleCase(input)]).toEqual([
      camel, pascal, kebab, snake, title,
    ]);
  });

  it('splits words', () => {
    expect(words('  a--b__C ')).toEqual(['a', 'b', 'c']);
  });
});

describe('plural and singular', () => {
  it.each([
    ['product', 'products'], ['category', 'categories'], ['day', 'days'], ['box', 'boxes'],
    ['address', 'addresses'], ['church', 'churches'], ['dish', 'dishes'], ['status', 'statuses'],
    ['person', 'people'], ['child', 'children'], ['news', 'news'], ['series', 'series'],
    ['leaf', 'leaves'], ['analysis', 'analyses'], ['virus', 'viruses'], ['photo', 'photos'],
    ['order_item', 'order_items'], ['order-item', 'order-items'], ['OrderItem', 'OrderItems'],
    ['companyPerson', 'companyPeople'], ['BOX', 'BOXES'],
  ])('%s ↔ %s', (one, many) => {
    expect(plural(one)).toBe(many);
    expect(singular(many)).toBe(one);
  });

  it('leaves plurals plural and singulars singular', () => {
    for (const w of ['products', 'categories', 'boxes', 'addresses', 'people', 'statuses']) expect(plural(w)).toBe(w);
    for (const w of ['product', 'category', 'box', 'address', 'person', 'status', 'class']) expect(singular(w)).toBe(w);
  });
});
