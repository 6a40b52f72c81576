#!/usr/bin/env python3
"""Write test/fixtures/libm.json: inputs and CPython's results for exp, log, **, sin and cos.

Deterministic (seeded). Values are repr() strings ("Infinity", "-Infinity" and "NaN" for the
specials) so JavaScript's Number() reads them back exactly. Where Python raises instead of
returning (overflow, log of 0 or of a negative, 0 ** negative, negative ** fraction) the C99
value glibc returns is recorded. Besides edge cases and random inputs, each function gets
inputs where CPython's result is not the correctly rounded one (glibc is only ~0.5 ulp
accurate), which a correctly rounded implementation would fail. Import this module to draw
larger streams from the same distributions (see inputs()).
"""
import decimal
import json
import math
import os
import random
import sys

POW_YS = [-0.5, -1.5, -2.0, 2.0, 0.5, -1.0]  # the exponents the trainer uses
DECAYS = [0.5, 0.85, 0.9, 0.95, 0.99, 0.999]  # bases raised to a step count


def loguniform(rng, lo_exp, hi_exp):
    return math.ldexp(1 + rng.random(), rng.randint(lo_exp, hi_exp - 1))


def signed(rng, x):
    return -x if rng.random() < 0.5 else x


def random_double(rng, lo_exp=-1074, hi_exp=1023):
    """A positive double with uniformly random exponent and mantissa bits."""
    e = rng.randint(lo_exp, hi_exp)
    if e < -1022:
        return rng.randint(1, 2**52 - 1) * 2.0**-1074
    return math.ldexp(1 + rng.getrandbits(52) / 2**52, e)


def exp_input(rng):
    u = rng.random()
    if u < 0.4:
        return rng.uniform(-750, 710)
    if u < 0.6:
        return rng.uniform(-1, 1)
    if u < 0.7:
        return rng.uniform(-20, 20)
    if u < 0.8:
        return signed(rng, loguniform(rng, -60, 10))
    if u < 0.9:
        return rng.uniform(-745.2, -708)  # subnormal results
    return rng.uniform(700, 709.8)


def log_input(rng):
    u = rng.random()
    if u < 0.3:
        return random_double(rng, -1022, 1023)
    if u < 0.5:
        return rng.uniform(0, 10) or 1.0
    if u < 0.7:
        return rng.uniform(0.9375, 1.0647)  # glibc's separate path near 1
    if u < 0.8:
        return 1 + rng.uniform(-1e-6, 1e-6)
    if u < 0.9:
        return random_double(rng, -1074, -1023)  # subnormal
    return rng.random() or 0.5


def pow_input(rng):
    u = rng.random()
    if u < 0.3:
        return loguniform(rng, -30, 30), rng.choice(POW_YS)
    if u < 0.45:
        return rng.uniform(0, 10) or 1.0, rng.choice(POW_YS)
    if u < 0.6:
        y = float(rng.choice([rng.randint(0, 1000), rng.randint(0, 10**6)]))
        return rng.choice([rng.choice(DECAYS), rng.uniform(0.5, 1)]), y
    if u < 0.75:
        return loguniform(rng, -10, 10), rng.uniform(-50, 50)
    if u < 0.85:
        return -rng.uniform(0.1, 10), float(rng.randint(-30, 30))
    if u < 0.95:
        return random_double(rng), rng.uniform(-3, 3)
    return rng.uniform(0, 2), rng.uniform(-1100, 1100)  # overflow / subnormal results


def c_exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def c_log(x):
    if x == 0:
        return -math.inf
    if x < 0:
        return math.nan
    return math.log(x)


def odd_integer(y):
    return y == math.floor(y) and abs(y) < 2**53 and int(y) % 2 == 1


def c_pow(x, y):
    if -math.inf < x < 0 and math.isfinite(y) and y != math.floor(y):
        return math.nan  # Python goes complex here
    try:
        z = x**y
    except ZeroDivisionError:  # 0 ** negative
        return math.copysign(math.inf, x) if odd_integer(y) else math.inf
    except OverflowError:
        return -math.inf if x < 0 and odd_integer(y) else math.inf
    return z


