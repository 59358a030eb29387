import { createTestPorts } from '@refinery/test-support';
import { describeKeyedLimiterSuite } from './limiter-suite';

// The suite on LocalTable (SQLite in a temporary data dir), as the local mode runs it.

describeKeyedLimiterSuite('LocalTable (SQLite)', async () => {
  const ports = createTestPorts();
  return {
    table: ports.table('limiter'),
    dump: async () => JSON.stringify(ports.db.prepare('SELECT * FROM items').all()),
    cleanup: async () => ports.cleanup(),
  };
});
