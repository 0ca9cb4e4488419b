/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The transport core on a loopback pair: a client and a server tport whose
 * output is shuttled into each other's input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <zlib.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "crypto-offload/cryp.h"
#include "dataplane/transport.h"

#define BIG_PAYLOAD (200 * 1024)

struct pair {
	struct tport *c, *s;
};

static uint8_t *pattern;
/* Algorithm under test, for failure messages. */
static char cur_alg[128] = "none";

static int
setup_all(void **state)
{
	size_t i;

	(void)state;
	if ((pattern = malloc(TPORT_PACKET_MAX)) == NULL)
		return -1;
	for (i = 0; i < TPORT_PACKET_MAX; i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8));
	return 0;
}

static int
teardown_all(void **state)
{
	(void)state;
	free(pattern);
	return 0;
}

static void
pair_init(struct pair *p, enum cryp_backend_id be)
{
	p->c = tport_new(false, be);
	p->s = tport_new(true, be);
	assert_non_null(p->c);
	assert_non_null(p->s);
}

static void
pair_free(struct pair *p)
{
	tport_free(p->c);
	tport_free(p->s);
}

/* Move everything from's output into to's input, whole or byte by byte. */
static void
shuttle(struct tport *from, struct tport *to, bool bytewise)
{
	struct qssh_view v = tport_output(from);
	size_t i;

	if (bytewise) {
		for (i = 0; i < v.len; i++)
			assert_int_equal(tport_input(to, v.p + i, 1), 0);
	} else
		assert_int_equal(tport_input(to, v.p, v.len), 0);
	assert_int_equal(tport_output_consume(from, v.len), 0);
	assert_int_equal(tport_output_len(from), 0);
}

static void
exchange_versions(struct pair *p)
{
	const char *id;

	assert_int_equal(tport_send_version(p->c, "SSH-2.0-qssh_client"), 0);
	assert_int_equal(tport_send_version(p->s, "SSH-2.0-qssh_server"), 0);
	assert_int_equal(tport_read_version(p->s, &id), QSSH_ERR_AGAIN);
	shuttle(p->c, p->s, false);
	shuttle(p->s, p->c, false);
	assert_int_equal(tport_read_version(p->s, &id), 0);
	assert_string_equal(id, "SSH-2.0-qssh_client");
	assert_int_equal(tport_read_version(p->c, &id), 0);
	assert_string_equal(id, "SSH-2.0-qssh_server");
	assert_string_equal(tport_local_version(p->c), "SSH-2.0-qssh_client");
	assert_string_equal(tport_remote_version(p->c), "SSH-2.0-qssh_server");
}

/* Send one packet from a to b and check it arrives intact. */
static void
roundtrip(
    struct tport *a, struct tport *b, uint8_t type, size_t len, bool bytewise)
{
	struct qssh_view v = tport_output(a), pl;
	uint8_t got;
	size_t i;
	int r;

	assert_int_equal(tport_output_len(a), 0);
	if ((r = tport_send(a, type, pattern, len)) != 0)
		print_message("%s: send type %u len %zu: %s\n", cur_alg, type,
		    len, qssh_errname(r));
	assert_int_equal(r, 0);
	v = tport_output(a);
	assert_true(v.len > 0);
	if (bytewise) {
		for (i = 0; i < v.len; i++) {
			assert_int_equal(
			    tport_read_packet(b, &got, &pl), QSSH_ERR_AGAIN);
			assert_int_equal(tport_input(b, v.p + i, 1), 0);
		}
		assert_int_equal(tport_output_consume(a, v.len), 0);
	} else
		shuttle(a, b, false);
	assert_int_equal(tport_read_packet(b, &got, &pl), 0);
	assert_int_equal(got, type);
	assert_int_equal(pl.len, len);
	if (len > 0)
		assert_memory_equal(pl.p, pattern, len);
	assert_int_equal(tport_read_packet(b, &got, &pl), QSSH_ERR_AGAIN);
}

static void
make_keys(struct tport_keys *k, const char *cipher, const char *mac,
    enum tport_comp comp, uint8_t seed)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	k->cipher = cryp_cipher_by_name(cipher);
	assert_non_null(k->cipher);
	k->mac = mac != NULL ? cryp_mac_by_name(mac) : NULL;
	if (mac != NULL)
		assert_non_null(k->mac);
	k->comp = comp;
	for (i = 0; i < sizeof(k->key); i++) {
		k->key[i] = (uint8_t)(seed + i);
		k->iv[i] = (uint8_t)(seed * 3 + i);
		k->mac_key[i] = (uint8_t)(seed * 5 + i);
	}
}

/* Keys in both directions, as after NEWKEYS each way. */
static void
install_keys(
    struct pair *p, const char *cipher, const char *mac, enum tport_comp comp)
{
	struct tport_keys k;

