// A private Sigstore-like PKI made with the openssl CLI at test time: a root
// CA, an intermediate, short-lived leaf certificates carrying a SAN and the
// Fulcio OIDC-issuer extension, and an RFC 3161 timestamp authority
// (`openssl ts`). trustedRoot() returns the TrustedRoot JSON for all of it.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

function openssl(cwd: string, args: readonly string[], input?: Buffer): Buffer {
  return execFileSync('openssl', args, { cwd, input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export interface LeafOptions {
  /** e.g. "email:alice@example.com" or "URI:https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main" */
  san: string;
  issuer: string;
  /** Which Fulcio issuer extension to write (v2 = DER UTF8String, v1 = raw bytes). */
  issuerExtension?: 'v1' | 'v2';
  /** openssl `ca -startdate/-enddate` format YYYYMMDDHHMMSSZ; default: valid from an hour ago for 10 minutes past now. */
  startDate?: string;
  endDate?: string;
}

export interface Leaf {
  certPem: string;
  certDer: Buffer;
  keyPem: string;
}

export interface CertificateAuthority {
  dir: string;
  name: string;
  certPem: string;
  certDer: Buffer;
}

/** Times in openssl's YYYYMMDDHHMMSSZ format, relative to now. */
export function opensslTime(offsetSeconds: number): string {
  return new Date(Date.now() + offsetSeconds * 1000)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const CA_CONFIG = (dir: string) => `
[ ca ]
default_ca = this_ca
[ this_ca ]
dir = ${dir}
database = ${dir}/index.txt
serial = ${dir}/serial
new_certs_dir = ${dir}/newcerts
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = optional
organizationName = optional
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
O = test
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_intermediate ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_tsa ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

export class PrivatePki {
  readonly root: CertificateAuthority;
  readonly intermediate: CertificateAuthority;
  readonly tsa: { certPem: string; certDer: Buffer; dir: string };
  readonly dir: string;
  private serial = 0;

  constructor(dir: string, name = 'Test') {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.root = this.selfSigned(join(dir, 'root'), `${name} Root CA`);
    this.intermediate = this.issueCa(this.root, join(dir, 'intermediate'), `${name} Intermediate CA`);
    this.tsa = this.issueTsa(join(dir, 'tsa'), `${name} TSA`);
  }

  private initCaDir(dir: string): void {
    mkdirSync(join(dir, 'newcerts'), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'ca.cnf'), CA_CONFIG(dir));
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
  }

  private selfSigned(dir: string, cn: string): CertificateAuthority {
    this.initCaDir(dir);
    openssl(dir, [
      'req',
      '-new',
      '-x509',
      '-config',
      'ca.cnf',
      '-key',
      'key.pem',
      '-subj',
      `/O=test/CN=${cn}`,
      '-days',
      '3650',
      '-extensions',
      'v3_root',
      '-out',
      'cert.pem',
    ]);
    return this.loadCa(dir, cn);
  }

  private issueCa(parent: CertificateAuthority, dir: string, cn: string): CertificateAuthority {
    this.initCaDir(dir);
    openssl(dir, [
      'req',
      '-new',
      '-config',
      'ca.cnf',
      '-key',
      'key.pem',
      '-subj',
      `/O=test/CN=${cn}`,
      '-out',
      'req.csr',
    ]);
    this.sign(parent, join(dir, 'req.csr'), join(dir, 'cert.pem'), { extensions: 'v3_intermediate', days: 3650 });
    return this.loadCa(dir, cn);
  }

  private issueTsa(dir: string, cn: string): { certPem: string; certDer: Buffer; dir: string } {
    mkdirSync(dir, { recursive: true });
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
    openssl(dir, [
      'req',
      '-new',
      '-key',
      'key.pem',
      '-subj',
      `/O=test/CN=${cn}`,
      '-config',
      join(this.root.dir, 'ca.cnf'),
      '-out',
      'req.csr',
    ]);
    this.sign(this.intermediate, join(dir, 'req.csr'), join(dir, 'cert.pem'), { extensions: 'v3_tsa', days: 3650 });
    writeFileSync(join(dir, 'serial'), '01\n');
    writeFileSync(
      join(dir, 'tsa.cnf'),
      `[ tsa ]\ndefault_tsa = tsa_config\n[ tsa_config ]\ndir = ${dir}\nserial = ${dir}/serial\nsigner_cert = ${dir}/cert.pem\nsigner_key = ${dir}/key.pem\nsigner_digest = sha256\ndefault_policy = 1.3.6.1.4.1.57264.2\ndigests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\ntsa_name = no\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n`,
    );
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { certPem, certDer: new X509Certificate(certPem).raw, dir };
  }

  private sign(
    ca: CertificateAuthority,
    csr: string,
    out: string,
    opts: { extensions: string; extfile?: string; days?: number; startDate?: string; endDate?: string },
  ): void {
    const args = [
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(ca.dir, 'ca.cnf'),
      '-cert',
      join(ca.dir, 'cert.pem'),
      '-keyfile',
      join(ca.dir, 'key.pem'),
      '-in',
      csr,
      '-out',
      out,
      '-extensions',
      opts.extensions,
    ];
    if (opts.extfile) args.push('-extfile', opts.extfile);
    if (opts.startDate) args.push('-startdate', opts.startDate);
    if (opts.endDate) args.push('-enddate', opts.endDate);
    else args.push('-days', String(opts.days ?? 1));
    openssl(ca.dir, args);
  }

  private loadCa(dir: string, name: string): CertificateAuthority {
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { dir, name, certPem, certDer: new X509Certificate(certPem).raw };
  }

  /** A short-lived code-signing leaf, like the ones Fulcio issues. */
  issueLeaf(opts: LeafOptions): Leaf {
    const dir = join(this.dir, `leaf-${++this.serial}`);
    mkdirSync(dir, { recursive: true });
    openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'key.pem']);
    openssl(dir, [
      'req',
      '-new',
      '-key',
      'key.pem',
      '-subj',
      '/O=test',
      '-config',
      join(this.root.dir, 'ca.cnf'),
      '-out',
      'req.csr',
    ]);
    const issuerExt =
      (opts.issuerExtension ?? 'v2') === 'v2'
        ? `${FULCIO_ISSUER_V2} = ASN1:UTF8String:${opts.issuer}`
        : `${FULCIO_ISSUER_V1} = DER:${Buffer.from(opts.issuer).toString('hex')}`;
    writeFileSync(
      join(dir, 'ext.cnf'),
      `[ v3_leaf ]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = codeSigning\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = critical, ${opts.san}\n${issuerExt}\n`,
    );
    this.sign(this.intermediate, join(dir, 'req.csr'), join(dir, 'cert.pem'), {
      extensions: 'v3_leaf',
      extfile: join(dir, 'ext.cnf'),
      startDate: opts.startDate ?? opensslTime(-3600),
      endDate: opts.endDate ?? opensslTime(600),
    });
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { certPem, certDer: new X509Certificate(certPem).raw, keyPem: readFileSync(join(dir, 'key.pem'), 'utf8') };
  }

  /** An RFC 3161 TimeStampResp (DER) over sha256(data), from this PKI's TSA at the current time. */
  timestamp(data: Buffer): Buffer {
    const dir = this.tsa.dir;
    const name = `ts-${++this.serial}`;
    writeFileSync(join(dir, `${name}.data`), data);
    openssl(dir, ['ts', '-query', '-data', `${name}.data`, '-sha256', '-cert', '-out', `${name}.tsq`]);
    openssl(dir, ['ts', '-reply', '-config', join(dir, 'tsa.cnf'), '-queryfile', `${name}.tsq`, '-out', `${name}.tsr`]);
    return readFileSync(join(dir, `${name}.tsr`));
  }

  /** TrustedRoot protobuf JSON: the CA chain (intermediate, root) and the TSA chain (TSA, intermediate, root). */
  trustedRoot(opts: { caValidFor?: { start: string; end?: string } } = {}): Record<string, unknown> {
    const b64 = (der: Buffer) => ({ rawBytes: der.toString('base64') });
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      ctlogs: [],
      certificateAuthorities: [
        {
          subject: { organization: 'test', commonName: this.intermediate.name },
          uri: 'https://ca.test.invalid',
          certChain: { certificates: [b64(this.intermediate.certDer), b64(this.root.certDer)] },
          validFor: opts.caValidFor ?? { start: new Date(Date.now() - 86_400_000).toISOString() },
        },
      ],
      timestampAuthorities: [
        {
          subject: { organization: 'test', commonName: 'TSA' },
          uri: 'https://tsa.test.invalid',
          certChain: { certificates: [b64(this.tsa.certDer), b64(this.intermediate.certDer), b64(this.root.certDer)] },
          validFor: { start: new Date(Date.now() - 86_400_000).toISOString() },
        },
      ],
    };
  }
}
