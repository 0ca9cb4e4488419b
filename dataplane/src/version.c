/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Identification string exchange (RFC 4253 4.2):
 *
 *   SSH-protoversion-softwareversion SP comments CR LF
 *
 * at most 255 bytes including CR LF.  A bare LF is accepted as line end.  A
 * server may send other lines first (not starting with "SSH-"), so a client
 * skips up to TPORT_BANNER_LINES_MAX of them; a server expects the client's
 * identification as the very first line.  "SSH-1.99" announces a server that
 * also speaks SSH-2 and is accepted like "SSH-2.0".
 */
#include <string.h>

#include "common/err.h"
#include "common/log.h"
#include "transport_priv.h"

static const char ssh_prefix[] = "SSH-";

int
tport_send_version(struct tport *t, const char *ident)
{
	uint8_t *p;
	size_t len;
	int r;

	if (t->relay)
		return tport_relay_version(t, ident);
	if (ident == NULL || t->version_sent || tport_fifo_len(&t->out) != 0 ||
	    t->tx.st_packets != 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	len = strlen(ident);
	/* Room for CR LF within the limit; no line breaks inside. */
	if (len > TPORT_VERSION_MAX - 2 || strncmp(ident, "SSH-2.0-", 8) != 0 ||
	    len == 8 || strpbrk(ident, "\r\n") != NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = tport_fifo_reserve(&t->out, len + 2, &p)) != 0)
		return r;
	memcpy(p, ident, len);
	p[len] = '\r';
	p[len + 1] = '\n';
	memcpy(t->local_version, ident, len + 1);
	t->version_sent = true;
	t->tx.st_bytes += len + 2;
	return 0;
}

/* The line is an acceptable SSH-2 identification. */
static bool
version_ok(struct qssh_view line)
{
	static const char *const ok[] = { "SSH-2.0-", "SSH-1.99-" };
	size_t i, n;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = strlen(ok[i]);
		/* Needs a non-empty softwareversion after the prefix. */
		if (line.len > n && memcmp(line.p, ok[i], n) == 0)
			return true;
	}
	return false;
}

/*
 * One line from the input: AGAIN if incomplete, else its length with line
 * end in *used and the contents without CR LF in *line.
 */
static int
version_next_line(
    struct tport *t, struct qssh_view *line, size_t *used, bool *is_ident)
{
	struct qssh_view in =
	    qssh_view_make(tport_fifo_ptr(&t->in), tport_fifo_len(&t->in));
	const uint8_t *nl;
	size_t pfx, lim, scan, n;

	if (in.len == 0)
		return QSSH_ERR_AGAIN;
	pfx = in.len < 4 ? in.len : 4;
	*is_ident = memcmp(in.p, ssh_prefix, pfx) == 0;
	if (!*is_ident && t->is_server)
		return QSSH_ERR_PROTOCOL_VERSION;
	lim = *is_ident ? TPORT_VERSION_MAX : TPORT_BANNER_LINE_MAX;
	scan = in.len < lim ? in.len : lim;
	if ((nl = memchr(in.p, '\n', scan)) == NULL)
		return in.len >= lim ? QSSH_ERR_PROTOCOL_VERSION
				     : QSSH_ERR_AGAIN;
	*used = (size_t)(nl - in.p) + 1;
	n = *used - 1;
	if (n > 0 && in.p[n - 1] == '\r')
		n--;
	if (qssh_view_get_bytes(&in, n, line) != 0)
		return QSSH_ERR_INTERNAL;
	if (memchr(line->p, '\0', line->len) != NULL)
		return QSSH_ERR_PROTOCOL_VERSION;
	/* A short line such as "SSH\n" is not an identification. */
	if (*is_ident && (n < 4 || memcmp(line->p, ssh_prefix, 4) != 0)) {
		*is_ident = false;
		if (t->is_server)
			return QSSH_ERR_PROTOCOL_VERSION;
	}
	return 0;
}

int
tport_read_version(struct tport *t, const char **ident)
{
	struct qssh_view line;
	size_t used;
	bool is_ident;
	int r;

	if (ident != NULL)
		*ident = NULL;
	if (t->version_read) {
		if (ident != NULL)
			*ident = t->remote_version;
		return 0;
	}
	if (t->in_err != 0)
		return t->in_err;
	if (t->relay)
		return tport_relay_read_version(t, ident);
	for (;;) {
		r = version_next_line(t, &line, &used, &is_ident);
		if (r == QSSH_ERR_AGAIN)
			return r;
		if (r != 0)
			goto fail;
		if (is_ident)
			break;
		if (++t->banner_lines > TPORT_BANNER_LINES_MAX) {
			r = QSSH_ERR_PROTOCOL_VERSION;
			goto fail;
		}
		tport_fifo_consume(&t->in, used);
	}
	if (!version_ok(line)) {
		r = QSSH_ERR_PROTOCOL_VERSION;
		goto fail;
	}
	memcpy(t->remote_version, line.p, line.len);
	t->remote_version[line.len] = '\0';
	tport_fifo_consume(&t->in, used);
	t->version_read = true;
	if (qssh_log_enabled(QSSH_LOG_DEBUG3))
		qlog_debug3("transport: remote version \"%s\", %u other lines",
		    t->remote_version, t->banner_lines);
	if (ident != NULL)
		*ident = t->remote_version;
	return 0;
fail:
	t->in_err = r;
	return r;
}

const char *
tport_local_version(const struct tport *t)
{
	return t->local_version;
}

const char *
tport_remote_version(const struct tport *t)
{
	return t->remote_version;
}