	make_keys(&k, cipher, mac, comp, 0x11);
	assert_int_equal(tport_set_keys_out(p->c, &k), 0);
	assert_int_equal(tport_set_keys_in(p->s, &k), 0);
	make_keys(&k, cipher, mac, comp, 0x77);
	assert_int_equal(tport_set_keys_out(p->s, &k), 0);
	assert_int_equal(tport_set_keys_in(p->c, &k), 0);
	qssh_wipe(&k, sizeof(k));
	assert_true(tport_first_kex_done(p->c));
	assert_true(tport_first_kex_done(p->s));
}

static void
sizes_both_ways(struct pair *p)
{
	size_t len;

	for (len = 0; len < 80; len++) {
		roundtrip(p->c, p->s, SSH_MSG_CHANNEL_DATA, len, false);
		roundtrip(p->s, p->c, SSH_MSG_CHANNEL_DATA, len, false);
	}
	for (len = 80; len < 4000; len += 97) {
		roundtrip(p->c, p->s, SSH_MSG_CHANNEL_DATA, len, false);
		roundtrip(p->s, p->c, SSH_MSG_IGNORE, len, false);
	}
	roundtrip(p->c, p->s, SSH_MSG_CHANNEL_DATA, BIG_PAYLOAD, false);
	roundtrip(p->s, p->c, SSH_MSG_CHANNEL_DATA, BIG_PAYLOAD, false);
	roundtrip(p->c, p->s, SSH_MSG_CHANNEL_DATA, 0, true);
	roundtrip(p->s, p->c, SSH_MSG_CHANNEL_DATA, 33, true);
	roundtrip(p->c, p->s, SSH_MSG_CHANNEL_DATA, 1500, true);
}

static void
test_none_mode(void **state)
{
	struct tport_stats st;
	struct pair p;

	(void)state;
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	exchange_versions(&p);
	assert_false(tport_first_kex_done(p.c));
	sizes_both_ways(&p);
	/* One packet of 4 bytes: length, padlen 4+, type -> 16 bytes. */
	assert_int_equal(tport_send(p.c, SSH_MSG_IGNORE, NULL, 0), 0);
	assert_int_equal(tport_output_len(p.c), 16);
	shuttle(p.c, p.s, false);
	assert_int_equal(tport_seqnr_out(p.c), tport_seqnr_in(p.s) + 1);
	tport_get_stats(p.c, &st);
	assert_int_equal(st.packets_out, tport_seqnr_out(p.c));
	assert_true(st.bytes_out > st.payload_out);
	assert_false(tport_rekey_needed(p.c));
	pair_free(&p);
}

static const char *const aead_ciphers[] = {
	"aes128-gcm@openssh.com",
	"aes256-gcm@openssh.com",
	"chacha20-poly1305@openssh.com",
};
static const char *const ctr_ciphers[] = {
	"aes128-ctr",
	"aes192-ctr",
	"aes256-ctr",
};
static const char *const macs[] = {
	"hmac-sha1",
	"hmac-sha2-256",
	"hmac-sha2-512",
	"hmac-sha1-etm@openssh.com",
	"hmac-sha2-256-etm@openssh.com",
	"hmac-sha2-512-etm@openssh.com",
};

/* Calls fn for every (backend, cipher, mac) the library can do. */
static void
for_each_alg(void (*fn)(enum cryp_backend_id, const char *, const char *))
{
	const struct cryp_cipher_info *ci;
	const struct cryp_mac_info *mi;
	enum cryp_backend_id be;
	size_t i, j, n = 0;

	for (be = 0; be < CRYP_BACKEND_COUNT; be++) {
		if (!cryp_backend_available(be))
			continue;
		for (i = 0; i < QSSH_ARRAY_LEN(aead_ciphers); i++) {
			ci = cryp_cipher_by_name(aead_ciphers[i]);
			assert_non_null(ci);
			if (!cryp_backend_supports(be, ci->id, CRYP_MAC_NONE))
				continue;
			fn(be, aead_ciphers[i], NULL);
			n++;
		}
		for (i = 0; i < QSSH_ARRAY_LEN(ctr_ciphers); i++) {
			for (j = 0; j < QSSH_ARRAY_LEN(macs); j++) {
				ci = cryp_cipher_by_name(ctr_ciphers[i]);
				mi = cryp_mac_by_name(macs[j]);
				assert_non_null(ci);
				assert_non_null(mi);
				if (!cryp_backend_supports(be, ci->id, mi->id))
					continue;
				fn(be, ctr_ciphers[i], macs[j]);
				n++;
			}
		}
	}
	/* The reference backend does everything. */
	assert_true(n >= QSSH_ARRAY_LEN(aead_ciphers) +
		QSSH_ARRAY_LEN(ctr_ciphers) * QSSH_ARRAY_LEN(macs));
}

