// The enrollment rules, in the browser. Same rules and same error codes as the API
// (wattdesk.domain: ean, iban, vat_number, postcodes, contact; enrollment_rules), so a customer
// sees a problem before sending; the API stays the authority and its 400 answers are shown the
// same way (tests/e2e/test_enrollment_form.py and, for phone numbers, test_enrollment_pages.py
// compare these functions with the Python domain).
//
// Every validator returns null (valid) or an error code such as "ean.check_digit".
// Field paths are the contract's dotted paths ("delivery_points[0].ean"), as in the API's errors.

// Python's str.isspace() / re's \s: what the domain strips and removes (wider than JS's \s on
// some control characters, narrower on U+FEFF).
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'g');
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/** Python's str.strip(). */
export function pyStrip(value) {
  return String(value ?? '').replace(PY_STRIP, '');
}

// ---------------------------------------------------------------------------------------------
// EAN (GSRN) of a delivery point: wattdesk.domain.ean.validate_ean

const EAN_SEPARATORS = new RegExp(`[${PY_SPACE}\\-.]`, 'g');

export function compactEan(value) {
  return String(value ?? '').replace(EAN_SEPARATORS, '');
}

/** GS1 mod-10 check digit of a digit string: weights 3,1,3,... from the right. */
export function gs1CheckDigit(digits) {
  let sum = 0;
  for (let i = 0; i < digits.length; i += 1) {
    const digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return String((10 - (sum % 10)) % 10);
}

export function validateEan(value) {
  const ean = compactEan(value);
  if (!/^[0-9]{18}$/.test(ean)) return 'ean.format';
  if (!ean.startsWith('54')) return 'ean.prefix';
  if (gs1CheckDigit(ean.slice(0, 17)) !== ean[17]) return 'ean.check_digit';
  return null;
}

export const isValidEan = (value) => validateEan(value) === null;

// ---------------------------------------------------------------------------------------------
// IBAN: wattdesk.domain.iban.validate_iban (schwifty: structure, country length, BBAN format,
// ISO 13616 mod-97; then SEPA zone; for Belgium also the national mod-97 check).

// Country: IBAN length, BBAN format (SWIFT notation: n digits, a upper-case letters,
// c alphanumerics, e space; "!" = fixed length), S = in the SEPA zone. Copied from schwifty's
// registry; the e2e test checks the copy against it.
const IBAN_REGISTRY = `
AD:24:4!n4!n12!c:S AE:23:3!n16!n AL:28:8!n16!c AO:25:21!n AT:20:5!n11!n:S AX:18:3!n11!n:S
AZ:28:4!a20!c BA:20:3!n3!n8!n2!n BE:16:3!n7!n2!n:S BF:28:2!c22!n BG:22:4!a4!n2!n8!c:S
BH:22:4!a14!c BI:27:5!n5!n11!n2!n BJ:28:2!c22!n BL:27:5!n5!n11!c2!n:S BR:29:8!c5!n10!n1!c1!c
BY:28:4!c4!n16!c CF:27:23!n CG:27:23!n CH:21:5!n12!c:S CI:28:2!a22!n CM:27:23!n CR:22:4!n14!n
CV:25:21!n CY:28:3!n5!n16!c:S CZ:24:4!n6!n10!n:S DE:22:8!n10!n:S DJ:27:23!n DK:18:4!n9!n1!n:S
DO:28:4!c20!n DZ:26:22!n EE:20:2!n2!n11!n1!n:S EG:29:4!n4!n17!n ES:24:4!n4!n1!n1!n10!n:S
FI:18:3!n11!n:S FK:18:2!a12!n FO:18:4!n9!n1!n FR:27:5!n5!n11!c2!n:S GA:27:23!n GB:22:4!a6!n8!n:S
GE:22:2!a16!n GF:27:5!n5!n11!c2!n:S GG:22:4!a6!n8!n:S GI:23:4!a15!c:S GL:18:4!n9!n1!n
GP:27:5!n5!n11!c2!n:S GQ:27:23!n GR:27:3!n4!n16!c:S GT:28:4!c20!c GW:25:2!c19!n HN:28:4!a20!n
HR:21:7!n10!n:S HU:28:3!n4!n1!n15!n1!n:S IE:22:4!a6!n8!n:S IL:23:3!n3!n13!n IM:22:4!a6!n8!n:S
IQ:23:4!a3!n12!n IR:26:22!n IS:26:4!n2!n6!n10!n:S IT:27:1!a5!n5!n12!c:S JE:22:4!a6!n8!n:S
JO:30:4!a4!n18!c KM:27:23!n KW:30:4!a22!c KZ:20:3!n13!c LB:28:4!n20!c LC:32:4!a24!c
LI:21:5!n12!c:S LT:20:5!n11!n:S LU:20:3!n13!c:S LV:21:4!a13!c:S LY:25:3!n3!n15!n MA:28:24!n
MC:27:5!n5!n11!c2!n:S MD:24:2!c18!c ME:22:3!n13!n2!n MF:27:5!n5!n11!c2!n:S MG:27:23!n
MK:19:3!n10!c2!n ML:28:2!c22!n MN:20:4!n12!n MQ:27:5!n5!n11!c2!n:S MR:27:5!n5!n11!n2!n
MT:31:4!a5!n18!c:S MU:30:4!a2!n2!n12!n3!n3!a MZ:25:21!n NC:27:5!n5!n11!c2!n:S NE:28:2!a22!n
NI:28:4!a20!n NL:18:4!a10!n:S NO:15:4!n6!n1!n:S OM:23:3!n16!c PF:27:5!n5!n11!c2!n:S
PK:24:4!a16!c PL:28:8!n16!n:S PM:27:5!n5!n11!c2!n:S PS:29:4!a21!c PT:25:4!n4!n11!n2!n:S
QA:29:4!a21!c RE:27:5!n5!n11!c2!n:S RO:24:4!a16!c:S RS:22:3!n13!n2!n RU:33:9!n5!n15!c
SA:24:2!n18!c SC:31:4!a2!n2!n16!n3!a SD:18:2!n12!n SE:24:3!n16!n1!n:S SI:19:5!n8!n2!n:S
SK:24:4!n6!n10!n:S SM:27:1!a5!n5!n12!c:S SN:28:2!a22!n SO:23:4!n3!n12!n ST:25:4!n4!n11!n2!n
SV:28:4!a20!n TD:27:23!n TF:27:5!n5!n11!c2!n:S TG:28:2!a3!n5!n12!n2!n TL:23:3!n14!n2!n
TN:24:2!n3!n13!n2!n TR:26:5!n1!n16!c UA:29:6!n19!c VA:22:3!n15!n:S VG:24:4!a16!n
WF:27:5!n5!n11!c2!n:S XK:20:4!n10!n2!n YE:30:4!a4!n18!c YT:27:5!n5!n11!c2!n:S
`;

const SPEC_CLASS = { n: '[0-9]', a: '[A-Z]', c: '[A-Za-z0-9]', e: ' ' };

function bbanRegex(spec) {
  const body = spec.replace(/(\d+)(!)?([nace])/g, (_, count, fixed, kind) => `${SPEC_CLASS[kind]}${fixed ? `{${count}}` : `{1,${count}}`}`);
  return new RegExp(`^${body}$`);
}

export const IBAN_SPECS = Object.fromEntries(
  IBAN_REGISTRY.trim().split(/\s+/).map((entry) => {
    const [country, length, spec, sepa] = entry.split(':');
    return [country, { length: Number(length), bban: spec, sepa: sepa === 'S', regex: bbanRegex(spec) }];
  }),
);

/** Remainder of a long digit string modulo 97, without big integers. */
function mod97(digits) {
  let remainder = 0;
  for (let i = 0; i < digits.length; i += 7) remainder = Number(String(remainder) + digits.slice(i, i + 7)) % 97;
  return remainder;
}

/** Letters A=10 ... Z=35, digits as they are. */
function numerify(text) {
  return [...text].map((ch) => parseInt(ch, 36).toString()).join('');
}

export function compactIban(value) {
  return String(value ?? '').replace(PY_SPACE_RUN, '').toUpperCase();
}

export function validateIban(value) {
  const iban = compactIban(value);
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]+$/.test(iban)) return 'iban.invalid';
  const spec = IBAN_SPECS[iban.slice(0, 2)];
  if (!spec || iban.length !== spec.length) return 'iban.invalid';
  const bban = iban.slice(4);
  if (!spec.regex.test(bban)) return 'iban.invalid';
  // ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1.
  if (mod97(numerify(bban + iban.slice(0, 4))) !== 1) return 'iban.invalid';
  if (!spec.sepa) return 'iban.not_sepa';
  if (iban.startsWith('BE')) {
    // Belgian account number: the first 10 digits mod 97 (0 counts as 97) are the last 2.
    const check = Number(bban.slice(0, 10)) % 97 || 97;
    if (check !== Number(bban.slice(10, 12))) return 'iban.be_national_check';
  }
  return null;
}

