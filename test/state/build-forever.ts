// Child process for the SIGKILL test: builds a history that never finishes,
// saying when nodes are on disk.
import { StateSystemBuilder } from '../../src/state/index.js';

const b = new StateSystemBuilder(process.argv[2], 0, { blockSize: 4096 });
const quarks = Array.from({ length: 100 }, (_, i) => b.quark(['a', String(i)]));
let said = false;
for (let t = 1; ; t++) {
  b.modify(quarks[t % 100], t, t);
  if (!said && t > 200_000) {
    process.stdout.write('nodes-written\n');
    said = true;
  }
}
