/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * qssh-cryptobench: bytes per second encrypting SSH packets on each crypto
 * backend, and the raw OpenSSL EVP primitives (no SSH framing) beside them.
 *
 *   qssh-cryptobench [--csv FILE] [--seconds S] [--smoke] [--eal ARGS]
 *                    [--no-eal]
 *
 * S is the time spent per cell (default 0.3).  The DPDK EAL is started
 * (without hugepages, with the software crypto vdevs; --eal replaces the
 * arguments) so that the cryptodev backend is measured too; --no-eal skips
 * it, and so does --smoke.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/eal.h"

#define BURST 32

static const char *const algs[][2] = {
	{ "aes128-gcm@openssh.com", NULL },
	{ "aes256-gcm@openssh.com", NULL },
	{ "chacha20-poly1305@openssh.com", NULL },
	{ "aes128-ctr", "hmac-sha2-256-etm@openssh.com" },
	{ "aes256-ctr", "hmac-sha2-512-etm@openssh.com" },
	{ "aes128-ctr", "hmac-sha2-256" },
	{ "aes256-ctr", "hmac-sha1-etm@openssh.com" },
};

static const char *const raw[] = {
	"AES-128-GCM",
	"AES-256-GCM",
	"ChaCha20-Poly1305",
	"AES-128-CTR",
	"AES-256-CTR",
	"HMAC-SHA256",
	"HMAC-SHA512",
};

static const uint32_t sizes_full[] = { 256, 1024, 16384, 32768, 262144 };
static const uint32_t sizes_smoke[] = { 256, 16384 };

static FILE *csv;

static void
report(
    const char *impl, const char *alg, uint32_t size, double bytes, double secs)
{
	double bps = secs > 0 ? bytes / secs : 0;

	printf("%-10s %-46s %7u %10.1f MB/s\n", impl, alg, size, bps / 1e6);
	if (csv != NULL)
		fprintf(csv, "%s,%s,%u,%.0f\n", impl, alg, size, bps);
	fflush(stdout);
}

static bool
alg_supported(enum cryp_backend_id be, size_t ai)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(algs[ai][0]);
	const struct cryp_mac_info *mi =
	    algs[ai][1] ? cryp_mac_by_name(algs[ai][1]) : NULL;

	return ci != NULL &&
	    cryp_backend_supports(
		be, ci->id, mi != NULL ? mi->id : CRYP_MAC_NONE);
}

static int
bench_ssh(enum cryp_backend_id be, size_t ai, uint32_t size, double secs)
{
	const struct cryp_cipher_info *ci = cryp_cipher_by_name(algs[ai][0]);
	const struct cryp_mac_info *mi =
	    algs[ai][1] ? cryp_mac_by_name(algs[ai][1]) : NULL;
	uint8_t key[64], iv[16], mk[64], *bufs = NULL, tags[BURST][64];
	struct cryp_session_params p;
	struct cryp_session *s = NULL;
	struct cryp_op ops[BURST], *in[BURST], *out[BURST];
	struct cryp_qp *qp = NULL;
	double t0, t, bytes = 0;
	char name[96];
	uint32_t i, n, pkt_len, seq = 0;
	int err, r = -1;

	memset(key, 7, sizeof(key));
	memset(iv, 9, sizeof(iv));
	memset(mk, 11, sizeof(mk));
	memset(&p, 0, sizeof(p));
	p.cipher = ci;
	p.mac = mi;
	p.key = key;
	p.iv = iv;
	p.mac_key = mk;
	p.encrypt = true;
	if ((s = cryp_session_new(be, &p, &err)) == NULL ||
	    (qp = cryp_qp_new(be, BURST)) == NULL) {
		fprintf(stderr, "%s %s: cannot set up\n", cryp_backend_name(be),
		    ci->name);
		goto out;
	}
	/*
	 * size is the padded part the cipher sees: the whole packet for
	 * CTR with a plain MAC, the part after the length otherwise.
	 */
	pkt_len = (mi != NULL && !mi->etm) ? size : size + 4;
	if ((bufs = calloc(BURST, pkt_len)) == NULL)
		goto out;
	for (i = 0; i < BURST; i++) {
		qssh_put_u32be(bufs + (size_t)i * pkt_len, pkt_len - 4);
		in[i] = &ops[i];
	}
	t0 = qssh_monotime_double();
	do {
		for (i = 0; i < BURST; i++)
			ops[i] = (struct cryp_op){ .sess = s,
				.pkt = bufs + (size_t)i * pkt_len,
				.pkt_len = pkt_len,
				.tag = tags[i],
				.seqnr = seq++ };
		n = cryp_enqueue_burst(qp, in, BURST);
		if (cryp_dequeue_burst(qp, out, n) != n)
			goto out;
		for (i = 0; i < n; i++) {
			if (out[i]->status != 0) {
				fprintf(stderr, "%s %s: %s\n",
				    cryp_backend_name(be), ci->name,
				    qssh_strerror(out[i]->status));
				goto out;
			}
		}
		bytes += (double)n * pkt_len;
		t = qssh_monotime_double() - t0;
	} while (t < secs);
	snprintf(name, sizeof(name), "%s%s%s", algs[ai][0],
	    mi != NULL ? "+" : "", mi != NULL ? mi->name : "");
	report(cryp_backend_name(be), name, size, bytes, t);
	r = 0;
out:
	free(bufs);
	cryp_qp_free(qp);
	cryp_session_free(s);
	return r;
}

