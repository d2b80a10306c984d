/** A free TCP port on loopback, asked of the kernel (in a child process, so callers stay synchronous). */
import { execFileSync } from 'node:child_process';

export function freePort(): number {
  const out = execFileSync(process.execPath, ['-e', "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: 'utf8' });
  return Number(out.trim());
}
