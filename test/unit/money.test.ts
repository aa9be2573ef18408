import { CURRENCY_DIGITS, formatMoney, isMinorUnits, isSupportedCurrency } from '../../workflows/money';

describe('formatMoney', () => {
  it('formats two-digit currencies with thousands separators', () => {
    expect(formatMoney(120000, 'USD')).toBe('1,200.00 USD');
    expect(formatMoney(123456789, 'EUR')).toBe('1,234,567.89 EUR');
    expect(formatMoney(100000, 'GBP')).toBe('1,000.00 GBP');
    expect(formatMoney(99999, 'USD')).toBe('999.99 USD');
  });

  it('formats amounts below one major unit with a leading zero and padded fraction', () => {
    expect(formatMoney(5, 'USD')).toBe('0.05 USD');
    expect(formatMoney(50, 'USD')).toBe('0.50 USD');
    expect(formatMoney(99, 'CNY')).toBe('0.99 CNY');
    expect(formatMoney(0, 'USD')).toBe('0.00 USD');
  });

  it('formats zero-digit currencies without a fraction', () => {
    expect(formatMoney(1200, 'JPY')).toBe('1,200 JPY');
    expect(formatMoney(5, 'JPY')).toBe('5 JPY');
    expect(formatMoney(0, 'KRW')).toBe('0 KRW');
    expect(formatMoney(1234567, 'VND')).toBe('1,234,567 VND');
  });

  it('formats negative amounts with a leading minus sign', () => {
    expect(formatMoney(-5, 'USD')).toBe('-0.05 USD');
    expect(formatMoney(-123456, 'USD')).toBe('-1,234.56 USD');
    expect(formatMoney(-1200, 'JPY')).toBe('-1,200 JPY');
  });

  it('formats large amounts', () => {
    expect(formatMoney(1_000_000_000_00, 'USD')).toBe('1,000,000,000.00 USD');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD')).toBe('90,071,992,547,409.91 USD');
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'JPY')).toBe('9,007,199,254,740,991 JPY');
  });

  it('falls back to two digits for an unknown currency', () => {
    expect(formatMoney(12345, 'XYZ')).toBe('123.45 XYZ');
  });
});

describe('isSupportedCurrency', () => {
  it('accepts every listed currency', () => {
    for (const code of ['USD', 'EUR', 'JPY', 'KRW', 'VND', 'CNY']) expect(isSupportedCurrency(code)).toBe(true);
    for (const code of Object.keys(CURRENCY_DIGITS)) expect(isSupportedCurrency(code)).toBe(true);
  });

  it('rejects unknown, lower-case and empty codes', () => {
    expect(isSupportedCurrency('XYZ')).toBe(false);
    expect(isSupportedCurrency('usd')).toBe(false);
    expect(isSupportedCurrency('')).toBe(false);
    expect(isSupportedCurrency('USDX')).toBe(false);
  });

  it('rejects Object.prototype property names', () => {
    expect(isSupportedCurrency('toString')).toBe(false);
    expect(isSupportedCurrency('constructor')).toBe(false);
    expect(isSupportedCurrency('__proto__')).toBe(false);
    expect(isSupportedCurrency('hasOwnProperty')).toBe(false);
  });
});

describe('isMinorUnits', () => {
  it('accepts safe integers, including zero, negatives and the safe bounds', () => {
    expect(isMinorUnits(0)).toBe(true);
    expect(isMinorUnits(1)).toBe(true);
    expect(isMinorUnits(-250)).toBe(true);
    expect(isMinorUnits(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(isMinorUnits(Number.MIN_SAFE_INTEGER)).toBe(true);
  });

  it('rejects floats, NaN and infinities', () => {
    expect(isMinorUnits(1.5)).toBe(false);
    expect(isMinorUnits(0.1)).toBe(false);
    expect(isMinorUnits(NaN)).toBe(false);
    expect(isMinorUnits(Infinity)).toBe(false);
    expect(isMinorUnits(-Infinity)).toBe(false);
  });

  it('rejects unsafe integers', () => {
    expect(isMinorUnits(Number.MAX_SAFE_INTEGER + 1)).toBe(false);
    expect(isMinorUnits(Number.MIN_SAFE_INTEGER - 1)).toBe(false);
    expect(isMinorUnits(1e20)).toBe(false);
  });

  it('rejects non-numbers', () => {
    expect(isMinorUnits('100')).toBe(false);
    expect(isMinorUnits('')).toBe(false);
    expect(isMinorUnits(null)).toBe(false);
    expect(isMinorUnits(undefined)).toBe(false);
    expect(isMinorUnits(BigInt(100))).toBe(false);
    expect(isMinorUnits(new Number(100))).toBe(false);
  });
});