export const isValidIban = (value) => validateIban(value) === null;

export function formatIban(value) {
  return compactIban(value).replace(/(.{4})(?=.)/g, '$1 ');
}

// ---------------------------------------------------------------------------------------------
// Belgian VAT / enterprise number: wattdesk.domain.vat_number.validate_be_vat (python-stdnum
// stdnum.be.vat: separators " -./" and their Unicode look-alikes removed, "BE" and "(0)"
// accepted, the old 9-digit form padded; 10 digits, first 0 or 1, 97 - (first 8 mod 97) = last 2).

const STDNUM_LOOKALIKES = (() => {
  const map = new Map();
  const add = (target, chars) => { for (const ch of chars) map.set(ch, target); };
  add(' ', '\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000');
  add('-', '\u00af\u02d7\u058a\u05be\u1680\u180a\u2010\u2011\u2012\u2013\u2014\u2015\u203e\u2043\u207b\u208b\u2212\u23af\u23ba\u23bb\u23bc\u23bd\u23e4\ufe63\uff0d\uffe3');
  add('.', '\u00b7\u02d9\u0387\u06d4\u0701\u0702\u0830\u0f0b\u0f0c\u16eb\u2022\u2024\u2027\u2219\u22c5\u2e31\u2e33\u3002\u30fb\ufbb2\ufbb3\ufe52\uff0e\uff65\u{10101}\u{1091f}\u{10a50}');
  add('/', '\u083c\u2044\u2215\u27cb\u29f8\uff0f');
  for (let digit = 0; digit <= 9; digit += 1) {
    // Fullwidth digits and the five mathematical digit alphabets (bold ... monospace).
    map.set(String.fromCodePoint(0xff10 + digit), String(digit));
    for (let alphabet = 0; alphabet < 5; alphabet += 1) map.set(String.fromCodePoint(0x1d7ce + alphabet * 10 + digit), String(digit));
  }
  return map;
})();

