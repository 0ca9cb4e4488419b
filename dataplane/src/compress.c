/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * "zlib" and "zlib@openssh.com" payload compression (RFC 4253 6.2): one
 * deflate stream for output and one inflate stream for input, each kept for
 * the life of the connection (across rekeys).  Every outgoing payload ends
 * with a partial flush so the peer can decompress it on its own.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "common/err.h"
#include "common/util.h"
#include "transport_priv.h"

struct tport_zstream {
	z_stream s;
	bool deflate;
};

int
tport_z_start(struct tport_dir *d, bool deflate_dir)
{
	struct tport_zstream *z = NULL;
	int rc;

	/*
	 * RFC 4253 6.2: the compression context is initialised after each key
	 * exchange, so a rekey starts a fresh stream (OpenSSH does the same).
	 */
	if (d->z != NULL) {
		tport_z_free(d->z);
		d->z = NULL;
	}
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return QSSH_ERR_ALLOC;
	z->deflate = deflate_dir;
	if (deflate_dir)
		rc = deflateInit(&z->s, Z_DEFAULT_COMPRESSION);
	else
		rc = inflateInit(&z->s);
	if (rc != Z_OK) {
		free(z);
		return rc == Z_MEM_ERROR ? QSSH_ERR_ALLOC : QSSH_ERR_INTERNAL;
	}
	d->z = z;
	return 0;
}

void
tport_z_free(struct tport_zstream *z)
{
	if (z == NULL)
		return;
	if (z->deflate)
		deflateEnd(&z->s);
	else
		inflateEnd(&z->s);
	qssh_wipe(z, sizeof(*z));
	free(z);
}

/* Grow t->zout to at least want bytes, keeping the first keep bytes. */
static int
zout_grow(struct tport *t, size_t want, size_t keep)
{
	uint8_t *n;

	if (want <= t->zout_len)
		return 0;
	if ((n = malloc(want)) == NULL)
		return QSSH_ERR_ALLOC;
	if (keep > 0)
		memcpy(n, t->zout, keep);
	qssh_wipe_free(t->zout, t->zout_len);
	t->zout = n;
	t->zout_len = want;
	return 0;
}

int
tport_z_deflate(struct tport *t, uint8_t type, const void *a, size_t alen,
    const void *b, size_t blen, size_t *outlen)
{
	const void *payload = b;
	size_t len = blen;
	struct tport_zstream *z = t->tx.z;
	size_t done;
	int rc, r;

	*outlen = 0;
	if (z == NULL || !z->deflate)
		return QSSH_ERR_INTERNAL;
	if (alen > TPORT_PACKET_MAX || blen > TPORT_PACKET_MAX ||
	    alen + blen > TPORT_PACKET_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	if ((r = zout_grow(t,
		 deflateBound(&z->s, (uLong)(alen + blen) + 1) + 64, 0)) != 0)
		return r;
	z->s.next_out = t->zout;
	z->s.avail_out = (uInt)t->zout_len;
	z->s.next_in = &type;
	z->s.avail_in = 1;
	if (deflate(&z->s, Z_NO_FLUSH) != Z_OK || z->s.avail_in != 0)
		return QSSH_ERR_INTERNAL;
	/* The first part goes in whole; the flush comes with the second. */
	if (blen == 0) {
		payload = a;
		len = alen;
	} else if (alen > 0) {
		z->s.next_in = (Bytef *)(uintptr_t)a;
		z->s.avail_in = (uInt)alen;
		if (deflate(&z->s, Z_NO_FLUSH) != Z_OK || z->s.avail_in != 0)
			return QSSH_ERR_INTERNAL;
	}
	z->s.next_in = (Bytef *)(uintptr_t)payload;
	z->s.avail_in = (uInt)len;
	for (;;) {
		rc = deflate(&z->s, Z_PARTIAL_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return QSSH_ERR_INTERNAL;
		if (z->s.avail_out != 0 && z->s.avail_in == 0)
			break;
		/* Out of room: a rare worst case, grow and go on. */
		done = t->zout_len - z->s.avail_out;
		if ((r = zout_grow(t, t->zout_len * 2, done)) != 0)
			return r;
		z->s.next_out = t->zout + done;
		z->s.avail_out = (uInt)(t->zout_len - done);
	}
	z->s.next_in = NULL;
	*outlen = t->zout_len - z->s.avail_out;
	return 0;
}

int
tport_z_inflate(struct tport *t, const uint8_t *in, size_t len, size_t *outlen)
{
	struct tport_zstream *z = t->rx.z;
	/* One byte more than allowed, so that a full buffer means overflow. */
	const size_t cap = TPORT_PACKET_MAX + 1;
	int rc;

	*outlen = 0;
	if (z == NULL || z->deflate)
		return QSSH_ERR_INTERNAL;
	if (t->zin == NULL) {
		if ((t->zin = malloc(cap)) == NULL)
			return QSSH_ERR_ALLOC;
		t->zin_len = cap;
	}
	z->s.next_in = (Bytef *)(uintptr_t)in;
	z->s.avail_in = (uInt)len;
	z->s.next_out = t->zin;
	z->s.avail_out = (uInt)cap;
	for (;;) {
		rc = inflate(&z->s, Z_SYNC_FLUSH);
		if (rc == Z_MEM_ERROR)
			return QSSH_ERR_ALLOC;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return QSSH_ERR_INVALID_FORMAT;
		if (z->s.avail_out == 0)
			return QSSH_ERR_INVALID_FORMAT; /* too large */
		if (z->s.avail_in == 0)
			break;
		if (rc == Z_BUF_ERROR)
			return QSSH_ERR_INVALID_FORMAT; /* no progress */
	}
	z->s.next_in = NULL;
	*outlen = cap - z->s.avail_out;
	return 0;
}
