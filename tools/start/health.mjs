// The status code of GET url, or 0 when nothing answers within timeoutMs. Uses node:http with
// a ref'd timeout rather than fetch: behind docker-proxy a not-yet-listening container accepts
// the TCP connection and never answers, and fetch's unref'd abort timer then lets the process
// exit with the request still pending.
import { get } from 'node:http';

export function httpStatus(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const request = get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.setTimeout(timeoutMs, () => request.destroy());
    request.on('error', () => resolve(0));
  });
}

/** Polls GET url until it answers 200 or timeoutMs passes; resolves whether it did. */
export async function waitFor200(url, timeoutMs, { intervalMs = 200, stillRunning = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && stillRunning()) {
    if ((await httpStatus(url, Math.min(1000, Math.max(1, deadline - Date.now())))) === 200) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