static int
bench_raw(size_t ri, uint32_t size, double secs)
{
	const char *n = raw[ri];
	uint8_t key[32] = { 1 }, iv[16] = { 2 }, tag[64], *buf = NULL;
	EVP_CIPHER_CTX *c = NULL;
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *mc = NULL;
	const EVP_CIPHER *ciph = NULL;
	OSSL_PARAM params[2];
	double t0, t, bytes = 0;
	size_t outl;
	int l, r = -1;

	if ((buf = calloc(1, size)) == NULL)
		goto out;
	if (strncmp(n, "HMAC-", 5) == 0) {
		if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
		    (mc = EVP_MAC_CTX_new(mac)) == NULL)
			goto out;
		params[0] =
		    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
			strcmp(n, "HMAC-SHA256") == 0 ? "SHA256" : "SHA512", 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(mc, key, 32, params) != 1)
			goto out;
	} else {
		ciph = strcmp(n, "AES-128-GCM") == 0 ? EVP_aes_128_gcm()
		    : strcmp(n, "AES-256-GCM") == 0  ? EVP_aes_256_gcm()
		    : strcmp(n, "AES-128-CTR") == 0  ? EVP_aes_128_ctr()
		    : strcmp(n, "AES-256-CTR") == 0  ? EVP_aes_256_ctr()
						     : EVP_chacha20_poly1305();
		if ((c = EVP_CIPHER_CTX_new()) == NULL ||
		    EVP_EncryptInit_ex(c, ciph, NULL, key, iv) != 1)
			goto out;
	}
	t0 = qssh_monotime_double();
	do {
		if (mc != NULL) {
			if (EVP_MAC_init(mc, NULL, 0, NULL) != 1 ||
			    EVP_MAC_update(mc, buf, size) != 1 ||
			    EVP_MAC_final(mc, tag, &outl, sizeof(tag)) != 1)
				goto out;
		} else {
			if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
			    EVP_EncryptUpdate(c, buf, &l, buf, (int)size) !=
				1 ||
			    EVP_EncryptFinal_ex(c, tag, &l) != 1)
				goto out;
		}
		bytes += size;
		t = qssh_monotime_double() - t0;
	} while (t < secs);
	report("evp-raw", n, size, bytes, t);
	r = 0;
out:
	free(buf);
	EVP_CIPHER_CTX_free(c);
	EVP_MAC_CTX_free(mc);
	EVP_MAC_free(mac);
	return r;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: qssh-cryptobench [--csv FILE] [--seconds S] "
	    "[--smoke] [--eal ARGS] [--no-eal]\n");
}

int
main(int argc, char **argv)
{
	enum cryp_backend_id bes[] = { CRYP_BACKEND_OPENSSL,
		CRYP_BACKEND_IPSECMB, CRYP_BACKEND_CRYPTODEV };
	const uint32_t *sizes = sizes_full;
	size_t nsizes = QSSH_ARRAY_LEN(sizes_full), bi, ai, si;
	const char *csv_path = NULL, *eal_args = NULL;
	bool use_eal = QSSH_WITH_DPDK != 0;
	double secs = 0.3;
	int i, fails = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
			csv_path = argv[++i];
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			secs = strtod(argv[++i], NULL);
			if (secs <= 0 || secs > 60) {
				usage();
				return 2;
			}
		} else if (strcmp(argv[i], "--eal") == 0 && i + 1 < argc) {
			eal_args = argv[++i];
		} else if (strcmp(argv[i], "--no-eal") == 0) {
			use_eal = false;
		} else if (strcmp(argv[i], "--smoke") == 0) {
			use_eal = false;
			secs = 0.01;
			sizes = sizes_smoke;
			nsizes = QSSH_ARRAY_LEN(sizes_smoke);
		} else {
			usage();
			return 2;
		}
	}
	/* A failed EAL start logs one line; the other backends still run. */
	if (use_eal)
		(void)dp_eal_start(eal_args);
	if (csv_path != NULL) {
		if ((csv = fopen(csv_path, "w")) == NULL) {
			perror(csv_path);
			return 1;
		}
		fprintf(csv,
		    "implementation,algorithm,packet_bytes,"
		    "bytes_per_second\n");
	}
	printf("%-10s %-46s %7s %15s\n", "impl", "algorithm", "bytes",
	    "throughput");
	for (si = 0; si < nsizes; si++) {
		for (bi = 0; bi < QSSH_ARRAY_LEN(bes); bi++) {
			if (!cryp_backend_available(bes[bi]))
				continue;
			for (ai = 0; ai < QSSH_ARRAY_LEN(algs); ai++)
				if (alg_supported(bes[bi], ai) &&
				    bench_ssh(bes[bi], ai, sizes[si], secs) !=
					0)
					fails++;
		}
		for (ai = 0; ai < QSSH_ARRAY_LEN(raw); ai++)
			if (bench_raw(ai, sizes[si], secs) != 0)
				fails++;
	}
	if (csv != NULL)
		fclose(csv);
	if (fails > 0)
		fprintf(stderr, "qssh-cryptobench: %d cells failed\n", fails);
	return fails > 0 ? 1 : 0;
}