static void
one_alg_roundtrip(enum cryp_backend_id be, const char *cipher, const char *mac)
{
	struct pair p;

	snprintf(cur_alg, sizeof(cur_alg), "%s %s %s", cryp_backend_name(be),
	    cipher, mac != NULL ? mac : "");
	pair_init(&p, be);
	exchange_versions(&p);
	roundtrip(p.c, p.s, SSH_MSG_KEXINIT, 100, false);
	install_keys(&p, cipher, mac, TPORT_COMP_NONE);
	sizes_both_ways(&p);
	pair_free(&p);
}

static void
test_all_algorithms(void **state)
{
	(void)state;
	for_each_alg(one_alg_roundtrip);
}

/* A flipped byte anywhere after the length, or in the tag, fails the MAC. */
static void
one_alg_tamper(enum cryp_backend_id be, const char *cipher, const char *mac)
{
	static const size_t where[] = { 20, 40, 0 /* tag */ };
	struct qssh_view v, pl;
	struct pair p;
	uint8_t *copy, type;
	size_t i, len;
	int r;

	for (i = 0; i < QSSH_ARRAY_LEN(where); i++) {
		pair_init(&p, be);
		install_keys(&p, cipher, mac, TPORT_COMP_NONE);
		assert_int_equal(
		    tport_send(p.c, SSH_MSG_CHANNEL_DATA, pattern, 64), 0);
		v = tport_output(p.c);
		len = v.len;
		copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, v.p, len);
		copy[where[i] != 0 ? where[i] : len - 1] ^= 0x40;
		assert_int_equal(tport_input(p.s, copy, len), 0);
		r = tport_read_packet(p.s, &type, &pl);
		assert_int_equal(r, QSSH_ERR_MAC_INVALID);
		assert_int_equal(
		    tport_disconnect_reason(r), SSH_DISCONNECT_MAC_ERROR);
		/* Errors are sticky. */
		assert_int_equal(
		    tport_read_packet(p.s, &type, &pl), QSSH_ERR_MAC_INVALID);
		free(copy);
		pair_free(&p);
	}
}

static void
test_tamper_all_algorithms(void **state)
{
	(void)state;
	for_each_alg(one_alg_tamper);
}

static void
test_compression_zlib(void **state)
{
	struct tport_stats st;
	struct pair p;
	uint8_t type;
	struct qssh_view pl;
	uint8_t *zeros;
	int i;

	(void)state;
	zeros = calloc(1, 100000);
	assert_non_null(zeros);
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	exchange_versions(&p);
	install_keys(&p, "aes128-gcm@openssh.com", NULL, TPORT_COMP_ZLIB);
	for (i = 0; i < 5; i++) {
		assert_int_equal(
		    tport_send(p.c, SSH_MSG_CHANNEL_DATA, zeros, 100000), 0);
		assert_true(tport_output_len(p.c) < 2000);
		shuttle(p.c, p.s, i == 3);
		assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
		assert_int_equal(type, SSH_MSG_CHANNEL_DATA);
		assert_int_equal(pl.len, 100000);
		assert_memory_equal(pl.p, zeros, 100000);
	}
	/* The stream carries on across packets of all sizes. */
	sizes_both_ways(&p);
	tport_get_stats(p.s, &st);
	assert_true(st.payload_in > st.bytes_in);
	pair_free(&p);
	free(zeros);
}

