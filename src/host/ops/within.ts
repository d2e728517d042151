// Waits for a promise at most `ms`: the answer, or `undefined` when it took longer (the work
// itself goes on; callers that may start it again keep one in flight, see metrics-scrape.ts).

export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
