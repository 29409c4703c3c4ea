// Mutation testing of the core (docs/reliability.md, "Mutation testing"): `npm run test:mutation`.
// Each mutant runs only the test files that reach it (per-file coverage of the tap runner), so
// the files below are each module's own focused tests, a second or two each; the route and
// import suites (seconds to a minute a file, both backends) stay out of the loop.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'tap',
  plugins: ['@stryker-mutator/tap-runner'],
  tap: {
    testFiles: [
      'test/money.test.ts',
      'test/identifiers.test.ts',
      'test/line-identity.test.ts',
      'test/line-decoder.test.ts',
      'test/line-schema.test.ts',
      'test/line-fields.test.ts',
      'test/token-verifier.test.ts',
      'test/continuation-token.test.ts',
      'test/collection-query.test.ts',
      'test/response-cache.test.ts',
      'test/usage-records.test.ts',
      'test/lookup-tables.test.ts',
      'test/sdk-retries.test.ts',
      'test/alert-decisions.test.ts',
      'test/price-rules.test.ts',
      'test/access.test.ts',
      'test/fault-rules.test.ts',
      'test/parse-task.test.ts',
    ],
    nodeArgs: ['-r', '{{hookFile}}', '--import', 'tsx', '{{testFile}}'],
    forceBail: true,
  },
  mutate: [
    'src/money/*.ts',
    'src/contract/exact-json.ts',
    // Who may do what (issue #30).
    'src/contract/access.ts',
    'src/domain/access-grant.ts',
    'src/domain/percent-used.ts',
    'src/domain/usage-records.ts',
    'src/domain/identifiers.ts',
    // isGuid and isCurrencyCode (the date parsers are the importer's field checks, not the core).
    'src/domain/field-syntax.ts:1-11',
    'src/ingest/line-identity.ts',
    'src/storage/identity-table.ts',
    // The decoder's currency and partner rules and the two line formats' rules (guid() to
    // addOwners(), and the two decode() classes): line ranges, to move when the file changes.
    'src/ingest/line-decoder.ts:332-484',
    'src/ingest/line-decoder.ts:571-810',
    // The line schema and every line's fields (issue #27).
    'src/domain/line-schema.ts',
    'src/domain/line-fields.ts',
    'src/server/auth/token-verifier.ts',
    'src/server/auth/authorize.ts',
    'src/server/paging/continuation-token.ts',
    'src/server/collection-query.ts',
    'src/server/response-cache.ts',
    'src/server/bounded-cache.ts',
    // The SDK's request loop, request() to sleep(): retries, Retry-After, backoff, timeouts.
    'src/sdk/client.ts:124-244',
    'src/sdk/errors.ts:155-170',
    // The alert rules (issue #28: moved out of storage as pure functions).
    'src/alerts/alert-decisions.ts',
    // Price rules (issue #29): which rule prices a line, its exact price.
    'src/domain/price-rules.ts',
    // The emulator's fault rules and the request budgets (issue #32): which requests fail, how often.
    'src/server/emulator/fault-rules.ts',
    'src/server/rate-limits.ts',
  ],
  coverageAnalysis: 'perTest',
  // A mutant in module-level code (the line schema's table, lookup tables) runs every test file
  // (~20 s each): ignored. Those tables are checked entry by entry by their own tests
  // (test/line-schema.test.ts against Partner Center's published layouts).
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 5_000,
  thresholds: { high: 90, low: 85, break: 85 },
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['reports', '.bench', 'data', 'bench', '.test-bundles'],
};
