/**
 * Money is an integer number of minor units (cents, fen, yen) with an ISO 4217 currency.
 * Pure module: safe to import from workflows and from the API.
 */
export interface Money {
  amount: number;
  currency: string;
}

/** Minor-unit digits of the currencies TradeGuard settles in. */
export const CURRENCY_DIGITS: Readonly<Record<string, number>> = {
  USD: 2,
  EUR: 2,
  GBP: 2,
  CNY: 2,
  HKD: 2,
  CAD: 2,
  AUD: 2,
  SGD: 2,
  CHF: 2,
  INR: 2,
  MXN: 2,
  BRL: 2,
  JPY: 0,
  KRW: 0,
  VND: 0,
};

export function isSupportedCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_DIGITS, code);
}

export function isMinorUnits(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

/** "1,200.00 USD": what a person reads in a refusal or an email. */
export function formatMoney(amount: number, currency: string): string {
  const digits = CURRENCY_DIGITS[currency] ?? 2;
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const scale = 10 ** digits;
  const whole = Math.floor(abs / scale);
  const fraction = abs % scale;
  const wholeText = whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const text = digits > 0 ? `${wholeText}.${fraction.toString().padStart(digits, '0')}` : wholeText;
  return `${negative ? '-' : ''}${text} ${currency}`;
}