/** stdnum.be.vat.compact: the 10 digits (if it looks like a number at all). */
export function compactVat(value) {
  let number = [...String(value ?? '')].map((ch) => STDNUM_LOOKALIKES.get(ch) ?? ch).filter((ch) => !' -./'.includes(ch)).join('');
  number = pyStrip(number.toUpperCase());
  if (number.startsWith('BE')) number = number.slice(2);
  if (number.startsWith('(0)')) number = `0${number.slice(3)}`;
  if (number.length === 9) number = `0${number}`;
  return number;
}

export function validateVat(value) {
  const number = compactVat(value);
  if (!/^[0-9]+$/.test(number) || /^0+$/.test(number)) return 'vat.invalid';
  if (number.length !== 10) return 'vat.invalid';
  if (number[0] !== '0' && number[0] !== '1') return 'vat.invalid';
  if ((Number(number.slice(0, 8)) + Number(number.slice(8))) % 97 !== 0) return 'vat.invalid';
  return null;
}

export const isValidVat = (value) => validateVat(value) === null;

// ---------------------------------------------------------------------------------------------
// Postcode: wattdesk.domain.postcodes.validate_postcode ("1000", "B-1000", "BE-1000", "be 1000").

const POSTCODE_RE = new RegExp(`^(?:BE?-?[${PY_SPACE}]*)?([0-9]{4})$`, 'i');

/** The 4 digits, or null when the value is not shaped like a postcode. */
export function compactPostcode(value) {
  const match = POSTCODE_RE.exec(pyStrip(value));
  return match ? match[1] : null;
}

export function validatePostcode(value, postcodes) {
  const code = compactPostcode(value);
  if (code === null) return 'postcode.format';
  if (!Object.hasOwn(postcodes, code)) return 'postcode.unknown';
  return null;
}

export const isValidPostcode = (value, postcodes) => validatePostcode(value, postcodes) === null;

// ---------------------------------------------------------------------------------------------
// E-mail: wattdesk.domain.contact.validate_email

const EMAIL_LOCAL = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*";
const EMAIL_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL_TLD = '(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})';
const EMAIL_RE = new RegExp(`^(${EMAIL_LOCAL})@((?:${EMAIL_LABEL}\\.)+${EMAIL_TLD})$`);

export function validateEmail(value) {
  const address = pyStrip(value);
  const match = EMAIL_RE.exec(address);
  if (!match || address.length > 254 || match[1].length > 64) return 'email.invalid';
  return null;
}

export const isValidEmail = (value) => validateEmail(value) === null;

