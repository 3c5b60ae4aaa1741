/**
 * Pulls up to `depth` items ahead of the consumer, so producing the next
 * chunk (a disk read, a network hop) overlaps consuming this one (a disk
 * write). Memory stays bounded by `depth` items.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const pull = () => {
    if (done) return;
    const next = it.next();
    queue.push(next);
    next.then(
      (r) => {
        if (r.done) done = true;
      },
      () => {
        done = true;
      },
    );
  };
  try {
    for (let i = 0; i <= depth; i++) pull();
    for (;;) {
      const head = queue.shift();
      if (head === undefined) return;
      const r = await head;
      if (r.done) return;
      pull();
      yield r.value;
    }
  } finally {
    // Settle pulls in flight before closing the source, so none rejects unobserved.
    for (const p of queue) p.catch(() => {});
    await it.return?.();
  }
}
