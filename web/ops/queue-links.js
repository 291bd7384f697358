// Where a queue item opens (shared by the queue, the customer page and the item page).
export function detailHref(item) {
  if (item.kind === 'blocked_enrollment') return `/ops/enrollment.html?id=${encodeURIComponent(item.id)}`;
  return `/ops/item.html?kind=${encodeURIComponent(item.kind)}&id=${encodeURIComponent(item.id)}`;
}
