/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Parsers for the replies of an SSH agent (draft-miller-ssh-agent).  They
 * do no I/O so that the fuzz target and the tests can feed them any bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/util.h"
#include "control/agent.h"
#include "control/key.h"

/*
 * Checks the message type: 0 with the body in *body when it is the one
 * expected, else the error the reply stands for.
 */
static int
reply_body(
    const uint8_t *msg, size_t len, uint8_t expected, struct qssh_view *body)
{
	struct qssh_view v;
	uint8_t type;

	qssh_view_init(&v, msg, len);
	if (qssh_view_get_u8(&v, &type) != 0)
		return QSSH_ERR_INVALID_FORMAT;
	if (type == expected) {
		*body = v;
		return 0;
	}
	switch (type) {
	case AGENT_MSG_FAILURE:
		return AGENT_ERR_REFUSED;
	case AGENT_EXTENSION_FAILURE:
		return AGENT_ERR_EXTENSION;
	default:
		return QSSH_ERR_UNEXPECTED_MESSAGE;
	}
}

int
agent_parse_status(const uint8_t *msg, size_t len)
{
	struct qssh_view body;
	int r;

	if ((r = reply_body(msg, len, AGENT_MSG_SUCCESS, &body)) != 0)
		return r;
	if (body.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	return 0;
}

void
agent_identities_free(struct agent_identities *ids)
{
	size_t i;

	if (ids == NULL)
		return;
	for (i = 0; i < ids->num_ids; i++) {
		key_free(ids->ids[i].key);
		free(ids->ids[i].blob);
		free(ids->ids[i].comment);
	}
	free(ids->ids);
	free(ids);
}

/* Key blob errors that mean "a key this library cannot use", not corrupt. */
static bool
key_error_skippable(int r)
{
	return r == QSSH_ERR_KEY_TYPE_UNKNOWN ||
	    r == QSSH_ERR_ALG_UNSUPPORTED || r == QSSH_ERR_KEY_LENGTH;
}

int
agent_parse_identities(
    const uint8_t *msg, size_t len, struct agent_identities **out)
{
	struct agent_identities *ids = NULL;
	struct agent_identity *id;
	struct qssh_view v, blob;
	struct key *k = NULL;
	char *comment = NULL;
	uint32_t n, i;
	int r;

	*out = NULL;
	if ((r = reply_body(msg, len, AGENT_IDENTITIES_ANSWER, &v)) != 0)
		goto out;
	if ((r = qssh_view_get_u32(&v, &n)) != 0)
		goto out;
	/* Each entry is at least two empty strings. */
	if (n > v.len / 8) {
		r = QSSH_ERR_MESSAGE_INCOMPLETE;
		goto out;
	}
	if ((ids = calloc(1, sizeof(*ids))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	if (n > 0 && (ids->ids = calloc(n, sizeof(*ids->ids))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((r = qssh_view_get_string(&v, &blob)) != 0 ||
		    (r = qssh_view_get_cstring(&v, &comment)) != 0)
			goto out;
		r = key_from_blob(blob.p, blob.len, &k);
		if (r != 0) {
			if (!key_error_skippable(r))
				goto out;
			ids->num_skipped++;
			free(comment);
			comment = NULL;
			continue;
		}
		id = &ids->ids[ids->num_ids];
		if ((id->blob = malloc(blob.len > 0 ? blob.len : 1)) == NULL) {
			r = QSSH_ERR_ALLOC;
			goto out;
		}
		memcpy(id->blob, blob.p, blob.len);
		id->blob_len = blob.len;
		id->key = k;
		id->comment = comment;
		k = NULL;
		comment = NULL;
		ids->num_ids++;
	}
	if (v.len != 0) {
		r = QSSH_ERR_INVALID_FORMAT;
		goto out;
	}
	*out = ids;
	ids = NULL;
	r = 0;
out:
	key_free(k);
	free(comment);
	agent_identities_free(ids);
	return r;
}

int
agent_parse_sign_response(const uint8_t *msg, size_t len, struct qssh_buf *sig)
{
	struct qssh_view v, blob, inner, alg, raw;
	int r;

	if ((r = reply_body(msg, len, AGENT_SIGN_RESPONSE, &v)) != 0)
		return r;
	if ((r = qssh_view_get_string(&v, &blob)) != 0)
		return r;
	if (v.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	/* The blob itself must be string alg, string signature. */
	inner = blob;
	if ((r = qssh_view_get_string(&inner, &alg)) != 0 ||
	    (r = qssh_view_get_string(&inner, &raw)) != 0)
		return r;
	if (alg.len == 0 || inner.len != 0)
		return QSSH_ERR_INVALID_FORMAT;
	return qssh_buf_put(sig, blob.p, blob.len);
}

void
agent_names_free(char **names)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; names[i] != NULL; i++)
		free(names[i]);
	free(names);
}

int
agent_parse_query(const uint8_t *msg, size_t len, char ***namesp, size_t *num)
{
	struct qssh_view v, name;
	char **names = NULL;
	size_t n = 0, cap;
	int r;

	*namesp = NULL;
	*num = 0;
	/*
	 * Agents answer either SUCCESS followed by the names, or
	 * EXTENSION_RESPONSE with "query" and then the names.
	 */
	r = reply_body(msg, len, AGENT_MSG_SUCCESS, &v);
	if (r == QSSH_ERR_UNEXPECTED_MESSAGE) {
		if ((r = reply_body(msg, len, AGENT_EXTENSION_RESPONSE, &v)) !=
		    0)
			goto out;
		if ((r = qssh_view_get_string(&v, &name)) != 0)
			goto out;
		if (!qssh_view_eq_str(name, "query")) {
			r = QSSH_ERR_INVALID_FORMAT;
			goto out;
		}
	} else if (r == AGENT_ERR_REFUSED) {
		/* FAILURE: the agent does not know the "query" extension. */
		r = AGENT_ERR_EXTENSION;
		goto out;
	} else if (r != 0)
		goto out;
	/* Every name takes at least its four length bytes. */
	cap = v.len / 4 + 1;
	if ((names = calloc(cap, sizeof(*names))) == NULL) {
		r = QSSH_ERR_ALLOC;
		goto out;
	}
	while (v.len > 0) {
		if (n + 1 >= cap) {
			r = QSSH_ERR_INTERNAL;
			goto out;
		}
		if ((r = qssh_view_get_cstring(&v, &names[n])) != 0)
			goto out;
		n++;
	}
	*namesp = names;
	*num = n;
	names = NULL;
	r = 0;
out:
	agent_names_free(names);
	return r;
}

int
agent_parse_extension_reply(
    const uint8_t *msg, size_t len, struct qssh_buf *reply)
{
	struct qssh_view v;
	int r;

	r = reply_body(msg, len, AGENT_MSG_SUCCESS, &v);
	if (r == QSSH_ERR_UNEXPECTED_MESSAGE)
		r = reply_body(msg, len, AGENT_EXTENSION_RESPONSE, &v);
	if (r != 0)
		return r;
	if (reply != NULL && v.len > 0)
		return qssh_buf_put_view(reply, v);
	return 0;
}