// ---------------------------------------------------------------------------------------------
// Phone: wattdesk.domain.contact.validate_phone(value, "BE"), i.e. libphonenumber's parse() with
// the default region BE, then is_valid_number(). The parse steps below follow phonenumbers'
// phonenumberutil.parse (9.0.x) one by one, with Belgium's metadata (the e2e test compares the
// patterns and the metadata with the library), so the browser accepts exactly the Belgian
// numbers the API accepts: national (0470 12 34 56, 02 223 45 67, also without the 0),
// international (+32 ..., 0032 ..., 32 ... when too long to be national, "+32 (0)4..."),
// with the punctuation, extensions ("ext. 12") and leading text ("Tel.") the library ignores.
// Numbers of other countries only get a length check: country code and number together 7 to
// 15 digits (E.164); the API, with every country's numbering plan, is stricter there.

// Belgium in libphonenumber's metadata: national number patterns and their possible lengths.
export const BE_PHONE_METADATA = {
  country_code: 32,
  international_prefix: '00',
  national_prefix_for_parsing: '0',
  general_desc: { pattern: '4\\d{8}|[1-9]\\d{7}', lengths: [8, 9] },
  types: {
    fixed_line: { pattern: '80[2-8]\\d{5}|(?:1[0-69]|[23][2-8]|4[23]|5\\d|6[013-57-9]|71|8[1-79]|9[2-4])\\d{6}', lengths: [8] },
    mobile: { pattern: '4[5-9]\\d{7}', lengths: [9] },
    toll_free: { pattern: '800[1-9]\\d{4}', lengths: [8] },
    premium_rate: { pattern: '(?:70(?:2[0-57]|3[04-7]|44|6[04-69]|7[0579])|90\\d\\d)\\d{4}', lengths: [8] },
    shared_cost: { pattern: '7879\\d{4}', lengths: [8] },
    uan: { pattern: '78(?:0[578]|1[014-8]|2[25]|3[15-8]|48|5[05]|60|7[06-8]|9\\d)\\d{4}', lengths: [8] },
  },
};

// libphonenumber's parsing patterns, built as in phonenumberutil.py (\d is Unicode there: \p{Nd}).
const PN_DIGITS = '\\p{Nd}';
const PN_PLUS_CHARS = '+\uFF0B';
const PN_PUNCTUATION = '-x\u2010-\u2015\u2212\u30FC\uFF0D-\uFF0F \u00A0\u00AD\u200B\u2060\u3000()\uFF08\uFF09\uFF3B\uFF3D.\\[\\]/~\u2053\u223C\uFF5E';
const PN_ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function extnPatternsForParsing() {
  const digits = (max) => `(${PN_DIGITS}{1,${max}})`;
  const separatorsBeforeLabel = '[ \u00A0\\t,]*';
  const charsAfterLabel = '[:\\.\uFF0E]?[ \u00A0\\t,-]*';
  const explicitLabels = '(?:e?xt(?:ensi(?:o\u0301?|\u00F3))?n?|\uFF45?\uFF58\uFF54\uFF4E?|\u0434\u043E\u0431|anexo)';
  const ambiguousLabels = '(?:[x\uFF58#\uFF03~\uFF5E]|int|\uFF49\uFF4E\uFF54)';
  const separatorsNoComma = '[ \u00A0\\t]*';
  return [
    `;ext=${digits(20)}`,
    `${separatorsBeforeLabel}${explicitLabels}${charsAfterLabel}${digits(20)}#?`,
    `${separatorsBeforeLabel}${ambiguousLabels}${charsAfterLabel}${digits(9)}#?`,
    `[- ]+${digits(6)}#`,
    `${separatorsNoComma}(?:,{2}|;)${charsAfterLabel}${digits(15)}#?`,
    `${separatorsNoComma}(?:,)+${charsAfterLabel}${digits(9)}#?`,
  ].join('|');
}

export const PHONE_PATTERNS = {
  valid_phone_number: `${PN_DIGITS}{2}|[${PN_PLUS_CHARS}]*(?:[${PN_PUNCTUATION}*]*${PN_DIGITS}){3,}[${PN_PUNCTUATION}*${PN_ALPHA}${PN_DIGITS}]*`,
  extn_for_parsing: extnPatternsForParsing(),
};

