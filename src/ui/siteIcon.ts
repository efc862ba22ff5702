// A site's monogram for screens that name a site (the consent window, the popup's passkey list): the first letter
// of its registrable domain on a circle whose colour comes from the domain alone, so one site always looks the same
// and two sites seldom do. The colour is dark enough for a white letter (WCAG 2.2 contrast ≥ 4.5:1).

/** The letter shown: the first letter or digit of the registrable domain, upper-cased ('?' if it has none). */
export function monogram(site: string): string {
  if (typeof site !== 'string') throw new TypeError('site must be a string');
  const first = [...site.replace(/^xn--/i, '')].find((c) => /[\p{L}\p{N}]/u.test(c));
  return first ? first.toLocaleUpperCase('en') : '?';
}

/** FNV-1a, 32 bits: a stable spread of the domain's characters over the hues. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const c of new TextEncoder().encode(s)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

/** sRGB of an HSL colour (CSS Color 4 §7.1), each channel 0..1. */
function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

/** WCAG 2.2 relative luminance of an sRGB colour. */
function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** Contrast of white text on the colour (WCAG 2.2 "contrast ratio"). */
export const contrastWithWhite = (rgb: [number, number, number]): number => 1.05 / (luminance(rgb) + 0.05);

/** The circle's colour for a site: a hue from the domain, the lightest shade of it that keeps white text readable. */
export function siteColor(site: string): { hue: number; lightness: number; css: string; rgb: [number, number, number] } {
  if (typeof site !== 'string') throw new TypeError('site must be a string');
  const hue = fnv1a(site.toLowerCase()) % 360;
  const saturation = 55; // percent, as CSS writes it
  let lightness = 50;
  while (contrastWithWhite(hslToRgb(hue, saturation / 100, lightness / 100)) < 4.5) lightness -= 1;
  return { hue, lightness, css: `hsl(${hue} ${saturation}% ${lightness}%)`, rgb: hslToRgb(hue, saturation / 100, lightness / 100) };
}
