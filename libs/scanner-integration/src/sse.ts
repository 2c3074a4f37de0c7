import type { Signal } from '@tradeyard/gateway-contract';

/** Reads server-sent `signal` events from a real HTTP connection until `count` arrived. */
export async function readSseSignals(url: string, count: number, onConnected?: () => Promise<void> | void): Promise<Signal[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  if (res.headers.get('content-type') !== 'text/event-stream') throw new Error(`not an event stream: ${res.headers.get('content-type')}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const signals: Signal[] = [];
  let buffer = '';
  let connected = false;
  while (signals.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!connected && frame.startsWith(': connected')) {
        connected = true;
        await onConnected?.();
      }
      const data = frame.split('\n').find((l) => l.startsWith('data: '));
      if (data && frame.includes('event: signal')) signals.push(JSON.parse(data.slice(6)));
    }
  }
  controller.abort();
  return signals.slice(0, count);
}
