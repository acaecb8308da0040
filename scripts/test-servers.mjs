// Shared servers for the integration suites (started once by scripts/test.mjs). Filled in by the object-store work.
export async function startTestServers() {
  return { env: {}, stop: async () => {} };
}
