/**
 * A time a bank gave (seconds since 1970) as text. A bank's number can be finite and still outside
 * the dates a `Date` can hold (±8.64e12 s): `toISOString` then throws a RangeError, which turned a
 * kept registration into an internal error. Such a time is named by its value instead.
 */
export function isoTime(seconds: number): string {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? "a time out of any calendar's range" : d.toISOString();
}
