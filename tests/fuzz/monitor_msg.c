/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_monitor_msg: arbitrary bytes as monitor requests in every state.
 * Input: one selector byte, then frames (u32 length, type, payload) fed to
 * monitor_handle_msg() until the monitor kills the connection.  Selector:
 * bits 0-1 the state (pre-auth, authenticated, session), bit 2 user known
 * (pre-auth), bit 3 that user invalid, bit 4 a session id signed.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "control/key.h"
#include "control/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct key *host_key;

static int
stub_password(
    void *ctx, const struct monitor_pw *pw, bool valid, const char *password)
{
	(void)ctx;
	(void)pw;
	(void)valid;
	return strcmp(password, "secret") == 0 ? 0 : QSSH_ERR_ACCESS;
}

static int
stub_key_allowed(void *ctx, const struct monitor_pw *pw, const struct key *k)
{
	(void)ctx;
	(void)pw;
	(void)k;
	return 0;
}

static int
stub_session(void *ctx, const struct monitor_pw *pw)
{
	(void)ctx;
	(void)pw;
	return 0;
}

static int
stub_pty(void *ctx, const struct monitor_pw *pw, int *fd, char *tty, size_t len)
{
	(void)ctx;
	(void)pw;
	*fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	snprintf(tty, len, "/dev/pts/0");
	return *fd >= 0 ? 0 : QSSH_ERR_SYSTEM;
}

static const struct monitor_callbacks stubs = { stub_password, stub_key_allowed,
	stub_session, stub_pty };

static int
feed(struct monitor *m, struct qssh_buf *msg)
{
	struct qssh_buf *ans = qssh_buf_new();
	int fd = -1, r = QSSH_ERR_ALLOC;

	if (ans != NULL)
		r = monitor_handle_msg(
		    m, qssh_buf_ptr(msg), qssh_buf_len(msg), ans, &fd);
	if (fd >= 0)
		close(fd);
	qssh_buf_free(ans);
	qssh_buf_reset(msg);
	return r;
}

/* Bring the monitor into the state the selector asks for. */
static int
prepare(struct monitor *m, uint8_t sel)
{
	static const uint8_t h[32] = { 1 };
	struct qssh_buf *b = qssh_buf_new();
	unsigned st = sel % 3;
	int r = QSSH_ERR_ALLOC;

	if (b == NULL)
		goto out;
	if ((sel & 0x10) != 0 || st > 0) {
		if ((r = qssh_buf_put_u8(b, MONITOR_REQ_SIGN)) != 0 ||
		    (r = qssh_buf_put_u32(b, 0)) != 0 ||
		    (r = qssh_buf_put_cstring(b, "")) != 0 ||
		    (r = qssh_buf_put_string(b, h, sizeof(h))) != 0 ||
		    (r = feed(m, b)) != 0)
			goto out;
	}
	if ((sel & 0x04) != 0 || st > 0) {
		if ((r = qssh_buf_put_u8(b, MONITOR_REQ_GETPW)) != 0 ||
		    (r = qssh_buf_put_cstring(b,
			 (sel & 0x08) != 0 && st == 0 ? "qssh-nouser-fz"
						      : "root")) != 0 ||
		    (r = feed(m, b)) != 0)
			goto out;
	}
	if (st > 0) {
		if ((r = qssh_buf_put_u8(b, MONITOR_REQ_AUTH_PASSWORD)) != 0 ||
		    (r = qssh_buf_put_cstring(b, "secret")) != 0 ||
		    (r = feed(m, b)) != 0)
			goto out;
	}
	if (st > 1) {
		if ((r = qssh_buf_put_u8(b, MONITOR_REQ_SESSION_START)) != 0 ||
		    (r = feed(m, b)) != 0)
			goto out;
	}
	r = 0;
out:
	qssh_buf_free(b);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[MONITOR_FAKE_SECRET_LEN] = { 3 };
	struct key *keys[1];
	struct monitor_config cfg;
	struct monitor *m = NULL;
	struct qssh_buf *msg = NULL;
	struct qssh_view in;
	uint32_t len;
	size_t n;
	uint8_t sel;

	if (host_key == NULL) {
		qssh_log_init("fuzz_monitor_msg", QSSH_LOG_QUIET,
		    QSSH_LOG_FAC_USER, true);
		if (key_generate(KEY_ED25519, 0, &host_key) != 0)
			return 0;
	}
	if (size < 1)
		return 0;
	qssh_view_init(&in, data, size);
	(void)qssh_view_get_u8(&in, &sel);
	keys[0] = host_key;
	memset(&cfg, 0, sizeof(cfg));
	cfg.host_keys = keys;
	cfg.num_host_keys = 1;
	cfg.cb = &stubs;
	cfg.fake_secret = secret;
	if ((m = monitor_new(-1, &cfg)) == NULL ||
	    (msg = qssh_buf_new()) == NULL || prepare(m, sel) != 0)
		goto out;
	while (in.len > 0) {
		if (qssh_view_get_u32(&in, &len) != 0)
			break;
		n = len > in.len ? in.len : len;
		if (qssh_buf_put(msg, in.p, n) != 0 ||
		    qssh_view_skip(&in, n) != 0)
			break;
		if (feed(m, msg) != 0)
			break;
	}
out:
	qssh_buf_free(msg);
	monitor_free(m);
	return 0;
}
