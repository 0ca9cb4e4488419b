/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SSH agent client: the socket, framing and the requests.  Replies are
 * decoded by the parsers in agent_client_parse.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/agent.h"
#include "control/key.h"
#include "key_private.h"

struct agent_conn {
	int fd;
	int timeout_ms;
	/* An I/O or framing error left the stream out of step. */
	bool broken;
};

#define AGENT_SESSION_BIND "session-bind@openssh.com"

int
agent_conn_from_fd(int fd, struct agent_conn **out)
{
	struct agent_conn *c;

	*out = NULL;
	if (fd < 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return QSSH_ERR_ALLOC;
	c->fd = fd;
	c->timeout_ms = AGENT_TIMEOUT_NONE;
	*out = c;
	return 0;
}

static int
connect_errno(int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
		return QSSH_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
		return QSSH_ERR_ACCESS;
	case ECONNREFUSED:
		return QSSH_ERR_CONN_CLOSED;
	default:
		return QSSH_ERR_SYSTEM;
	}
}

/* An interrupted connect() goes on in the background: wait for its end. */
static int
connect_finish(int fd)
{
	struct pollfd pfd;
	socklen_t sl;
	int err = 0;

	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) >= 0)
			break;
		if (errno != EINTR)
			return QSSH_ERR_SYSTEM;
	}
	sl = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0)
		return QSSH_ERR_SYSTEM;
	return err == 0 ? 0 : connect_errno(err);
}

int
agent_connect(const char *path, struct agent_conn **out)
{
	struct sockaddr_un sun;
	int fd = -1, r;

	*out = NULL;
	if (path == NULL)
		path = getenv("SSH_AUTH_SOCK");
	if (path == NULL || *path == '\0')
		return QSSH_ERR_NOT_FOUND;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return QSSH_ERR_PATH_TOO_LONG;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		r = QSSH_ERR_SYSTEM;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		if (errno != EINTR) {
			r = connect_errno(errno);
			goto out;
		}
		if ((r = connect_finish(fd)) != 0)
			goto out;
	}
	if ((r = agent_conn_from_fd(fd, out)) != 0)
		goto out;
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	return r;
}

