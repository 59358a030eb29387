import { describeMultipartUploadContract } from '@refinery/port-contracts/src/multipart-upload';
import { describeObjectStoreContract, fetchPresignedOverHttp } from '@refinery/port-contracts/src/object-store';
import { describeObjectStoreComposeContract } from '@refinery/port-contracts/src/object-store-compose';
import { describeTableContract } from '@refinery/port-contracts/src/table';
import { openDatabase } from '../src/database';
import { LocalHttpGateway } from '../src/http-gateway';
import { LocalRuntime } from '../src/local-runtime';
import { LocalTable } from '../src/local-table';
import { tempDir } from './helpers';

// The local family of the object-store and table contracts (libs/aws-adapters runs the same suites against emulators).
// Presigned URLs are served the way the local mode serves them: by the runtime's HTTP gateway on a real port.

/** A LocalObjectStore whose presigned URLs the gateway serves, on a data dir of its own. */
async function storeBehindGateway() {
  const dir = tempDir();
  const runtime = await LocalRuntime.open({ dataDir: dir.path });
  const gateway = new LocalHttpGateway(runtime);
  await gateway.listen(0);
  return {
    store: runtime.objects,
    bucket: 'contract-bucket',
    fetchPresigned: fetchPresignedOverHttp,
    cleanup: async () => {
      await gateway.close();
      await runtime.close();
      dir.cleanup();
    },
  };
}

describeObjectStoreContract('LocalObjectStore behind the local HTTP gateway', storeBehindGateway);

describeMultipartUploadContract('LocalObjectStore behind the local HTTP gateway', storeBehindGateway);

describeObjectStoreComposeContract('LocalObjectStore', storeBehindGateway);

describeTableContract('LocalTable on SQLite', async () => {
  const db = openDatabase(':memory:');
  return {
    table: new LocalTable(db, 'contract'),
    cleanup: async () => {
      db.close();
    },
  };
});
