/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Input: one selector byte, then bytes an SSH agent sends back.  Selectors
 * 0-4 hand the rest, as one message, to the reply parser of a request type
 * (status, identities, sign, query, extension); selector 5 and up write the
 * rest, length headers and all, to a socket and run a request over it, so
 * that the framing is fuzzed too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "control/agent.h"
#include "control/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct key *fuzz_key;

static void
check_identities(const struct agent_identities *ids)
{
	size_t i;

	for (i = 0; i < ids->num_ids; i++)
		if (ids->ids[i].key == NULL || ids->ids[i].comment == NULL ||
		    (ids->ids[i].blob == NULL && ids->ids[i].blob_len != 0))
			abort();
}

static void
parse_one(uint8_t sel, const uint8_t *msg, size_t len)
{
	struct agent_identities *ids = NULL;
	struct qssh_buf *b = qssh_buf_new();
	char **names = NULL;
	size_t num = 0, i;

	if (b == NULL)
		return;
	switch (sel) {
	case 0:
		(void)agent_parse_status(msg, len);
		break;
	case 1:
		if (agent_parse_identities(msg, len, &ids) == 0)
			check_identities(ids);
		else if (ids != NULL)
			abort();
		agent_identities_free(ids);
		break;
	case 2:
		if (agent_parse_sign_response(msg, len, b) != 0 &&
		    qssh_buf_len(b) != 0)
			abort();
		break;
	case 3:
		if (agent_parse_query(msg, len, &names, &num) == 0) {
			for (i = 0; i < num; i++)
				if (names[i] == NULL)
					abort();
			if (names[num] != NULL)
				abort();
		} else if (names != NULL || num != 0)
			abort();
		agent_names_free(names);
		break;
	default:
		(void)agent_parse_extension_reply(msg, len, b);
		break;
	}
	qssh_buf_free(b);
}

/* The bytes as a whole reply stream to one request (and a second one). */
static void
over_socket(uint8_t sel, const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "fuzz";
	struct agent_identities *ids = NULL;
	struct agent_conn *c = NULL;
	struct qssh_buf *b;
	char **names = NULL;
	size_t num;
	int sv[2];

	/* Stay within what the socket buffers without a reader. */
	if (size > 32768)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return;
	if (size > 0 && write(sv[1], data, size) != (ssize_t)size)
		goto out;
	shutdown(sv[1], SHUT_WR);
	if (agent_conn_from_fd(sv[0], &c) != 0)
		goto out;
	sv[0] = -1;
	agent_set_timeout(c, 1000);
	if ((b = qssh_buf_new()) == NULL)
		goto out;
	switch (sel % 4) {
	case 0:
		if (agent_list_identities(c, &ids) == 0)
			check_identities(ids);
		agent_identities_free(ids);
		(void)agent_remove_all_identities(c);
		break;
	case 1:
		(void)agent_sign(c, fuzz_key, msg, sizeof(msg), 0, b);
		(void)agent_sign(
		    c, fuzz_key, msg, sizeof(msg), AGENT_SIGN_RSA_SHA2_512, b);
		break;
	case 2:
		if (agent_query_extensions(c, &names, &num) == 0)
			agent_names_free(names);
		(void)agent_lock(c, "pw");
		break;
	default:
		(void)agent_extension(c, "x@fuzz", msg, sizeof(msg), b);
		(void)agent_unlock(c, "pw");
		break;
	}
	qssh_buf_free(b);
out:
	agent_close(c);
	if (sv[0] >= 0)
		close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (fuzz_key == NULL && key_generate(KEY_ED25519, 0, &fuzz_key) != 0)
		return 0;
	if (data[0] < 5)
		parse_one(data[0], data + 1, size - 1);
	else
		over_socket(data[0], data + 1, size - 1);
	return 0;
}
