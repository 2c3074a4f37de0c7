/**
 * Polls `condition` every 20 ms until it holds. The deadline only turns a hang into a message
 * before Jest's own timeout (jest.preset.js): it is no bound on how fast the product must be, so
 * a loaded machine meets it as an idle one does.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