const PN_VALID_START = new RegExp(`[${PN_PLUS_CHARS}${PN_DIGITS}]`, 'u');
const PN_UNWANTED_END = /(?:_|[^#\p{L}\p{N}_])+$/u; // Python's (?:_|[^#\w])+$
const PN_SECOND_NUMBER = /[\\/] *x/u;
const PN_VIABLE = new RegExp(`^(?:${PHONE_PATTERNS.valid_phone_number}(?:${PHONE_PATTERNS.extn_for_parsing})?)$`, 'iu');
const PN_EXTENSION = new RegExp(`(?:${PHONE_PATTERNS.extn_for_parsing})$`, 'iu');
const PN_LEADING_PLUS = new RegExp(`^[${PN_PLUS_CHARS}]+`, 'u');
const PN_ALPHA_PHONE = /^(?:[^\n]*?[A-Za-z]){3}[^\n]*$/u;
const PN_KEYPAD = { A: 2, B: 2, C: 2, D: 3, E: 3, F: 3, G: 4, H: 4, I: 4, J: 5, K: 5, L: 5, M: 6, N: 6, O: 6, P: 7, Q: 7, R: 7, S: 7, T: 8, U: 8, V: 8, W: 9, X: 9, Y: 9, Z: 9 };
const IS_DECIMAL = /^\p{Nd}$/u;
const PHONE_CONTEXT = ';phone-context=';

/** The value of a decimal digit of any script (Unicode keeps them in runs of ten, 0 to 9). */
function decimalValue(ch) {
  const code = ch.codePointAt(0);
  let start = code;
  while (start > 0 && IS_DECIMAL.test(String.fromCodePoint(start - 1))) start -= 1;
  return (code - start) % 10;
}

/** phonenumbers' _normalize: keypad letters when there are 3 or more letters, else digits only. */
function normalizePhoneDigits(text) {
  const alpha = PN_ALPHA_PHONE.test(text);
  let digits = '';
  for (const ch of text) {
    if (alpha) {
      if (ch >= '0' && ch <= '9') digits += ch;
      else if (PN_KEYPAD[ch.toUpperCase()] !== undefined) digits += PN_KEYPAD[ch.toUpperCase()];
    } else if (IS_DECIMAL.test(ch)) {
      digits += decimalValue(ch);
    }
  }
  return digits;
}

const fullMatch = (pattern, text) => new RegExp(`^(?:${pattern})$`, 'u').test(text);
const matchesDesc = (number, desc) => fullMatch(desc.pattern, number);

/** _test_number_length against Belgium's possible lengths. */
function belgianLength(number) {
  const lengths = BE_PHONE_METADATA.general_desc.lengths;
  if (number.length < lengths[0]) return 'too_short';
  if (number.length > lengths[lengths.length - 1]) return 'too_long';
  return lengths.includes(number.length) ? 'possible' : 'invalid_length';
}

/** _maybe_strip_national_prefix_carrier_code for Belgium: a leading 0. */
function stripBelgianTrunk(number) {
  const general = BE_PHONE_METADATA.general_desc;
  if (number === '' || !number.startsWith(BE_PHONE_METADATA.national_prefix_for_parsing)) return number;
  const rest = number.slice(BE_PHONE_METADATA.national_prefix_for_parsing.length);
  if (matchesDesc(number, general) && !matchesDesc(rest, general)) return number;
  return rest;
}

/** _build_national_number_for_parsing: the RFC 3966 form (tel:...;phone-context=...) or the number in the text. */
function phoneNumberInText(value) {
  const contextAt = value.indexOf(PHONE_CONTEXT);
  let number;
  if (contextAt !== -1) {
    const start = contextAt + PHONE_CONTEXT.length;
    const end = value.indexOf(';', start);
    const context = start >= value.length ? '' : value.slice(start, end === -1 ? undefined : end);
    const global = context.startsWith('+') && /^[\p{Nd}\-.()]*$/u.test(context.slice(1)) && /\p{Nd}/u.test(context);
    const label = '[A-Za-z\\p{Nd}](?:[A-Za-z\\p{Nd}-]*[A-Za-z\\p{Nd}])?';
    const domain = new RegExp(`^(?:${label}\\.)*[A-Za-z](?:[A-Za-z\\p{Nd}-]*[A-Za-z\\p{Nd}])?\\.?$`, 'u').test(context);
    if (!global && !domain) return null;
    const tel = value.indexOf('tel:');
    number = (context.startsWith('+') ? context : '') + value.slice(tel >= 0 ? tel + 4 : 0, contextAt);
  } else {
    const start = PN_VALID_START.exec(value);
    if (!start) return '';
    number = value.slice(start.index);
    const end = PN_UNWANTED_END.exec(number);
    if (end) number = number.slice(0, end.index);
    const second = PN_SECOND_NUMBER.exec(number);
    if (second) number = number.slice(0, second.index);
  }
  const isdn = number.indexOf(';isub=');
  return isdn > 0 ? number.slice(0, isdn) : number;
}

const isViablePhone = (text) => [...text].length >= 2 && PN_VIABLE.test(text);

/**
 * _maybe_extract_country_code with the default region BE: {country: 'BE'|'foreign'|null, national}
 * (null: a + or 00 followed by no usable country code).
 */
function phoneCountry(text, { afterPlus = false } = {}) {
  const plus = PN_LEADING_PLUS.exec(text);
  let digits;
  if (plus) {
    digits = normalizePhoneDigits(text.slice(plus[0].length));
  } else {
    digits = normalizePhoneDigits(text);
    const idd = BE_PHONE_METADATA.international_prefix;
    if (!(digits.startsWith(idd) && digits[idd.length] !== '0')) {
      // No international prefix: national, unless it starts with 32 and only makes sense without it.
      const code = String(BE_PHONE_METADATA.country_code);
      if (digits.startsWith(code)) {
        const general = BE_PHONE_METADATA.general_desc;
        const national = stripBelgianTrunk(digits.slice(code.length));
        if ((!matchesDesc(digits, general) && matchesDesc(national, general)) || belgianLength(digits) === 'too_long') {
          return { country: 'BE', national };
        }
      }
      return afterPlus ? { country: null } : { country: 'BE', national: digits };
    }
    digits = digits.slice(idd.length);
  }
  if (digits.length <= 2) return { country: null };
  if (digits.startsWith('0')) {
    // Not a country code: after a "+", read what follows the plus signs without them.
    return plus && !afterPlus ? phoneCountry(text.slice(plus[0].length), { afterPlus: true }) : { country: null };
  }
  if (digits.startsWith(String(BE_PHONE_METADATA.country_code))) return { country: 'BE', national: digits.slice(2) };
  return { country: 'foreign', digits };
}

/** null when wattdesk.domain.contact.validate_phone(value, "BE") accepts the number, else "phone.invalid". */
export function validatePhone(value) {
  const text = String(value ?? '');
  if ([...text].length > 250) return 'phone.invalid';
  let number = phoneNumberInText(text);
  if (number === null || !isViablePhone(number)) return 'phone.invalid';
  const extension = PN_EXTENSION.exec(number);
  if (extension && isViablePhone(number.slice(0, extension.index))) number = number.slice(0, extension.index);
  const found = phoneCountry(number);
  if (found.country === null) return 'phone.invalid';
  if (found.country === 'foreign') return found.digits.length >= 7 && found.digits.length <= 15 ? null : 'phone.invalid';
  let national = found.national;
  if (national.length < 2) return 'phone.invalid';
  const stripped = stripBelgianTrunk(national);
  if (!['too_short', 'invalid_length'].includes(belgianLength(stripped))) national = stripped;
  if (national.length > 17 || !matchesDesc(national, BE_PHONE_METADATA.general_desc)) return 'phone.invalid';
  const valid = Object.values(BE_PHONE_METADATA.types).some((desc) => desc.lengths.includes(national.length) && matchesDesc(national, desc));
  return valid ? null : 'phone.invalid';
}

export const isValidPhone = (value) => validatePhone(value) === null;

// ---------------------------------------------------------------------------------------------
// Dates (ISO "YYYY-MM-DD" strings; "today" is the Belgian calendar date)

export function addDays(isoDate, days) {
  const [y, m, d] = isoDate.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function isIsoDate(value) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value ?? '')) return false;
  return addDays(value, 0) === value;
}