static void
test_compression_delayed(void **state)
{
	struct pair p;
	uint8_t type;
	struct qssh_view pl;
	uint8_t *zeros;

	(void)state;
	zeros = calloc(1, 50000);
	assert_non_null(zeros);
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	exchange_versions(&p);
	install_keys(
	    &p, "chacha20-poly1305@openssh.com", NULL, TPORT_COMP_ZLIB_DELAYED);
	/* Not compressed before authentication. */
	assert_int_equal(tport_send(p.s, SSH_MSG_USERAUTH_SUCCESS, NULL, 0), 0);
	assert_int_equal(tport_send(p.c, SSH_MSG_IGNORE, zeros, 50000), 0);
	assert_true(tport_output_len(p.c) > 50000);
	shuttle(p.c, p.s, false);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(pl.len, 50000);
	tport_auth_done(p.s);
	shuttle(p.s, p.c, false);
	assert_int_equal(tport_read_packet(p.c, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_USERAUTH_SUCCESS);
	tport_auth_done(p.c);
	/* Compressed from now on, both ways. */
	assert_int_equal(
	    tport_send(p.c, SSH_MSG_CHANNEL_DATA, zeros, 50000), 0);
	assert_true(tport_output_len(p.c) < 1000);
	shuttle(p.c, p.s, false);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(pl.len, 50000);
	assert_memory_equal(pl.p, zeros, 50000);
	sizes_both_ways(&p);
	pair_free(&p);
	free(zeros);
}

/* Raw "none"-mode packet: padding and type given explicitly. */
static size_t
raw_packet(uint8_t *out, uint32_t plen, uint8_t padlen, const void *body,
    size_t body_len)
{
	qssh_put_u32be(out, plen);
	out[4] = padlen;
	memset(out + 5, 0, plen - 1);
	if (body_len > 0)
		memcpy(out + 5, body, body_len);
	return 4 + plen;
}

/* Server that has read the client's version; input errors checked. */
static struct tport *
server_ready(void)
{
	static const char id[] = "SSH-2.0-peer\r\n";
	struct tport *s = tport_new(true, CRYP_BACKEND_OPENSSL);

	assert_non_null(s);
	assert_int_equal(tport_input(s, id, sizeof(id) - 1), 0);
	assert_int_equal(tport_read_version(s, NULL), 0);
	return s;
}

static void
expect_read_error(
    struct tport *s, const void *in, size_t len, int err, uint32_t reason)
{
	struct qssh_view pl;
	uint8_t type;
	int r;

	assert_int_equal(tport_input(s, in, len), 0);
	r = tport_read_packet(s, &type, &pl);
	assert_int_equal(r, err);
	assert_int_equal(tport_disconnect_reason(r), reason);
	assert_null(pl.p);
	assert_int_equal(tport_read_packet(s, &type, &pl), err);
}

static void
test_malformed_packets(void **state)
{
	uint8_t pkt[64], body[1] = { SSH_MSG_IGNORE };
	struct qssh_view pl;
	struct tport *s;
	uint8_t type;
	size_t n;

	(void)state;
	/* Valid: plen 12, padding 10. */
	s = server_ready();
	n = raw_packet(pkt, 12, 10, body, 1);
	assert_int_equal(tport_input(s, pkt, n), 0);
	assert_int_equal(tport_read_packet(s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_IGNORE);
	assert_int_equal(pl.len, 0);
	/* Truncated: AGAIN, and still AGAIN with no more input. */
	assert_int_equal(tport_input(s, pkt, n - 1), 0);
	assert_int_equal(tport_read_packet(s, &type, &pl), QSSH_ERR_AGAIN);
	assert_int_equal(tport_read_packet(s, &type, &pl), QSSH_ERR_AGAIN);
	assert_int_equal(tport_input(s, pkt + n - 1, 1), 0);
	assert_int_equal(tport_read_packet(s, &type, &pl), 0);
	tport_free(s);

	/* Over 256 KiB. */
	s = server_ready();
	qssh_put_u32be(pkt, TPORT_PACKET_MAX + 4);
	expect_read_error(s, pkt, 4, QSSH_ERR_PACKET_TOO_LARGE,
	    SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	s = server_ready();
	qssh_put_u32be(pkt, 0xffffffffU);
	expect_read_error(s, pkt, 4, QSSH_ERR_PACKET_TOO_LARGE,
	    SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);

	/* Padding shorter than 4. */
	s = server_ready();
	n = raw_packet(pkt, 12, 3, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	/* Padding longer than the packet. */
	s = server_ready();
	n = raw_packet(pkt, 12, 12, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	s = server_ready();
	n = raw_packet(pkt, 12, 200, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	/* Padding leaves no message type. */
	s = server_ready();
	n = raw_packet(pkt, 12, 11, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_PROTOCOL, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	/* Not a multiple of 8 including the length field. */
	s = server_ready();
	n = raw_packet(pkt, 13, 11, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	s = server_ready();
	n = raw_packet(pkt, 16, 14, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
	/* Too short to hold padding at all. */
	s = server_ready();
	n = raw_packet(pkt, 4, 3, body, 1);
	expect_read_error(
	    s, pkt, n, QSSH_ERR_BAD_PADDING, SSH_DISCONNECT_PROTOCOL_ERROR);
	tport_free(s);
}

static void
test_malformed_aead_length(void **state)
{
	struct qssh_view v, pl;
	struct pair p;
	uint8_t type, *copy;
	int r;

	(void)state;
	/* GCM: length in clear; a length not a multiple of 16 is refused. */
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	install_keys(&p, "aes256-gcm@openssh.com", NULL, TPORT_COMP_NONE);
	assert_int_equal(tport_send(p.c, SSH_MSG_CHANNEL_DATA, pattern, 40), 0);
	v = tport_output(p.c);
	assert_int_equal((qssh_get_u32be(v.p)) % 16, 0);
	copy = malloc(v.len);
	assert_non_null(copy);
	memcpy(copy, v.p, v.len);
	qssh_put_u32be(copy, qssh_get_u32be(copy) + 8);
	assert_int_equal(tport_input(p.s, copy, v.len), 0);
	r = tport_read_packet(p.s, &type, &pl);
	assert_int_equal(r, QSSH_ERR_BAD_PADDING);
	free(copy);
	pair_free(&p);

	/* ETM: the length is authenticated. */
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	install_keys(
	    &p, "aes128-ctr", "hmac-sha2-256-etm@openssh.com", TPORT_COMP_NONE);
	assert_int_equal(tport_send(p.c, SSH_MSG_CHANNEL_DATA, pattern, 40), 0);
	v = tport_output(p.c);
	copy = malloc(v.len + 16);
	assert_non_null(copy);
	memset(copy, 0, v.len + 16);
	memcpy(copy, v.p, v.len);
	qssh_put_u32be(copy, qssh_get_u32be(copy) + 16);
	assert_int_equal(tport_input(p.s, copy, v.len + 16), 0);
	r = tport_read_packet(p.s, &type, &pl);
	assert_int_equal(r, QSSH_ERR_MAC_INVALID);
	free(copy);
	pair_free(&p);
}

/* Raw zlib output for compression error tests. */
static size_t
zlib_compress(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit(&z, Z_DEFAULT_COMPRESSION), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_PARTIAL_FLUSH), Z_OK);
	assert_int_equal(z.avail_in, 0);
	deflateEnd(&z);
	return cap - z.avail_out;
}

static struct tport *
server_zlib(void)
{
	struct tport_keys k;
	struct tport *s = server_ready();

	make_keys(&k, "none", NULL, TPORT_COMP_ZLIB, 1);
	assert_int_equal(tport_set_keys_in(s, &k), 0);
	return s;
}

static void
test_compression_errors(void **state)
{
	uint8_t pkt[2048], z[1024], *big;
	size_t zl, plen, n;
	struct qssh_view pl;
	struct tport *s;
	uint8_t type;

	(void)state;
	/* A good compressed packet first, so the raw builder is right. */
	s = server_zlib();
	pkt[0] = SSH_MSG_IGNORE;
	memset(pkt + 1, 'a', 99);
	zl = zlib_compress(pkt, 100, z, sizeof(z));
	plen = 1 + zl + 4;
	plen += 8 - (4 + plen) % 8;
	n = raw_packet(pkt, (uint32_t)plen, (uint8_t)(plen - 1 - zl), z, zl);
	assert_int_equal(tport_input(s, pkt, n), 0);
	assert_int_equal(tport_read_packet(s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_IGNORE);
	assert_int_equal(pl.len, 99);
	tport_free(s);

	/* Garbage instead of deflate data. */
	s = server_zlib();
	memset(z, 0xff, 20);
	n = raw_packet(pkt, 28, 7, z, 20);
	expect_read_error(s, pkt, n, QSSH_ERR_INVALID_FORMAT,
	    SSH_DISCONNECT_COMPRESSION_ERROR);
	tport_free(s);

	/* Expands beyond the packet limit. */
	s = server_zlib();
	big = calloc(1, TPORT_PACKET_MAX + 100);
	assert_non_null(big);
	zl = zlib_compress(big, TPORT_PACKET_MAX + 100, z, sizeof(z));
	plen = 1 + zl + 4;
	plen += 8 - (4 + plen) % 8;
	n = raw_packet(pkt, (uint32_t)plen, (uint8_t)(plen - 1 - zl), z, zl);
	expect_read_error(s, pkt, n, QSSH_ERR_INVALID_FORMAT,
	    SSH_DISCONNECT_COMPRESSION_ERROR);
	free(big);
	tport_free(s);
}

static void
test_strict_kex(void **state)
{
	struct pair p;
	int strict;

	(void)state;
	for (strict = 0; strict < 2; strict++) {
		pair_init(&p, CRYP_BACKEND_OPENSSL);
		tport_set_strict_kex(p.c, strict);
		tport_set_strict_kex(p.s, strict);
		exchange_versions(&p);
		roundtrip(p.c, p.s, SSH_MSG_KEXINIT, 10, false);
		roundtrip(p.c, p.s, SSH_MSG_KEX_FIRST, 10, false);
		roundtrip(p.s, p.c, SSH_MSG_KEXINIT, 10, false);
		roundtrip(p.c, p.s, SSH_MSG_NEWKEYS, 0, false);
		roundtrip(p.s, p.c, SSH_MSG_NEWKEYS, 0, false);
		assert_int_equal(tport_seqnr_out(p.c), 3);
		assert_int_equal(tport_seqnr_in(p.s), 3);
		install_keys(
		    &p, "chacha20-poly1305@openssh.com", NULL, TPORT_COMP_NONE);
		assert_int_equal(tport_seqnr_out(p.c), strict ? 0 : 3);
		assert_int_equal(tport_seqnr_in(p.s), strict ? 0 : 3);
		assert_int_equal(tport_seqnr_out(p.s), strict ? 0 : 2);
		assert_int_equal(tport_seqnr_in(p.c), strict ? 0 : 2);
		roundtrip(p.c, p.s, SSH_MSG_SERVICE_REQUEST, 20, false);
		roundtrip(p.s, p.c, SSH_MSG_SERVICE_ACCEPT, 20, false);
		assert_int_equal(tport_seqnr_out(p.c), strict ? 1 : 4);
		/* A rekey resets again. */
		roundtrip(p.c, p.s, SSH_MSG_NEWKEYS, 0, false);
		roundtrip(p.s, p.c, SSH_MSG_NEWKEYS, 0, false);
		install_keys(
		    &p, "aes256-gcm@openssh.com", NULL, TPORT_COMP_NONE);
		assert_int_equal(tport_seqnr_out(p.c), strict ? 0 : 5);
		roundtrip(p.c, p.s, SSH_MSG_CHANNEL_DATA, 100, false);
		roundtrip(p.s, p.c, SSH_MSG_CHANNEL_DATA, 100, false);
		pair_free(&p);
	}
}

static void
test_queue_during_kex(void **state)
{
	struct tport_keys k;
	struct qssh_view pl;
	struct pair p;
	uint8_t type;

	(void)state;
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	exchange_versions(&p);
	install_keys(&p, "aes128-ctr", "hmac-sha2-256", TPORT_COMP_NONE);
	tport_kex_started(p.c);
	assert_int_equal(tport_send(p.c, SSH_MSG_CHANNEL_DATA, pattern, 10), 0);
	assert_int_equal(tport_send(p.c, SSH_MSG_CHANNEL_EOF, pattern, 4), 0);
	assert_int_equal(tport_output_len(p.c), 0);
	assert_int_equal(tport_send(p.c, SSH_MSG_KEXINIT, pattern, 30), 0);
	assert_int_equal(tport_send(p.c, SSH_MSG_IGNORE, NULL, 0), 0);
	assert_int_equal(tport_send(p.c, SSH_MSG_NEWKEYS, NULL, 0), 0);
	make_keys(&k, "aes256-gcm@openssh.com", NULL, TPORT_COMP_NONE, 0x42);
	assert_int_equal(tport_set_keys_out(p.c, &k), 0);
	shuttle(p.c, p.s, false);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_KEXINIT);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_IGNORE);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_NEWKEYS);
	assert_int_equal(tport_set_keys_in(p.s, &k), 0);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_CHANNEL_DATA);
	assert_int_equal(pl.len, 10);
	assert_memory_equal(pl.p, pattern, 10);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_CHANNEL_EOF);
	assert_int_equal(pl.len, 4);
	assert_int_equal(tport_read_packet(p.s, &type, &pl), QSSH_ERR_AGAIN);
	/* Not held any more. */
	roundtrip(p.c, p.s, SSH_MSG_CHANNEL_DATA, 5, false);
	pair_free(&p);
}

static void
test_disconnect(void **state)
{
	struct qssh_view pl, msg, lang;
	struct pair p;
	uint32_t reason;
	uint8_t type;

	(void)state;
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	exchange_versions(&p);
	install_keys(&p, "aes128-gcm@openssh.com", NULL, TPORT_COMP_NONE);
	tport_kex_started(p.s);
	assert_int_equal(
	    tport_send_disconnect(p.s, SSH_DISCONNECT_BY_APPLICATION, "bye"),
	    0);
	assert_int_equal(
	    tport_send(p.s, SSH_MSG_IGNORE, NULL, 0), QSSH_ERR_CONN_CLOSED);
	assert_int_equal(
	    tport_send_disconnect(p.s, 2, "again"), QSSH_ERR_CONN_CLOSED);
	shuttle(p.s, p.c, false);
	assert_int_equal(tport_read_packet(p.c, &type, &pl), 0);
	assert_int_equal(type, SSH_MSG_DISCONNECT);
	assert_int_equal(qssh_view_get_u32(&pl, &reason), 0);
	assert_int_equal(reason, SSH_DISCONNECT_BY_APPLICATION);
	assert_int_equal(qssh_view_get_string(&pl, &msg), 0);
	assert_true(qssh_view_eq_str(msg, "bye"));
	assert_int_equal(qssh_view_get_string(&pl, &lang), 0);
	assert_int_equal(lang.len, 0);
	assert_int_equal(pl.len, 0);
	pair_free(&p);
}

static void
test_disconnect_reason(void **state)
{
	(void)state;
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_MAC_INVALID), 5);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_INVALID_FORMAT), 6);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_PROTOCOL_VERSION), 8);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_KEX_FAILED), 3);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_NO_MATCH), 3);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_BAD_PADDING), 2);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_PACKET_TOO_LARGE), 2);
	assert_int_equal(tport_disconnect_reason(QSSH_ERR_PROTOCOL), 2);
}

