/**
 * A throwaway PKI made with `openssl` for the TLS tests: a CA, a server
 * certificate for 127.0.0.1 and localhost signed by it, its key in every
 * form the server reads, and a folder to serve.
 *
 * @module
 */

/**
 * The files of {@link makeCerts}, all in {@link Certs.dir}, which disposing
 * removes.
 */
export interface Certs extends AsyncDisposable {
  /** The temporary folder. */
  dir: string;
  /** A folder to serve, holding `hello.txt` ("hello\n"). */
  root: string;
  /** The CA certificate, as PEM text (for clients). */
  caPem: string;
  /** The CA certificate file (for `curl --cacert`). */
  caFile: string;
  /** The server certificate file. */
  cert: string;
  /** The server key, unencrypted PKCS#8. */
  key: string;
  /** The server certificate followed by its key, in one file. */
  combined: string;
  /** The server key, encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`). */
  encryptedKey: string;
  /** The server key, encrypted the traditional way (`Proc-Type: 4,ENCRYPTED`). */
  legacyEncryptedKey: string;
  /** The password of both encrypted keys. */
  password: string;
  /** A file holding {@link password} and a newline. */
  passwordFile: string;
  /** The CA's key: a key that does not match the server certificate. */
  otherKey: string;
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(
      `openssl ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`,
    );
  }
}

/**
 * Makes the CA, the server certificate and its keys in a new temp folder;
 * `await using` removes it.
 */
export async function makeCerts(): Promise<Certs> {
  const dir = await Deno.realPath(
    await Deno.makeTempDir({ prefix: "httpserver-tls-" }),
  );
  const password = "correct horse";
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=httpserver test CA",
  );
  await openssl(
    dir,
    "req",
    ...ec,
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext.cnf",
  );
  await Deno.writeTextFile(`${dir}/password.txt`, `${password}\n`);
  // `pkey` encrypts as PKCS#8, `ec` the traditional way.
  for (const [command, out] of [["pkey", "enc"], ["ec", "legacy"]]) {
    await openssl(
      dir,
      command,
      "-in",
      "server.key",
      "-aes256",
      "-passout",
      "file:password.txt",
      "-out",
      `server.${out}.key`,
    );
  }
  await Deno.writeTextFile(
    `${dir}/combined.pem`,
    await Deno.readTextFile(`${dir}/server.pem`) +
      await Deno.readTextFile(`${dir}/server.key`),
  );
  await Deno.mkdir(`${dir}/root`);
  await Deno.writeTextFile(`${dir}/root/hello.txt`, "hello\n");
  return {
    dir,
    root: `${dir}/root`,
    caPem: await Deno.readTextFile(`${dir}/ca.pem`),
    caFile: `${dir}/ca.pem`,
    cert: `${dir}/server.pem`,
    key: `${dir}/server.key`,
    combined: `${dir}/combined.pem`,
    encryptedKey: `${dir}/server.enc.key`,
    legacyEncryptedKey: `${dir}/server.legacy.key`,
    password,
    passwordFile: `${dir}/password.txt`,
    otherKey: `${dir}/ca.key`,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * Copies the server certificate and its key into a new folder `pem/` of
 * {@link Certs.dir}, as `cert` and `key`: the folder that stands for a
 * README command's `/etc/httpserver`.
 */
export async function pemFolder(
  certs: Certs,
  cert: string,
  key: string,
): Promise<string> {
  const pem = `${certs.dir}/pem`;
  await Deno.mkdir(pem);
  await Deno.copyFile(certs.cert, `${pem}/${cert}`);
  await Deno.copyFile(certs.key, `${pem}/${key}`);
  return pem;
}

/** The CLI's flags for HTTPS with the server certificate and `key`. */
export function tlsFlags(certs: Certs, key: string = certs.key): string[] {
  return ["--tls-cert", certs.cert, "--tls-key", key];
}

/** Fetches `url` trusting only the test CA; the client is closed after. */
export async function fetchWithCa(
  certs: Certs,
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; text: string }> {
  using client = Deno.createHttpClient({ caCerts: [certs.caPem] });
  const res = await fetch(url, { ...init, client });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Runs `curl -sS --cacert <CA> ...args`; resolves to its exit code and output. */
export async function curl(
  certs: Certs,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command("curl", {
    args: ["-sS", "--max-time", "10", "--cacert", certs.caFile, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}
