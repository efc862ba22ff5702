// Throwaway self-signed TLS certificates (via the openssl CLI) so that tests
// can use realistic HTTPS origins such as https://login.example.test:PORT.
//
// Pointing the names at 127.0.0.1 and trusting the cert:
//   Chromium: hostResolverArgs(names) + `--ignore-certificate-errors-spki-list=${spkiSha256Base64}`
//             (see chromiumCertArgs below)
//   Firefox:  pref network.dns.localDomains = names.join(',') (no wildcards: list every host)
//             and puppeteer's acceptInsecureCerts: true (see firefoxCertPrefs below)

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, createHash } from 'node:crypto';

/**
 * @typedef {object} TestCert
 * @property {string} key   PEM private key
 * @property {string} cert  PEM certificate
 * @property {string[]} names  the DNS names it covers
 * @property {string} spkiSha256Base64  base64 SHA-256 of the SubjectPublicKeyInfo
 *           (value for Chromium's --ignore-certificate-errors-spki-list)
 */

/**
 * Create a self-signed EC P-256 certificate for the given DNS names (wildcards allowed).
 * @param {string[]} names e.g. ['example.test', '*.example.test', 'login.example.test']
 * @returns {TestCert}
 */
export function makeCert(names) {
  const dir = mkdtempSync(join(tmpdir(), 'keyport-cert-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    const cnf = join(dir, 'san.cnf');
    writeFileSync(cnf, [
      '[req]', 'distinguished_name=dn', 'x509_extensions=ext', 'prompt=no',
      '[dn]', `CN=${names[0]}`,
      '[ext]', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      'basicConstraints=critical,CA:FALSE', 'keyUsage=digitalSignature', 'extendedKeyUsage=serverAuth',
    ].join('\n'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', '7', '-keyout', keyFile, '-out', certFile, '-config', cnf,
    ], { stdio: 'pipe' });
    const key = readFileSync(keyFile, 'utf8');
    const cert = readFileSync(certFile, 'utf8');
    const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    const spkiSha256Base64 = createHash('sha256').update(spki).digest('base64');
    return { key, cert, names, spkiSha256Base64 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Chromium flags that resolve the cert's names to 127.0.0.1 and accept the cert.
 * @param {TestCert} cert
 * @returns {string[]}
 */
export function chromiumCertArgs(cert) {
  const rules = cert.names.map((n) => `MAP ${n} 127.0.0.1`).join(', ');
  return [`--host-resolver-rules=${rules}`, `--ignore-certificate-errors-spki-list=${cert.spkiSha256Base64}`];
}

/**
 * Firefox prefs that resolve the cert's (non-wildcard) names to localhost.
 * Wildcards are not supported by network.dns.localDomains: pass extra concrete hosts.
 * Pair with acceptInsecureCerts (launchFirefox always sets it).
 * @param {TestCert} cert
 * @param {string[]} [extraHosts=[]]
 * @returns {Record<string, string>}
 */
export function firefoxCertPrefs(cert, extraHosts = []) {
  const hosts = [...cert.names.filter((n) => !n.includes('*')), ...extraHosts];
  return { 'network.dns.localDomains': [...new Set(hosts)].join(',') };
}
