/** How every template is compiled, built-in (at build time) or the user's (at run time). */
export function compileOptions(html: boolean): { noEscape: boolean; strict: boolean } {
  // Escaping for HTML only; a missing value renders empty, as in drone-email.
  return { noEscape: !html, strict: false };
}