void
agent_close(struct agent_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int
agent_get_fd(const struct agent_conn *c)
{
	return c->fd;
}

void
agent_set_timeout(struct agent_conn *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms < 0 ? AGENT_TIMEOUT_NONE : timeout_ms;
}

/* Waits until fd is ready for events or the deadline (0 = none) passes. */
static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd pfd;
	uint64_t now;
	int ms, n;

	for (;;) {
		ms = -1;
		if (deadline != 0) {
			now = qssh_monotime_ms();
			if (now >= deadline)
				return QSSH_ERR_TIMEOUT;
			ms = deadline - now > 1000000 ? 1000000
						      : (int)(deadline - now);
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return QSSH_ERR_SYSTEM;
	}
}

static int
send_all(int fd, const uint8_t *p, size_t len, uint64_t deadline)
{
	ssize_t n;
	size_t off = 0;
	int r;

	while (off < len) {
		n = send(fd, p + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return QSSH_ERR_CONN_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return QSSH_ERR_CONN_CLOSED;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return QSSH_ERR_SYSTEM;
		if ((r = wait_fd(fd, POLLOUT, deadline)) != 0)
			return r;
	}
	return 0;
}

static int
recv_all(int fd, uint8_t *p, size_t len, uint64_t deadline)
{
	ssize_t n;
	size_t off = 0;
	int r;

	while (off < len) {
		n = recv(fd, p + off, len - off, MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			return QSSH_ERR_CONN_CLOSED;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return QSSH_ERR_CONN_CLOSED;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return QSSH_ERR_SYSTEM;
		if ((r = wait_fd(fd, POLLIN, deadline)) != 0)
			return r;
	}
	return 0;
}

/*
 * A new request: four bytes for the length (filled in by request()), then
 * the message type.
 */
static int
msg_new(uint8_t type, struct qssh_buf **out)
{
	struct qssh_buf *b;
	int r;

	*out = NULL;
	if ((b = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = qssh_buf_put_u32(b, 0)) != 0 ||
	    (r = qssh_buf_put_u8(b, type)) != 0) {
		qssh_buf_free(b);
		return r;
	}
	*out = b;
	return 0;
}

/*
 * Sends the request in req (built by msg_new()) and reads one reply message
 * into reply (type byte first).
 */
static int
request(struct agent_conn *c, struct qssh_buf *req, struct qssh_buf *reply)
{
	uint8_t hdr[4], *dst;
	uint64_t deadline = 0;
	uint32_t len;
	size_t reqlen;
	int r;

	if (c == NULL || c->fd < 0)
		return QSSH_ERR_INVALID_ARGUMENT;
	if (c->broken)
		return QSSH_ERR_CONN_CORRUPT;
	reqlen = qssh_buf_len(req);
	if (reqlen < 5 || reqlen - 4 > AGENT_MSG_MAX)
		return QSSH_ERR_PACKET_TOO_LARGE;
	qssh_put_u32be(qssh_buf_mutable_ptr(req), (uint32_t)(reqlen - 4));
	if (c->timeout_ms >= 0)
		deadline = qssh_monotime_ms() + (uint64_t)c->timeout_ms + 1;
	qssh_buf_reset(reply);
	if ((r = send_all(c->fd, qssh_buf_ptr(req), reqlen, deadline)) != 0)
		goto fail;
	if ((r = recv_all(c->fd, hdr, sizeof(hdr), deadline)) != 0)
		goto fail;
	len = qssh_get_u32be(hdr);
	if (len > AGENT_MSG_MAX) {
		r = QSSH_ERR_PACKET_TOO_LARGE;
		goto fail;
	}
	if (len == 0)
		return QSSH_ERR_INVALID_FORMAT;
	if ((r = qssh_buf_reserve(reply, len, &dst)) != 0)
		goto fail;
	if ((r = recv_all(c->fd, dst, len, deadline)) != 0)
		goto fail;
	return 0;
fail:
	c->broken = true;
	qssh_buf_reset(reply);
	return r;
}

/* A request whose answer is SUCCESS or FAILURE.  Frees req. */
static int
request_status(struct agent_conn *c, struct qssh_buf *req)
{
	struct qssh_buf *reply = NULL;
	int r;

	if ((reply = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = request(c, req, reply)) != 0)
		goto out;
	r = agent_parse_status(qssh_buf_ptr(reply), qssh_buf_len(reply));
out:
	qssh_buf_free(req);
	qssh_buf_free(reply);
	return r;
}

int
agent_list_identities(struct agent_conn *c, struct agent_identities **out)
{
	struct qssh_buf *req = NULL, *reply = NULL;
	int r;

	*out = NULL;
	if ((r = msg_new(AGENTC_REQUEST_IDENTITIES, &req)) != 0)
		goto out;
	if ((reply = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = request(c, req, reply)) != 0)
		goto out;
	r = agent_parse_identities(
	    qssh_buf_ptr(reply), qssh_buf_len(reply), out);
out:
	qssh_buf_free(req);
	qssh_buf_free(reply);
	return r;
}

/* The algorithm an RSA signature must carry for the request flags. */
static const char *
rsa_alg_for_flags(uint32_t flags)
{
	if ((flags & AGENT_SIGN_RSA_SHA2_512) != 0)
		return "rsa-sha2-512";
	if ((flags & AGENT_SIGN_RSA_SHA2_256) != 0)
		return "rsa-sha2-256";
	return "ssh-rsa";
}

int
agent_sign_blob(struct agent_conn *c, const uint8_t *blob, size_t blob_len,
    const uint8_t *data, size_t len, uint32_t flags, struct qssh_buf *sig)
{
	struct qssh_buf *req = NULL, *reply = NULL, *tmp = NULL;
	struct qssh_view kv, ktype, sv, salg;
	int r;

	if ((r = msg_new(AGENTC_SIGN_REQUEST, &req)) != 0)
		goto out;
	if ((reply = qssh_buf_new()) == NULL ||
	    (tmp = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = qssh_buf_put_string(req, blob, blob_len)) != 0 ||
	    (r = qssh_buf_put_string(req, data, len)) != 0 ||
	    (r = qssh_buf_put_u32(req, flags)) != 0)
		goto out;
	if ((r = request(c, req, reply)) != 0)
		goto out;
	if ((r = agent_parse_sign_response(
		 qssh_buf_ptr(reply), qssh_buf_len(reply), tmp)) != 0)
		goto out;
	/* An RSA signature must use the hash that was asked for. */
	kv = qssh_view_make(blob, blob_len);
	sv = qssh_buf_view(tmp);
	if (qssh_view_get_string(&kv, &ktype) == 0 &&
	    qssh_view_eq_str(ktype, "ssh-rsa")) {
		if ((r = qssh_view_get_string(&sv, &salg)) != 0)
			goto out;
		if (!qssh_view_eq_str(salg, rsa_alg_for_flags(flags))) {
			r = QSSH_ERR_SIGNATURE_INVALID;
			goto out;
		}
	}
	r = qssh_buf_put_view(sig, qssh_buf_view(tmp));
out:
	qssh_buf_free(req);
	qssh_buf_free(reply);
	qssh_buf_free(tmp);
	return r;
}

int
agent_sign(struct agent_conn *c, const struct key *key, const uint8_t *data,
    size_t len, uint32_t flags, struct qssh_buf *sig)
{
	struct qssh_buf *blob = NULL;
	int r;

	if ((blob = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_to_blob(key, blob)) != 0)
		goto out;
	r = agent_sign_blob(
	    c, qssh_buf_ptr(blob), qssh_buf_len(blob), data, len, flags, sig);
out:
	qssh_buf_free(blob);
	return r;
}

int
agent_add_identity(struct agent_conn *c, const struct key *key,
    const char *comment, const struct agent_constraints *cons)
{
	struct qssh_buf *req = NULL;
	bool constrained;
	int r;

	if (!key_is_private(key))
		return QSSH_ERR_INVALID_ARGUMENT;
	constrained = cons != NULL && (cons->lifetime_s != 0 || cons->confirm);
	if ((r = msg_new(
		 constrained ? AGENTC_ADD_ID_CONSTRAINED : AGENTC_ADD_IDENTITY,
		 &req)) != 0)
		return r;
	/* req holds the private key from here on; freeing it wipes it. */
	if ((r = key_put_private(key, req)) != 0 ||
	    (r = qssh_buf_put_cstring(req, comment != NULL ? comment : "")) !=
		0)
		goto out;
	if (constrained && cons->lifetime_s != 0) {
		if ((r = qssh_buf_put_u8(req, AGENT_CONSTRAIN_LIFETIME)) != 0 ||
		    (r = qssh_buf_put_u32(req, cons->lifetime_s)) != 0)
			goto out;
	}
	if (constrained && cons->confirm) {
		if ((r = qssh_buf_put_u8(req, AGENT_CONSTRAIN_CONFIRM)) != 0)
			goto out;
	}
	r = request_status(c, req);
	req = NULL;
out:
	qssh_buf_free(req);
	return r;
}

int
agent_remove_identity_blob(
    struct agent_conn *c, const uint8_t *blob, size_t blob_len)
{
	struct qssh_buf *req = NULL;
	int r;

	if ((r = msg_new(AGENTC_REMOVE_IDENTITY, &req)) != 0)
		return r;
	if ((r = qssh_buf_put_string(req, blob, blob_len)) != 0) {
		qssh_buf_free(req);
		return r;
	}
	return request_status(c, req);
}

int
agent_remove_identity(struct agent_conn *c, const struct key *key)
{
	struct qssh_buf *blob = NULL;
	int r;

	if ((blob = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = key_to_blob(key, blob)) == 0)
		r = agent_remove_identity_blob(
		    c, qssh_buf_ptr(blob), qssh_buf_len(blob));
	qssh_buf_free(blob);
	return r;
}

int
agent_remove_all_identities(struct agent_conn *c)
{
	struct qssh_buf *req = NULL;
	int r;

	if ((r = msg_new(AGENTC_REMOVE_ALL_IDENTITIES, &req)) != 0)
		return r;
	return request_status(c, req);
}

static int
lock_request(struct agent_conn *c, uint8_t type, const char *password)
{
	struct qssh_buf *req = NULL;
	int r;

	if (password == NULL)
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = msg_new(type, &req)) != 0)
		return r;
	/* The password stays in req only; freeing it wipes it. */
	if ((r = qssh_buf_put_cstring(req, password)) != 0) {
		qssh_buf_free(req);
		return r;
	}
	return request_status(c, req);
}

int
agent_lock(struct agent_conn *c, const char *password)
{
	return lock_request(c, AGENTC_LOCK, password);
}

int
agent_unlock(struct agent_conn *c, const char *password)
{
	return lock_request(c, AGENTC_UNLOCK, password);
}

/* Sends an extension request and returns the raw reply message. */
static int
extension_request(struct agent_conn *c, const char *name, const uint8_t *body,
    size_t body_len, struct qssh_buf *reply)
{
	struct qssh_buf *req = NULL;
	int r;

	if (name == NULL || (body == NULL && body_len != 0))
		return QSSH_ERR_INVALID_ARGUMENT;
	if ((r = msg_new(AGENTC_EXTENSION, &req)) != 0)
		return r;
	if ((r = qssh_buf_put_cstring(req, name)) != 0)
		goto out;
	if (body_len > 0 && (r = qssh_buf_put(req, body, body_len)) != 0)
		goto out;
	r = request(c, req, reply);
out:
	qssh_buf_free(req);
	return r;
}

int
agent_extension(struct agent_conn *c, const char *name, const uint8_t *body,
    size_t body_len, struct qssh_buf *reply)
{
	struct qssh_buf *raw = NULL;
	int r;

	if ((raw = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = extension_request(c, name, body, body_len, raw)) != 0)
		goto out;
	r = agent_parse_extension_reply(
	    qssh_buf_ptr(raw), qssh_buf_len(raw), reply);
out:
	qssh_buf_free(raw);
	return r;
}

int
agent_session_bind(struct agent_conn *c, const struct key *hostkey,
    const uint8_t *sid, size_t sid_len, const uint8_t *sig, size_t sig_len,
    bool is_forwarding)
{
	struct qssh_buf *body = NULL, *blob = NULL;
	int r;

	if ((body = qssh_buf_new()) == NULL ||
	    (blob = qssh_buf_new()) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if ((r = key_to_blob(hostkey, blob)) != 0 ||
	    (r = qssh_buf_put_stringb(body, blob)) != 0 ||
	    (r = qssh_buf_put_string(body, sid, sid_len)) != 0 ||
	    (r = qssh_buf_put_string(body, sig, sig_len)) != 0 ||
	    (r = qssh_buf_put_bool(body, is_forwarding)) != 0)
		goto out;
	r = agent_extension(c, AGENT_SESSION_BIND, qssh_buf_ptr(body),
	    qssh_buf_len(body), NULL);
out:
	qssh_buf_free(body);
	qssh_buf_free(blob);
	return r;
}

int
agent_query_extensions(struct agent_conn *c, char ***names, size_t *num)
{
	struct qssh_buf *raw = NULL;
	int r;

	*names = NULL;
	*num = 0;
	if ((raw = qssh_buf_new()) == NULL)
		return QSSH_ERR_ALLOC;
	if ((r = extension_request(c, "query", NULL, 0, raw)) != 0)
		goto out;
	r = agent_parse_query(qssh_buf_ptr(raw), qssh_buf_len(raw), names, num);
out:
	qssh_buf_free(raw);
	return r;
}