/** The calendar date in Brussels at an instant (a Date or an ISO timestamp). */
export function brusselsDate(instant) {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Brussels', year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(instant));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export const SWITCH_NOTICE_DAYS = 30;

/** Earliest start date the rules allow for these delivery points. */
export function earliestStartDate(deliveryPoints, today) {
  const switching = (deliveryPoints ?? []).some((point) => point.situation === 'switch');
  return switching ? addDays(today, SWITCH_NOTICE_DAYS) : today;
}

export function validateStartDate(startDate, deliveryPoints, today) {
  if (!startDate) return 'start_date.required';
  if (!isIsoDate(startDate)) return 'start_date.invalid';
  if (startDate < today) return 'start_date.past';
  if (startDate < earliestStartDate(deliveryPoints, today)) return 'start_date.switch_notice';
  return null;
}

// ---------------------------------------------------------------------------------------------
// Products

export function productOffered(product, day) {
  return product.valid_from <= day && (product.valid_until === null || day <= product.valid_until);
}

/**
 * Products a customer of this type can take on this day for these energies. A product covers one
 * energy (wattdesk.domain.catalogue), so this is the list for one energy; electricity and gas
 * together take one product each (see productChoices).
 */
export function productsFor(products, customerType, energies, day) {
  return products.filter((p) => energies.every((energy) => energy === p.energy) && p.customer_types.includes(customerType) && productOffered(p, day));
}

/**
 * The product of each delivery point, as the API reads it (EnrollmentRequest.product_for): the
 * point's own product_code when it has one (the gas point of a dual-fuel enrollment), else the
 * enrollment's product_code. [{field, code, energies}], one entry per field, in page order.
 */
export function productChoices(body) {
  const choices = [];
  const points = body.delivery_points ?? [];
  if (points.length === 0) return [{ field: 'product_code', code: body.product_code, energies: [] }];
  points.forEach((point, index) => {
    const own = point.product_code !== undefined && point.product_code !== null;
    const field = own ? `delivery_points[${index}].product_code` : 'product_code';
    const existing = choices.find((choice) => choice.field === field);
    if (existing) existing.energies.push(point.energy);
    else choices.push({ field, code: own ? point.product_code : body.product_code, energies: [point.energy] });
  });
  return choices.sort((a, b) => (a.field === 'product_code' ? -1 : b.field === 'product_code' ? 1 : 0));
}

export const REFERRAL_RE = /^[A-Z0-9]{6,12}$/;

// ---------------------------------------------------------------------------------------------
// The steps. Each takes the request body (the contract's shape, as enroll.js builds it) and
// returns [{field, code}] in the order the fields appear on the page.

export const STEP_COUNT = 5;

/** The step that holds a field path. */
export function stepOfField(field) {
  const path = String(field ?? '');
  if (/^delivery_points\[\d+\]\.product_code$/.test(path)) return 4; // the gas product of a dual-fuel enrollment
  if (path.startsWith('customer')) return 1;
  if (path.startsWith('supply_address') || path.startsWith('correspondence_address')) return 2;
  if (path.startsWith('delivery_points')) return 3;
  if (/^(product_code|start_date|payment|billing_frequency|referral_code)\b/.test(path)) return 4;
  return 5;
}

const blank = (value) => value === null || value === undefined || String(value).trim() === '';

function checkAddress(errors, prefix, address, postcodes) {
  if (blank(address.street)) errors.push({ field: `${prefix}.street`, code: 'required' });
  if (blank(address.number)) errors.push({ field: `${prefix}.number`, code: 'required' });
  const postcode = blank(address.postcode) ? 'required' : validatePostcode(address.postcode, postcodes);
  if (postcode) errors.push({ field: `${prefix}.postcode`, code: postcode });
  if (blank(address.city)) errors.push({ field: `${prefix}.city`, code: 'required' });
}

export function validateStep(step, body, context) {
  const { today, postcodes, products } = context;
  const errors = [];
  const push = (field, code) => { if (code) errors.push({ field, code }); };
  if (step === 1) {
    const c = body.customer;
    if (c.type !== 'residential' && c.type !== 'professional') push('customer.type', 'required');
    if (blank(c.first_name)) push('customer.first_name', 'required');
    if (blank(c.last_name)) push('customer.last_name', 'required');
    if (c.type === 'professional') {
      if (blank(c.company_name)) push('customer.company_name', 'company_name.required');
      push('customer.vat_number', blank(c.vat_number) ? 'vat.required' : validateVat(c.vat_number));
    }
    push('customer.email', blank(c.email) ? 'required' : validateEmail(c.email));
    push('customer.phone', blank(c.phone) ? 'required' : validatePhone(c.phone));
    if (!['nl', 'fr', 'de', 'en'].includes(c.language)) push('customer.language', 'required');
    if (c.birth_date !== null && (!isIsoDate(c.birth_date) || c.birth_date >= today)) push('customer.birth_date', 'birth_date.invalid');
  } else if (step === 2) {
    checkAddress(errors, 'supply_address', body.supply_address, postcodes);
    if (body.correspondence_address) checkAddress(errors, 'correspondence_address', body.correspondence_address, postcodes);
  } else if (step === 3) {
    if (body.delivery_points.length === 0) push('delivery_points', 'delivery_points.required');
    body.delivery_points.forEach((point, index) => {
      const at = `delivery_points[${index}]`;
      if (blank(point.ean)) {
        if (point.situation === 'switch') push(`${at}.ean`, 'ean.required');
      } else {
        push(`${at}.ean`, validateEan(point.ean));
      }
      if (!['single', 'dual', 'exclusive_night'].includes(point.meter_type)) push(`${at}.meter_type`, 'required');
      else if (point.energy === 'gas' && point.meter_type !== 'single') push(`${at}.meter_type`, 'meter_type.not_for_gas');
      if (!['switch', 'move_in', 'new_connection'].includes(point.situation)) push(`${at}.situation`, 'required');
      const kwh = point.known_annual_kwh;
      if (kwh !== null && !(Number.isInteger(kwh) && kwh >= 0 && kwh <= 10_000_000)) push(`${at}.known_annual_kwh`, 'known_annual_kwh.invalid');
    });
  } else if (step === 4) {
    // One product per energy: the enrollment's product_code, and the gas point's own when both
    // energies are chosen. The API reports a wrong energy on delivery_points[i].energy, the form
    // on the product.
    for (const choice of productChoices(body)) {
      const product = products.find((p) => p.code === choice.code);
      if (blank(choice.code)) push(choice.field, 'product.required');
      else if (!product) push(choice.field, 'product.unknown');
      else if (!productOffered(product, isIsoDate(body.start_date) ? body.start_date : today)) push(choice.field, 'product.not_offered');
      else if (choice.energies.some((energy) => energy !== product.energy)) push(choice.field, 'product.wrong_energy');
      else if (!product.customer_types.includes(body.customer.type)) push(choice.field, 'product.customer_type');
    }
    push('start_date', validateStartDate(body.start_date, body.delivery_points, today));
    const payment = body.payment;
    if (payment.method !== 'direct_debit' && payment.method !== 'transfer') push('payment.method', 'required');
    if (payment.method === 'direct_debit') {
      push('payment.iban', blank(payment.iban) ? 'iban.required' : validateIban(payment.iban));
      if (blank(payment.account_holder)) push('payment.account_holder', 'account_holder.required');
    }
    if (!['monthly', 'bimonthly', 'quarterly'].includes(body.billing_frequency)) push('billing_frequency', 'required');
    if (!blank(body.referral_code) && !REFERRAL_RE.test(pyStrip(body.referral_code).toUpperCase())) push('referral_code', 'referral.format');
  } else if (step === 5) {
    if (body.consents.terms_accepted !== true) push('consents.terms_accepted', 'consents.terms_required');
    if (body.consents.privacy_accepted !== true) push('consents.privacy_accepted', 'consents.privacy_required');
  }
  return errors;
}

/** Every step's problems, in page order. */
export function validateAll(body, context) {
  const errors = [];
  for (let step = 1; step <= STEP_COUNT; step += 1) errors.push(...validateStep(step, body, context));
  return errors;
}

// ---------------------------------------------------------------------------------------------
// One field at a time (the fix page: the customer answers the fields an operator asked for).

/** A field path without its point index: "delivery_points[0].ean" -> "delivery_points.ean". */
export function fieldKind(path) {
  return String(path ?? '').replace(/\[\d+\]/g, '');
}

/** Fields the contract allows to be empty. */
export const OPTIONAL_FIELDS = new Set([
  'customer.birth_date', 'supply_address.box', 'correspondence_address.box', 'delivery_points.known_annual_kwh', 'referral_code',
]);

/** The kWh a customer typed ("3 500" -> 3500), null when empty, NaN when not a whole number. */
export function parseKwh(text) {
  const compact = String(text ?? '').replace(/[\s.'\u2019]/g, '');
  if (compact === '') return null;
  return /^[0-9]+$/.test(compact) ? Number(compact) : Number.NaN;
}

/**
 * The browser's check of one field's new value (the text of its input), with the API's codes.
 * postcodes: the postcode list, or null when it could not be loaded (then only the format).
 */
export function validateChange(path, value, { today, postcodes = null } = {}) {
  const kind = fieldKind(path);
  const text = pyStrip(value);
  if (text === '') return OPTIONAL_FIELDS.has(kind) ? null : 'required';
  switch (kind) {
    case 'customer.email': return validateEmail(text);
    case 'customer.phone': return validatePhone(text);
    case 'customer.vat_number': return validateVat(text);
    case 'customer.birth_date': return isIsoDate(text) && text < today ? null : 'birth_date.invalid';
    case 'supply_address.postcode':
    case 'correspondence_address.postcode':
      return postcodes ? validatePostcode(text, postcodes) : (compactPostcode(text) ? null : 'postcode.format');
    case 'delivery_points.ean': return validateEan(text);
    case 'delivery_points.known_annual_kwh': {
      const kwh = parseKwh(text);
      return Number.isInteger(kwh) && kwh >= 0 && kwh <= 10_000_000 ? null : 'known_annual_kwh.invalid';
    }
    case 'payment.iban': return validateIban(text);
    case 'start_date':
      if (!isIsoDate(text)) return 'start_date.invalid';
      return text < today ? 'start_date.past' : null;
    case 'referral_code': return REFERRAL_RE.test(text.toUpperCase()) ? null : 'referral.format';
    default: return null;
  }
}