static void
test_rekey_limits(void **state)
{
	struct qssh_view pl;
	struct pair p;
	uint8_t type;
	int i;

	(void)state;
	pair_init(&p, CRYP_BACKEND_OPENSSL);
	tport_set_rekey_limits(p.c, 4096, 3600);
	assert_false(tport_rekey_needed(p.c));
	/* No limits apply before the first keys. */
	for (i = 0; i < 10; i++)
		assert_int_equal(
		    tport_send(p.c, SSH_MSG_IGNORE, pattern, 1000), 0);
	assert_false(tport_rekey_needed(p.c));
	shuttle(p.c, p.s, false);
	for (i = 0; i < 10; i++)
		assert_int_equal(tport_read_packet(p.s, &type, &pl), 0);
	install_keys(&p, "aes128-ctr", "hmac-sha1", TPORT_COMP_NONE);
	assert_false(tport_rekey_needed(p.c));
	roundtrip(p.c, p.s, SSH_MSG_CHANNEL_DATA, 3000, false);
	assert_false(tport_rekey_needed(p.c));
	roundtrip(p.c, p.s, SSH_MSG_CHANNEL_DATA, 3000, false);
	assert_true(tport_rekey_needed(p.c));
	/* Incoming bytes count too. */
	tport_set_rekey_limits(p.s, 4096, 0);
	assert_true(tport_rekey_needed(p.s));
	install_keys(&p, "aes128-ctr", "hmac-sha1", TPORT_COMP_NONE);
	assert_false(tport_rekey_needed(p.c));
	assert_false(tport_rekey_needed(p.s));
	/* The default (RFC 4344) limit is far away. */
	tport_set_rekey_limits(p.c, 0, 0);
	roundtrip(p.c, p.s, SSH_MSG_CHANNEL_DATA, BIG_PAYLOAD, false);
	assert_false(tport_rekey_needed(p.c));
	pair_free(&p);
}

