// Shared servers for the integration suites, started once per `node scripts/test.mjs` run.
//
// startTestServers(files) decides by file name which servers the selected test files need: files under
// test/integration/ whose names mention s3 or rgw need Ceph RGW (scripts/rgw.sh), names mentioning azure or
// azurite need Azurite. It starts them in parallel on loopback, in temporary directories, through the same
// test/support helpers a test file uses when run alone, and returns { env, stop }: env points the tests at the
// servers (SHALEDB_TEST_S3_*, SHALEDB_TEST_AZURE_*), stop() stops exactly the processes started here, by pid.
// A server that cannot start does not stop the run: its suites get SHALEDB_TEST_*_UNAVAILABLE and fail with the
// reason and the install command (they never skip).
import { tsImport } from 'tsx/esm/api';

const SERVERS = [
  {
    name: 'Ceph RGW',
    pattern: /^test\/integration\/.*(s3|rgw)[^/]*$/i,
    module: '../test/support/rgw-server.ts',
    start: 'startRgw',
    unavailable: 'SHALEDB_TEST_S3_UNAVAILABLE',
  },
  {
    name: 'Azurite',
    pattern: /^test\/integration\/.*(azure|azurite)[^/]*$/i,
    module: '../test/support/azurite-server.ts',
    start: 'startAzurite',
    unavailable: 'SHALEDB_TEST_AZURE_UNAVAILABLE',
  },
];

export async function startTestServers(files) {
  const wanted = SERVERS.filter((s) => files.some((f) => s.pattern.test(f.replaceAll('\\', '/'))));
  const started = [];
  const env = {};
  await Promise.all(
    wanted.map(async (s) => {
      const t0 = Date.now();
      try {
        const mod = await tsImport(s.module, import.meta.url);
        const server = await mod[s.start]();
        started.push(server);
        Object.assign(env, server.env);
        console.log(`test servers: ${s.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        env[s.unavailable] = message;
        console.error(`test servers: ${s.name} failed to start; its suites will fail:\n${message}`);
      }
    }),
  );
  return {
    env,
    stop: async () => {
      await Promise.all(
        started.map((s) => s.stop().catch((e) => console.error(`test servers: stop failed: ${e}`))),
      );
    },
  };
}