def angle_input(rng):
    """Angles the trainer takes sin and cos of, then doubles of every size."""
    u = rng.random()
    if u < 0.2:
        return rng.random() * (2 * math.pi)  # random.gauss's Box-Muller angle
    if u < 0.3:
        steps = rng.randint(1, 100000)
        return math.pi * (rng.randint(0, steps) / steps)  # the cosine schedule
    if u < 0.45:
        hd = 2 * rng.randint(1, 64)  # RoPE: position * theta^(-2i/hd)
        theta = rng.choice([10000.0, 500000.0, rng.uniform(1, 1e6)])
        return rng.randint(0, 1 << 16) * theta ** (-2 * rng.randint(0, hd // 2 - 1) / hd)
    if u < 0.6:
        return rng.uniform(-10, 10)
    if u < 0.7:  # a few ulps from a multiple of pi/2, where reduction cancels most bits
        return rng.randint(-10**6, 10**6) * (math.pi / 2) * (1 + rng.randint(-4, 4) * 2.0**-52)
    if u < 0.8:
        return signed(rng, loguniform(rng, -40, 2))
    if u < 0.9:
        return signed(rng, loguniform(rng, 2, 64))
    return signed(rng, random_double(rng))


FUNCS = {'exp': (c_exp, exp_input), 'log': (c_log, log_input), 'pow': (c_pow, pow_input),
         'sin': (math.sin, angle_input), 'cos': (math.cos, angle_input)}

SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 5e-324, -5e-324,
           2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308]
EDGES = {
    'exp': SPECIAL + [709.782712893384, 709.7827128933841, -745.1332191019411,
                      -745.1332191019412, -708.3964185322641, 512.0, -512.0, 1024.0, -1024.0,
                      2**-54, -2**-54, 2**-53, 0.5 * math.log(2) / 128, 1e-300, 88.0, -88.0],
    'log': SPECIAL + [0.9375, 1.064697265625, 1.0647, 1 - 2**-53, 1 + 2**-52, 2.0, 0.5, math.e,
                      10.0, 2**-1022, 2**-1074 * 3, 0.6875, 1.375],
    'pow': [(x, y) for x in SPECIAL + [0.5, 2.0, -2.0, 0.85]
            for y in [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 3.0, -3.0, 1.5, math.inf,
                      -math.inf, math.nan, 2**-70, 2**64, -2**64, 1e6]],
}
# sin and cos of infinities are NaN in C (Python raises), and reduction's edges
TRIG_EDGES = [0.0, -0.0, math.nan, math.inf, -math.inf, 1.0, -1.0, 5e-324, -5e-324, 2.2250738585072014e-308,
              1.7976931348623157e308, -1.7976931348623157e308, 2**-27, 2**-26, 0.3, 0.78125,
              math.pi / 4, math.pi / 2, math.pi, 3 * math.pi / 4, 2 * math.pi, 2**19 * math.pi / 2,
              2**20 * math.pi / 2, 2**20 * math.pi / 2 * (1 + 2**-52), 2**52, 2**53 + 2, 1e22,
              6381956970095103 * 2.0**797]  # the double nearest a multiple of pi/2, relatively
EDGES['sin'] = EDGES['cos'] = TRIG_EDGES


DEC = decimal.Context(prec=50)


def correctly_rounded(name, arg):
    """The correctly rounded result, for the inputs misrounded() draws."""
    if name == 'exp':
        return float(DEC.exp(decimal.Decimal(arg)))
    x, y = arg  # pow
    return {2.0: x * x, 0.5: math.sqrt(x), -1.0: 1 / x}[y]  # IEEE ops round correctly


def misrounded(name, rng, count):
    """Inputs where CPython's result differs from the correctly rounded one."""
    found = []
    while len(found) < count:
        if name == 'exp':
            arg = rng.uniform(-700, 700)
        else:
            arg = (loguniform(rng, -30, 30), [2.0, 0.5, -1.0][len(found) % 3])
        if expected(name, arg) != correctly_rounded(name, arg):
            found.append(arg)
    return found


def inputs(name, rng, n):
    """n random inputs for function `name` (numbers; (x, y) pairs for pow)."""
    draw = FUNCS[name][1]
    return [draw(rng) for _ in range(n)]


def expected(name, arg):
    if name in ('sin', 'cos') and math.isinf(arg):
        return math.nan
    f = FUNCS[name][0]
    return f(*arg) if name == 'pow' else f(arg)


def js(v):
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return 'Infinity' if v > 0 else '-Infinity'
    return repr(v)


def main():
    rng = random.Random(20240607)
    per_function = 2000
    lines = []
    for name in FUNCS:
        cases = EDGES[name] + inputs(name, rng, per_function)
        if name in ('exp', 'pow'):  # glibc's log misrounds only ~4 in 10^6 inputs
            cases += misrounded(name, rng, 30)
        rows = []
        for arg in cases:
            args = list(arg) if name == 'pow' else [arg]
            rows.append(json.dumps([js(a) for a in args] + [js(expected(name, arg))]))
        lines.append(f'"{name}": [\n' + ',\n'.join(rows) + '\n]')
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = os.path.join(root, 'test', 'fixtures', 'libm.json')
    with open(out, 'w') as f:
        f.write('{\n' + ',\n'.join(lines) + '\n}\n')
    print(f'wrote {out}', file=sys.stderr)


if __name__ == '__main__':
    main()
