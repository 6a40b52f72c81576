// exp, log and pow returning exactly what CPython's math module and float ** return on
// x86-64 Linux: ports of glibc 2.36's FMA code paths (which come from Arm's
// optimized-routines, MIT OR Apache-2.0), not correctly rounded functions, because glibc
// itself misrounds ~0.1% of results and bit-identity with Python is the goal.
// sin and cos are fdlibm's, i.e. Node 20's Math.sin and Math.cos (glibc's come from IBM code
// we cannot relicense, see README), so that every engine, including a browser's, agrees.

export { exp } from './exp.js';
export { log } from './log.js';
export { pow } from './pow.js';
export { sin, cos } from './sin-cos.js';
