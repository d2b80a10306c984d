/** C printf's `%g` (precision 6) for doubles, as babeltrace2 prints floats. */

export function formatG(x: number): string {
  if (Number.isNaN(x)) return signBit(x) ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const exp = x.toExponential(5); // d.ddddde±X, rounded like printf except on exact ties
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  if (e >= -4 && e < 6) return stripZeros(x.toFixed(5 - e));
  const [mant] = exp.split('e');
  const ae = Math.abs(e);
  return `${stripZeros(mant)}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

const view = new DataView(new ArrayBuffer(8));

function signBit(x: number): boolean {
  view.setFloat64(0, x);
  return (view.getUint8(0) & 0x80) !== 0;
}