static void
test_send_limits(void **state)
{
	struct tport *t;

	(void)state;
	t = tport_new(false, CRYP_BACKEND_OPENSSL);
	assert_non_null(t);
	assert_int_equal(
	    tport_send_version(t, "SSH-1.5-x"), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    tport_send_version(t, "SSH-2.0-a\r\nb"), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(tport_send_version(t, "SSH-2.0-ok"), 0);
	assert_int_equal(
	    tport_send_version(t, "SSH-2.0-ok"), QSSH_ERR_INVALID_ARGUMENT);
	assert_int_equal(
	    tport_send(t, SSH_MSG_IGNORE, pattern, TPORT_PACKET_MAX),
	    QSSH_ERR_PACKET_TOO_LARGE);
	assert_int_equal(
	    tport_send(t, SSH_MSG_IGNORE, pattern, TPORT_PACKET_MAX - 20), 0);
	tport_free(t);
	tport_free(NULL);
}

/* Version tests: feed text to a fresh tport, expect r from read_version. */
static void
version_case(
    bool server, const char *in, size_t len, int expect, const char *ident)
{
	struct tport *t = tport_new(server, CRYP_BACKEND_OPENSSL);
	const char *id;
	int r;

	assert_non_null(t);
	assert_int_equal(tport_input(t, in, len), 0);
	r = tport_read_version(t, &id);
	assert_int_equal(r, expect);
	if (r == 0)
		assert_string_equal(id, ident);
	else if (r != QSSH_ERR_AGAIN)
		assert_int_equal(tport_disconnect_reason(r),
		    SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED);
	tport_free(t);
}

#define VCASE(srv, s, e, id) version_case(srv, s, sizeof(s) - 1, e, id)

static void
test_version_lines(void **state)
{
	(void)state;
	VCASE(true, "SSH-2.0-OpenSSH_9.2 Debian\r\n", 0,
	    "SSH-2.0-OpenSSH_9.2 Debian");
	VCASE(true, "SSH-2.0-bare_lf\n", 0, "SSH-2.0-bare_lf");
	VCASE(false, "SSH-1.99-old\r\n", 0, "SSH-1.99-old");
	VCASE(true, "SSH-2.0-partial", QSSH_ERR_AGAIN, NULL);
	VCASE(true, "", QSSH_ERR_AGAIN, NULL);
	VCASE(true, "SS", QSSH_ERR_AGAIN, NULL);
	VCASE(true, "SSH-1.5-old\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	VCASE(true, "SSH-2.0-\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	VCASE(true, "SSH-2.0-a\0b\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	VCASE(
	    false, "hello\0\r\nSSH-2.0-x\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	VCASE(true, "GET / HTTP/1.1\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	/* No line at all, only junk: a server knows at once. */
	VCASE(true, "\x00\x00\x00\x0c", QSSH_ERR_PROTOCOL_VERSION, NULL);
	/* Server: the identification must come first. */
	VCASE(true, "banner\r\nSSH-2.0-x\r\n", QSSH_ERR_PROTOCOL_VERSION, NULL);
	/* Client: other lines first are fine. */
	VCASE(false, "banner\r\n\r\nSSH\nSSH-2.0-x\r\n", 0, "SSH-2.0-x");
	VCASE(false, "banner\r\n", QSSH_ERR_AGAIN, NULL);
}

static void
test_version_lines_long(void **state)
{
	char line[400], expect[256];
	struct tport *t;
	const char *id;
	char *many;
	size_t i, n;

	(void)state;
	memset(line, 'a', sizeof(line));
	memcpy(line, "SSH-2.0-", 8);
	memcpy(line + 253, "\r\n", 2);
	memcpy(expect, line, 253);
	expect[253] = '\0';
	version_case(true, line, 255, 0, expect);
	memcpy(line + 253, "a\r\n", 3);
	version_case(true, line, 256, QSSH_ERR_PROTOCOL_VERSION, NULL);
	/* Without any line end. */
	version_case(true, line, 300, QSSH_ERR_PROTOCOL_VERSION, NULL);
	version_case(false, line, 300, QSSH_ERR_PROTOCOL_VERSION, NULL);

	/* Client: TPORT_BANNER_LINES_MAX other lines, not one more. */
	n = (TPORT_BANNER_LINES_MAX + 1) * 6 + 16;
	many = malloc(n);
	assert_non_null(many);
	for (i = 0; i < TPORT_BANNER_LINES_MAX + 1; i++)
		memcpy(many + i * 6, "hello\n", 6);
	memcpy(many + (TPORT_BANNER_LINES_MAX + 1) * 6, "SSH-2.0-x\r\n", 11);
	version_case(
	    false, many + 6, TPORT_BANNER_LINES_MAX * 6 + 11, 0, "SSH-2.0-x");
	version_case(false, many, (TPORT_BANNER_LINES_MAX + 1) * 6 + 11,
	    QSSH_ERR_PROTOCOL_VERSION, NULL);
	free(many);
	/* An over-long other line. */
	many = malloc(TPORT_BANNER_LINE_MAX + 1);
	assert_non_null(many);
	memset(many, 'b', TPORT_BANNER_LINE_MAX + 1);
	version_case(false, many, TPORT_BANNER_LINE_MAX + 1,
	    QSSH_ERR_PROTOCOL_VERSION, NULL);
	many[TPORT_BANNER_LINE_MAX - 1] = '\n';
	version_case(false, many, TPORT_BANNER_LINE_MAX, QSSH_ERR_AGAIN, NULL);
	free(many);

	/* Byte at a time, with packets right behind the line. */
	t = tport_new(false, CRYP_BACKEND_OPENSSL);
	assert_non_null(t);
	{
		static const char in[] = "pre\r\nSSH-2.0-srv\r\n\0\0\0\x0c";
		for (i = 0; i < sizeof(in) - 1; i++) {
			assert_int_equal(
			    tport_read_version(t, &id), QSSH_ERR_AGAIN);
			assert_int_equal(tport_input(t, in + i, 1), 0);
			if (in[i] == '\n' && i > 5)
				break;
		}
		assert_int_equal(tport_read_version(t, &id), 0);
		assert_string_equal(id, "SSH-2.0-srv");
		assert_string_equal(tport_remote_version(t), "SSH-2.0-srv");
	}
	tport_free(t);
}

static void
test_input_overflow(void **state)
{
	struct tport *s;
	size_t fed = 0;
	int r;

	(void)state;
	s = server_ready();
	for (;;) {
		r = tport_input(s, pattern, 64 * 1024);
		if (r != 0)
			break;
		fed += 64 * 1024;
		assert_true(fed < 4 * TPORT_PACKET_MAX);
	}
	assert_int_equal(r, QSSH_ERR_NO_BUFFER_SPACE);
	assert_true(fed >= 2 * TPORT_PACKET_MAX);
	tport_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_mode),
		cmocka_unit_test(test_all_algorithms),
		cmocka_unit_test(test_tamper_all_algorithms),
		cmocka_unit_test(test_compression_zlib),
		cmocka_unit_test(test_compression_delayed),
		cmocka_unit_test(test_compression_errors),
		cmocka_unit_test(test_malformed_packets),
		cmocka_unit_test(test_malformed_aead_length),
		cmocka_unit_test(test_strict_kex),
		cmocka_unit_test(test_queue_during_kex),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_disconnect_reason),
		cmocka_unit_test(test_rekey_limits),
		cmocka_unit_test(test_send_limits),
		cmocka_unit_test(test_version_lines),
		cmocka_unit_test(test_version_lines_long),
		cmocka_unit_test(test_input_overflow),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
