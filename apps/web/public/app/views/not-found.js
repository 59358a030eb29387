// A page route that does not exist.

import { h, pageHeading } from '../dom.js';

/** @returns {import('../router.js').View} */
export function notFoundView() {
  const node = h(
    'section',
    { class: 'view' },
    pageHeading('Page not found'),
    h('p', {}, 'There is no such page. ', h('a', { href: '#/jobs', text: 'See your jobs' }), '.'),
  );
  return { node, title: 'Page not found' };
}
