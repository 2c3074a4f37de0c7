/**
 * Polls `condition` every 20 ms until it holds. The deadline only turns a hang into a message
 * before Jest's own timeout: it bounds no product speed, so a loaded machine meets it as an idle
 * one does. (gateway-testing has the same for the libs above the gateway; this lib cannot import it.)
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
