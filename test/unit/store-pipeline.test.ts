import { describe, expect, it } from 'vitest';
import { StorePipeline } from '../../src/sync/store-pipeline.ts';

/** A store the test finishes by hand: `stored` settles when `finish` or `fail` is called. */
function store(name: string, events: string[]) {
  let finish = () => {};
  let fail = (_error: Error) => {};
  const stored = new Promise<string>((resolve, reject) => {
    finish = () => {
      events.push(`${name} stored`);
      resolve(name);
    };
    fail = reject;
  });
  events.push(`${name} sent`);
  return { stored, finish, fail };
}

/** Page a pushed and page b being pushed behind it, neither stored yet. */
async function twoPages() {
  const events: string[] = [];
  const pipeline = new StorePipeline<string>();
  const follow = (name: string) => {
    events.push(`${name} followed up`);
  };
  const a = store('a', events);
  await pipeline.push(a.stored, follow);
  const b = store('b', events);
  const pushed = pipeline.push(b.stored, follow);
  return { events, pipeline, a, b, pushed };
}

describe('StorePipeline', () => {
  it('sends a page while the one before is stored, and follows pages up in order once stored', async () => {
    const { events, pipeline, a, b, pushed } = await twoPages();
    // The push of b waits for a: b is sent, a not yet stored, nothing followed up.
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(events).toEqual(['a sent', 'b sent']);
    b.finish();
    a.finish();
    await pushed;
    await pipeline.drain();
    expect(events).toEqual(['a sent', 'b sent', 'b stored', 'a stored', 'a followed up', 'b followed up']);
  });

  it('after a page fails, follows up no later page, and close waits for the one in flight', async () => {
    const { events, pipeline, a, b, pushed } = await twoPages();
    a.fail(new Error('a refused'));
    await expect(pushed).rejects.toThrow('a refused');
    const closed = pipeline.close();
    b.finish();
    await closed;
    expect(events).toEqual(['a sent', 'b sent', 'b stored']);
  });

  it('a run that stops on an error of its own still follows up the page it stored', async () => {
    const events: string[] = [];
    const pipeline = new StorePipeline<string>();
    const a = store('a', events);
    await pipeline.push(a.stored, (name) => {
      events.push(`${name} followed up`);
    });
    a.finish();
    await pipeline.close();
    expect(events).toEqual(['a sent', 'a stored', 'a followed up']);
    // Nothing is left to finish.
    await pipeline.drain();
    expect(events).toHaveLength(3);
  });

  it('a follow-up that fails is reported, and the page after it is not followed up', async () => {
    const events: string[] = [];
    const pipeline = new StorePipeline<string>();
    const a = store('a', events);
    a.finish();
    await pipeline.push(a.stored, () => {
      throw new Error('progress not saved');
    });
    const b = store('b', events);
    b.finish();
    await expect(pipeline.push(b.stored, (name) => void events.push(`${name} followed up`))).rejects.toThrow(
      'progress not saved',
    );
    await pipeline.close();
    expect(events).toEqual(['a sent', 'a stored', 'b sent', 'b stored']);
  });
});
